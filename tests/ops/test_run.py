"""`guanxi run` end to end, as an operator starts it: a real gunicorn, worker and scheduler
on a fresh data dir; the set stops cleanly on SIGTERM and together when one child dies."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").exists(), reason="reads child processes from /proc"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUANXI_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="guanxi.settings",
        GUANXI_DATA_DIR=str(data_dir),
        GUANXI_DEMO="0",
        GUANXI_LANGUAGE="en",
    )
    return env


class Run:
    def __init__(self, *, data_dir: Path, port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "guanxi.cli", "run", "--port", str(port),
             "--workers", "1", "--threads", "2"],
            cwd=ROOT, env=run_env(data_dir), stdout=log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text()

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while "is ready at" not in self.output():
            assert self.proc.poll() is None, self.output()
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.2)

    def children(self) -> dict[str, int]:
        """The supervisor's direct children by role: web, worker, scheduler."""
        pid = self.proc.pid
        pids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        found = {}
        for child in map(int, pids):
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            role = "web" if "gunicorn" in cmdline else cmdline.split("guanxi.cli ")[-1].split()[0]
            found[role] = child
        return found

    def get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0); it has exited all the same.
    status = Path(f"/proc/{pid}/status")
    return not status.exists() or "zombie" in status.read_text()


def admin_password(output: str) -> str:
    match = re.search(r"admin / (\S+)", output)
    assert match, output
    return match.group(1)


def test_run_serves_stops_on_sigterm_and_fails_with_a_dead_child(tmp_path):
    data_dir = tmp_path / "data"
    port = free_port()

    first = Run(data_dir=data_dir, port=port, log=tmp_path / "first.log")
    try:
        first.wait_ready()
        children = first.children()
        assert set(children) == {"web", "worker", "scheduler"}
        assert first.get("/static/vendor/htmx/htmx.min.js") == 200
        assert first.get("/accounts/login/") < 500
        assert f"http://127.0.0.1:{port}/" in first.output()
        password = admin_password(first.output())

        os.kill(children["worker"], signal.SIGKILL)
        assert first.proc.wait(timeout=30) != 0
        assert "worker exited unexpectedly" in first.output()
        assert all(gone(pid) for pid in children.values())
    finally:
        first.stop()

    second = Run(data_dir=data_dir, port=port, log=tmp_path / "second.log")
    try:
        second.wait_ready()
        children = second.children()
        # Same data dir: the data and the admin login are kept.
        assert admin_password(second.output()) == password
        assert "Collected static files" not in second.output()

        second.proc.send_signal(signal.SIGTERM)
        assert second.proc.wait(timeout=30) == 0
        assert all(gone(pid) for pid in children.values())
    finally:
        second.stop()
