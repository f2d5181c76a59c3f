"""The daily digest email: open tasks due today or overdue, once a day, opt-out."""

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import Task, TaskStatus
from guanxi.messaging.digest import digests_send
from guanxi.messaging.models import Message, UserMessagingPreference
from guanxi.messaging.tasks import send_daily_digests

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 24)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


NOW = _at(DAY, 8)


def _task(user, *, title="回访", due=None, status=TaskStatus.OPEN, customer=None) -> Task:
    return Task.objects.create(
        title=title, assignee=user, due_at=due or _at(DAY, 15), status=status, customer=customer
    )


def test_one_email_lists_todays_and_overdue_tasks_with_links():
    user = UserFactory(role_slug="sales", email="wang@example.com", language="en")
    customer = CustomerFactory(name="华兴科技有限公司", owner=user)
    overdue = _task(
        user, title="报价单", due=_at(DAY - dt.timedelta(days=2), 10), customer=customer
    )
    today = _task(user, title="电话回访", due=_at(DAY, 15))
    _task(user, title="明天的", due=_at(DAY + dt.timedelta(days=1), 9))
    _task(user, title="已完成", due=_at(DAY, 9), status=TaskStatus.DONE)
    assert digests_send(now=NOW) == 1
    message = Message.objects.get()
    assert (
        message.channel, message.recipient, message.category, message.idempotency_key,
        message.source, message.status, message.customer_id,
    ) == (
        "email", "wang@example.com", "transactional", f"digest:{user.pk}:2026-11-24", "system",
        "queued", None,
    )  # fmt: skip
    assert message.subject == "Your tasks for 2026-11-24: 2 open tasks due today or overdue"
    assert message.links[:2] == [
        f"https://crm.example.com/followups/tasks/{overdue.pk}/",
        f"https://crm.example.com/followups/tasks/{today.pk}/",
    ]
    assert "- [overdue] 2026-11-22 10:00 报价单 — 华兴科技有限公司" in message.body_text
    assert "- 2026-11-24 15:00 电话回访\n" in message.body_text
    assert "明天的" not in message.body_text and "已完成" not in message.body_text
    assert message.body_html.count("<tr data-task>") == 2


def test_a_second_run_the_same_day_sends_nothing():
    user = UserFactory(role_slug="sales")
    _task(user)
    assert digests_send(now=NOW) == 1
    assert digests_send(now=NOW + dt.timedelta(hours=3)) == 0
    assert Message.objects.count() == 1
    assert digests_send(now=NOW + dt.timedelta(days=1)) == 1
    assert Message.objects.count() == 2


@pytest.mark.parametrize(
    "who",
    ["opted_out", "no_email", "inactive", "nothing_due", "only_done", "only_tomorrow"],
)
def test_who_gets_no_digest(who):
    user = UserFactory(
        role_slug="sales",
        email="" if who == "no_email" else "x@example.com",
        is_active=who != "inactive",
    )
    if who == "opted_out":
        UserMessagingPreference.objects.create(user=user, daily_digest=False)
    if who not in ("nothing_due", "only_done", "only_tomorrow"):
        _task(user)
    if who == "only_done":
        _task(user, status=TaskStatus.DONE)
    if who == "only_tomorrow":
        _task(user, due=_at(DAY + dt.timedelta(days=1), 0, 1))
    assert digests_send(now=NOW) == 0
    assert Message.objects.count() == 0


def test_a_user_who_keeps_the_digest_on_gets_it():
    user = UserFactory(role_slug="sales")
    UserMessagingPreference.objects.create(user=user, daily_digest=True, task_reminder_minutes=5)
    _task(user)
    assert digests_send(now=NOW) == 1


def test_each_user_gets_only_their_own_tasks():
    first, second = UserFactory(role_slug="sales"), UserFactory(role_slug="sales")
    _task(first, title="甲的任务")
    _task(second, title="乙的任务")
    assert digests_send(now=NOW) == 2
    bodies = dict(Message.objects.values_list("recipient", "body_text"))
    assert "甲的任务" in bodies[first.email] and "乙的任务" not in bodies[first.email]
    assert "乙的任务" in bodies[second.email] and "甲的任务" not in bodies[second.email]


def test_a_title_with_template_braces_is_listed_as_written():
    user = UserFactory(role_slug="sales")
    _task(user, title="核对 {{ owner.email }} 与 {% raw %}")
    digests_send(now=NOW)
    assert "核对 {{ owner.email }} 与 {% raw %}" in Message.objects.get().body_text


def test_the_scheduled_task_runs_the_digest():
    user = UserFactory(role_slug="sales")
    _task(user, due=timezone.now() - dt.timedelta(hours=1))
    result = send_daily_digests.enqueue()
    assert result.return_value == {"queued": 1}
    assert Message.objects.get().recipient == user.email
