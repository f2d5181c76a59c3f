"""The outbox pages: list with filters and counts, detail as sent, retry / cancel, .eml."""

import email

import pytest
from django.urls import reverse

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent
from guanxi.messaging.models import Message, MessageEvent, MessageStatus
from guanxi.messaging.tests.test_outbox_selectors import (
    NOON,
    _noon,  # noqa: F401  (autouse fixture: a fixed clock at noon)
    customer_with_contact,
    queued,
    template,
)

pytestmark = pytest.mark.django_db

LIST = reverse("outbox:list")


def login(client, user):
    client.force_login(user)
    return client


def fail(message, reason="SMTP 550 mailbox unavailable"):
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED, reason=reason)
    message.refresh_from_db()
    return message


# --- list ---------------------------------------------------------------------------


def test_anonymous_is_sent_to_login():
    from django.test import Client

    response = Client().get(LIST)
    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]


def test_list_shows_own_customers_messages_with_counts(client):
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales, email="wang@example.com")
    first = queued(customer)
    second = fail(queued(customer))
    queued(customer_with_contact())  # someone else's
    response = login(client, sales).get(LIST)
    assert response.status_code == 200
    assert [m.pk for m in response.context["page"]] == [second.pk, first.pk]
    assert response.context["total"] == 2
    counts = {value: n for value, _label, n in response.context["statuses"]}
    assert (counts["queued"], counts["failed"], counts["sent"]) == (1, 1, 0)
    assert "wang@example.com" in response.content.decode()


def test_list_filters_by_status_channel_category_and_search(client):
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales)
    email_message = queued(customer)
    sms = fail(queued(customer, channel="sms"))
    login(client, sales)
    assert [m.pk for m in client.get(LIST, {"status": "failed"}).context["page"]] == [sms.pk]
    assert [m.pk for m in client.get(LIST, {"channel": "email"}).context["page"]] == [
        email_message.pk
    ]
    assert list(client.get(LIST, {"category": "marketing"}).context["page"]) == []
    assert [m.pk for m in client.get(LIST, {"q": "方案"}).context["page"]] == [email_message.pk]


def test_an_invalid_filter_value_is_ignored(client):
    sales = UserFactory(role_slug="sales")
    message = queued(customer_with_contact(owner=sales))
    response = login(client, sales).get(LIST, {"status": "nonsense"})
    assert response.status_code == 200
    assert [m.pk for m in response.context["page"]] == [message.pk]


def test_list_masks_recipients_for_viewers_without_contact_details(client):
    customer = customer_with_contact(email="wang@example.com")
    message = queued(customer)
    response = login(client, UserFactory(role_slug="marketing")).get(LIST)
    body = response.content.decode()
    assert [m.pk for m in response.context["page"]] == [message.pk]
    assert "w***@example.com" in body
    assert "wang@example.com" not in body


def test_list_is_paginated_by_50(client):
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales)
    tmpl = template("email")
    for _ in range(51):
        queued(customer, tmpl=tmpl)
    login(client, sales)
    assert len(client.get(LIST).context["page"].object_list) == 50
    assert len(client.get(LIST, {"page": 2}).context["page"].object_list) == 1


def test_without_email_and_sms_urls_the_page_says_messages_stay_in_the_outbox(client, settings):
    settings.GUANXI_EMAIL_URL = ""
    settings.GUANXI_SMS_URL = ""
    notes = login(client, UserFactory(role_slug="sales")).get(LIST).context["notes"]
    assert len(notes) == 2
    assert all("GUANXI_" in note for note in notes)


def test_with_servers_configured_there_is_no_note(client, settings):
    settings.GUANXI_EMAIL_URL = "smtp://mail.example.com:587"
    settings.GUANXI_SMS_URL = "https://sms.example.com/send"
    assert login(client, UserFactory(role_slug="admin")).get(LIST).context["notes"] == []


# --- detail -------------------------------------------------------------------------


def test_detail_shows_the_message_as_sent_with_events(client):
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales, name="王芳")
    tmpl = template(
        "email",
        subject="{{ customer.name }} 方案",
        html_body='<p>{{ contact.salutation }}您好 <a href="https://example.com/plan">方案</a></p>',
    )
    message = queued(customer, tmpl=tmpl)
    MessageEvent.objects.create(
        message=message, kind="clicked", url="https://example.com/plan", occurred_at=NOON
    )
    MessageEvent.objects.create(
        message=message, kind="replied", detail="好的，请来电", occurred_at=NOON
    )
    response = login(client, sales).get(reverse("outbox:detail", args=[message.pk]))
    assert response.status_code == 200
    assert response.context["template"] == tmpl
    assert response.context["version"].number == 1
    assert [e.kind for e in response.context["events"]] == ["replied", "clicked"]
    html = response.context["html"]
    # Looking at the message is not an open or a click by the customer.
    assert "/m/" not in html and "https://example.com/plan" in html
    body = response.content.decode()
    assert 'sandbox=""' in body and "srcdoc=" in body
    assert "好的，请来电" in body


