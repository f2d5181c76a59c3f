"""`guanxi worker`: runs queued background tasks with the configured backend."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.management.base import GuanxiCommand


def celery_argv(*, concurrency: int | None) -> list[str]:
    argv = [sys.executable, "-m", "celery", "-A", "guanxi.celery_app", "worker"]
    argv += ["--loglevel", "INFO", "--without-mingle", "--without-gossip"]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    return argv


class Command(GuanxiCommand):
    help = gettext_lazy(
        "Run a background worker: the database queue by default, a Celery worker over Redis "
        "with GUANXI_TASKS_BACKEND=celery. Start as many as the load needs."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--queue",
            default="*",
            help=_("Database queue only: queues to take tasks from (default: all)."),
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=None,
            help=_("Celery only: worker processes (default: one per CPU)."),
        )

    def handle(self, *, queue: str, concurrency: int | None, verbosity: int, **options) -> None:
        backend = settings.TASKS["default"]["BACKEND"]
        if backend.endswith("CeleryBackend"):
            argv = celery_argv(concurrency=concurrency)
            sys.stdout.flush()
            sys.stderr.flush()
            # exec, not a child: signals from a supervisor reach Celery directly.
            os.execv(sys.executable, argv)  # noqa: S606
            return  # not reached (exec replaces this process), except in tests
        if not backend.startswith("django_tasks_db."):
            raise CommandError(
                _("The tasks backend %(backend)s runs tasks without a worker.")
                % {"backend": backend}
            )
        call_command(
            "db_worker",
            queue_name=queue,
            reload=False,
            interval=1,
            verbosity=verbosity,
        )
