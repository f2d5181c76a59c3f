"""A small process supervisor for `guanxi run`: web server, worker and scheduler as children.

Rules: SIGINT/SIGTERM stop every child (SIGTERM first, SIGKILL after a grace period) and
exit 0; a child that dies on its own takes the others down and the supervisor exits non-zero,
so a service manager (systemd, a container runtime) sees the failure and restarts the set.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True, kw_only=True)
class ChildSpec:
    name: str
    argv: Sequence[str]


def _die_with_parent() -> None:
    """Runs in the child before exec: if the supervisor is killed with -9, the kernel sends
    the child SIGTERM, so no orphaned worker keeps the database or the port busy."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


class Supervisor:
    def __init__(
        self,
        *,
        children: Sequence[ChildSpec],
        env: dict[str, str] | None = None,
        stop_timeout: float = 15.0,
        poll_seconds: float = 0.2,
        log: Callable[[str], None] = print,
    ) -> None:
        self.specs = list(children)
        self.env = env
        self.stop_timeout = stop_timeout
        self.poll_seconds = poll_seconds
        self.log = log
        self.procs: dict[str, subprocess.Popen] = {}
        self._signals: list[int] = []

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals.append(signum)

    def run(
        self,
        *,
        ready: Callable[[], bool] | None = None,
        on_ready: Callable[[], None] | None = None,
    ) -> int:
        """Start the children and watch them; returns the exit code for the supervisor."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        try:
            return self._run(ready=ready, on_ready=on_ready)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _run(self, *, ready: Callable[[], bool] | None, on_ready: Callable[[], None] | None) -> int:
        for spec in self.specs:
            try:
                self.procs[spec.name] = subprocess.Popen(  # noqa: S603 - argv built by us
                    list(spec.argv),
                    env=self.env,
                    # Own process group: Ctrl-C reaches only the supervisor, which then stops
                    # the children in order instead of all of them at once.
                    start_new_session=True,
                    preexec_fn=_die_with_parent,  # the supervisor runs no threads, so this is safe
                )
            except OSError as exc:
                self.log(f"Could not start {spec.name}: {exc}")
                self.stop_all()
                return 1
        is_ready = ready is None
        while True:
            if self._signals:
                self.log(f"Received {signal.strsignal(self._signals[0])}; stopping…")
                self.stop_all()
                return 0
            for name, proc in self.procs.items():
                code = proc.poll()
                if code is not None:
                    self.log(f"{name} exited unexpectedly (code {code}); stopping the others.")
                    self.stop_all()
                    return code if code > 0 else 1
            if not is_ready and ready is not None and ready():
                is_ready = True
                if on_ready is not None:
                    on_ready()
            time.sleep(self.poll_seconds)

    def stop_all(self) -> None:
        """SIGTERM every live child, wait up to stop_timeout, then SIGKILL its process group.

        A second Ctrl-C while waiting skips the wait."""
        signals_seen = len(self._signals)
        for proc in self.procs.values():
            if proc.poll() is None:
                _send(proc, signal.SIGTERM, group=False)
        deadline = time.monotonic() + self.stop_timeout
        while time.monotonic() < deadline and len(self._signals) <= signals_seen:
            if all(proc.poll() is not None for proc in self.procs.values()):
                break
            time.sleep(0.05)
        for name, proc in self.procs.items():
            if proc.poll() is None:
                self.log(f"{name} did not stop in time; killing it.")
            # The group too: gunicorn's and Celery's own workers must not outlive their master.
            _send(proc, signal.SIGKILL, group=True)
            proc.wait()


def _send(proc: subprocess.Popen, sig: int, *, group: bool) -> None:
    try:
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
    except (ProcessLookupError, PermissionError):
        pass
