"""/api/v1/duplicates/ and /api/v1/merges/: statuses, scope, masking, upserts after a merge."""

import pytest

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.api.tests.clients import api_client, token_client
from guanxi.customers.models import Customer
from guanxi.quality.models import DuplicateGroup
from guanxi.quality.services import duplicates_refresh
from guanxi.quality.tests.factories import customer, with_contact

pytestmark = pytest.mark.django_db

MERGES = "/api/v1/merges/"
DUPLICATES = "/api/v1/duplicates/"


def _group(owner):
    a = with_contact(owner=owner, contact={"phone": "+8613812345678"})
    b = with_contact(owner=owner, contact={"phone": "+8613812345678"})
    duplicates_refresh()
    return a, b, DuplicateGroup.objects.get()


def test_list_duplicates_with_score_and_reasons():
    supervisor = UserFactory(role_slug="supervisor")
    a, b, group = _group(supervisor)
    response = token_client(supervisor).get(DUPLICATES)
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == group.pk
    assert [c["id"] for c in row["customers"]] == [a.pk, b.pk]
    assert {"kind": "phone", "value": "+8613812345678"} in row["reasons"]


def test_duplicate_reasons_are_masked_without_contact_details():
    finance = UserFactory(role_slug="finance")
    _group(UserFactory(role_slug="sales"))
    [row] = api_client(finance).get(DUPLICATES).json()["results"]
    assert {"kind": "phone", "value": "138****5678"} in row["reasons"]


def test_duplicates_are_scoped():
    _group(UserFactory(role_slug="sales"))
    other = UserFactory(role_slug="sales")
    assert api_client(other).get(DUPLICATES).json()["results"] == []


def test_duplicates_need_authentication():
    assert api_client().get(DUPLICATES).status_code == 401


def test_dismiss_answers_204_and_the_group_is_gone():
    supervisor = UserFactory(role_slug="supervisor")
    _a, _b, group = _group(supervisor)
    response = api_client(supervisor).post(f"{DUPLICATES}{group.pk}/dismiss/")
    assert response.status_code == 204
    assert api_client(supervisor).get(f"{DUPLICATES}{group.pk}/").status_code == 404


def test_dismiss_is_403_for_sales_and_nothing_changes():
    sales = UserFactory(role_slug="sales")
    _a, _b, group = _group(sales)
    assert api_client(sales).post(f"{DUPLICATES}{group.pk}/dismiss/").status_code == 403
    assert DuplicateGroup.objects.filter(pk=group.pk).exists()


def test_refresh_is_accepted():
    supervisor = UserFactory(role_slug="supervisor")
    response = api_client(supervisor).post(f"{DUPLICATES}refresh/")
    assert response.status_code == 202


def test_merge_returns_the_survivor():
    supervisor = UserFactory(role_slug="supervisor")
    a, b = customer(owner=supervisor, name="甲"), customer(owner=supervisor, name="乙")
    response = token_client(supervisor).post(
        MERGES,
        {"survivor": a.pk, "others": [b.pk], "field_choices": {"name": b.pk}, "version": a.version},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["name"]) == (a.pk, "乙")
    assert list(Customer.objects.values_list("pk", flat=True)) == [a.pk]


def test_merge_bad_choice_is_400_with_errors():
    supervisor = UserFactory(role_slug="supervisor")
    a, b = customer(owner=supervisor), customer(owner=supervisor)
    response = api_client(supervisor).post(
        MERGES,
        {"survivor": a.pk, "others": [b.pk], "field_choices": {"name": 999999}},
        format="json",
    )
    assert response.status_code == 400
    assert "field_choices.name" in response.json()["errors"]
    assert Customer.objects.count() == 2


def test_merge_stale_version_is_409():
    supervisor = UserFactory(role_slug="supervisor")
    a, b = customer(owner=supervisor), customer(owner=supervisor)
    response = api_client(supervisor).post(
        MERGES, {"survivor": a.pk, "others": [b.pk], "version": a.version + 1}, format="json"
    )
    assert response.status_code == 409
    assert Customer.objects.count() == 2


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("sales", 403), ("finance", 403), ("other_supervisor", 404)],
)
def test_merge_authorization_matrix(who, status):
    supervisor = UserFactory(role_slug="supervisor")
    a, b = customer(owner=supervisor), customer(owner=supervisor)
    people = {
        "anonymous": None,
        "sales": UserFactory(role_slug="sales", team=supervisor.team),
        "finance": UserFactory(role_slug="finance"),
        "other_supervisor": UserFactory(role_slug="supervisor", team=TeamFactory()),
    }
    response = api_client(people[who]).post(
        MERGES, {"survivor": a.pk, "others": [b.pk]}, format="json"
    )
    assert response.status_code == status
    assert Customer.objects.count() == 2


def test_upsert_with_a_merged_away_external_id_updates_the_survivor():
    admin = UserFactory(role_slug="admin")
    a = customer(owner=admin, external_source="erp", external_id="E-1")
    b = customer(owner=admin, external_source="erp", external_id="E-2")
    api_client(admin).post(MERGES, {"survivor": a.pk, "others": [b.pk]}, format="json")
    response = api_client(admin).post(
        "/api/v1/customers/upsert/",
        {"external_source": "erp", "external_id": "E-2", "name": "新名称", "remarks": "同步"},
        format="json",
    )
    assert response.status_code == 200
    survivor = Customer.objects.get()
    assert (survivor.pk, survivor.remarks, survivor.external_id) == (a.pk, "同步", "E-1")


def test_schema_documents_the_endpoints():
    body = api_client().get("/api/schema/").content.decode()
    assert "/api/v1/merges/" in body
    assert "/api/v1/duplicates/{id}/dismiss/" in body
