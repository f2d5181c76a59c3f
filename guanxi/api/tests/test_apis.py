import re
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders

from guanxi.accounts.tests.factories import UserFactory
from guanxi.api.tests.clients import api_client
from guanxi.customers.models import Contact
from guanxi.customers.serializers import CustomerSerializer
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

SWAGGER_BUNDLE = "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"


def test_schema_is_served_as_openapi():
    response = api_client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/customers/", "/api/v1/customers/{id}/", "/api/v1/activity/"} <= set(
        schema["paths"]
    )
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"


def test_docs_page_renders_with_no_inline_script_under_our_csp():
    response = api_client().get("/api/docs/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    # Every script is a file from this site; the CSP needs no exception for this page.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert f"/static/{SWAGGER_BUNDLE}" in html
    assert "cdn" not in html.lower()


def test_docs_start_up_script_is_served_from_the_same_url():
    response = api_client().get("/api/docs/", {"script": ""})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in response.content.decode()


def test_swagger_ui_files_ship_with_the_app():
    assert finders.find(SWAGGER_BUNDLE) is not None


def test_api_root_needs_authentication():
    assert api_client().get("/api/v1/").status_code == 401
    assert api_client(UserFactory(role_slug="sales")).get("/api/v1/").status_code == 200


def test_customer_output_matches_its_documented_fields():
    # The serializer writes its output by hand for speed; the schema comes from its fields.
    customer = CustomerFactory()
    ContactFactory(customer=customer)
    data = CustomerSerializer(customer, context={}).data
    assert list(data) == list(CustomerSerializer().fields)


def test_pagination_over_a_multi_column_order_returns_each_row_once():
    # Contacts are ordered by customer, primary first, then id: three columns of cursor.
    admin = UserFactory(role_slug="admin")
    for _ in range(3):
        customer = CustomerFactory()
        ContactFactory(customer=customer, is_primary=False)
        ContactFactory(customer=customer, is_primary=True)
    client = api_client(admin)

    seen, url = [], "/api/v1/contacts/?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = None
        if body["next"]:
            parts = urlsplit(body["next"])
            url = f"{parts.path}?{parts.query}"

    expected = list(
        Contact.objects.order_by("customer_id", "-is_primary", "id").values_list("pk", flat=True)
    )
    assert seen == expected


def test_a_cursor_from_another_sort_is_refused():
    admin = UserFactory(role_slug="admin")
    for _ in range(3):
        CustomerFactory()
    client = api_client(admin)
    next_link = client.get("/api/v1/customers/", {"page_size": 1}).json()["next"]
    cursor = dict(p.split("=", 1) for p in urlsplit(next_link).query.split("&"))["cursor"]

    response = client.get("/api/v1/customers/", {"cursor": cursor, "sort": "name"})

    assert response.status_code == 404


def test_options_is_not_offered_the_schema_describes_the_api():
    client = api_client(UserFactory(role_slug="sales"))
    assert client.options("/api/v1/customers/upsert/").status_code == 405
