"""The executor: branches on message outcomes, retries and failures, pausing a failing rule,
the depth guard, re-enrollment, versions, "nothing within N hours", webhooks, coupons."""

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from guanxi.automation import executor
from guanxi.automation.engine import tick
from guanxi.automation.enrollment import enroll_one
from guanxi.automation.models import (
    AutomationSettings,
    CouponCode,
    Enrollment,
    EnrollmentStatus,
    Execution,
    ExecutionStatus,
    RuleStatus,
)
from guanxi.automation.services import executions_retry, executions_skip, rule_update
from guanxi.automation.tests.factories import active_rule
from guanxi.core import clock
from guanxi.customers.services import customer_tag_by_system
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.followups.models import Task
from guanxi.followups.services import followup_record
from guanxi.messaging.models import Message, Notification

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 11, 2, 10, 0))


def _manual(definition_steps, **extra):
    return {"trigger": {"kind": "manual"}, "steps": definition_steps, **extra}


def _enroll(rule, customer, at=T0):
    with clock.frozen_at(at):
        return enroll_one(rule=rule, customer_id=customer.pk, now=at)


def test_branch_on_message_outcome_creates_the_phone_task_only_when_not_opened():
    rule = active_rule(
        definition=_manual(
            [
                {"id": "mail", "action": "send_email", "template": "product-intro"},
                {
                    "action": "branch",
                    "if": {"message_step": "mail", "event": "any_response", "within_days": 3},
                    "then": [],
                    "else": [{"action": "create_task", "title": "电话跟进 {customer}"}],
                },
            ]
        )
    )
    opened = ContactFactory().customer
    ignored = ContactFactory().customer
    for customer in (opened, ignored):
        _enroll(rule, customer)
    tick(now=T0)
    assert Message.objects.filter(customer__in=[opened, ignored]).count() == 2
    Message.objects.filter(customer=opened).update(opened_at=T0 + dt.timedelta(days=1))
    # Before the window closes an unopened mail waits; an opened one decides at once.
    tick(now=T0 + dt.timedelta(days=1, hours=1))
    assert not Task.objects.exists()
    tick(now=T0 + dt.timedelta(days=3, minutes=5))
    assert list(Task.objects.values_list("customer_id", "title")) == [
        (ignored.pk, f"电话跟进 {ignored.name}")
    ]
    tick(now=T0 + dt.timedelta(days=5))
    assert Task.objects.count() == 1
    assert set(Enrollment.objects.values_list("status", flat=True)) == {EnrollmentStatus.COMPLETED}


def test_a_step_that_keeps_failing_is_retried_with_backoff_then_left_failed(monkeypatch):
    calls = []

    def flaky(run):
        calls.append(run.now)
        raise executor.actions.Transient("网关超时")

    monkeypatch.setitem(executor.actions.ACTIONS, "add_tag", flaky)
    rule = active_rule(definition=_manual([{"action": "add_tag", "tags": ["x"]}]))
    customer = CustomerFactory()
    _enroll(rule, customer)
    moments = [T0, T0 + dt.timedelta(minutes=1), T0 + dt.timedelta(minutes=7),
               T0 + dt.timedelta(minutes=40), T0 + dt.timedelta(hours=5)]  # fmt: skip
    for moment in moments:
        tick(now=moment)
    execution = Execution.objects.get(rule=rule)
    assert len(calls) == executor.MAX_ATTEMPTS
    assert execution.status == ExecutionStatus.FAILED
    assert execution.reason == "网关超时"
    assert execution.attempts == executor.MAX_ATTEMPTS


def test_retry_and_skip_by_a_person(monkeypatch, admin_user):
    rule = active_rule(
        definition=_manual(
            [{"action": "send_email", "template": "no-such-template"},
             {"action": "add_tag", "tags": ["后续"]}]
        )
    )  # fmt: skip
    customer = ContactFactory().customer
    _enroll(rule, customer)
    tick(now=T0)
    failed = Execution.objects.get(rule=rule, step_id="s1")
    assert failed.status == ExecutionStatus.FAILED
    assert "no-such-template" in failed.reason
    with clock.frozen_at(T0):
        assert executions_retry(actor=admin_user, executions=[failed]) == 1
    failed.refresh_from_db()
    assert failed.status == ExecutionStatus.PENDING
    tick(now=T0 + dt.timedelta(minutes=1))
    failed.refresh_from_db()
    assert failed.status == ExecutionStatus.FAILED
    with clock.frozen_at(T0 + dt.timedelta(minutes=1)):
        assert executions_skip(actor=admin_user, executions=[failed]) == 1
    tick(now=T0 + dt.timedelta(minutes=2))
    assert set(customer.tags.values_list("name", flat=True)) == {"后续"}


