"""The listener knows which events its rules listen for, so the events nobody listens for (a
bulk order sync publishes thousands) cost no query."""

import pytest

from guanxi.automation import listener
from guanxi.automation.models import Enrollment, Rule, RuleStatus
from guanxi.automation.services import rule_pause
from guanxi.automation.tests.factories import active_rule
from guanxi.core.events import Event
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ON_ORDER = {
    "trigger": {"kind": "event", "event": "order.created"},
    "steps": [{"action": "add_tag", "tags": ["新订单"]}],
}


def test_an_event_no_rule_listens_for_costs_no_query(django_assert_num_queries):
    customer = CustomerFactory()
    listener.on_event(Event(name="order.created", customer_id=customer.pk))  # reads the rules
    with django_assert_num_queries(0):
        for _ in range(100):
            listener.on_event(Event(name="order.created", customer_id=customer.pk))
    assert not Enrollment.objects.exists()


def test_a_rule_saved_in_this_process_is_heard_at_once_and_a_paused_one_not():
    customer = CustomerFactory()
    listener.on_event(Event(name="order.created", customer_id=customer.pk))
    rule = active_rule(definition=ON_ORDER)
    listener.on_event(Event(name="order.created", customer_id=customer.pk))
    assert Enrollment.objects.filter(rule=rule, customer=customer).count() == 1
    rule_pause(actor=None, rule=rule)
    other = CustomerFactory()
    listener.on_event(Event(name="order.created", customer_id=other.pk))
    assert not Enrollment.objects.filter(customer=other).exists()


def test_a_rule_changed_elsewhere_is_heard_once_the_cache_expires(monkeypatch):
    rule = active_rule(definition=ON_ORDER)
    rule_pause(actor=None, rule=rule)
    customer = CustomerFactory()
    listener.on_event(Event(name="order.created", customer_id=customer.pk))
    # Another process activates it (no service call here).
    Rule.objects.filter(pk=rule.pk).update(status=RuleStatus.ACTIVE)
    listener.on_event(Event(name="order.created", customer_id=customer.pk))
    assert not Enrollment.objects.exists()
    clock = listener.time.monotonic() + listener.INTEREST_SECONDS + 1
    monkeypatch.setattr(listener.time, "monotonic", lambda: clock)
    listener.on_event(Event(name="order.created", customer_id=customer.pk))
    assert Enrollment.objects.filter(rule=rule, customer=customer).count() == 1


def test_exit_events_of_a_running_journey_are_heard_after_its_rule_is_paused():
    rule = active_rule(
        definition={
            "trigger": {"kind": "manual"},
            "steps": [{"action": "wait", "days": 3}, {"action": "add_tag", "tags": ["x"]}],
            "enrollment": {"exit_events": ["order.created"]},
        }
    )
    customer = CustomerFactory()
    from guanxi.automation.enrollment import enroll_one

    enrollment = enroll_one(rule=rule, customer_id=customer.pk)
    rule_pause(actor=None, rule=rule)
    listener.on_event(Event(name="order.created", customer_id=customer.pk))
    enrollment.refresh_from_db()
    assert enrollment.status == "exited"
