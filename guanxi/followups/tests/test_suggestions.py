"""Status suggestions (seed 003): keyword rules after a follow-up; confirm goes through the
customers' / deals' services (audit, events), dismiss only marks; admins edit the rules."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.api.tests.clients import api_client
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, PermissionDeniedError
from guanxi.core.events import subscribe, unsubscribe
from guanxi.customers.models import Intent
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import KeywordRule, Suggestion, SuggestionKind, SuggestionStatus
from guanxi.followups.services import followup_record
from guanxi.followups.suggestions.services import (
    rule_save,
    suggestion_confirm,
    suggestion_dismiss,
)
from guanxi.followups.tests.factories import KeywordRuleFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2024, 6, 5, 9, 0))
TODAY = dt.date(2024, 6, 5)


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen_at(NOW):
        yield


def record(actor, customer, content):
    return followup_record(actor=actor, customer=customer, content=content)


def test_the_seed_rules_are_installed():
    rows = list(KeywordRule.objects.values_list("keywords", "close_within_days", "kind", "value"))
    assert rows == [
        (["已确认预算", "确认了预算"], 7, "set_intent", "high"),
        (["同意签订合同", "同意签约"], None, "deal_stage", "won"),
        (["预算有限"], None, "add_tag", "价格敏感"),
    ]


def test_confirmed_budget_with_close_within_7_days_suggests_high_intent():
    sales = UserFactory(role_slug="sales")
    soon = CustomerFactory(
        owner=sales, intent=Intent.MEDIUM, expected_close_date=TODAY + dt.timedelta(days=7)
    )
    later = CustomerFactory(
        owner=sales, intent=Intent.MEDIUM, expected_close_date=TODAY + dt.timedelta(days=8)
    )

    with translation.override("en"):
        record(sales, soon, "客户已确认预算，下周签")
        record(sales, later, "客户已确认预算")

    suggestion = Suggestion.objects.get()
    assert (suggestion.customer, suggestion.kind, suggestion.value, suggestion.status) == (
        soon, SuggestionKind.SET_INTENT, "high", SuggestionStatus.PENDING,
    )  # fmt: skip
    assert suggestion.reason == "Mentions “已确认预算”; expected close 2024-06-12"


def test_no_suggestion_that_would_change_nothing():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales, intent=Intent.HIGH, expected_close_date=TODAY)
    record(sales, customer, "已确认预算")
    assert not Suggestion.objects.exists()


def test_confirm_goes_through_the_customer_service_audited_with_its_event(
    django_capture_on_commit_callbacks,
):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    record(sales, customer, "客户说预算有限")
    suggestion = Suggestion.objects.get()
    heard = []
    subscribe(heard.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            suggestion_confirm(actor=sales, suggestion=suggestion)
    finally:
        unsubscribe(heard.append)

    assert list(customer.tags.values_list("name", flat=True)) == ["价格敏感"]
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by, suggestion.decided_at) == (
        SuggestionStatus.CONFIRMED, sales, NOW,
    )  # fmt: skip
    assert ActivityEvent.objects.filter(verb=Verb.TAGGED, customer_id=customer.pk).count() == 1
    assert [e.name for e in heard] == ["customer.tag_added"]
    with pytest.raises(ApplicationError):
        suggestion_confirm(actor=sales, suggestion=suggestion)  # decided already


def test_confirm_intent_updates_the_customer():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales, intent=Intent.LOW, expected_close_date=TODAY)
    record(sales, customer, "确认了预算")
    suggestion_confirm(actor=sales, suggestion=Suggestion.objects.get())
    customer.refresh_from_db()
    assert customer.intent == Intent.HIGH


def test_dismiss_changes_nothing_on_the_customer():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    record(sales, customer, "预算有限")
    suggestion = suggestion_dismiss(actor=sales, suggestion=Suggestion.objects.get())
    assert suggestion.status == SuggestionStatus.DISMISSED
    assert not customer.tags.exists()


def test_a_user_who_may_not_edit_customers_cannot_confirm_and_nothing_changes():
    service = UserFactory(role_slug="service")
    customer = CustomerFactory(owner=service)
    record(service, customer, "预算有限")
    suggestion = Suggestion.objects.get()
    with pytest.raises(PermissionDeniedError):
        suggestion_confirm(actor=service, suggestion=suggestion)
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.PENDING
    assert not customer.tags.exists()


def test_deal_stage_rule_moves_the_open_deal_when_deals_exist():
    deals = pytest.importorskip("guanxi.deals.services")
    from guanxi.deals.models import Deal, DealStage

    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    deal = deals.deal_create(
        actor=sales, customer=customer, data={"title": "年度采购", "amount": "1000"}
    )
    record(sales, customer, "客户同意签订合同")
    suggestion = Suggestion.objects.get()
    assert (suggestion.kind, suggestion.value) == (SuggestionKind.DEAL_STAGE, "won")

    suggestion_confirm(actor=sales, suggestion=suggestion)

    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage == DealStage.objects.get(code="won")


def test_deal_stage_rule_without_an_open_deal_suggests_nothing():
    sales = UserFactory(role_slug="sales")
    record(sales, CustomerFactory(owner=sales), "客户同意签订合同")
    assert not Suggestion.objects.exists()


def test_customer_page_card_and_list_page(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    record(sales, customer, "预算有限")
    client.force_login(sales)

    card = client.get(reverse("followups:customer_suggestions", args=[customer.pk]))
    assert card.status_code == 200
    assert "价格敏感" in card.content.decode()
    listing = client.get(reverse("followups:suggestions"))
    assert [s.customer_id for s in listing.context["page"].items] == [customer.pk]
    other = client.get(reverse("followups:customer_suggestions", args=[CustomerFactory().pk]))
    assert other.status_code == 404


def test_recording_from_the_customer_page_returns_the_card_out_of_band(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    client.force_login(sales)
    response = client.post(
        reverse("followups:record", args=[customer.pk]),
        {"channel": "phone", "content": "客户反馈预算有限"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert 'id="suggestions"' in body and "价格敏感" in body


def test_applying_on_the_customer_page_reloads_it_and_on_the_list_swaps_the_item(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    record(sales, customer, "预算有限")
    first = Suggestion.objects.get()
    record(sales, customer, "还是预算有限")
    second = Suggestion.objects.exclude(pk=first.pk).get()
    client.force_login(sales)
    card = client.get(reverse("followups:customer_suggestions", args=[customer.pk]))
    assert 'name="refresh"' in card.content.decode()

    url = reverse("followups:suggestion_confirm", args=[first.pk])
    reloaded = client.post(url, {"refresh": "1"}, HTTP_HX_REQUEST="true")
    assert reloaded.status_code == 204 and reloaded["HX-Refresh"] == "true"
    assert customer.tags.filter(name="价格敏感").exists()
    listing = client.get(reverse("followups:suggestions"))
    assert 'name="refresh"' not in listing.content.decode()
    swapped = client.post(
        reverse("followups:suggestion_dismiss", args=[second.pk]), HTTP_HX_REQUEST="true"
    )
    assert swapped.status_code == 200 and "HX-Refresh" not in swapped


@pytest.mark.parametrize("who", ["anonymous", "no_edit", "stranger", "owner"])
def test_confirm_page_authorization_matrix(client, who):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    record(sales, customer, "预算有限")
    suggestion = Suggestion.objects.get()
    users = {
        "no_edit": UserFactory(role_slug="service", data_scope="all"),
        "stranger": UserFactory(role_slug="sales"),
        "owner": sales,
    }
    if who != "anonymous":
        client.force_login(users[who])

    response = client.post(reverse("followups:suggestion_confirm", args=[suggestion.pk]))

    expected = {"anonymous": 302, "no_edit": 403, "stranger": 404, "owner": 302}[who]
    assert response.status_code == expected
    suggestion.refresh_from_db()
    assert (suggestion.status == SuggestionStatus.CONFIRMED) is (who == "owner")


def test_api_list_confirm_dismiss():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    record(sales, customer, "预算有限")
    record(sales, CustomerFactory(owner=sales), "预算有限")
    first, second = Suggestion.objects.order_by("pk")
    client = api_client(sales)

    listed = client.get("/api/v1/suggestions/").json()["results"]
    assert [s["id"] for s in listed] == [second.pk, first.pk]
    confirmed = client.post(f"/api/v1/suggestions/{first.pk}/confirm/")
    assert (confirmed.status_code, confirmed.json()["status"]) == (200, "confirmed")
    dismissed = client.post(f"/api/v1/suggestions/{second.pk}/dismiss/")
    assert dismissed.json()["status"] == "dismissed"
    again = client.post(f"/api/v1/suggestions/{second.pk}/dismiss/")
    assert again.status_code == 400
    assert client.get("/api/v1/suggestions/").json()["results"] == []
    assert (
        api_client(UserFactory(role_slug="sales"))
        .post(f"/api/v1/suggestions/{first.pk}/confirm/")
        .status_code
        == 404
    )


# --- rules ----------------------------------------------------------------------------------


def test_admin_edits_a_rule_and_it_applies_to_the_next_followup():
    admin = UserFactory(role_slug="admin")
    rule = KeywordRule.objects.get(value="价格敏感")
    rule_save(actor=admin, rule=rule, data={"keywords": "预算有限，价格太高", "value": "价格关注"})
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)

    record(sales, customer, "客户觉得价格太高")

    assert list(Suggestion.objects.values_list("kind", "value")) == [("add_tag", "价格关注")]
    assert ActivityEvent.objects.filter(target_type="followups.keywordrule").count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"keywords": []}, "keywords"),
        ({"kind": "set_intent", "value": "huge"}, "value"),
        ({"kind": "set_level", "value": "nope"}, "value"),
        ({"kind": "deal_stage", "value": "nope"}, "value"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_rules_are_refused(data, field):
    admin = UserFactory(role_slug="admin")
    base = {"name": "测试", "keywords": ["x"], "kind": "add_tag", "value": "标签"}
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        rule_save(actor=admin, rule=None, data={**base, **data})
    assert list(caught.value.errors) == [field]
    assert KeywordRule.objects.count() == 3


def test_only_admins_edit_rules():
    sales = UserFactory(role_slug="supervisor")
    with pytest.raises(PermissionDeniedError):
        rule_save(
            actor=sales,
            rule=None,
            data={"name": "x", "keywords": ["x"], "kind": "add_tag", "value": "x"},
        )
    response = api_client(sales).get("/api/v1/suggestion-rules/")
    assert response.status_code == 403


def test_api_rules_crud():
    admin = UserFactory(role_slug="admin")
    client = api_client(admin)
    created = client.post(
        "/api/v1/suggestion-rules/",
        {"name": "竞品", "keywords": ["竞品"], "kind": "add_tag", "value": "竞品关注"},
        format="json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    client.patch(f"/api/v1/suggestion-rules/{pk}/", {"is_active": False}, format="json")
    assert KeywordRule.objects.get(pk=pk).is_active is False
    assert client.delete(f"/api/v1/suggestion-rules/{pk}/").status_code == 204
    assert len(client.get("/api/v1/suggestion-rules/").json()) == 3


def test_rule_pages_for_admins(client):
    admin = UserFactory(role_slug="admin")
    client.force_login(admin)
    assert client.get(reverse("followups:suggestion_rules")).status_code == 200
    response = client.post(
        reverse("followups:suggestion_rule_create"),
        {
            "name": "竞品",
            "keywords": "竞品, 对手",
            "kind": "add_tag",
            "value": "竞品关注",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert KeywordRule.objects.get(name="竞品").keywords == ["竞品", "对手"]
    client.force_login(UserFactory(role_slug="sales"))
    assert client.get(reverse("followups:suggestion_rules")).status_code == 403
    KeywordRuleFactory()  # the factory works too
