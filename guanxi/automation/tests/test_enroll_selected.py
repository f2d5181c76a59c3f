"""The customer list's "enroll the selected customers in a rule" control."""

import pytest
from django.urls import reverse
from django.utils import translation

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent
from guanxi.automation.models import Enrollment
from guanxi.automation.services import rule_pause
from guanxi.automation.tests.factories import active_rule
from guanxi.customers.models import Level
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

POTENTIAL_ONLY = {
    "trigger": {"kind": "manual"},
    "conditions": {"all": [{"field": "level", "op": "eq", "value": "potential"}]},
    "steps": [{"action": "add_tag", "tags": ["培育"]}],
}


def _post(client, user, data):
    client.force_login(user)
    with translation.override("en"):
        return client.post(
            reverse("automation:enroll_selected"), data, follow=True, HTTP_ACCEPT_LANGUAGE="en"
        )


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_the_list_offers_active_rules_to_people_who_manage_automation(client):
    rule = active_rule(definition=POTENTIAL_ONLY, name="潜力客户培育")
    client.force_login(UserFactory(role_slug="marketing"))
    page = client.get(reverse("customers:list")).content.decode()
    assert f'<option value="{rule.pk}">潜力客户培育</option>' in page
    assert reverse("automation:enroll_selected") in page
    client.force_login(UserFactory(role_slug="sales"))
    assert (
        reverse("automation:enroll_selected")
        not in client.get(reverse("customers:list")).content.decode()
    )


def test_selected_customers_that_match_start_the_journey_the_rest_are_counted(client):
    rule = active_rule(definition=POTENTIAL_ONLY)
    potential = CustomerFactory(level__code="potential")
    other = CustomerFactory(level=Level.objects.get(code="high_value"))
    manager = UserFactory(role_slug="marketing")

    response = _post(client, manager, {"rule": rule.pk, "ids": [potential.pk, other.pk],
                                       "next": "/customers/?q=x"})  # fmt: skip

    assert response.redirect_chain[-1][0] == "/customers/?q=x"
    assert list(Enrollment.objects.values_list("customer_id", "reason")) == [
        (potential.pk, "manual")
    ]
    assert _messages(response) == [
        "1 customer enrolled in “测试规则”. 1 was left out: already enrolled, or the rule’s "
        "conditions do not match."
    ]
    assert ActivityEvent.objects.filter(target_type="automation.rule", target_id=rule.pk).exists()
    # Again: already enrolled, nothing new.
    again = _post(client, manager, {"rule": rule.pk, "ids": [potential.pk]})
    assert Enrollment.objects.count() == 1
    assert _messages(again)[0].startswith("0 customers enrolled")


def test_customers_outside_the_managers_scope_are_left_out(client):
    rule = active_rule(definition=POTENTIAL_ONLY)
    manager = UserFactory(role_slug="marketing", data_scope="own")
    mine = CustomerFactory(level__code="potential", owner=manager)
    theirs = CustomerFactory(level__code="potential")

    _post(client, manager, {"rule": rule.pk, "ids": [mine.pk, theirs.pk]})

    assert list(Enrollment.objects.values_list("customer_id", flat=True)) == [mine.pk]


@pytest.mark.parametrize("role", ["sales", "supervisor"])
def test_people_without_automation_manage_are_refused_and_nothing_changes(client, role):
    rule = active_rule(definition=POTENTIAL_ONLY)
    customer = CustomerFactory(level__code="potential")
    client.force_login(UserFactory(role_slug=role))
    response = client.post(
        reverse("automation:enroll_selected"), {"rule": rule.pk, "ids": [customer.pk]}
    )
    assert response.status_code == 403
    assert not Enrollment.objects.exists()


def test_anonymous_is_sent_to_log_in(client):
    response = client.post(reverse("automation:enroll_selected"), {})
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_paused_rule_or_no_selection_is_explained_and_changes_nothing(client):
    rule = active_rule(definition=POTENTIAL_ONLY)
    customer = CustomerFactory(level__code="potential")
    manager = UserFactory(role_slug="marketing")
    assert _messages(_post(client, manager, {"rule": rule.pk})) == ["Select at least one customer."]
    rule_pause(actor=None, rule=rule)
    assert _messages(_post(client, manager, {"rule": rule.pk, "ids": [customer.pk]})) == [
        "That rule is not active any more."
    ]
    assert _messages(_post(client, manager, {"ids": [customer.pk]})) == [
        "Choose the rule to enroll the customers in."
    ]
    assert not Enrollment.objects.exists()
