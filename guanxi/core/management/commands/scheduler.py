"""`guanxi scheduler`: enqueues periodic jobs on time; run exactly one per installation."""

from __future__ import annotations

import signal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import clock
from guanxi.core.management.base import GuanxiCommand
from guanxi.core.schedule import JOBS
from guanxi.core.scheduler import Scheduler, lease_release, slot_next


class Command(GuanxiCommand):
    help = gettext_lazy(
        "Run the scheduler: enqueues the periodic jobs (task reminders, …) for the workers. "
        "A second scheduler waits idle until the first one stops."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help=_("Run one pass, print what was enqueued and exit."),
        )
        parser.add_argument(
            "--list",
            action="store_true",
            dest="list_jobs",
            help=_("List the periodic jobs and their next run, then exit."),
        )

    def handle(self, *, once: bool, list_jobs: bool, **options) -> None:
        if list_jobs:
            now = clock.now()
            for job in JOBS:
                next_at = timezone.localtime(slot_next(job.cron, now))
                self.stdout.write(
                    f"{job.name}\t{job.cron}\t{job.task_path}\t{next_at:%Y-%m-%d %H:%M}"
                )
            return
        scheduler = Scheduler()
        if once:
            try:
                enqueued = scheduler.tick()
            finally:
                lease_release(holder=scheduler.holder)
            if enqueued is None:
                self.stdout.write(_("Another scheduler holds the lease; nothing enqueued."))
            else:
                self.stdout.write(_("Enqueued: %(jobs)s") % {"jobs": ", ".join(enqueued) or "-"})
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, frame: scheduler.stop())
        scheduler.run_forever()
