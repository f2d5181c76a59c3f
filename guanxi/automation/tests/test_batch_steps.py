"""The batch path for notices and tasks writes exactly what the one-at-a-time path writes,
and falls back to it when something in the batch goes wrong."""

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent, Source
from guanxi.automation import batch_steps, executor
from guanxi.automation.enrollment import enroll_one
from guanxi.automation.models import Enrollment, EnrollmentStatus, Execution, ExecutionStatus
from guanxi.automation.tests.factories import active_rule
from guanxi.core import clock
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import Task, TaskSource
from guanxi.followups.task_batch import NewTask, tasks_create_many
from guanxi.messaging.models import Notification, UserMessagingPreference

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 11, 2, 10, 0))

NOTICE = {"action": "notify", "to": "owner", "title": "请跟进 {customer}", "body": "编号 {code}"}
TASK = {"action": "create_task", "title": "电话回访 {customer}", "due_hours": 24}


def _journeys(steps, customers):
    rule = active_rule(definition={"trigger": {"kind": "manual"}, "steps": steps})
    with clock.frozen_at(T0):
        for customer in customers:
            enroll_one(rule=rule, customer_id=customer.pk, now=T0)
    return rule


def _run():
    with clock.frozen_at(T0):
        return executor.run_due(now=T0)


def test_a_batch_of_notices_then_tasks_writes_each_once_with_its_result(monkeypatch):
    calls = []
    real = batch_steps.run
    monkeypatch.setattr(
        batch_steps, "run", lambda rows, **kw: calls.append(len(rows)) or real(rows, **kw)
    )
    owner = UserFactory()
    UserMessagingPreference.objects.create(user=owner, task_reminder_minutes=30)
    customers = CustomerFactory.create_batch(3, owner=owner)
    rule = _journeys([NOTICE, TASK], customers)

    report = _run()

    assert calls == [3, 3]  # both steps went the batch way
    assert (report.executed, report.skipped, report.failed) == (6, 0, 0)
    notices = Notification.objects.filter(kind="automation").order_by("customer_id")
    assert [(n.user_id, n.customer_id, n.title, n.body) for n in notices] == [
        (owner.pk, c.pk, f"请跟进 {c.name}", f"编号 {c.code}") for c in customers
    ]
    tasks = Task.objects.order_by("customer_id")
    assert [(t.assignee_id, t.customer_id, t.title, t.source) for t in tasks] == [
        (owner.pk, c.pk, f"电话回访 {c.name}", TaskSource.AUTOMATION) for c in customers
    ]
    assert {t.due_at for t in tasks} == {T0 + dt.timedelta(hours=24)}
    assert {t.remind_at for t in tasks} == {T0 + dt.timedelta(hours=24, minutes=-30)}
    audits = ActivityEvent.objects.filter(target_type="followups.task")
    assert sorted(audits.values_list("target_id", "source", "customer_id")) == sorted(
        (t.pk, Source.AUTOMATION, t.customer_id) for t in tasks
    )
    rows = Execution.objects.filter(rule=rule).order_by("customer_id", "step_id")
    assert {(r.status, r.attempts, r.finished_at) for r in rows} == {(ExecutionStatus.DONE, 1, T0)}
    by_step = {(r.customer_id, r.step_id): r.result for r in rows}
    for notice, task, customer in zip(notices, tasks, customers, strict=True):
        assert by_step[(customer.pk, "s1")] == {"user_id": owner.pk, "notification_id": notice.pk}
        assert by_step[(customer.pk, "s2")] == {"task_id": task.pk, "user_id": owner.pk}
    assert set(Enrollment.objects.filter(rule=rule).values_list("status", "finished_at")) == {
        (EnrollmentStatus.COMPLETED, T0)
    }
    # Nothing is due any more: a second pass writes nothing.
    assert _run().executed == 0
    assert (Notification.objects.count(), Task.objects.count()) == (3, 3)


def test_customers_without_an_owner_are_skipped_with_the_reason_and_the_journey_goes_on():
    owner = UserFactory()
    with_owner = CustomerFactory(owner=owner)
    without = CustomerFactory(owner=None)
    rule = _journeys([NOTICE, TASK], [with_owner, without])

    report = _run()

    assert (report.executed, report.skipped) == (2, 2)
    skipped = Execution.objects.get(rule=rule, customer=without, step_id="s1")
    assert skipped.status == ExecutionStatus.SKIPPED
    assert skipped.reason.startswith(("Nobody to notify", "没有"))
    # The task has the rule's owner to fall back on; none here, so it goes to nobody either.
    assert Execution.objects.get(rule=rule, customer=without, step_id="s2").status == (
        ExecutionStatus.SKIPPED
    )
    assert list(Notification.objects.values_list("customer_id", flat=True)) == [with_owner.pk]


