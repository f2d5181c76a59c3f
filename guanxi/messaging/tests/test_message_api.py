"""/api/v1/messages/: scoped list and detail, sending with idempotency, retry, cancel, errors."""

import pytest
from rest_framework.test import APIClient

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent
from guanxi.messaging.models import Message, MessageEvent
from guanxi.messaging.tests.test_outbox_selectors import (
    NOON,
    _noon,  # noqa: F401  (autouse fixture: a fixed clock at noon)
    customer_with_contact,
    queued,
    template,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/messages/"


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# --- list and detail -------------------------------------------------------------------


def test_list_is_scoped_newest_first_and_filtered():
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales)
    email = queued(customer)
    sms = queued(customer, channel="sms")
    queued(customer_with_contact())
    client = api(sales)
    assert [r["id"] for r in client.get(URL).json()["results"]] == [sms.pk, email.pk]
    assert [r["id"] for r in client.get(URL, {"channel": "email"}).json()["results"]] == [email.pk]
    assert [r["id"] for r in client.get(URL, {"customer": customer.pk}).json()["results"]] == [
        sms.pk,
        email.pk,
    ]
    assert client.get(URL, {"status": "failed"}).json()["results"] == []
    assert client.get(URL, {"category": "marketing"}).json()["results"] == []


def test_list_pages_with_a_cursor():
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales)
    tmpl = template("sms")
    ids = [queued(customer, channel="sms", tmpl=tmpl).pk for _ in range(3)]
    client = api(sales)
    first = client.get(URL, {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    assert [r["id"] for r in first["results"] + second["results"]] == list(reversed(ids))
    assert second["next"] is None


def test_a_bad_filter_is_a_400_with_errors():
    response = api(UserFactory(role_slug="sales")).get(URL, {"status": "nope"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]


def test_anonymous_is_refused():
    assert api().get(URL).status_code in (401, 403)


def test_detail_has_events_template_and_masked_recipient():
    customer = customer_with_contact(email="wang@example.com")
    tmpl = template("email")
    message = queued(customer, tmpl=tmpl)
    MessageEvent.objects.create(message=message, kind="opened", occurred_at=NOON)
    data = api(UserFactory(role_slug="marketing")).get(f"{URL}{message.pk}/").json()
    assert data["recipient"] == "w***@example.com"
    assert data["template"] == {"id": tmpl.pk, "key": tmpl.key, "name": tmpl.name, "version": 1}
    assert [e["kind"] for e in data["events"]] == ["opened"]
    assert data["status"] == "queued"


def test_detail_outside_scope_is_404():
    message = queued(customer_with_contact())
    response = api(UserFactory(role_slug="sales")).get(f"{URL}{message.pk}/")
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}


# --- send ----------------------------------------------------------------------------


def test_send_by_template_key_queues_201():
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales, name="王芳")
    tmpl = template("sms")
    body = {"channel": "sms", "customer": customer.pk, "template": tmpl.key,
            "params": {"coupon_code": "VIP88"}}  # fmt: skip
    response = api(sales).post(URL, body, format="json")
    assert response.status_code == 201
    data = response.json()
    message = Message.objects.get()
    assert data["id"] == message.pk
    assert data["body_text"] == "王芳您好，优惠码VIP88，回T退订"
    assert (message.source, message.created_by) == ("api", sales)


def test_send_renders_the_provider_template_with_the_given_params():
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales, name="王芳")
    tmpl = template(
        "sms", text_body="{{ contact.salutation }}您好，优惠码{{ coupon_code }}，回T退订",
        provider_template_code="SMS_465850123",
        provider_params=[["name", "{{ contact.salutation }}"], ["code", "{{ coupon_code }}"]],
    )  # fmt: skip
    body = {"channel": "sms", "customer": customer.pk, "template": tmpl.key,
            "params": {"coupon_code": "VIP88"}}  # fmt: skip
    data = api(sales).post(URL, body, format="json").json()
    assert data["provider_template"] == {
        "code": "SMS_465850123", "params": [["name", "王芳"], ["code", "VIP88"]],
    }  # fmt: skip
    assert Message.objects.get().provider_template == data["provider_template"]
    plain = queued(customer, channel="sms")
    assert api(sales).get(f"{URL}{plain.pk}/").json()["provider_template"] is None


def test_send_by_template_id_with_an_explicit_recipient():
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales)
    tmpl = template("email")
    body = {"channel": "email", "customer": customer.pk, "template": str(tmpl.pk),
            "recipient": "Boss@Example.com"}  # fmt: skip
    assert api(sales).post(URL, body, format="json").status_code == 201
    assert Message.objects.get().recipient == "boss@example.com"