def test_a_rule_failing_too_often_pauses_itself_and_tells_its_owner():
    owner = CustomerFactory().owner
    rule = active_rule(
        owner=owner, definition=_manual([{"action": "send_email", "template": "gone"}])
    )
    customers = [
        CustomerFactory(owner=owner) for _ in range(AutomationSettings().failure_pause_minimum)
    ]
    for customer in customers[:-1]:
        _enroll(rule, customer)
    tick(now=T0)
    rule.refresh_from_db()
    assert rule.status == RuleStatus.ACTIVE  # 19 executions: below the minimum
    _enroll(rule, customers[-1])
    tick(now=T0 + dt.timedelta(minutes=1))
    rule.refresh_from_db()
    assert rule.status == RuleStatus.PAUSED
    assert "20" in rule.paused_reason
    assert Notification.objects.filter(user=owner, kind="automation").count() == 1


def test_the_failure_ratio_is_taken_over_the_latest_steps_only():
    from guanxi.automation.services import FAILURE_WINDOW, rules_pause_failing

    rule = active_rule(definition=_manual([{"action": "add_tag", "tags": ["x"]}]))
    customers = CustomerFactory.create_batch(FAILURE_WINDOW + 30)
    for customer in customers:
        _enroll(rule, customer)
    rows = list(Execution.objects.filter(rule=rule).order_by("pk"))

    def finish(chosen, status, at):
        Execution.objects.filter(pk__in=[r.pk for r in chosen]).update(
            status=status, finished_at=at
        )

    # Old failures, then a long good run: the old ones are out of the window.
    finish(rows[:30], ExecutionStatus.FAILED, T0)
    finish(rows[30:], ExecutionStatus.DONE, T0 + dt.timedelta(hours=1))
    assert rules_pause_failing(rule_ids=[rule.pk], now=T0) == []
    # Now the latest fail: 20 of the latest 200 is 10 %.
    finish(rows[-20:], ExecutionStatus.FAILED, T0 + dt.timedelta(hours=2))
    assert rules_pause_failing(rule_ids=[rule.pk], now=T0) == [rule.pk]
    rule.refresh_from_db()
    assert "20" in rule.paused_reason and str(FAILURE_WINDOW) in rule.paused_reason


def test_rules_triggering_rules_stop_at_the_depth_limit(django_capture_on_commit_callbacks):
    for source, target in [("A", "B"), ("B", "C"), ("C", "D"), ("D", "E")]:
        active_rule(
            name=f"{source}→{target}",
            definition={
                "trigger": {"kind": "event", "event": "customer.tag_added", "tag": source},
                "steps": [{"action": "add_tag", "tags": [target]}],
            },
        )
    customer = CustomerFactory()
    with clock.frozen_at(T0), django_capture_on_commit_callbacks(execute=True):
        customer_tag_by_system(customer=customer, name="A")
    # A (depth 0) → B (1) → C (2) → D (3): the event at depth 3 starts nothing.
    assert set(customer.tags.values_list("name", flat=True)) == {"A", "B", "C", "D"}


def test_once_per_customer_unless_the_rule_reenrolls_after_an_interval():
    once = active_rule(definition=_manual([{"action": "add_tag", "tags": ["a"]}]))
    again = active_rule(
        definition=_manual(
            [{"action": "add_tag", "tags": ["b"]}],
            enrollment={"reenroll": True, "min_interval_days": 7},
        )
    )
    customer = CustomerFactory()
    for rule in (once, again):
        assert _enroll(rule, customer) is not None
    tick(now=T0)
    assert _enroll(once, customer, at=T0 + dt.timedelta(days=30)) is None
    assert _enroll(again, customer, at=T0 + dt.timedelta(days=3)) is None
    second = _enroll(again, customer, at=T0 + dt.timedelta(days=8))
    assert second.rotation == 2


def test_running_journeys_keep_the_version_they_started_with(admin_user):
    rule = active_rule(
        definition=_manual([{"action": "wait", "days": 1}, {"action": "add_tag", "tags": ["v1"]}])
    )
    early, late = CustomerFactory(), CustomerFactory()
    _enroll(rule, early)
    tick(now=T0)
    rule_update(
        actor=admin_user,
        rule=rule,
        definition=_manual([{"action": "wait", "days": 1}, {"action": "add_tag", "tags": ["v2"]}]),
    )
    rule.refresh_from_db()
    _enroll(rule, late)
    tick(now=T0 + dt.timedelta(days=2))
    tick(now=T0 + dt.timedelta(days=2, minutes=1))
    assert set(early.tags.values_list("name", flat=True)) == {"v1"}
    assert set(late.tags.values_list("name", flat=True)) == {"v2"}
    assert rule.current_version.number == 2


