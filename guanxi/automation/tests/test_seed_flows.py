"""The maintenance loop's example rules, installed from the catalog and run on the clock
(engine.tick "as of" an instant), and the system rules that keep tags, level and stage
current. Every instant here is before the migration put the system rules on the clock, and
the fixture pauses them anyway: a test switches on the system rules it is about."""

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.automation.catalog import template_install
from guanxi.automation.engine import tick
from guanxi.automation.models import (
    Enrollment,
    EnrollmentStatus,
    Execution,
    ExecutionStatus,
    Rule,
    RuleStatus,
)
from guanxi.core import clock
from guanxi.core.events import Event, publish
from guanxi.customers.models import Customer, Level, Tag
from guanxi.customers.services import customer_create
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.followups.models import FollowUp, Task
from guanxi.followups.services import followup_record
from guanxi.messaging.delivery import deliver_due
from guanxi.messaging.models import Message, MessageStatus, Notification

pytestmark = pytest.mark.django_db


def at(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


@pytest.fixture(autouse=True)
def _quiet(settings, tmp_path):
    settings.GUANXI_OUTBOX_DIR = tmp_path / "outbox"  # the file outbox, not a real server
    settings.GUANXI_EMAIL_URL = ""
    settings.GUANXI_SMS_URL = ""
    Rule.objects.filter(is_system=True).update(status=RuleStatus.PAUSED)


def customer(*, owner=None, email=True, old=True, **fields) -> Customer:
    """A customer with a primary contact (phone, and an email unless told otherwise), created
    long ago so that only `last_contact_at` decides how recently it was in touch."""
    row = CustomerFactory(owner=owner, **fields)
    ContactFactory(customer=row, **({} if email else {"email": ""}))
    if old:
        Customer.objects.filter(pk=row.pk).update(created_at=at(2025, 1, 1, 12, 0))
        row.refresh_from_db()
    return row


def tag(row: Customer, name: str) -> None:
    row.tags.add(Tag.objects.get_or_create(name=name)[0])


def tags(row: Customer) -> set[str]:
    return set(row.tags.values_list("name", flat=True))


def messages(row: Customer, key: str | None = None):
    qs = Message.objects.filter(customer=row)
    if key is not None:
        qs = qs.filter(template_version__template__key=key)
    return qs


def notices(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user, kind="automation")
        .order_by("pk")
        .values_list("title", flat=True)
    )


def install(key: str, *, now: dt.datetime, owner=None) -> Rule:
    with clock.frozen_at(now):
        rule = template_install(actor=None, key=key, enable=True)
    if owner is not None:
        Rule.objects.filter(pk=rule.pk).update(owner=owner)
        rule.refresh_from_db()
    return rule


# --- 潜在客户首次跟进 ------------------------------------------------------------------------


def test_first_followup_emails_then_calls_only_whom_the_email_did_not_reach():
    T0 = at(2026, 9, 7, 10, 0)
    seller = UserFactory()
    colleague = UserFactory(team=seller.team)
    opener = customer(owner=seller, name="开信公司")
    unmoved = customer(owner=seller, name="未读公司")
    unowned = customer(owner=None, name="无主公司")
    followed = customer(owner=seller, name="已跟进公司")
    FollowUp.objects.create(customer=followed, author=seller, occurred_at=T0 - dt.timedelta(days=3), content="电话沟通")  # fmt: skip
    valued = customer(owner=seller, level=Level.objects.get(code="high_value"))
    rule = install("first-followup", now=T0, owner=seller)

    assert tick(now=T0 + dt.timedelta(minutes=1)).enrolled == 3
    enrolled = set(Enrollment.objects.filter(rule=rule).values_list("customer_id", flat=True))
    assert enrolled == {opener.pk, unmoved.pk, unowned.pk}
    assert followed.pk not in enrolled and valued.pk not in enrolled
    unowned.refresh_from_db()
    assert unowned.owner == seller  # round robin in the rule owner's team, from the start
    assert colleague.team == seller.team
    for row in (opener, unmoved, unowned):
        assert messages(row, "product-intro").count() == 1
    with clock.frozen_at(T0 + dt.timedelta(minutes=2)):
        deliver_due(now=T0 + dt.timedelta(minutes=2))
    assert set(messages(opener).values_list("status", flat=True)) == {MessageStatus.SENT}
    messages(opener).update(opened_at=T0 + dt.timedelta(days=1))
    messages(unowned).update(replied_at=T0 + dt.timedelta(days=2))

    # The wait ends 3 days after the first tick; the window of "opened within 3 days of
    # sending" closes a minute later, and only then is it decided.
    tick(now=T0 + dt.timedelta(days=3, minutes=1))
    assert not Task.objects.exists()
    tick(now=T0 + dt.timedelta(days=3, minutes=3))
    task = Task.objects.get()
    assert (task.customer, task.title, task.assignee) == (unmoved, "电话跟进 未读公司", seller)
    assert task.due_at == T0 + dt.timedelta(days=4, minutes=3)
    assert set(Enrollment.objects.filter(rule=rule).values_list("status", flat=True)) == {
        EnrollmentStatus.COMPLETED
    }
    assert tick(now=T0 + dt.timedelta(days=5)).enrolled == 0
    assert Task.objects.count() == 1


