"""Shared pieces of the benchmark scripts: timing, raw-SQL replay, the HTTP load run and
the result table. Benchmarks are scripts, not tests: they print figures and exit 1 when a
target is missed.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"


@dataclass
class Figure:
    figure: str
    value: float | None
    unit: str  # "ms" or "req/s" or "s"
    target: str
    baseline: float | None = None
    baseline_label: str = ""
    ratio: float | None = None
    met: bool | None = None  # None: informational, no target
    note: str = ""

    def row(self) -> list[str]:
        def num(v: float | None) -> str:
            if v is None:
                return "—"
            return f"{v:,.0f}" if self.unit == "req/s" else f"{v:,.1f}"

        value = f"{num(self.value)} {self.unit}" if self.value is not None else self.note or "—"
        baseline = f"{num(self.baseline)} {self.unit}" if self.baseline is not None else "—"
        if self.baseline_label and self.baseline is not None:
            baseline += f" ({self.baseline_label})"
        if self.ratio is None:
            ratio = "—"
        elif self.unit == "req/s":
            ratio = f"{self.ratio:.0%}"
        else:
            ratio = f"{self.ratio:.1f}×"
        met = {True: "yes", False: "NO", None: "—"}[self.met]
        return [self.figure, value, self.target, baseline, ratio, met]


def print_table(figures: Sequence[Figure], *, as_json: bool, meta: dict[str, Any]) -> None:
    if as_json:
        print(json.dumps({**meta, "figures": [asdict(f) for f in figures]}, ensure_ascii=False))
        return
    header = ["figure", "value", "target", "baseline", "ratio", "met"]
    rows = [header, *(f.row() for f in figures)]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(header))]
    for n, row in enumerate(rows):
        print("| " + " | ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for f in figures:
        if f.note and f.value is not None:
            print(f"  {f.figure}: {f.note}")


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


# --- timing ----------------------------------------------------------------------------


def median_ms(fn: Callable[[], Any], *, repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def capture_sql(fn: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The exact SQL strings and parameters Django sends while fn runs."""
    from django.db import connection

    seen: list[tuple[str, Any]] = []

    def wrapper(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        fn()
    return seen


def replay(statements: Sequence[tuple[str, Any]]) -> Callable[[], None]:
    """A callable that runs the captured statements through a raw cursor and fetches all."""
    from django.db import connection

    def run() -> None:
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the DB-API cursor: no Django wrapper, no model instances
            for sql, params in statements:
                if connection.vendor == "sqlite":
                    from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

                    sql = FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")
                raw.execute(sql, params or ())
                raw.fetchall()

    return run


# --- the web server under load ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def web_server(*, env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """gunicorn started the way `guanxi run` starts it, on 127.0.0.1 only."""
    argv = server_argv(port=port)
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603 - argv built here
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {log}")
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", port), timeout=0.5),
                ):
                    break
                time.sleep(0.2)
            else:
                raise RuntimeError("gunicorn did not start within 60 s")
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def server_argv(*, port: int) -> list[str]:
    try:
        from guanxi.core.management.commands.run import (
            DEFAULT_THREADS,
            default_web_workers,
            web_argv,
        )

        return web_argv(
            host="127.0.0.1", port=port, workers=default_web_workers(), threads=DEFAULT_THREADS
        )
    except ImportError:  # before `guanxi run` existed: the documented command line
        return [
            sys.executable, "-m", "gunicorn", "guanxi.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
            "--workers", "2", "--threads", "8", "--log-level", "warning",
        ]  # fmt: skip


def http_status(url: str, *, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - 127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@dataclass
class LoadResult:
    requests_per_second: float
    errors: int
    tool: str


def load(
    *,
    base: str,
    path_template: str,
    ids: tuple[int, int] | None,
    headers: dict[str, str],
    connections: int,
    seconds: int,
) -> LoadResult:
    """Requests/s against one endpoint; `{id}` in the path takes random ids in `ids`."""
    if shutil.which("wrk"):
        return _wrk(base, path_template, ids, headers, connections, seconds)
    return _python_load(base, path_template, ids, headers, connections, seconds)


_WRK_SCRIPT = """
math.randomseed(%(seed)d)
local lo, hi = %(lo)d, %(hi)d
local template = "%(template)s"
%(headers)s
request = function()
  local path = template:gsub("{id}", tostring(math.random(lo, hi)))
  return wrk.format("GET", path)
end
"""


def _wrk(base, path_template, ids, headers, connections, seconds) -> LoadResult:
    lo, hi = ids or (0, 0)
    header_lua = "\n".join(
        f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items() if '"' not in k + v
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            _WRK_SCRIPT
            % {"seed": 42, "lo": lo, "hi": hi, "template": path_template, "headers": header_lua}
        )
    try:
        threads = min(2, connections)
        out = subprocess.run(  # noqa: S603
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
             "-s", script.name, base],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return LoadResult(rps, errors, "wrk")


def _python_load(base, path_template, ids, headers, connections, seconds) -> LoadResult:
    """Fallback when wrk is missing: keep-alive clients on threads. The client shares the
    GIL and the two cores with the server, so figures are lower than wrk's; ratios hold."""
    import random

    host, port = base.removeprefix("http://").split(":")
    deadline = time.monotonic() + seconds
    counts = [0] * connections
    errors = [0] * connections

    def client(n: int) -> None:
        rng = random.Random(n)
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        while time.monotonic() < deadline:
            path = path_template
            if ids:
                path = path.replace("{id}", str(rng.randint(*ids)))
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    errors[n] += 1
                counts[n] += 1
            except (OSError, http.client.HTTPException):
                errors[n] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return LoadResult(sum(counts) / (time.monotonic() - started), sum(errors), "python")
