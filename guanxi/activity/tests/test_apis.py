import datetime as dt

import pytest

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.activity.serializers import masked_changes
from guanxi.api.tests.clients import api_client
from guanxi.core import clock
from guanxi.customers.services import contact_create, customer_create, customer_update

pytestmark = pytest.mark.django_db

URL = "/api/v1/activity/"


def _customer(owner, name="某公司", phone="13812345678"):
    return customer_create(actor=owner, data={"name": name, "phone": phone}, source="api")


def _customer_ids(response) -> set:
    return {row["customer"] for row in response.json()["results"]}


def test_anonymous_is_401():
    assert api_client().get(URL).status_code == 401


def test_sales_does_not_see_another_teams_rows():
    sales_a = UserFactory(role_slug="sales", team=TeamFactory())
    sales_b = UserFactory(role_slug="sales", team=TeamFactory())
    mine = _customer(sales_a, name="甲")
    theirs = _customer(sales_b, name="乙", phone="13912345678")
    customer_update(actor=sales_b, customer=theirs, data={"remarks": "乙的备注"})

    response = api_client(sales_a).get(URL)

    assert response.status_code == 200
    assert _customer_ids(response) == {mine.pk}
    assert _customer_ids(api_client(sales_b).get(URL)) == {theirs.pk}


def test_supervisor_sees_the_whole_team():
    team = TeamFactory()
    supervisor = UserFactory(role_slug="supervisor", team=team)
    first = _customer(UserFactory(role_slug="sales", team=team), name="甲")
    second = _customer(UserFactory(role_slug="sales", team=team), name="乙", phone="13912345678")
    _customer(UserFactory(role_slug="sales"), name="丙", phone="13712345678")
    assert _customer_ids(api_client(supervisor).get(URL)) == {first.pk, second.pk}


def test_filters_by_customer_verb_and_time():
    admin = UserFactory(role_slug="admin")
    with clock.frozen_at(dt.datetime(2024, 5, 1, 10, 0)):
        first = _customer(admin, name="甲")
    with clock.frozen_at(dt.datetime(2024, 6, 1, 10, 0)):
        second = _customer(admin, name="乙", phone="13912345678")
        customer_update(actor=admin, customer=second, data={"remarks": "改"}, source="api")
    client = api_client(admin)

    def ids(**params):
        return [row["id"] for row in client.get(URL, params).json()["results"]]

    created_second = ActivityEvent.objects.get(customer_id=second.pk, verb=Verb.CREATED)
    updated_second = ActivityEvent.objects.get(customer_id=second.pk, verb=Verb.UPDATED)
    created_first = ActivityEvent.objects.get(customer_id=first.pk)
    assert ids(customer=second.pk) == [updated_second.pk, created_second.pk]
    assert ids(verb="updated") == [updated_second.pk]
    assert ids(until="2024-05-15T00:00:00+08:00") == [created_first.pk]
    assert ids(since="2024-05-15T00:00:00+08:00", verb="created") == [created_second.pk]


def test_unknown_verb_is_a_field_error():
    response = api_client(UserFactory(role_slug="admin")).get(URL, {"verb": "exploded"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["verb"]


def test_phones_and_emails_in_changes_are_masked_for_finance():
    sales = UserFactory(role_slug="sales")
    customer_create(
        actor=sales, data={"name": "某公司", "phone": "13812345678", "email": "li@example.com"}
    )
    finance = UserFactory(role_slug="finance")

    masked = api_client(finance).get(URL).json()["results"][0]["changes"]
    full = api_client(sales).get(URL).json()["results"][0]["changes"]

    assert (masked["contact.phone"], masked["contact.email"]) == (
        [None, "138****5678"],
        [None, "l***@example.com"],
    )
    assert (full["contact.phone"], full["contact.email"]) == (
        [None, "+8613812345678"],
        [None, "li@example.com"],
    )
    assert masked["name"] == [None, "某公司"]


def test_an_unnamed_contacts_label_is_masked_for_finance():
    sales = UserFactory(role_slug="sales")
    customer = _customer(sales)
    contact_create(actor=sales, customer=customer, data={"phone": "13912345678"})
    finance = UserFactory(role_slug="finance")

    rows = api_client(finance).get(URL, {"verb": "created"}).json()["results"]
    contact_row = next(r for r in rows if r["target_type"] == "customers.contact")

    assert contact_row["target_repr"] == "139****5678"
    assert contact_row["changes"]["phone"] == [None, "139****5678"]


def test_masked_changes_leaves_other_fields_and_non_strings_alone():
    changes = {"phone_alt": ["+8613812345678", ""], "owner": [1, 2], "email": [None, "a@b.cn"]}
    assert masked_changes(changes) == {
        "phone_alt": ["138****5678", ""],
        "owner": [1, 2],
        "email": [None, "a***@b.cn"],
    }


def test_detail_out_of_scope_is_404():
    theirs = _customer(UserFactory(role_slug="sales"))
    event = ActivityEvent.objects.get(customer_id=theirs.pk)
    sales = UserFactory(role_slug="sales")
    assert api_client(sales).get(f"{URL}{event.pk}/").status_code == 404
    assert api_client(theirs.owner).get(f"{URL}{event.pk}/").status_code == 200