def test_the_same_idempotency_key_returns_the_same_message_with_200():
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales)
    tmpl = template("sms")
    body = {
        "channel": "sms",
        "customer": customer.pk,
        "template": tmpl.key,
        "idempotency_key": "order-7",
    }
    client = api(sales)
    first = client.post(URL, body, format="json")
    again = client.post(URL, body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Message.objects.count() == 1


def test_idempotency_keys_are_per_caller():
    one, two = UserFactory(role_slug="admin"), UserFactory(role_slug="admin")
    customer = customer_with_contact()
    tmpl = template("sms")
    body = {"channel": "sms", "customer": customer.pk, "template": tmpl.key, "idempotency_key": "k"}
    assert api(one).post(URL, body, format="json").status_code == 201
    assert api(two).post(URL, body, format="json").status_code == 201
    assert Message.objects.count() == 2


def test_a_key_whose_message_went_out_of_scope_is_a_409():
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales)
    tmpl = template("sms")
    body = {"channel": "sms", "customer": customer.pk, "template": tmpl.key, "idempotency_key": "k"}
    api(sales).post(URL, body, format="json")
    customer.owner = UserFactory(role_slug="sales")
    customer.save()
    response = api(sales).post(URL, body, format="json")
    assert response.status_code == 409
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"channel": "fax"}, 400, "channel"),
        ({"template": "missing"}, 400, "template"),
        ({"template": "OTHER"}, 400, "template"),
        ({"customer": 999999}, 404, None),
    ],
)
def test_send_errors(body, status, field):
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales)
    sms = template("sms")
    other = template("email")
    payload = {"channel": "sms", "customer": customer.pk, "template": sms.key, **body}
    if payload["template"] == "OTHER":
        payload["template"] = other.key
    response = api(sales).post(URL, payload, format="json")
    assert response.status_code == status
    data = response.json()
    assert set(data) == {"detail", "errors"}
    if field:
        assert list(data["errors"]) == [field]
    assert Message.objects.count() == 0


def test_send_to_a_customer_without_a_number_is_a_400():
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales, phone="")
    tmpl = template("sms")
    response = api(sales).post(
        URL, {"channel": "sms", "customer": customer.pk, "template": tmpl.key}, format="json"
    )
    assert response.status_code == 400
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", (401, 403)),
        ("no permission", (403,)),
        ("out of scope", (404,)),
        ("allowed", (201,)),
    ],
)
def test_send_permission_matrix(who, expected):
    owner = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=owner)
    tmpl = template("sms")
    users = {
        "anonymous": None,
        "no permission": UserFactory(role_slug="marketing"),
        "out of scope": UserFactory(role_slug="sales"),
        "allowed": owner,
    }
    events = ActivityEvent.objects.count()
    response = api(users[who]).post(
        URL, {"channel": "sms", "customer": customer.pk, "template": tmpl.key}, format="json"
    )
    assert response.status_code in expected
    assert Message.objects.count() == (1 if who == "allowed" else 0)
    assert ActivityEvent.objects.count() == events + (1 if who == "allowed" else 0)


# --- retry and cancel -------------------------------------------------------------------


def test_retry_a_failed_message_and_409_for_a_queued_one():
    sales = UserFactory(role_slug="sales")
    message = queued(customer_with_contact(owner=sales))
    client = api(sales)
    response = client.post(f"{URL}{message.pk}/retry/")
    assert response.status_code == 409
    assert set(response.json()) == {"detail", "errors"}
    Message.objects.filter(pk=message.pk).update(status="failed", reason="SMTP 550")
    response = client.post(f"{URL}{message.pk}/retry/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason"]) == ("queued", "")


def test_cancel_a_queued_message_and_409_once_cancelled():
    sales = UserFactory(role_slug="sales")
    message = queued(customer_with_contact(owner=sales))
    client = api(sales)
    assert client.post(f"{URL}{message.pk}/cancel/").json()["status"] == "cancelled"
    assert client.post(f"{URL}{message.pk}/cancel/").status_code == 409


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", (401, 403)),
        ("no permission", (403,)),
        ("out of scope", (404,)),
        ("allowed", (200,)),
    ],
)
def test_cancel_permission_matrix(who, expected):
    owner = UserFactory(role_slug="sales")
    message = queued(customer_with_contact(owner=owner))
    users = {
        "anonymous": None,
        "no permission": UserFactory(role_slug="finance"),
        "out of scope": UserFactory(role_slug="sales"),
        "allowed": owner,
    }
    response = api(users[who]).post(f"{URL}{message.pk}/cancel/")
    assert response.status_code in expected
    message.refresh_from_db()
    assert message.status == ("cancelled" if who == "allowed" else "queued")


def test_the_schema_describes_the_endpoints():
    response = api(UserFactory(role_slug="admin")).get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    assert set(paths["/api/v1/messages/"]) == {"get", "post"}
    assert "post" in paths["/api/v1/messages/{id}/retry/"]
    assert "post" in paths["/api/v1/messages/{id}/cancel/"]
