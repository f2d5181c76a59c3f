"""`guanxi run`: everything on one machine — web server, background worker, scheduler."""

from __future__ import annotations

import os
import socket
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi import env
from guanxi.core import startup
from guanxi.core.management.base import GuanxiCommand
from guanxi.core.runner import ChildSpec, Supervisor
from guanxi.core.schedule import JOBS

# Sized for a 2-core machine: threads cover I/O waits (database, SQLite busy timeout),
# two processes use both cores.
DEFAULT_THREADS = 8


def default_web_workers() -> int:
    return max(2, min(os.cpu_count() or 2, 8))


def web_argv(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "guanxi.wsgi:application",
        "--bind", f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--worker-class", "gthread",
        "--workers", str(workers),
        "--threads", str(threads),
        "--graceful-timeout", "10",
        "--log-level", "warning",
        # gunicorn ≥ 27 opens a control socket under ~/.gunicorn by default; two instances
        # on one machine would fight over it, and `run` does not need it.
        "--no-control-socket",
    ]  # fmt: skip


def cli_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "guanxi.cli", *args]


def port_in_use(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # Same option gunicorn sets, so a port in TIME_WAIT after a restart counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def accepts_connections(host: str, port: int) -> bool:
    target = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)  # noqa: S104
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:
        return False


def public_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def tasks_backend_label() -> str:
    backend = settings.TASKS["default"]["BACKEND"]
    if backend.endswith("CeleryBackend"):
        return _("Celery over Redis (%(url)s)") % {"url": settings.CELERY_BROKER_URL}
    return _("database queue (django-tasks-db)")


def demo_summary(summary: dict) -> str:
    text = _("Demo customers loaded: %(customers)s.") % {"customers": summary.get("customers", "?")}
    if summary.get("users") and summary.get("password"):
        text += " " + _("Demo users %(users)s, password %(password)s.") % {
            "users": ", ".join(summary["users"]),
            "password": summary["password"],
        }
    return text


class Command(GuanxiCommand):
    help = gettext_lazy(
        "Start Guanxi on this machine: migrate, collect static files, load demo data into an "
        "empty database, then run the web server, one background worker and the scheduler "
        "until Ctrl-C or SIGTERM."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--port",
            type=int,
            default=None,
            help=_("Port to serve on (default: GUANXI_PORT or 8000)."),
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=default_web_workers(),
            help=_("Web server processes (default: %(default)s)."),
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=DEFAULT_THREADS,
            help=_("Threads per web server process (default: %(default)s)."),
        )

    def say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    def handle(self, *, port: int | None, workers: int, threads: int, **options) -> None:
        try:
            port = port or env.port()
        except ValueError as exc:
            raise CommandError(_("GUANXI_PORT must be a port number.")) from exc
        if not 0 < port < 65536 or workers < 1 or threads < 1:
            raise CommandError(_("Port, workers and threads must be positive numbers."))
        host = env.bind_host()
        if port_in_use(host, port):
            message = _(
                "Port %(port)s on %(host)s is already in use: stop the other server or "
                "choose another port with --port or GUANXI_PORT."
            )
            raise CommandError(message % {"port": port, "host": host})

        started = time.monotonic()
        self.say(_("Preparing the database…"))
        call_command("migrate", interactive=False, verbosity=0)
        if startup.static_collect_if_needed():
            self.say(_("Collected static files."))
        seed = startup.demo_seeder_if_empty(log=self.say)
        login = startup.admin_ensure()
        if seed is not None:
            self.say(demo_summary(seed()))
        # The children open their own connections; ours would only hold SQLite locks.
        connections.close_all()

        url = public_url(host, port)
        self.say(self.banner(url=url, login=login, seconds=time.monotonic() - started))
        child_env = {
            **env.environ_copy(),
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "guanxi.settings"),
            "GUANXI_DATA_DIR": str(env.data_dir()),
            "PYTHONUNBUFFERED": "1",
        }
        supervisor = Supervisor(
            children=[
                ChildSpec(
                    name="web",
                    argv=web_argv(host=host, port=port, workers=workers, threads=threads),
                ),
                # The checks ran above; the children skip them and start faster.
                ChildSpec(name="worker", argv=cli_argv("worker", "--skip-checks")),
                ChildSpec(name="scheduler", argv=cli_argv("scheduler", "--skip-checks")),
            ],
            env=child_env,
            log=lambda message: self.stderr.write(message),
        )
        code = supervisor.run(
            ready=lambda: accepts_connections(host, port),
            on_ready=lambda: self.say(_("Guanxi is ready at %(url)s") % {"url": url}),
        )
        if code:
            raise CommandError(_("Guanxi stopped because a process failed."), returncode=code)
        self.say(_("Guanxi stopped."))

    def banner(self, *, url: str, login: startup.AdminLogin, seconds: float) -> str:
        if login.password:
            admin = f"{login.username} / {login.password}   ({login.password_file})"
        else:
            admin = _(
                "%(user)s (password changed since first start; reset it with `guanxi createadmin`)"
            ) % {"user": login.username}
        database = settings.DATABASES["default"]
        db = (
            f"SQLite {database['NAME']}"
            if database["ENGINE"].endswith("sqlite3")
            else f"PostgreSQL {database.get('HOST') or 'localhost'}/{database['NAME']}"
        )
        rows = [
            (_("Web"), url),
            (_("Admin login"), admin),
            (_("Data"), f"{env.data_dir()}  ·  {db}"),
            (_("Worker"), tasks_backend_label()),
            (_("Scheduler"), _("periodic jobs: %(count)d") % {"count": len(JOBS)}),
        ]
        width = max(len(str(label)) for label, _value in rows) + 2
        line = "─" * 72
        body = "\n".join(f"  {str(label) + ':':<{width}}{value}" for label, value in rows)
        title = "Guanxi 关系 — " + _("prepared in %(seconds).1f s") % {"seconds": seconds}
        stop = _("Stop with Ctrl-C (or SIGTERM).")
        return f"\n{line}\n  {title}\n{line}\n{body}\n{line}\n  {stop}\n"