def test_detail_of_an_sms_counts_segments(client):
    sales = UserFactory(role_slug="sales")
    message = queued(customer_with_contact(owner=sales), channel="sms")
    response = login(client, sales).get(reverse("outbox:detail", args=[message.pk]))
    assert response.context["segments"] == 1
    assert response.context["html"] == ""


def test_detail_of_an_sms_shows_its_provider_template(client):
    sales = UserFactory(role_slug="sales")
    tmpl = template(
        "sms", text_body="{{ contact.salutation }}您好",
        provider_template_code="SMS_465850123",
        provider_params=[["name", "{{ contact.salutation }}"]],
    )  # fmt: skip
    message = queued(customer_with_contact(owner=sales, name="王芳"), channel="sms", tmpl=tmpl)
    body = login(client, sales).get(reverse("outbox:detail", args=[message.pk])).content.decode()
    assert "SMS_465850123" in body
    assert '<span class="font-monospace">name</span> = 王芳' in body


def test_detail_outside_scope_is_404(client):
    message = queued(customer_with_contact())
    response = login(client, UserFactory(role_slug="sales")).get(
        reverse("outbox:detail", args=[message.pk])
    )
    assert response.status_code == 404


def test_detail_masks_the_recipient(client):
    message = queued(customer_with_contact(email="wang@example.com"))
    response = login(client, UserFactory(role_slug="marketing")).get(
        reverse("outbox:detail", args=[message.pk])
    )
    assert response.context["recipient"] == "w***@example.com"
    assert response.context["can_download"] is False


# --- retry and cancel ------------------------------------------------------------------


def test_send_again_requeues_a_failed_message(client):
    sales = UserFactory(role_slug="sales")
    message = fail(queued(customer_with_contact(owner=sales)))
    response = login(client, sales).post(reverse("outbox:retry", args=[message.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("outbox:detail", args=[message.pk])
    message.refresh_from_db()
    assert (message.status, message.reason) == ("queued", "")


def test_send_again_of_a_queued_message_is_refused_with_a_message(client):
    sales = UserFactory(role_slug="sales")
    message = queued(customer_with_contact(owner=sales))
    response = login(client, sales).post(reverse("outbox:retry", args=[message.pk]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    message.refresh_from_db()
    assert message.status == "queued"


def test_cancel_stops_a_queued_message(client):
    sales = UserFactory(role_slug="sales")
    message = queued(customer_with_contact(owner=sales))
    login(client, sales).post(reverse("outbox:cancel", args=[message.pk]))
    message.refresh_from_db()
    assert message.status == "cancelled"


def test_retry_and_cancel_need_post(client):
    sales = UserFactory(role_slug="sales")
    message = queued(customer_with_contact(owner=sales))
    login(client, sales)
    assert client.get(reverse("outbox:cancel", args=[message.pk])).status_code == 405
    assert client.get(reverse("outbox:retry", args=[message.pk])).status_code == 405


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("no permission", 403), ("out of scope", 404), ("allowed", 302)],
)
def test_cancel_permission_matrix(client, who, expected):
    owner = UserFactory(role_slug="sales")
    message = queued(customer_with_contact(owner=owner))
    events = ActivityEvent.objects.count()
    users = {
        "no permission": UserFactory(role_slug="marketing"),  # sees it, may not act
        "out of scope": UserFactory(role_slug="sales"),
        "allowed": owner,
    }
    if who in users:
        client.force_login(users[who])
    response = client.post(reverse("outbox:cancel", args=[message.pk]))
    assert response.status_code == expected
    message.refresh_from_db()
    if who == "allowed":
        assert message.status == "cancelled"
        assert ActivityEvent.objects.count() == events + 1
    else:
        assert message.status == "queued"
        assert ActivityEvent.objects.count() == events


# --- .eml -----------------------------------------------------------------------------


def test_eml_download_is_the_email_as_sent(client):
    sales = UserFactory(role_slug="sales")
    message = queued(customer_with_contact(owner=sales, email="wang@example.com"))
    response = login(client, sales).get(reverse("outbox:eml", args=[message.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="message-{message.pk}.eml"'
    parsed = email.message_from_bytes(response.content)
    assert parsed["To"] == "wang@example.com"
    assert message.token in parsed["Message-ID"]


def test_eml_needs_contact_details_permission(client):
    message = queued(customer_with_contact())
    response = login(client, UserFactory(role_slug="marketing")).get(
        reverse("outbox:eml", args=[message.pk])
    )
    assert response.status_code == 403


def test_eml_of_an_sms_is_404(client):
    sales = UserFactory(role_slug="sales")
    message = queued(customer_with_contact(owner=sales), channel="sms")
    assert login(client, sales).get(reverse("outbox:eml", args=[message.pk])).status_code == 404
