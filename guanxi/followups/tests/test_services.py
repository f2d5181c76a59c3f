import datetime as dt

import pytest
from django.utils import timezone

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import FollowUp, Task, TaskSource, TaskStatus
from guanxi.followups.selectors import my_tasks, task_list
from guanxi.followups.services import (
    followup_record,
    task_complete,
    task_create,
    task_reminders_send,
)
from guanxi.messaging.models import Notification

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2024, 6, 3, 10, 0))


def test_followup_updates_last_contact_and_creates_next_task():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    with clock.frozen_at(NOW):
        followup = followup_record(
            actor=sales,
            customer=customer,
            content="电话沟通，已确认预算",
            next_step="发送报价",
            next_followup_at=NOW + dt.timedelta(days=2),
        )
    customer.refresh_from_db()
    assert customer.last_contact_at == NOW
    task = Task.objects.get()
    assert (task.title, task.assignee, task.source, task.followup) == (
        "发送报价",
        sales,
        TaskSource.FOLLOWUP,
        followup,
    )
    assert task.remind_at == NOW + dt.timedelta(days=2, hours=-1)
    assert ActivityEvent.objects.filter(verb=Verb.FOLLOWED_UP, customer_id=customer.pk).count() == 1


def test_backdated_followup_does_not_move_last_contact_backwards():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales, last_contact_at=NOW)
    with clock.frozen_at(NOW):
        followup_record(
            actor=sales, customer=customer, content="补录", occurred_at=NOW - dt.timedelta(days=10)
        )
    customer.refresh_from_db()
    assert customer.last_contact_at == NOW


def test_followup_without_content_saves_nothing():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    with pytest.raises(ApplicationError) as err:
        followup_record(actor=sales, customer=customer, content="  ", next_followup_at=NOW)
    assert "content" in err.value.errors
    assert FollowUp.objects.count() == 0 and Task.objects.count() == 0


def test_followup_on_out_of_scope_customer_is_not_found():
    sales = UserFactory(role_slug="sales")
    with pytest.raises(NotFoundError):
        followup_record(actor=sales, customer=CustomerFactory(), content="x")
    assert FollowUp.objects.count() == 0


def test_finance_cannot_record_followups():
    finance = UserFactory(role_slug="finance")
    with pytest.raises(PermissionDeniedError):
        followup_record(actor=finance, customer=CustomerFactory(), content="x")


def test_task_idempotency_key_returns_the_same_task():
    sales = UserFactory(role_slug="sales")
    first = task_create(actor=None, title="回访", assignee=sales, due_at=NOW, idempotency_key="k1")
    second = task_create(actor=None, title="回访", assignee=sales, due_at=NOW, idempotency_key="k1")
    assert first.pk == second.pk and Task.objects.count() == 1


def test_sales_cannot_assign_task_to_a_colleague():
    sales = UserFactory(role_slug="sales")
    other = UserFactory(role_slug="sales", team=sales.team)
    with pytest.raises(PermissionDeniedError):
        task_create(actor=sales, title="x", assignee=other, due_at=NOW)
    assert Task.objects.count() == 0


def test_reminder_is_sent_once_even_when_run_twice():
    sales = UserFactory(role_slug="sales")
    task_create(actor=sales, title="打电话", assignee=sales, due_at=NOW + dt.timedelta(minutes=30))
    assert task_reminders_send(now=NOW - dt.timedelta(minutes=31)) == 0
    assert task_reminders_send(now=NOW) == 1
    assert task_reminders_send(now=NOW) == 0
    notice = Notification.objects.get()
    assert notice.user == sales and "打电话" in notice.title


def test_done_tasks_get_no_reminder():
    sales = UserFactory(role_slug="sales")
    task = task_create(actor=sales, title="x", assignee=sales, due_at=NOW)
    task_complete(actor=sales, task=task)
    assert task_reminders_send(now=NOW) == 0
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_by == sales


def test_unrelated_user_cannot_complete_a_task():
    owner = UserFactory(role_slug="sales")
    stranger = UserFactory(role_slug="sales")
    task = task_create(actor=owner, title="x", assignee=owner, due_at=NOW)
    with pytest.raises(PermissionDeniedError):
        task_complete(actor=stranger, task=task)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_my_tasks_sections():
    sales = UserFactory(role_slug="sales")
    with clock.frozen_at(NOW):
        overdue = task_create(
            actor=sales, title="a", assignee=sales, due_at=NOW - dt.timedelta(hours=1)
        )
        today = task_create(
            actor=sales, title="b", assignee=sales, due_at=NOW + dt.timedelta(hours=2)
        )
        later = task_create(
            actor=sales, title="c", assignee=sales, due_at=NOW + dt.timedelta(days=3)
        )
        sections = my_tasks(user=sales)
    assert [t.pk for t in sections["overdue"]] == [overdue.pk]
    assert [t.pk for t in sections["today"]] == [today.pk]
    assert [t.pk for t in sections["upcoming"]] == [later.pk]


def test_task_list_is_scoped():
    sales = UserFactory(role_slug="sales")
    other = UserFactory(role_slug="sales")
    task_create(
        actor=other,
        title="theirs",
        assignee=other,
        due_at=NOW,
        customer=CustomerFactory(owner=other),
    )
    mine = task_create(actor=sales, title="mine", assignee=sales, due_at=NOW)
    assert [t.pk for t in task_list(user=sales)] == [mine.pk]
