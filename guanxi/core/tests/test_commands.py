"""The process commands' wiring, without starting the processes."""

import socket
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import translation

from guanxi.cli import main
from guanxi.core.management.commands import run, worker

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
CELERY_TASKS = {"default": {"BACKEND": "guanxi.core.celery_backend.CeleryBackend"}}


def test_web_server_is_gunicorn_with_threads_and_no_control_socket():
    argv = run.web_argv(host="127.0.0.1", port=8123, workers=2, threads=8)

    assert argv[:4] == [sys.executable, "-m", "gunicorn", "guanxi.wsgi:application"]
    joined = " ".join(argv)
    assert "--bind 127.0.0.1:8123" in joined
    assert "--worker-class gthread --workers 2 --threads 8" in joined
    assert "--no-control-socket" in argv


def test_ipv6_bind_address_is_bracketed():
    assert "[::1]:8123" in run.web_argv(host="::1", port=8123, workers=1, threads=1)


def test_url_for_a_wildcard_bind_points_at_the_loopback():
    assert run.public_url("0.0.0.0", 8000) == "http://127.0.0.1:8000/"  # noqa: S104
    assert run.public_url("127.0.0.1", 8123) == "http://127.0.0.1:8123/"


def test_run_refuses_a_port_in_use_before_touching_anything(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert run.port_in_use("127.0.0.1", port)

        with translation.override("en"):
            code = main(["run", "--skip-checks", "--port", str(port)])

    assert code == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err


def test_worker_runs_the_database_queue_without_autoreload(monkeypatch):
    calls = []
    monkeypatch.setattr(worker, "call_command", lambda *a, **kw: calls.append((a, kw)))

    with override_settings(TASKS=DB_TASKS):
        call_command("worker", skip_checks=True)

    assert calls == [
        (("db_worker",), {"queue_name": "*", "reload": False, "interval": 1, "verbosity": 1})
    ]


def test_worker_becomes_a_celery_worker_with_the_celery_backend(monkeypatch):
    execs = []
    monkeypatch.setattr(worker.os, "execv", lambda path, argv: execs.append(argv))

    with override_settings(TASKS=CELERY_TASKS):
        call_command("worker", "--concurrency", "3", skip_checks=True)

    (argv,) = execs
    assert argv[1:6] == ["-m", "celery", "-A", "guanxi.celery_app", "worker"]
    assert argv[-2:] == ["--concurrency", "3"]


def test_worker_refuses_a_backend_that_needs_no_worker():
    with pytest.raises(CommandError):
        call_command("worker", skip_checks=True)  # the tests' inline backend