def test_nothing_within_an_hour_notifies_unless_answered(django_capture_on_commit_callbacks):
    owner = CustomerFactory().owner
    active_rule(
        definition={
            "trigger": {"kind": "no_action", "event": "customer.tag_added", "hours": 1,
                        "unless_events": ["followup.recorded"]},
            "steps": [{"action": "notify", "to": "owner", "title": "请尽快回复 {customer}"}],
        }
    )  # fmt: skip
    answered, waiting = CustomerFactory(owner=owner), CustomerFactory(owner=owner)
    with clock.frozen_at(T0), django_capture_on_commit_callbacks(execute=True):
        for customer in (answered, waiting):
            customer_tag_by_system(customer=customer, name="咨询")
    with (
        clock.frozen_at(T0 + dt.timedelta(minutes=20)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        followup_record(actor=owner, customer=answered, channel="phone", content="已回复报价")
    tick(now=T0 + dt.timedelta(minutes=59))
    assert not Notification.objects.filter(kind="automation").exists()
    tick(now=T0 + dt.timedelta(minutes=61))
    assert list(
        Notification.objects.filter(kind="automation").values_list("customer_id", flat=True)
    ) == [waiting.pk]
    assert Enrollment.objects.get(customer=answered).status == EnrollmentStatus.EXITED


def test_a_batch_rolled_back_by_a_dead_worker_runs_once_after_the_lease():
    rule = active_rule(definition=_manual([{"action": "create_task", "title": "回访"}]))
    customers = [CustomerFactory() for _ in range(3)]
    for customer in customers:
        _enroll(rule, customer)
    claimed = executor.claim(now=T0)
    assert len(claimed) == 3
    # The worker died before running them: nothing happened, the rows are leased.
    assert tick(now=T0 + dt.timedelta(minutes=1)).executed == 0
    assert tick(now=T0 + executor.LEASE + dt.timedelta(minutes=1)).executed == 3
    assert tick(now=T0 + executor.LEASE + dt.timedelta(minutes=2)).executed == 0
    assert Task.objects.count() == 3


def test_coupon_codes_are_unique_per_journey_and_an_empty_pool_fails_clearly():
    CouponCode.objects.bulk_create([CouponCode(pool="vip", code=f"VIP-{i}") for i in range(2)])
    rule = active_rule(definition=_manual([{"action": "issue_coupon", "pool": "vip"}]))
    customers = [CustomerFactory() for _ in range(3)]
    for customer in customers:
        _enroll(rule, customer)
    tick(now=T0)
    codes = Execution.objects.filter(status=ExecutionStatus.DONE).values_list(
        "result__coupon_code", flat=True
    )
    assert sorted(codes) == ["VIP-0", "VIP-1"]
    failed = Execution.objects.get(status=ExecutionStatus.FAILED)
    assert "vip" in failed.reason


class _Hook(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append((dict(self.headers), body))
        self.send_response(_Hook.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook_server():
    _Hook.received = []
    _Hook.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_webhooks_to_loopback_are_refused_unless_an_admin_allows_them(hook_server):
    rule = active_rule(
        definition=_manual([{"action": "webhook", "url": hook_server, "secret": "s3"}])
    )
    refused, allowed = CustomerFactory(), CustomerFactory()
    _enroll(rule, refused)
    tick(now=T0)
    assert Execution.objects.get(customer=refused).status == ExecutionStatus.FAILED
    assert _Hook.received == []
    AutomationSettings.objects.update_or_create(pk=1, defaults={"webhook_allow_private": True})
    _enroll(rule, allowed)
    tick(now=T0 + dt.timedelta(minutes=1))
    assert Execution.objects.get(customer=allowed).status == ExecutionStatus.DONE
    headers, body = _Hook.received[0]
    expected = hmac.new(b"s3", body, hashlib.sha256).hexdigest()
    assert headers["X-Guanxi-Signature"] == f"sha256={expected}"
    assert json.loads(body)["customer"]["code"] == allowed.code


def test_a_webhook_answering_503_is_retried(hook_server):
    AutomationSettings.objects.update_or_create(pk=1, defaults={"webhook_allow_private": True})
    _Hook.status = 503
    rule = active_rule(definition=_manual([{"action": "webhook", "url": hook_server}]))
    _enroll(rule, CustomerFactory())
    tick(now=T0)
    execution = Execution.objects.get(rule=rule)
    assert execution.status == ExecutionStatus.PENDING
    assert execution.next_run_at == T0 + dt.timedelta(minutes=1)
    _Hook.status = 200
    tick(now=T0 + dt.timedelta(minutes=2))
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.DONE
    assert len(_Hook.received) == 2


def test_a_journey_ends_when_the_goal_is_reached():
    rule = active_rule(
        definition=_manual(
            [{"action": "wait", "days": 1}, {"action": "add_tag", "tags": ["还在培育"]}],
            goal={"all": [{"field": "intent", "op": "eq", "value": "high"}]},
        )
    )
    customer = CustomerFactory(intent="low")
    _enroll(rule, customer)
    tick(now=T0)
    type(customer).objects.filter(pk=customer.pk).update(intent="high")
    tick(now=T0 + dt.timedelta(days=1, minutes=1))
    enrollment = Enrollment.objects.get(customer=customer)
    assert enrollment.status == EnrollmentStatus.COMPLETED
    assert enrollment.goal_reached_at is not None
    assert not customer.tags.exists()
