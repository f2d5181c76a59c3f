"""The periodic scheduler: enqueues the jobs of `core.schedule.JOBS` when their cron slot comes.

It never runs work itself; workers do. Guarantees:
- one active scheduler: a lease row (`SchedulerLease`) renewed every ~10 s and valid for
  30 s; a second scheduler keeps trying and stays idle until the lease expires;
- one enqueue per slot: the slot is claimed by a conditional UPDATE of `PeriodicRun` in the
  same transaction as the enqueue, so a repeated tick, a restart or a racing scheduler
  cannot enqueue the same slot twice;
- missed slots (scheduler down) are coalesced: on return only the latest one is enqueued.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading
from collections.abc import Sequence

from croniter import croniter
from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from guanxi.core import clock
from guanxi.core.models import PeriodicRun, SchedulerLease
from guanxi.core.schedule import JOBS, Job

logger = logging.getLogger("guanxi.scheduler")

LEASE_NAME = "scheduler"
LEASE_SECONDS = 30
RENEW_SECONDS = 10
# A job seen for the first time runs for its current slot only if that slot is this recent:
# adding a monthly job mid-month must not fire it at once.
FIRST_SLOT_GRACE = dt.timedelta(minutes=5)


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def lease_acquire(
    *, holder: str, now: dt.datetime | None = None, seconds: int = LEASE_SECONDS
) -> bool:
    """Take or renew the lease; False while another holder's lease is unexpired."""
    now = now or clock.now()
    expires_at = now + dt.timedelta(seconds=seconds)
    with transaction.atomic():
        taken = (
            SchedulerLease.objects.filter(name=LEASE_NAME)
            .filter(Q(holder=holder) | Q(expires_at__lte=now))
            .update(holder=holder, expires_at=expires_at)
        )
        if taken:
            return True
        if SchedulerLease.objects.filter(name=LEASE_NAME).exists():
            return False
        try:
            with transaction.atomic():
                SchedulerLease.objects.create(name=LEASE_NAME, holder=holder, expires_at=expires_at)
        except IntegrityError:
            return False  # another scheduler created it first
    return True


def lease_release(*, holder: str, now: dt.datetime | None = None) -> None:
    """Expire our lease now so a standby scheduler takes over without waiting 30 s."""
    SchedulerLease.objects.filter(name=LEASE_NAME, holder=holder).update(
        expires_at=now or clock.now()
    )


def slot_latest(cron: str, now: dt.datetime) -> dt.datetime:
    """The latest slot at or before `now`, read in settings.TIME_ZONE."""
    # croniter's get_prev is strict, so start just after `now` to include an exact match.
    start = timezone.localtime(now) + dt.timedelta(microseconds=1)
    return croniter(cron, start).get_prev(dt.datetime)


def slot_next(cron: str, now: dt.datetime) -> dt.datetime:
    return croniter(cron, timezone.localtime(now)).get_next(dt.datetime)


def _slot_claim(*, job: Job, slot: dt.datetime, now: dt.datetime) -> bool:
    """Inside the caller's transaction: True if this caller owns `slot` and must enqueue."""
    if PeriodicRun.objects.filter(job=job.name, last_run_at__lt=slot).update(last_run_at=slot):
        return True
    if PeriodicRun.objects.filter(job=job.name).exists():
        return False  # this slot (or a later one) was already enqueued
    try:
        with transaction.atomic():
            PeriodicRun.objects.create(job=job.name, last_run_at=slot)
    except IntegrityError:
        return False
    return now - slot <= FIRST_SLOT_GRACE


def jobs_enqueue_due(
    *, now: dt.datetime | None = None, jobs: Sequence[Job] | None = None
) -> list[str]:
    """Enqueue each job whose latest slot has not been enqueued yet; returns their names."""
    now = now or clock.now()
    enqueued = []
    for job in JOBS if jobs is None else jobs:
        try:
            with transaction.atomic():
                if _slot_claim(job=job, slot=slot_latest(job.cron, now), now=now):
                    # Same transaction as the claim: with the database backend both commit
                    # or neither does; the Celery backend sends after commit.
                    job.task().enqueue()
                    enqueued.append(job.name)
        except Exception:
            # One broken job must not stop the others; its slot stays unclaimed and is
            # retried on the next tick.
            logger.exception("Could not enqueue periodic job %s", job.name)
    return enqueued


class Scheduler:
    def __init__(
        self,
        *,
        jobs: Sequence[Job] | None = None,
        holder: str | None = None,
        lease_seconds: int = LEASE_SECONDS,
        renew_seconds: float = RENEW_SECONDS,
    ) -> None:
        self.jobs = list(JOBS if jobs is None else jobs)
        self.holder = holder or holder_id()
        self.lease_seconds = lease_seconds
        self.renew_seconds = renew_seconds
        self.leading = False
        self._stop = threading.Event()

    def tick(self, *, now: dt.datetime | None = None) -> list[str] | None:
        """One pass: renew the lease and enqueue due jobs. None while another scheduler leads."""
        now = now or clock.now()
        if not lease_acquire(holder=self.holder, now=now, seconds=self.lease_seconds):
            if self.leading:
                logger.warning("Scheduler %s lost its lease; standing by.", self.holder)
            self.leading = False
            return None
        if not self.leading:
            logger.info("Scheduler %s holds the lease; %d job(s).", self.holder, len(self.jobs))
        self.leading = True
        enqueued = jobs_enqueue_due(now=now, jobs=self.jobs)
        for name in enqueued:
            logger.info("Enqueued %s", name)
        return enqueued

    def seconds_to_wait(self, *, now: dt.datetime) -> float:
        """Until the next slot of any job, but never past the next lease renewal."""
        wait = self.renew_seconds
        if self.leading and self.jobs:
            next_slot = min(slot_next(job.cron, now) for job in self.jobs)
            wait = min(wait, (next_slot - now).total_seconds() + 0.05)
        return max(wait, 0.05)

    def stop(self) -> None:
        self._stop.set()

    def run_forever(self) -> None:
        logger.info("Scheduler %s started.", self.holder)
        try:
            while not self._stop.is_set():
                close_old_connections()
                try:
                    self.tick()
                except DatabaseError:
                    # A locked or restarting database: keep going, the lease protects us.
                    logger.exception("Scheduler tick failed; retrying.")
                self._stop.wait(self.seconds_to_wait(now=clock.now()))
        finally:
            try:
                lease_release(holder=self.holder)
            except DatabaseError:
                logger.warning("Could not release the scheduler lease; it expires by itself.")
            logger.info("Scheduler %s stopped.", self.holder)
