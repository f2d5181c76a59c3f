import os
import signal
import sys
import time

from guanxi.core.runner import ChildSpec, Supervisor


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


SLEEPER = python("import time; time.sleep(60)")


def quiet_supervisor(children, **kwargs) -> tuple[Supervisor, list[str]]:
    messages: list[str] = []
    return Supervisor(children=children, log=messages.append, **kwargs), messages


def test_a_child_that_dies_stops_the_others_and_the_exit_code_is_non_zero():
    supervisor, messages = quiet_supervisor(
        [
            ChildSpec(name="web", argv=SLEEPER),
            ChildSpec(name="worker", argv=python("import sys, time; time.sleep(0.3); sys.exit(3)")),
        ],
        poll_seconds=0.05,
    )

    assert supervisor.run() == 3
    assert supervisor.procs["web"].returncode is not None
    assert any("worker exited unexpectedly (code 3)" in m for m in messages)


def test_a_child_that_exits_zero_on_its_own_still_fails_the_set():
    supervisor, _messages = quiet_supervisor(
        [ChildSpec(name="web", argv=SLEEPER), ChildSpec(name="worker", argv=python("pass"))],
        poll_seconds=0.05,
    )

    assert supervisor.run() == 1


def test_sigterm_stops_every_child_and_exits_zero():
    supervisor, messages = quiet_supervisor(
        [ChildSpec(name="web", argv=SLEEPER), ChildSpec(name="worker", argv=SLEEPER)],
        poll_seconds=0.05,
    )

    handler_before = signal.getsignal(signal.SIGTERM)

    # Sent once the supervisor's handlers are installed (on_ready runs inside run()).
    code = supervisor.run(ready=lambda: True, on_ready=lambda: os.kill(os.getpid(), signal.SIGTERM))

    assert code == 0
    assert {p.returncode for p in supervisor.procs.values()} == {-signal.SIGTERM}
    assert any("stopping" in m for m in messages)
    # The supervisor's own handlers are removed again.
    assert signal.getsignal(signal.SIGTERM) == handler_before


def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path):
    marker = tmp_path / "ignoring"
    stubborn = python(
        "import pathlib, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"pathlib.Path({str(marker)!r}).touch(); time.sleep(60)"
    )
    supervisor, messages = quiet_supervisor(
        [ChildSpec(name="stubborn", argv=stubborn)], stop_timeout=0.5, poll_seconds=0.05
    )
    started = time.monotonic()

    code = supervisor.run(ready=marker.exists, on_ready=lambda: os.kill(os.getpid(), signal.SIGINT))

    assert code == 0
    assert supervisor.procs["stubborn"].returncode == -signal.SIGKILL
    assert time.monotonic() - started < 10
    assert any("did not stop in time" in m for m in messages)


def test_a_child_that_cannot_start_fails_the_run():
    supervisor, messages = quiet_supervisor(
        [
            ChildSpec(name="web", argv=SLEEPER),
            ChildSpec(name="missing", argv=["/nonexistent/guanxi-binary"]),
        ]
    )

    assert supervisor.run() == 1
    assert supervisor.procs["web"].returncode is not None
    assert any("Could not start missing" in m for m in messages)
