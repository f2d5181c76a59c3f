"""Two automation workers on one PostgreSQL database: every step runs exactly once.

A rule with two steps (an in-app notice to the owner, then a task) has ~300 journeys
enrolled. Two real worker processes (`python -c` running `executor.run_due` in a loop, with
small claims so that they interleave) start at the same instant and work until nothing is
pending. Each journey must end with one notice and one task, each step executed once by
one of the workers, and both workers must have done part of the work.

PostgreSQL only: the claim under test is `SELECT … FOR UPDATE SKIP LOCKED` with a lease;
SQLite takes one writer at a time, so two workers there cannot race for the same rows.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guanxi.accounts.tests.factories import UserFactory
from guanxi.automation.enrollment import enroll_set
from guanxi.automation.models import (
    Enrollment,
    EnrollmentStatus,
    Execution,
    ExecutionStatus,
)
from guanxi.automation.tests.factories import active_rule
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import Task, TaskSource
from guanxi.messaging.models import Notification
from tests.ops.test_celery import shared_database_url

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = 300

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("GUANXI_TEST_DATABASE_URL", "").startswith("postgres"),
        reason="PostgreSQL only: two workers racing with SELECT … FOR UPDATE SKIP LOCKED "
        "(SQLite has one writer at a time); set GUANXI_TEST_DATABASE_URL=postgresql://…",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Each worker says it is ready, waits for the go, then runs what is due until nothing is
# pending any more (rows the other worker holds are pending too: it waits for them).
WORKER = """
import json, os, time
import django

django.setup()
from guanxi.automation import executor
from guanxi.automation.models import Execution, ExecutionStatus

executor.BATCH = 20  # small claims, so that the two workers take turns
open(os.environ["WORKER_READY"], "w").close()
while not os.path.exists(os.environ["WORKER_GO"]):
    time.sleep(0.005)
executed = other = runs = 0
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    report = executor.run_due()
    runs += 1
    executed += report.executed
    other += report.failed + report.skipped + report.retrying + report.waiting
    if not Execution.objects.filter(status=ExecutionStatus.PENDING).exists():
        break
    time.sleep(0.01)
print(json.dumps({"executed": executed, "other": other, "runs": runs}))
"""


def start_worker(tmp_path: Path, name: str, go: Path) -> tuple[subprocess.Popen, Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUANXI_", "DJANGO_"))}
    ready = tmp_path / f"{name}.ready"
    env.update(
        DJANGO_SETTINGS_MODULE="guanxi.settings",
        GUANXI_DATA_DIR=str(tmp_path / name),
        GUANXI_DATABASE_URL=shared_database_url(),
        WORKER_READY=str(ready),
        WORKER_GO=str(go),
    )
    (tmp_path / name).mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    return proc, ready


def test_two_workers_run_every_step_exactly_once(tmp_path):
    owner = UserFactory()
    rule = active_rule(
        owner=owner,
        definition={
            "trigger": {"kind": "manual"},
            "conditions": {"all": []},
            "steps": [
                {"action": "notify", "to": "owner", "title": "新线索 {customer}"},
                {"action": "create_task", "title": "电话回访 {customer}", "due_hours": 24},
            ],
        },
    )
    customers = CustomerFactory.create_batch(CUSTOMERS, owner=owner)
    ids = [c.pk for c in customers]
    assert enroll_set(rule=rule, customers=Customer.objects.filter(pk__in=ids)) == CUSTOMERS

    go = tmp_path / "go"
    workers = [start_worker(tmp_path, name, go) for name in ("worker-a", "worker-b")]
    deadline = time.monotonic() + 30
    while not all(ready.exists() for _, ready in workers):
        for proc, _ in workers:
            assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.05)
    go.touch()  # both start claiming at the same instant
    reports = []
    for proc, _ in workers:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))

    # Every step ran once, in one of the workers, and both workers had a share.
    assert sum(r["executed"] for r in reports) == 2 * CUSTOMERS, reports
    assert all(r["executed"] > 0 for r in reports), reports
    assert sum(r["other"] for r in reports) == 0, reports
    executions = Execution.objects.filter(rule=rule)
    assert executions.count() == 2 * CUSTOMERS
    assert set(executions.values_list("status", flat=True)) == {ExecutionStatus.DONE}
    assert set(executions.values_list("attempts", flat=True)) == {1}
    assert sorted(executions.filter(step_id="s1").values_list("customer_id", flat=True)) == ids
    assert sorted(executions.filter(step_id="s2").values_list("customer_id", flat=True)) == ids
    assert set(Enrollment.objects.filter(rule=rule).values_list("status", flat=True)) == {
        EnrollmentStatus.COMPLETED
    }

    # One notice and one task per customer, none twice.
    notices = Notification.objects.filter(kind="automation", user=owner)
    assert sorted(notices.values_list("customer_id", flat=True)) == ids
    tasks = Task.objects.filter(source=TaskSource.AUTOMATION, assignee=owner)
    assert sorted(tasks.values_list("customer_id", flat=True)) == ids
    for execution in executions.filter(step_id="s1"):
        assert execution.result["notification_id"] is not None
    assert len({e.result["task_id"] for e in executions.filter(step_id="s2")}) == CUSTOMERS
