"""Celery + Redis smoke test with a real worker process (GUANXI_CELERY_SMOKE=1).

The test process enqueues through `CeleryBackend`; a `guanxi worker` subprocess (exec'ing
`celery -A guanxi.celery_app worker`) takes the task from Redis database 15 and runs it
against the same database as this test. That database must be a real one both processes
open — the SQLite test file or the PostgreSQL test database — and the test commits its data
(`transaction=True`), so the worker sees it.
"""

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import override_settings

from guanxi.accounts.tests.factories import UserFactory
from guanxi.core import clock
from guanxi.followups.services import task_create
from guanxi.messaging.models import Notification

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/15"
CELERY_TASKS = {"default": {"BACKEND": "guanxi.core.celery_backend.CeleryBackend"}}

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def shared_database_url() -> str:
    """The URL of the database this test runs on, for the worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        assert str(db["NAME"]) != ":memory:" and "mode=memory" not in str(db["NAME"])
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return (
        f"postgresql://{auth}{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


@pytest.fixture
def redis_db():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()  # database 15 is the tests' own
    yield client
    client.flushdb()


@pytest.fixture
def celery_worker(request, tmp_path, redis_db):
    concurrency = getattr(request, "param", 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUANXI_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="guanxi.settings",
        GUANXI_DATA_DIR=str(tmp_path),
        GUANXI_DATABASE_URL=shared_database_url(),
        GUANXI_TASKS_BACKEND="celery",
        GUANXI_REDIS_URL=REDIS_URL,
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "worker.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "guanxi.cli", "worker", "--concurrency", str(concurrency)],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while "ready." not in log.read_text():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    yield proc, log
    proc.terminate()  # warm shutdown
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_reminder_task_runs_once_on_a_real_celery_worker(celery_worker):
    from guanxi.celery_app import app
    from guanxi.followups.tasks import send_task_reminders

    proc, log = celery_worker
    user = UserFactory(role_slug="sales")
    task = task_create(
        actor=user, title="回访客户", assignee=user, due_at=clock.now() + dt.timedelta(minutes=30)
    )
    app.conf.broker_url = REDIS_URL

    with override_settings(TASKS=CELERY_TASKS, CELERY_BROKER_URL=REDIS_URL):
        send_task_reminders.enqueue()

    deadline = time.monotonic() + 60
    while not Notification.objects.filter(user=user).exists():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    time.sleep(1)  # a duplicate delivery would show up by now

    notification = Notification.objects.get(user=user)
    assert notification.kind == "task_due"
    assert "回访客户" in notification.title
    task.refresh_from_db()
    assert task.reminded_at is not None
    assert log.read_text().count("succeeded in") == 1


@pytest.mark.parametrize("celery_worker", [2], indirect=True)
def test_automation_steps_run_exactly_once_on_celery_workers(celery_worker):
    """Enrolling customers wakes the engine through Celery; the steps (a notice, then a task)
    run on a worker with two processes, woken three times, and each runs exactly once."""
    from guanxi.automation.models import Execution, ExecutionStatus, Rule, RuleStatus
    from guanxi.automation.services import rule_enroll
    from guanxi.automation.tasks import run_due_steps
    from guanxi.automation.tests.factories import active_rule
    from guanxi.celery_app import app
    from guanxi.customers.tests.factories import CustomerFactory
    from guanxi.followups.models import Task

    proc, log = celery_worker
    app.conf.broker_url = REDIS_URL
    Rule.objects.filter(is_system=True).update(status=RuleStatus.PAUSED)
    owner = UserFactory(role_slug="sales")
    customers = CustomerFactory.create_batch(60, owner=owner)
    rule = active_rule(
        definition={
            "trigger": {"kind": "manual"},
            "steps": [
                {"action": "notify", "to": "owner", "title": "跟进 {customer}"},
                {"action": "create_task", "title": "回访 {customer}", "due_hours": 24},
            ],
        }
    )
    with override_settings(TASKS=CELERY_TASKS, CELERY_BROKER_URL=REDIS_URL):
        started = rule_enroll(
            actor=UserFactory(role_slug="marketing"), rule=rule,
            customer_ids=[c.pk for c in customers],
        )  # fmt: skip
        run_due_steps.enqueue()
        run_due_steps.enqueue()
    assert started == 60

    done = Execution.objects.filter(rule=rule, status=ExecutionStatus.DONE)
    deadline = time.monotonic() + 90
    while done.count() < 120:
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, (done.count(), log.read_text())
        time.sleep(0.3)
        if done.filter(step_id="s1").count() == 60 and not done.filter(step_id="s2").exists():
            with override_settings(TASKS=CELERY_TASKS, CELERY_BROKER_URL=REDIS_URL):
                run_due_steps.enqueue()  # a second step created after the last wake
    time.sleep(1)  # a duplicate would show up by now

    assert Notification.objects.filter(user=owner, kind="automation").count() == 60
    assert Task.objects.filter(customer__in=customers).count() == 60
    assert Execution.objects.filter(rule=rule).count() == 120
    assert set(Execution.objects.filter(rule=rule).values_list("status", "attempts")) == {
        (ExecutionStatus.DONE, 1)
    }
