"""Data-quality pages through the test client: scope, masking, fixes, merge page."""

import pytest
from django.urls import reverse

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.customers.models import Contact, Customer
from guanxi.customers.tests.factories import ContactFactory
from guanxi.quality.models import DuplicateGroup
from guanxi.quality.services import duplicates_refresh
from guanxi.quality.tests.factories import customer, with_contact

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


def test_overview_shows_the_cards(client):
    response = logged_in(client, UserFactory(role_slug="sales")).get(reverse("quality:overview"))
    assert response.status_code == 200
    assert "重复" in response.content.decode() or "duplicates" in response.content.decode()


def test_overview_needs_login(client):
    response = client.get(reverse("quality:overview"))
    assert response.status_code == 302


def test_overview_is_refused_without_customer_view(client):
    user = UserFactory(role_slug="sales")
    user.role.permissions = []
    user.role.save()
    assert logged_in(client, user).get(reverse("quality:overview")).status_code == 403


def test_invalid_phone_count_is_scoped_to_the_viewer(client):
    sales = UserFactory(role_slug="sales")
    with_contact(owner=sales, contact={"phone": "12345"})
    with_contact(contact={"phone": "0000"})  # someone else's
    with_contact(owner=sales, contact={"phone": "+8613812345678"})
    url = reverse("quality:check_count", args=["invalid-phones"])
    response = logged_in(client, sales).get(url)
    assert response.content.decode().strip() == "1"


def test_invalid_email_list_finds_malformed_and_upper_case_addresses(client):
    admin = UserFactory(role_slug="admin")
    bad = with_contact(owner=admin, contact={"email": "no-at-sign"})
    upper = with_contact(owner=admin, contact={"email": "Boss@Example.com"})
    with_contact(owner=admin, contact={"email": "ok@example.com"})
    response = logged_in(client, admin).get(reverse("quality:check", args=["invalid-emails"]))
    assert sorted(c.customer_id for c in response.context["page"].items) == sorted(
        [bad.pk, upper.pk]
    )


def test_invalid_phone_list_masks_for_viewers_without_contact_details(client):
    marketing = UserFactory(role_slug="marketing")
    marketing.role.permissions = ["customer.view"]
    marketing.role.save()
    with_contact(contact={"phone": "1381234567890123"})
    response = logged_in(client, marketing).get(reverse("quality:check", args=["invalid-phones"]))
    assert "1381234567890123" not in response.content.decode()


def test_missing_required_lists_customers_without_phone_or_email(client):
    admin = UserFactory(role_slug="admin")
    silent = with_contact(owner=admin, contact={"phone": "", "email": ""})
    nobody = customer(owner=admin)
    with_contact(owner=admin)
    response = logged_in(client, admin).get(reverse("quality:check", args=["missing-required"]))
    assert sorted(c.pk for c in response.context["page"].items) == sorted([silent.pk, nobody.pk])


def test_supervisor_assigns_an_owner_to_ownerless_customers(client):
    supervisor = UserFactory(role_slug="admin")
    orphan = customer(owner=None)
    response = logged_in(client, supervisor).post(
        reverse("quality:assign_owner"), {"ids": [orphan.pk], "owner": supervisor.pk}
    )
    assert response.status_code == 302
    assert Customer.objects.get(pk=orphan.pk).owner_id == supervisor.pk


def test_sales_cannot_assign_owners_and_nothing_changes(client):
    sales = UserFactory(role_slug="sales")
    orphan = customer(owner=None)
    response = logged_in(client, sales).post(
        reverse("quality:assign_owner"), {"ids": [orphan.pk], "owner": sales.pk}
    )
    assert response.status_code == 403
    assert Customer.objects.get(pk=orphan.pk).owner_id is None


def test_duplicates_page_lists_groups_with_reasons_masked(client):
    supervisor = UserFactory(role_slug="supervisor")
    supervisor.role.permissions = [
        p for p in supervisor.role.permissions if p != "contact.view_details"
    ]
    supervisor.role.save()
    with_contact(owner=supervisor, contact={"phone": "+8613812345678"})
    with_contact(owner=supervisor, contact={"phone": "+8613812345678"})
    duplicates_refresh()
    response = logged_in(client, supervisor).get(reverse("quality:duplicates"))
    body = response.content.decode()
    assert len(response.context["groups"]) == 1
    assert "138****5678" in body
    assert "13812345678" not in body


