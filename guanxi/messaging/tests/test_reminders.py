"""Reminder policies by intent (seed 003): the default policies, the daily run, policy and
preference services, and the task_create default taken from the assignee's preference."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone, translation

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent
from guanxi.core.errors import ApplicationError, PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import Task, TaskStatus
from guanxi.followups.services import task_create
from guanxi.messaging.digest import preference_update
from guanxi.messaging.models import (
    Message,
    Notification,
    ReminderOccurrence,
    ReminderPolicy,
    UserMessagingPreference,
)
from guanxi.messaging.reminders import (
    policy_rhythm,
    reminder_policy_deactivate,
    reminder_policy_save,
    reminders_run,
)

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 23)
TUESDAY = dt.date(2026, 11, 24)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _policy(intent: str) -> ReminderPolicy:
    return ReminderPolicy.objects.get(intent=intent)


def _only(intent: str) -> ReminderPolicy:
    """Leave only the seeded policy of this intent active, so a test sees one rhythm."""
    ReminderPolicy.objects.exclude(intent=intent).update(is_active=False)
    return _policy(intent)


def _counts() -> tuple[int, int, int, int, int]:
    return (
        Task.objects.count(),
        ReminderOccurrence.objects.count(),
        Notification.objects.count(),
        Message.objects.count(),
        ActivityEvent.objects.filter(target_type="followups.task").count(),
    )


# --- the seeded policies -------------------------------------------------------------------


def test_the_migration_installs_the_three_policies_of_seed_003():
    rows = list(
        ReminderPolicy.objects.order_by("intent").values_list(
            "intent", "frequency", "interval_days", "weekday", "method", "task_title", "is_active"
        )
    )
    assert rows == [
        ("high", "every_n_days", 2, 0, "in_app", "电话跟进当前需求进展", True),
        ("low", "month_end", 30, 0, "in_app", "推送行业动态", True),
        ("medium", "weekly", 7, 0, "in_app", "发送产品最新资料", True),
    ]


def test_the_migration_is_idempotent_and_keeps_an_admins_edit():
    high = _policy("high")
    high.name = "改过的名字"
    high.save()
    migration = importlib.import_module("guanxi.messaging.migrations.0005_reminder_policies")
    migration.install(apps, None)
    assert ReminderPolicy.objects.count() == 3
    assert ReminderPolicy.objects.get(pk=high.pk).name == "改过的名字"


def test_rhythm_in_words():
    with translation.override("en"):
        assert [policy_rhythm(_policy(i)) for i in ("high", "medium", "low")] == [
            "every 2 days",
            "every Monday",
            "on the last day of each month",
        ]


# --- the daily run -------------------------------------------------------------------------


def test_a_high_intent_customer_gets_a_task_occurrence_audit_row_and_one_notice():
    policy = _only("high")
    owner = UserFactory(role_slug="sales")
    customer = CustomerFactory(intent="high", owner=owner)
    assert reminders_run(today=TUESDAY) == 1
    task = Task.objects.get()
    assert (task.title, task.assignee, task.customer, task.status, task.source) == (
        "电话跟进当前需求进展",
        owner,
        customer,
        TaskStatus.OPEN,
        "reminder",
    )
    assert task.due_at == _at(TUESDAY, 18)
    assert task.remind_at == _at(TUESDAY, 17)
    assert task.idempotency_key == f"reminder:{policy.pk}:{customer.pk}:2026-11-24"
    occurrence = ReminderOccurrence.objects.get()
    assert (occurrence.policy, occurrence.customer, occurrence.due_on, occurrence.task) == (
        policy,
        customer,
        TUESDAY,
        task,
    )
    audit = ActivityEvent.objects.get(target_type="followups.task", target_id=task.pk)
    assert (audit.verb, audit.source, audit.customer_id, audit.actor_id) == (
        "created",
        "system",
        customer.pk,
        None,
    )
    assert audit.changes["assignee"] == [None, owner.pk]
    notice = Notification.objects.get()
    assert (notice.user, notice.kind, notice.url, notice.dedupe_key) == (
        owner,
        "reminder",
        "/followups/tasks/",
        f"reminders:{owner.pk}:2026-11-24:in_app",
    )
    assert notice.body == "电话跟进当前需求进展 × 1"


def test_running_twice_on_the_same_day_creates_nothing_the_second_time():
    _only("high")
    owner = UserFactory(role_slug="sales")
    CustomerFactory.create_batch(3, intent="high", owner=owner)
    assert reminders_run(today=TUESDAY) == 3
    before = _counts()
    assert before == (3, 3, 1, 0, 3)
    assert reminders_run(today=TUESDAY) == 0
    assert _counts() == before


def test_one_notice_per_owner_summarises_all_their_new_tasks():
    _only("high")
    ReminderPolicy.objects.filter(intent="medium").update(is_active=True)
    first, second = UserFactory(role_slug="sales"), UserFactory(role_slug="sales")
    CustomerFactory.create_batch(2, intent="high", owner=first)
    CustomerFactory(intent="medium", owner=first)
    CustomerFactory(intent="high", owner=second)
    assert reminders_run(today=MONDAY) == 4
    notices = {n.user_id: n for n in Notification.objects.all()}
    assert set(notices) == {first.pk, second.pk}
    assert notices[first.pk].body == "发送产品最新资料 × 1\n电话跟进当前需求进展 × 2"
    assert notices[second.pk].body == "电话跟进当前需求进展 × 1"


def test_customers_without_owner_of_other_intent_or_kind_are_not_due():
    policy = _only("high")
    policy.customer_kind = "company"
    policy.save()
    owner = UserFactory(role_slug="sales")
    due = CustomerFactory(intent="high", owner=owner, kind="company")
    CustomerFactory(intent="high", owner=None, team=None, department=None)
    CustomerFactory(intent="medium", owner=owner)
    CustomerFactory(intent="", owner=owner)
    CustomerFactory(intent="high", owner=owner, kind="individual")
    assert reminders_run(today=TUESDAY) == 1
    assert list(Task.objects.values_list("customer_id", flat=True)) == [due.pk]


def test_an_inactive_owner_or_policy_gets_nothing():
    policy = _only("high")
    CustomerFactory(intent="high", owner=UserFactory(role_slug="sales", is_active=False))
    assert reminders_run(today=TUESDAY) == 0
    CustomerFactory(intent="high", owner=UserFactory(role_slug="sales"))
    policy.is_active = False
    policy.save()
    assert reminders_run(today=TUESDAY) == 0
    assert _counts() == (0, 0, 0, 0, 0)


def test_every_two_days_counts_from_the_last_reminder():
    _only("high")
    owner = UserFactory(role_slug="sales")
    CustomerFactory(intent="high", owner=owner)
    assert reminders_run(today=MONDAY) == 1
    Task.objects.update(status=TaskStatus.DONE)
    assert reminders_run(today=TUESDAY) == 0
    assert reminders_run(today=TUESDAY + dt.timedelta(days=1)) == 1
    assert sorted(ReminderOccurrence.objects.values_list("due_on", flat=True)) == [
        MONDAY,
        TUESDAY + dt.timedelta(days=1),
    ]


def test_no_new_task_while_the_previous_one_is_still_open():
    policy = _only("high")
    owner = UserFactory(role_slug="sales")
    customer = CustomerFactory(intent="high", owner=owner)
    assert reminders_run(today=MONDAY) == 1
    first = Task.objects.get()
    wednesday = MONDAY + dt.timedelta(days=2)
    assert reminders_run(today=wednesday) == 0
    assert Task.objects.count() == 1
    # Recorded as due and still open: today's occurrence points at the open task.
    still = ReminderOccurrence.objects.get(due_on=wednesday)
    assert (still.policy, still.customer, still.task) == (policy, customer, first)
    assert Notification.objects.count() == 1  # no notice for a day without new tasks
    first.status = TaskStatus.DONE
    first.save()
    assert reminders_run(today=wednesday + dt.timedelta(days=2)) == 1
    assert Task.objects.filter(status=TaskStatus.OPEN).count() == 1


def test_weekly_policy_fires_only_on_its_weekday():
    _only("medium")
    CustomerFactory(intent="medium", owner=UserFactory(role_slug="sales"))
    assert reminders_run(today=TUESDAY) == 0
    assert reminders_run(today=MONDAY) == 1
    assert Task.objects.get().title == "发送产品最新资料"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 11, 29), 0),
        (dt.date(2026, 11, 30), 1),
        (dt.date(2027, 2, 27), 0),
        (dt.date(2027, 2, 28), 1),
        (dt.date(2028, 2, 28), 0),
        (dt.date(2028, 2, 29), 1),
    ],
)
def test_month_end_policy_fires_on_the_last_day_of_the_month(day, expected):
    _only("low")
    CustomerFactory(intent="low", owner=UserFactory(role_slug="sales"))
    assert reminders_run(today=day) == expected


def test_the_task_reminder_time_follows_the_owners_preference():
    _only("high")
    owner = UserFactory(role_slug="sales")
    UserMessagingPreference.objects.create(user=owner, task_reminder_minutes=15)
    CustomerFactory(intent="high", owner=owner)
    reminders_run(today=TUESDAY)
    assert Task.objects.get().remind_at == _at(TUESDAY, 17, 45)


def test_email_method_sends_one_message_to_the_owner_once_a_day():
    policy = _only("high")
    policy.method = "email"
    policy.save()
    owner = UserFactory(role_slug="sales", email="li.ming@example.com")
    CustomerFactory.create_batch(2, intent="high", owner=owner)
    assert reminders_run(today=TUESDAY) == 2
    message = Message.objects.get()
    assert (
        message.channel, message.recipient, message.category, message.idempotency_key,
        message.customer_id, message.source, message.status,
    ) == (
        "email", "li.ming@example.com", "transactional", f"reminders:{owner.pk}:2026-11-24:email",
        None, "system", "queued",
    )  # fmt: skip
    assert "电话跟进当前需求进展 × 2" in message.body_text
    assert "https://crm.example.com/followups/tasks/" in message.links
    assert Notification.objects.count() == 0
    reminders_run(today=TUESDAY)
    assert Message.objects.count() == 1


def test_sms_method_texts_the_owners_phone():
    policy = _only("high")
    policy.method = "sms"
    policy.save()
    owner = UserFactory(role_slug="sales", phone="13800138000")
    CustomerFactory(intent="high", owner=owner)
    reminders_run(today=TUESDAY)
    message = Message.objects.get()
    assert (message.channel, message.idempotency_key) == (
        "sms",
        f"reminders:{owner.pk}:2026-11-24:sms",
    )
    assert message.recipient.endswith("13800138000")
    assert "电话跟进当前需求进展 × 1" in message.body_text


def test_an_owner_without_an_address_is_reminded_in_app_instead():
    policy = _only("high")
    policy.method = "sms"
    policy.save()
    owner = UserFactory(role_slug="sales", phone="")
    CustomerFactory(intent="high", owner=owner)
    reminders_run(today=TUESDAY)
    assert Message.objects.count() == 0
    notice = Notification.objects.get()
    assert (notice.user, notice.dedupe_key) == (owner, f"reminders:{owner.pk}:2026-11-24:sms")


def test_a_task_title_with_template_braces_is_sent_as_written():
    policy = _only("high")
    policy.method = "email"
    policy.task_title = "跟进 {{ customer.name }} {% if 1 %}"
    policy.save()
    CustomerFactory(intent="high", owner=UserFactory(role_slug="sales"))
    reminders_run(today=TUESDAY)
    assert "跟进 {{ customer.name }} {% if 1 %} × 1" in Message.objects.get().body_text


def test_many_customers_are_written_in_batches():
    _only("high")
    owners = UserFactory.create_batch(3, role_slug="sales")
    Customer.objects.bulk_create(
        [
            Customer(
                code=f"C9{i:07d}", name=f"客户{i}", intent="high", owner=owners[i % 3],
            )
            for i in range(1200)
        ]
    )  # fmt: skip
    assert reminders_run(today=TUESDAY) == 1200
    assert _counts() == (1200, 1200, 3, 0, 1200)
    assert set(Task.objects.values_list("assignee_id", flat=True)) == {o.pk for o in owners}
    assert reminders_run(today=TUESDAY) == 0
    assert _counts() == (1200, 1200, 3, 0, 1200)


# --- policy and preference services --------------------------------------------------------


def test_an_admin_creates_and_changes_a_policy_with_audit_rows():
    admin = UserFactory(role_slug="admin")
    policy = reminder_policy_save(
        actor=admin,
        data={"name": "个人客户", "intent": "high", "customer_kind": "individual",
              "frequency": "every_n_days", "interval_days": 3, "task_title": "微信问候"},
    )  # fmt: skip
    assert (policy.method, policy.is_active, policy.weekday) == ("in_app", True, 0)
    reminder_policy_save(actor=admin, policy=policy, data={"interval_days": 5})
    policy.refresh_from_db()
    assert policy.interval_days == 5
    audit = list(
        ActivityEvent.objects.filter(target_type="messaging.reminderpolicy", target_id=policy.pk)
        .order_by("id")
        .values_list("verb", "actor_id")
    )
    assert audit == [("created", admin.pk), ("updated", admin.pk)]
    latest = ActivityEvent.objects.filter(
        target_type="messaging.reminderpolicy", target_id=policy.pk
    ).order_by("id")
    assert latest.last().changes == {"interval_days": [3, 5]}


def test_an_unchanged_save_writes_no_audit_row():
    admin = UserFactory(role_slug="admin")
    policy = _policy("high")
    reminder_policy_save(actor=admin, policy=policy, data={"interval_days": 2})
    assert not ActivityEvent.objects.filter(target_type="messaging.reminderpolicy").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"interval_days": 0}, "interval_days"),
        ({"interval_days": 366}, "interval_days"),
        ({"intent": "urgent"}, "intent"),
        ({"task_title": "  "}, "task_title"),
        ({"method": "fax"}, "method"),
        ({"customer_kind": "robot"}, "customer_kind"),
        ({"frequency": "weekly", "weekday": 7}, "weekday"),
    ],
)
def test_invalid_policy_changes_are_refused_in_place(data, field):
    policy = _policy("high")
    with pytest.raises(ApplicationError) as caught:
        reminder_policy_save(actor=UserFactory(role_slug="admin"), policy=policy, data=data)
    assert list(caught.value.errors) == [field]
    policy.refresh_from_db()
    assert (policy.interval_days, policy.intent, policy.frequency) == (2, "high", "every_n_days")


@pytest.mark.parametrize("role", ["sales", "supervisor", "service", "marketing"])
def test_only_admins_change_policies(role):
    policy = _policy("high")
    with pytest.raises(PermissionDeniedError):
        reminder_policy_deactivate(actor=UserFactory(role_slug=role), policy=policy)
    policy.refresh_from_db()
    assert policy.is_active is True
    assert not ActivityEvent.objects.filter(target_type="messaging.reminderpolicy").exists()


def test_deactivating_stops_the_policy():
    admin = UserFactory(role_slug="admin")
    policy = reminder_policy_deactivate(actor=admin, policy=_only("high"))
    assert policy.is_active is False
    CustomerFactory(intent="high", owner=UserFactory(role_slug="sales"))
    assert reminders_run(today=TUESDAY) == 0


def test_preference_update_saves_and_audits_and_refuses_out_of_range():
    user = UserFactory(role_slug="sales")
    preference_update(actor=user, daily_digest=False, task_reminder_minutes=30)
    pref = UserMessagingPreference.objects.get(user=user)
    assert (pref.daily_digest, pref.task_reminder_minutes) == (False, 30)
    audit = ActivityEvent.objects.get(target_type="messaging.usermessagingpreference")
    assert audit.changes == {"daily_digest": [True, False], "task_reminder_minutes": [60, 30]}
    with pytest.raises(ApplicationError) as caught:
        preference_update(actor=user, daily_digest=True, task_reminder_minutes=1441)
    assert list(caught.value.errors) == ["task_reminder_minutes"]
    pref.refresh_from_db()
    assert (pref.daily_digest, pref.task_reminder_minutes) == (False, 30)


# --- task_create: the default reminder comes from the assignee's preference ----------------


def test_a_new_task_is_reminded_by_the_assignees_preference():
    user = UserFactory(role_slug="sales")
    due = _at(TUESDAY, 15)
    assert task_create(actor=user, title="a", assignee=user, due_at=due).remind_at == _at(
        TUESDAY, 14
    )
    UserMessagingPreference.objects.create(user=user, task_reminder_minutes=10)
    task = task_create(actor=user, title="b", assignee=user, due_at=due)
    assert task.remind_at == _at(TUESDAY, 14, 50)


def test_a_callers_explicit_reminder_wins_over_the_preference():
    user = UserFactory(role_slug="sales")
    UserMessagingPreference.objects.create(user=user, task_reminder_minutes=10)
    due = _at(TUESDAY, 15)
    assert (
        task_create(actor=user, title="a", assignee=user, due_at=due, remind_minutes=None).remind_at
        is None
    )
    assert (
        task_create(actor=user, title="b", assignee=user, due_at=due, remind_minutes=0).remind_at
        == due
    )
