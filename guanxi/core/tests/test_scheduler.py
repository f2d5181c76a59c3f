import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from django.tasks import Task, task, task_backends
from django.test import override_settings

from guanxi.core import clock
from guanxi.core.models import PeriodicRun, SchedulerLease
from guanxi.core.schedule import JOBS, Job
from guanxi.core.scheduler import (
    LEASE_SECONDS,
    Scheduler,
    jobs_enqueue_due,
    lease_release,
    slot_latest,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


@task()
def noop() -> None:
    """A task for the scheduler to enqueue in these tests."""


NOOP_PATH = f"{__name__}.noop"
EVERY_MINUTE = Job(name="test.every_minute", cron="* * * * *", task_path=NOOP_PATH)


def at(hour: int, minute: int, second: int = 0, *, day: int = 15) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.fixture
def enqueued():
    """The list of task results the dummy backend received."""
    with override_settings(TASKS=DUMMY_TASKS):
        backend = task_backends["default"]
        backend.clear()
        yield backend.results


def enqueued_paths(results) -> list[str]:
    return [r.task.module_path for r in results]


# --- lease -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_second_scheduler_stays_idle_while_the_first_holds_the_lease(enqueued):
    first = Scheduler(jobs=[EVERY_MINUTE], holder="first")
    second = Scheduler(jobs=[EVERY_MINUTE], holder="second")

    assert first.tick(now=at(10, 0, 5)) == ["test.every_minute"]
    assert second.tick(now=at(10, 0, 6)) is None
    assert first.tick(now=at(10, 0, 50)) == []  # renews the lease
    assert second.tick(now=at(10, 1, 1)) is None  # due, but not the leader
    assert first.tick(now=at(10, 1, 2)) == ["test.every_minute"]

    assert enqueued_paths(enqueued) == [NOOP_PATH, NOOP_PATH]
    assert SchedulerLease.objects.get().holder == "first"


@pytest.mark.django_db
def test_renewed_lease_is_kept_but_an_expired_one_is_taken_over(enqueued):
    first = Scheduler(jobs=[EVERY_MINUTE], holder="first")
    second = Scheduler(jobs=[EVERY_MINUTE], holder="second")
    first.tick(now=at(10, 0, 0))
    first.tick(now=at(10, 0, 20))  # renewal: valid until 10:00:50

    assert second.tick(now=at(10, 0, 45)) is None
    # The first scheduler died after its last renewal: the lease runs out.
    assert second.tick(now=at(10, 0, 20) + dt.timedelta(seconds=LEASE_SECONDS)) == []
    assert first.tick(now=at(10, 0, 55)) is None
    assert SchedulerLease.objects.get().holder == "second"


@pytest.mark.django_db
def test_released_lease_is_taken_over_at_once(enqueued):
    first = Scheduler(jobs=[EVERY_MINUTE], holder="first")
    second = Scheduler(jobs=[EVERY_MINUTE], holder="second")
    with clock.frozen_at(at(10, 0, 1)):
        first.tick()
        lease_release(holder=first.holder)

        assert second.tick() == []  # the slot was already enqueued by the first
    assert second.leading


# --- slots ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_due_job_is_enqueued_once_per_slot_even_if_the_tick_runs_twice(enqueued):
    scheduler = Scheduler(jobs=[EVERY_MINUTE], holder="only")

    assert scheduler.tick(now=at(10, 0, 1)) == ["test.every_minute"]
    assert scheduler.tick(now=at(10, 0, 1)) == []
    assert scheduler.tick(now=at(10, 0, 59)) == []
    assert scheduler.tick(now=at(10, 1, 0)) == ["test.every_minute"]

    assert len(enqueued) == 2
    assert PeriodicRun.objects.get(job="test.every_minute").last_run_at == at(10, 1)


@pytest.mark.django_db
def test_restarted_scheduler_does_not_enqueue_a_slot_again(enqueued):
    Scheduler(jobs=[EVERY_MINUTE], holder="before-restart").tick(now=at(10, 0, 2))
    lease_release(holder="before-restart", now=at(10, 0, 3))

    after = Scheduler(jobs=[EVERY_MINUTE], holder="after-restart")

    assert after.tick(now=at(10, 0, 40)) == []
    assert len(enqueued) == 1


@pytest.mark.django_db
def test_missed_slots_are_enqueued_once_not_once_each(enqueued):
    scheduler = Scheduler(jobs=[EVERY_MINUTE], holder="only")
    scheduler.tick(now=at(10, 0, 0))

    # Down from 10:00 to 10:07:30: seven slots missed.
    assert scheduler.tick(now=at(10, 7, 30)) == ["test.every_minute"]
    assert scheduler.tick(now=at(10, 7, 50)) == []
    assert len(enqueued) == 2


@pytest.mark.django_db
def test_new_job_does_not_fire_for_a_slot_long_past(enqueued):
    monthly = Job(name="test.monthly", cron="0 9 1 * *", task_path=NOOP_PATH)
    scheduler = Scheduler(jobs=[monthly], holder="only")

    assert scheduler.tick(now=at(10, 0, day=15)) == []
    next_month = dt.datetime(2026, 4, 1, 9, 0, 3, tzinfo=SHANGHAI)
    assert scheduler.tick(now=next_month) == ["test.monthly"]
    assert len(enqueued) == 1


@pytest.mark.django_db
def test_cron_is_read_in_the_configured_time_zone(enqueued):
    daily_9am = Job(name="test.daily", cron="0 9 * * *", task_path=NOOP_PATH)
    nine_in_shanghai = dt.datetime(2026, 3, 15, 1, 0, 10, tzinfo=dt.UTC)

    assert jobs_enqueue_due(now=nine_in_shanghai, jobs=[daily_9am]) == ["test.daily"]
    assert slot_latest("0 9 * * *", nine_in_shanghai) == at(9, 0)


def test_latest_slot_includes_an_exact_match():
    assert slot_latest("*/5 * * * *", at(10, 5, 0)) == at(10, 5)
    assert slot_latest("*/5 * * * *", at(10, 9, 59)) == at(10, 5)


@pytest.mark.django_db
def test_a_broken_job_does_not_stop_the_others(enqueued):
    broken = Job(name="test.broken", cron="* * * * *", task_path="guanxi.core.nowhere.task")

    assert jobs_enqueue_due(now=at(10, 0, 1), jobs=[broken, EVERY_MINUTE]) == ["test.every_minute"]
    # The broken job's slot stays unclaimed, so it is retried once fixed.
    assert not PeriodicRun.objects.filter(job="test.broken").exists()


def test_wait_is_until_the_next_slot_but_never_past_the_renewal():
    scheduler = Scheduler(jobs=[EVERY_MINUTE], holder="only", renew_seconds=10)
    scheduler.leading = True

    assert scheduler.seconds_to_wait(now=at(10, 0, 57)) == pytest.approx(3.05)
    assert scheduler.seconds_to_wait(now=at(10, 0, 5)) == 10
    scheduler.leading = False
    assert scheduler.seconds_to_wait(now=at(10, 0, 57)) == 10


# --- the registry ------------------------------------------------------------------------


def test_registry_entries_resolve_to_real_tasks():
    assert JOBS, "the registry is empty"
    assert len({job.name for job in JOBS}) == len(JOBS)
    for job in JOBS:
        assert croniter.is_valid(job.cron), job.name
        assert isinstance(job.task(), Task), job.name


def test_task_reminders_are_registered_every_minute():
    job = next(j for j in JOBS if j.task_path == "guanxi.followups.tasks.send_task_reminders")
    assert job.cron == "* * * * *"


@pytest.mark.django_db
def test_scheduled_reminder_job_notifies_the_assignee():
    """End to end with the inline test backend: the tick runs the real reminder task."""
    from guanxi.accounts.tests.factories import UserFactory
    from guanxi.followups.services import task_create
    from guanxi.messaging.models import Notification

    user = UserFactory(role_slug="sales")
    now = clock.now()
    task_create(actor=user, title="回访", assignee=user, due_at=now + dt.timedelta(minutes=30))
    reminders = next(j for j in JOBS if j.name == "followups.send_task_reminders")

    assert Scheduler(jobs=[reminders], holder="only").tick(now=now) == [reminders.name]
    assert Notification.objects.filter(user=user, kind="task_due").count() == 1
