"""/api/v1/exports/: start, follow, download; only the owner; the permission first."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.models import Intent
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.exports.models import ExportJob
from guanxi.exports.tests.helpers import csv_rows

pytestmark = pytest.mark.django_db
LIST = "/api/v1/exports/"


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_post_exports_the_filter_and_answers_201_when_ready():
    admin = UserFactory(role_slug="admin")
    high = CustomerFactory(intent=Intent.HIGH)
    CustomerFactory(intent=Intent.LOW)
    response = api(admin).post(LIST, {"entity": "customers", "format": "csv",
                                      "fields": ["code"], "filter": "intent=high"}, format="json")  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["row_count"], body["description"]) == ("done", 1, "意向等级: 高")
    file = api(admin).get(body["download_url"])
    assert csv_rows(b"".join(file.streaming_content)) == [["编码"], [high.code]]


def test_post_without_fields_uses_the_default_set():
    response = api(UserFactory(role_slug="admin")).post(LIST, {"entity": "contacts"}, format="json")
    assert response.json()["fields"] == ["customer_code", "customer_name", "name", "title",
                                         "phone", "email", "wechat", "decision_role", "is_primary"]  # fmt: skip


def test_a_large_export_answers_202_with_progress(settings):
    settings.GUANXI_EXPORT_INLINE_ROWS = 0
    CustomerFactory()
    response = api(UserFactory(role_slug="admin")).post(
        LIST, {"entity": "customers"}, format="json"
    )
    # The test settings run tasks at once; in production the job is still waiting here.
    assert response.status_code == 202 or response.json()["status"] == "done"


def test_unknown_fields_are_a_400_on_the_field():
    response = api(UserFactory(role_slug="admin")).post(
        LIST, {"entity": "customers", "fields": ["code", "secret"]}, format="json"
    )
    assert response.status_code == 400
    assert "secret" in response.json()["errors"]["fields"][0]


@pytest.mark.parametrize(("user", "code"), [(None, 401), ("sales", 403)])
def test_post_is_refused_and_nothing_is_created(user, code):
    client = api(UserFactory(role_slug=user) if user else None)
    assert client.post(LIST, {"entity": "customers"}, format="json").status_code == code
    assert ExportJob.objects.count() == 0


def test_finance_gets_masked_phones_through_the_api():
    finance = UserFactory(role_slug="finance")
    ContactFactory(phone="+8613812348000")
    body = api(finance).post(LIST, {"entity": "customers", "format": "csv", "fields": ["phone"]},
                             format="json").json()  # fmt: skip
    file = api(finance).get(body["download_url"])
    assert csv_rows(b"".join(file.streaming_content))[1] == ["138****8000"]


def test_list_and_detail_show_only_my_exports():
    admin, other = UserFactory(role_slug="admin"), UserFactory(role_slug="admin")
    mine = api(admin).post(LIST, {"entity": "tasks"}, format="json").json()
    theirs = api(other).post(LIST, {"entity": "tasks"}, format="json").json()
    assert [j["id"] for j in api(admin).get(LIST).json()["results"]] == [mine["id"]]
    assert api(admin).get(f"{LIST}{theirs['id']}/").status_code == 404
    assert api(admin).get(f"{LIST}{theirs['id']}/download/").status_code == 404


def test_fields_lists_every_column_with_its_label():
    rows = api(UserFactory(role_slug="admin")).get(f"{LIST}fields/").json()
    assert {"entity": "customers", "key": "phone", "label": "电话", "default": True} in rows


def test_the_schema_describes_the_export_endpoints():
    schema = api().get(reverse("api:schema"), {"format": "json"}).content.decode()
    assert "/api/v1/exports/{id}/download/" in schema