def test_a_failing_batch_is_rolled_back_and_run_one_by_one(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(batch_steps, "notifications_create_keyed", broken)
    owner = UserFactory()
    customers = CustomerFactory.create_batch(2, owner=owner)
    rule = _journeys([NOTICE], customers)

    report = _run()

    assert report.executed == 2
    assert Notification.objects.filter(kind="automation").count() == 2
    assert set(Execution.objects.filter(rule=rule).values_list("status", "attempts")) == {
        (ExecutionStatus.DONE, 1)
    }


def test_rules_with_a_goal_run_one_at_a_time(monkeypatch):
    calls = []
    monkeypatch.setattr(batch_steps, "run", lambda rows, **kw: calls.append(rows))
    owner = UserFactory()
    customers = CustomerFactory.create_batch(2, owner=owner)
    rule = active_rule(
        definition={
            "trigger": {"kind": "manual"},
            "steps": [NOTICE],
            "goal": {"field": "intent", "op": "eq", "value": "high"},
        }
    )
    with clock.frozen_at(T0):
        for customer in customers:
            enroll_one(rule=rule, customer_id=customer.pk, now=T0)

    assert _run().executed == 2
    assert calls == []


def test_tasks_create_many_keeps_keys_once_and_returns_every_keyed_id():
    owner = UserFactory()
    customer = CustomerFactory(owner=owner)
    due = T0 + dt.timedelta(days=1)
    first = tasks_create_many(
        tasks=[NewTask(title="回访", assignee_id=owner.pk, due_at=due, customer_id=customer.pk,
                       idempotency_key="k1")]
    )  # fmt: skip
    again = tasks_create_many(
        tasks=[
            NewTask(title="回访", assignee_id=owner.pk, due_at=due, idempotency_key="k1"),
            NewTask(title="新的", assignee_id=owner.pk, due_at=due, idempotency_key="k2"),
            NewTask(title="新的", assignee_id=owner.pk, due_at=due, idempotency_key="k2"),
        ]
    )
    assert again["k1"] == first["k1"]
    assert Task.objects.count() == 2
    assert again["k2"] == Task.objects.get(idempotency_key="k2").pk
    assert ActivityEvent.objects.filter(target_type="followups.task").count() == 2


def test_tasks_create_many_writes_what_task_create_writes():
    """Tasks and audit rows of the bulk path are those of the one-task path, key or not."""
    from guanxi.followups.services import task_create

    owner = UserFactory()
    UserMessagingPreference.objects.create(user=owner, task_reminder_minutes=45)
    customer = CustomerFactory(owner=owner)
    due = T0 + dt.timedelta(days=2, hours=3)
    with clock.frozen_at(T0):
        single = task_create(
            actor=None, title="电话回访 “A”", assignee=owner, due_at=due, customer=customer,
            source=TaskSource.AUTOMATION,
        )  # fmt: skip
        ids = tasks_create_many(
            tasks=[
                NewTask(title="电话回访 “A”", assignee_id=owner.pk, due_at=due,
                        customer_id=customer.pk, source=TaskSource.AUTOMATION,
                        idempotency_key="k"),
                NewTask(title=" 无键 ", assignee_id=owner.pk, due_at=due, priority=3),
            ]
        )  # fmt: skip
    keyed = Task.objects.get(pk=ids["k"])
    plain = Task.objects.get(title="无键")
    fields = ["title", "customer_id", "assignee_id", "due_at", "remind_at", "status", "source",
              "priority"]  # fmt: skip
    assert [getattr(keyed, f) for f in fields] == [getattr(single, f) for f in fields]
    assert keyed.remind_at == due - dt.timedelta(minutes=45)
    assert (plain.priority, plain.remind_at, plain.customer_id) == (3, keyed.remind_at, None)
    audits = {
        a.target_id: a
        for a in ActivityEvent.objects.filter(target_type="followups.task", verb="created")
    }
    assert audits[keyed.pk].changes == audits[single.pk].changes
    assert audits[keyed.pk].target_repr == "电话回访 “A”"
    assert audits[keyed.pk].occurred_at == T0
    assert audits[plain.pk].changes["title"] == [None, "无键"]


def test_tasks_create_many_refuses_an_empty_title_and_writes_nothing():
    from guanxi.core.errors import ApplicationError

    owner = UserFactory()
    with pytest.raises(ApplicationError):
        tasks_create_many(
            tasks=[
                NewTask(title="好的", assignee_id=owner.pk, due_at=T0),
                NewTask(title="  ", assignee_id=owner.pk, due_at=T0),
            ]
        )
    assert not Task.objects.exists()


def test_a_batch_reads_the_same_number_of_times_whatever_its_size():
    """Customers, owners, teams and leaders are read once per batch, not once per row (the
    batch path reads customers in part: a column it forgot would cost a query per row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    leader = UserFactory()
    supervised = {**NOTICE, "to": "supervisor"}

    def queries_for(count: int) -> int:
        customers = [CustomerFactory(owner=UserFactory()) for _ in range(count)]
        for customer in customers:
            customer.owner.team.leader = leader
            customer.owner.team.save(update_fields=["leader"])
        _journeys([NOTICE, supervised, TASK], customers)
        with CaptureQueriesContext(connection) as captured:
            report = _run()
        assert report.executed == 3 * count
        return len(captured.captured_queries)

    assert queries_for(2) == queries_for(9)
    assert Notification.objects.filter(kind="automation", user=leader).count() == 11