def test_first_followup_goes_on_without_an_email_address_and_stops_at_a_followup(
    django_capture_on_commit_callbacks,
):
    T0 = at(2026, 9, 7, 10, 0)
    seller = UserFactory()
    no_email = customer(owner=seller, email=False, name="无邮箱公司")
    answered = customer(owner=seller, name="已回电公司")
    rule = install("first-followup", now=T0, owner=seller)
    tick(now=T0 + dt.timedelta(minutes=1))
    intro = Execution.objects.get(rule=rule, customer=no_email, step_id="intro")
    assert (intro.status, intro.reason) == (ExecutionStatus.SKIPPED, "该客户没有邮箱地址。")
    with (
        clock.frozen_at(T0 + dt.timedelta(days=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        followup_record(actor=seller, customer=answered, content="已电话联系")  # fmt: skip
    assert Enrollment.objects.get(rule=rule, customer=answered).status == EnrollmentStatus.EXITED
    tick(now=T0 + dt.timedelta(days=3, minutes=5))
    assert list(Task.objects.values_list("title", flat=True)) == ["电话跟进 无邮箱公司"]


# --- 高价值客户月度关怀 ----------------------------------------------------------------------


def test_monthly_care_runs_on_the_first_at_nine_and_not_on_the_second():
    seller = UserFactory()
    valued = customer(owner=seller, name="大客户", level=Level.objects.get(code="high_value"))
    customer(owner=seller, name="潜在客户")
    rule = install("monthly-care", now=at(2026, 9, 20, 12, 0))
    assert rule.next_run_at == at(2026, 10, 1, 9, 0)

    assert tick(now=at(2026, 10, 1, 8, 59)).enrolled == 0
    report = tick(now=at(2026, 10, 1, 9, 1))
    assert (report.enrolled, report.executed, report.failed) == (1, 2, 0)
    assert messages(valued, "usage-report").count() == 1
    task = Task.objects.get(customer=valued)
    assert (task.title, task.assignee) == ("回访 大客户（月度使用报告）", seller)
    assert tick(now=at(2026, 10, 2, 9, 1)).enrolled == 0
    assert Message.objects.count() == 1 and Task.objects.count() == 1

    assert tick(now=at(2026, 11, 1, 9, 1)).enrolled == 1  # next month: the next rotation
    assert list(Enrollment.objects.filter(rule=rule).values_list("rotation", flat=True).order_by("rotation")) == [1, 2]  # fmt: skip
    assert messages(valued, "usage-report").count() == 2


# --- 沉默客户激活 ---------------------------------------------------------------------------


def test_reactivation_after_ninety_days_without_interaction_sent_once():
    T0 = at(2026, 8, 3, 10, 0)
    tagged = customer(name="沉睡甲", last_contact_at=T0 - dt.timedelta(days=80))
    tag(tagged, "沉睡客户")
    silent = customer(
        name="沉默乙", last_contact_at=T0 - dt.timedelta(days=85),
        level=Level.objects.get(code="silent"),
    )  # fmt: skip
    recent = customer(name="近期丙", last_contact_at=T0 - dt.timedelta(days=20))
    tag(recent, "沉睡客户")
    untagged = customer(name="普通丁", last_contact_at=T0 - dt.timedelta(days=200))
    rule = install("silent-reactivation", now=T0)

    assert tick(now=T0 + dt.timedelta(minutes=1)).enrolled == 0  # 80 and 85 days: not yet
    assert tick(now=T0 + dt.timedelta(days=11)).enrolled == 2
    assert messages(tagged, "coupon-new-feature").count() == 1
    assert messages(silent, "coupon-new-feature").count() == 1
    assert not messages(recent).exists() and not messages(untagged).exists()
    assert tick(now=T0 + dt.timedelta(days=11, hours=2)).enrolled == 0
    assert tick(now=T0 + dt.timedelta(days=12)).enrolled == 0
    assert Message.objects.count() == 2
    assert Enrollment.objects.filter(rule=rule).count() == 2


# --- 意向升级 ------------------------------------------------------------------------------


def test_intent_upgrade_sets_high_and_notifies_the_team_leader():
    T0 = at(2026, 9, 14, 10, 0)
    team = TeamFactory()
    leader = UserFactory(role_slug="supervisor", team=team)
    team.leader = leader
    team.save()
    seller = UserFactory(team=team)
    soon = customer(
        owner=seller, name="预算公司", intent="medium", demand="客户已确认预算，准备采购 50 套",
        expected_close_date=dt.date(2026, 9, 19),
    )  # fmt: skip
    later = customer(
        owner=seller, name="远期公司", intent="medium", demand="已确认预算",
        expected_close_date=dt.date(2026, 10, 30),
    )  # fmt: skip
    vague = customer(
        owner=seller, name="观望公司", intent="low", demand="还在比较方案",
        expected_close_date=dt.date(2026, 9, 16),
    )  # fmt: skip
    install("intent-upgrade", now=T0)

    assert tick(now=T0 + dt.timedelta(minutes=1)).enrolled == 1
    for row in (soon, later, vague):
        row.refresh_from_db()
    assert (soon.intent, later.intent, vague.intent) == ("high", "medium", "low")
    assert notices(leader) == ["意向升级：预算公司"]
    assert notices(seller) == []
    assert tick(now=T0 + dt.timedelta(hours=1)).enrolled == 0
    assert notices(leader) == ["意向升级：预算公司"]


# --- 新客培育 ------------------------------------------------------------------------------


def test_new_customer_nurture_welcomes_then_tasks_on_day_three_and_seven(
    django_capture_on_commit_callbacks,
):
    T0 = at(2026, 9, 7, 10, 0)
    seller = UserFactory()
    install("new-customer-nurture", now=T0)
    with clock.frozen_at(T0), django_capture_on_commit_callbacks(execute=True):
        new = customer_create(actor=None, data={"name": "新客户", "owner": seller, "email": "a@example.com"})  # fmt: skip
        bare = customer_create(actor=None, data={"name": "无邮箱客户", "owner": seller, "phone": "13800138000"})  # fmt: skip
    assert messages(new, "welcome-guide").count() == 1
    assert not messages(bare).exists()  # no address: skipped, the journey goes on

    tick(now=T0 + dt.timedelta(days=2, hours=23))
    assert not Task.objects.exists()
    tick(now=T0 + dt.timedelta(days=3, minutes=1))
    assert sorted(Task.objects.values_list("title", flat=True)) == ["首次跟进 新客户", "首次跟进 无邮箱客户"]  # fmt: skip
    tick(now=T0 + dt.timedelta(days=6, hours=23))
    assert Task.objects.count() == 2
    tick(now=T0 + dt.timedelta(days=7, minutes=2))
    assert sorted(Task.objects.filter(customer=new).values_list("title", flat=True)) == [
        "需求挖掘 新客户", "首次跟进 新客户",
    ]  # fmt: skip
    assert Task.objects.count() == 4


# --- 咨询未回复 ----------------------------------------------------------------------------


def test_unanswered_inquiry_notifies_after_an_hour_unless_followed_up(
    django_capture_on_commit_callbacks,
):
    T0 = at(2026, 9, 8, 14, 0)
    seller = UserFactory()
    install("unanswered-inquiry", now=T0)
    with clock.frozen_at(T0), django_capture_on_commit_callbacks(execute=True):
        waiting = customer_create(actor=None, data={"name": "询价甲", "owner": seller, "source": "inbound", "phone": "13800138001"})  # fmt: skip
        answered = customer_create(actor=None, data={"name": "询价乙", "owner": seller, "source": "inbound", "phone": "13800138002"})  # fmt: skip
        customer_create(actor=None, data={"name": "展会丙", "owner": seller, "source": "exhibition", "phone": "13800138003"})  # fmt: skip
    assert Enrollment.objects.count() == 2
    with clock.frozen_at(T0 + dt.timedelta(minutes=30)), django_capture_on_commit_callbacks(execute=True):  # fmt: skip
        followup_record(actor=seller, customer=answered, content="已电话回复报价")

    tick(now=T0 + dt.timedelta(minutes=59))
    assert notices(seller) == []
    tick(now=T0 + dt.timedelta(minutes=61))
    assert notices(seller) == ["咨询未回复：询价甲"]
    notice = Notification.objects.get(user=seller, kind="automation")
    assert notice.customer_id == waiting.pk
    assert "参考话术" in notice.body
    statuses = dict(Enrollment.objects.values_list("customer_id", "status"))
    assert statuses == {waiting.pk: EnrollmentStatus.COMPLETED, answered.pk: EnrollmentStatus.EXITED}  # fmt: skip
    tick(now=T0 + dt.timedelta(hours=3))
    assert notices(seller) == ["咨询未回复：询价甲"]


# --- 生日祝福 ------------------------------------------------------------------------------


def test_greetings_go_out_on_the_birthday_only():
    today = customer(name="寿星公司", birthday=dt.date(1990, 10, 15))
    other = customer(name="他日公司", birthday=dt.date(1988, 10, 20))
    customer(name="无生日公司")
    install("greetings", now=at(2026, 10, 14, 12, 0))

    assert tick(now=at(2026, 10, 14, 18, 0)).enrolled == 0
    assert tick(now=at(2026, 10, 15, 9, 1)).enrolled == 1
    sms = messages(today, "birthday-sms").get()
    assert sms.channel == "sms"
    assert tick(now=at(2026, 10, 16, 9, 1)).enrolled == 0
    assert Message.objects.count() == 1
    # The scheduler runs every day; a day it missed by more than 12 hours is skipped.
    assert [tick(now=at(2026, 10, day, 9, 1)).enrolled for day in (17, 18, 19, 20)] == [0, 0, 0, 1]
    assert messages(other, "birthday-sms").count() == 1


# --- 新订单分配 ----------------------------------------------------------------------------


def test_new_order_assigns_unowned_customers_in_turn_and_notifies(
    django_capture_on_commit_callbacks,
):
    T0 = at(2026, 9, 9, 10, 0)
    team = TeamFactory()
    first = UserFactory(team=team)
    second = UserFactory(team=team)
    UserFactory()  # another team: not a candidate
    a = customer(owner=None, name="订单甲")
    b = customer(owner=None, name="订单乙")
    owned = customer(owner=second, name="老客户")
    rule = install("new-order-assign", now=T0, owner=first)

    for row, minutes in ((a, 0), (b, 5), (owned, 10)):
        with clock.frozen_at(T0 + dt.timedelta(minutes=minutes)), django_capture_on_commit_callbacks(execute=True):  # fmt: skip
            publish(Event(name="order.created", customer_id=row.pk))
    tick(now=T0 + dt.timedelta(minutes=15))
    for row in (a, b, owned):
        row.refresh_from_db()
    assert (a.owner, b.owner, owned.owner) == (first, second, second)
    assert notices(first) == ["新订单：订单甲"]
    assert notices(second) == ["新订单：订单乙"]
    assert set(Enrollment.objects.filter(rule=rule).values_list("customer_id", flat=True)) == {a.pk, b.pk}  # fmt: skip


# --- system rules --------------------------------------------------------------------------


def system(*keys: str, now: dt.datetime) -> None:
    Rule.objects.filter(template_key__in=keys).update(status=RuleStatus.ACTIVE, next_run_at=now)


def test_the_active_tag_follows_recent_followups_both_ways():
    T0 = at(2026, 7, 1, 10, 0)
    seller = UserFactory()
    busy = customer(owner=seller, name="活跃公司")
    quiet = customer(owner=seller, name="一般公司")
    for days in (2, 9, 20):
        FollowUp.objects.create(customer=busy, author=seller, occurred_at=T0 - dt.timedelta(days=days), content="沟通")  # fmt: skip
    for days in (2, 9):
        FollowUp.objects.create(customer=quiet, author=seller, occurred_at=T0 - dt.timedelta(days=days), content="沟通")  # fmt: skip
    system("system-active-tag", "system-active-tag-remove", now=T0)

    tick(now=T0 + dt.timedelta(minutes=1))
    assert tags(busy) == {"近期高活跃"}
    assert tags(quiet) == set()
    tick(now=T0 + dt.timedelta(days=9))  # the follow-up of 20 days ago is 29 days old
    assert tags(busy) == {"近期高活跃"}
    tick(now=T0 + dt.timedelta(days=11))  # … now 31: two left in the last 30 days
    assert tags(busy) == set()
    FollowUp.objects.create(customer=busy, author=seller, occurred_at=T0 + dt.timedelta(days=11), content="再次沟通")  # fmt: skip
    tick(now=T0 + dt.timedelta(days=11, hours=2))
    assert tags(busy) == {"近期高活跃"}  # active again: tagged again


def test_ninety_days_without_interaction_tags_levels_and_flags_churn_risk():
    T0 = at(2026, 7, 1, 10, 0)
    gone = customer(name="失联公司", last_contact_at=T0 - dt.timedelta(days=95),
                    level=Level.objects.get(code="high_value"))  # fmt: skip
    close = customer(name="近期公司", last_contact_at=T0 - dt.timedelta(days=85))
    system(
        "system-dormant-tag", "system-dormant-tag-remove", "system-silent-level",
        "system-churn-risk-stage", now=T0,
    )  # fmt: skip

    tick(now=T0 + dt.timedelta(minutes=1))
    gone.refresh_from_db()
    close.refresh_from_db()
    assert (tags(gone), gone.level.code, gone.stage) == ({"沉睡客户"}, "silent", "churn_risk")
    assert (tags(close), close.level.code, close.stage) == (set(), "potential", "new")

    # A person sets the level back: it stands while the customer stays dormant.
    Customer.objects.filter(pk=gone.pk).update(level=Level.objects.get(code="high_value"))
    tick(now=T0 + dt.timedelta(hours=2))
    gone.refresh_from_db()
    assert gone.level.code == "high_value"

    # An interaction: the tag goes; level and stage stay as they are.
    Customer.objects.filter(pk=gone.pk).update(last_contact_at=T0 + dt.timedelta(days=1))
    tick(now=T0 + dt.timedelta(days=1, hours=2))
    gone.refresh_from_db()
    assert (tags(gone), gone.level.code, gone.stage) == (set(), "high_value", "churn_risk")

    # Dormant again, 90 days later: everything is applied again.
    tick(now=T0 + dt.timedelta(days=92))
    gone.refresh_from_db()
    assert (tags(gone), gone.level.code) == ({"沉睡客户"}, "silent")
    close.refresh_from_db()
    assert (tags(close), close.level.code, close.stage) == ({"沉睡客户"}, "silent", "churn_risk")


def test_the_second_order_makes_a_new_customer_a_repeat_customer():
    from guanxi.deals.tests.factories import OrderFactory

    T0 = at(2026, 7, 1, 10, 0)
    once = customer(name="一单公司")
    twice = customer(name="两单公司")
    refunded = customer(name="退款公司")
    OrderFactory(customer=once, ordered_at=T0 - dt.timedelta(days=3))
    for days in (40, 3):
        OrderFactory(customer=twice, ordered_at=T0 - dt.timedelta(days=days))
    OrderFactory(customer=refunded, ordered_at=T0 - dt.timedelta(days=9))
    OrderFactory(customer=refunded, ordered_at=T0 - dt.timedelta(days=2), status="refunded")
    system("system-repeat-stage", now=T0)

    tick(now=T0 + dt.timedelta(minutes=1))
    stages = dict(Customer.objects.filter(pk__in=[once.pk, twice.pk, refunded.pk])
                  .values_list("name", "stage"))  # fmt: skip
    assert stages == {"一单公司": "new", "两单公司": "repeat", "退款公司": "new"}

    # The first customer's second order: repeat on the next scan, and only once.
    OrderFactory(customer=once, ordered_at=T0 + dt.timedelta(minutes=30))
    tick(now=T0 + dt.timedelta(hours=1, minutes=2))
    tick(now=T0 + dt.timedelta(hours=2, minutes=2))
    once.refresh_from_db()
    assert once.stage == "repeat"
    rule = Rule.objects.get(template_key="system-repeat-stage")
    assert Enrollment.objects.filter(rule=rule).count() == 2