def test_dismiss_from_the_page_removes_the_group(client):
    supervisor = UserFactory(role_slug="supervisor")
    with_contact(owner=supervisor, contact={"phone": "+8613812345678"})
    with_contact(owner=supervisor, contact={"phone": "+8613812345678"})
    duplicates_refresh()
    group = DuplicateGroup.objects.get()
    response = logged_in(client, supervisor).post(reverse("quality:dismiss", args=[group.pk]))
    assert response.status_code == 302
    assert not DuplicateGroup.objects.exists()


def test_sales_cannot_dismiss(client):
    sales = UserFactory(role_slug="sales")
    with_contact(owner=sales, contact={"phone": "+8613812345678"})
    with_contact(owner=sales, contact={"phone": "+8613812345678"})
    duplicates_refresh()
    group = DuplicateGroup.objects.get()
    assert (
        logged_in(client, sales).post(reverse("quality:dismiss", args=[group.pk])).status_code
        == 403
    )
    assert DuplicateGroup.objects.filter(pk=group.pk).exists()


def test_merge_page_shows_the_comparison(client):
    supervisor = UserFactory(role_slug="supervisor")
    a = customer(owner=supervisor, name="甲公司")
    b = customer(owner=supervisor, name="甲有限公司")
    response = logged_in(client, supervisor).get(reverse("quality:merge"), {"ids": [a.pk, b.pk]})
    assert response.status_code == 200
    name_row = next(r for r in response.context["rows"] if r.key == "name")
    assert [c.text for c in name_row.cells] == ["甲公司", "甲有限公司"]
    assert name_row.chosen == a.pk


def test_merge_page_merges_with_the_chosen_values_and_redirects_to_the_survivor(client):
    supervisor = UserFactory(role_slug="supervisor")
    a = customer(owner=supervisor, name="甲公司")
    b = customer(owner=supervisor, name="甲有限公司")
    response = logged_in(client, supervisor).post(
        reverse("quality:merge"),
        {"ids": [a.pk, b.pk], "survivor": b.pk, "choice-name": a.pk, f"version-{b.pk}": b.version},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[b.pk])
    assert Customer.objects.get().name == "甲公司"


def test_merge_page_shows_a_conflict_in_place_and_changes_nothing(client):
    supervisor = UserFactory(role_slug="supervisor")
    a, b = customer(owner=supervisor), customer(owner=supervisor)
    response = logged_in(client, supervisor).post(
        reverse("quality:merge"), {"ids": [a.pk, b.pk], f"version-{a.pk}": a.version + 5}
    )
    assert response.status_code == 409
    assert response.context["error"] is not None
    assert Customer.objects.count() == 2


def test_merge_page_with_a_customer_out_of_scope_is_404(client):
    supervisor = UserFactory(role_slug="supervisor")
    mine = customer(owner=supervisor)
    theirs = customer(owner=UserFactory(team=TeamFactory()))
    response = logged_in(client, supervisor).get(
        reverse("quality:merge"), {"ids": [mine.pk, theirs.pk]}
    )
    assert response.status_code == 404


def test_merge_page_is_refused_to_sales(client):
    sales = UserFactory(role_slug="sales")
    a, b = customer(owner=sales), customer(owner=sales)
    response = logged_in(client, sales).post(reverse("quality:merge"), {"ids": [a.pk, b.pk]})
    assert response.status_code == 403
    assert Customer.objects.count() == 2


def test_customer_duplicates_page_lists_live_candidates(client):
    supervisor = UserFactory(role_slug="supervisor")
    mine = with_contact(owner=supervisor, contact={"email": "x@example.com"})
    twin = with_contact(owner=supervisor, contact={"email": "x@example.com"})
    response = logged_in(client, supervisor).get(
        reverse("quality:customer_duplicates", args=[mine.pk])
    )
    assert [c.customer.pk for c in response.context["candidates"]] == [twin.pk]


def test_customer_page_links_to_its_possible_duplicates(client):
    supervisor = UserFactory(role_slug="supervisor")
    mine = customer(owner=supervisor)
    ContactFactory(customer=mine)
    response = logged_in(client, supervisor).get(reverse("customers:detail", args=[mine.pk]))
    assert reverse("quality:customer_duplicates", args=[mine.pk]) in response.content.decode()
    assert Contact.objects.count() == 1
