"""The public tracking addresses: open pixel, signed click redirects, unsubscribe (page,
button, RFC 8058 one-click). A bad signature is a 404 that records nothing."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from guanxi.activity.models import ActivityEvent
from guanxi.core import clock
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.messaging import pacing, tokens
from guanxi.messaging.models import (
    Category,
    MessageEvent,
    MessageStatus,
    Notification,
    Suppression,
    SuppressionReason,
)
from guanxi.messaging.sending import Content, message_queue

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PLAN = "https://example.com/plan"
PRICES = "https://example.com/prices?a=1&b=2"


@pytest.fixture(autouse=True)
def _noon(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOON)


def email(*, category=Category.MARKETING, customer=None, address="wang@example.com"):
    if customer is None:
        customer = CustomerFactory(name="华兴科技")
        ContactFactory(customer=customer, email=address)
    html = f'<p>您好</p><a href="{PLAN}">方案</a> <a href="{PRICES}">价格</a>'
    return message_queue(
        actor=None,
        channel="email",
        customer=customer,
        content=Content(subject="新品方案", html=html),
        category=category,
    )


def open_path(message, sig=None):
    sig = sig or tokens.signature(message.token, "open")
    return reverse("messaging_public:open", args=[message.token, sig])


def click_path(message, index, sig=None):
    sig = sig or tokens.signature(message.token, "click", index)
    return reverse("messaging_public:click", args=[message.token, index, sig])


def unsubscribe_path(message, sig=None):
    sig = sig or tokens.signature(message.token, "unsubscribe")
    return reverse("messaging_public:unsubscribe", args=[message.token, sig])


def owner_notes(message, kind):
    return Notification.objects.filter(user=message.customer.owner, kind=kind).count()


# --- open pixel -------------------------------------------------------------------------


def test_first_open_stamps_tags_and_notifies_the_owner(client):
    message = email()
    response = client.get(open_path(message))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    message.refresh_from_db()
    assert message.opened_at == NOON
    assert MessageEvent.objects.filter(message=message, kind="opened").count() == 1
    assert list(message.customer.tags.values_list("name", flat=True)) == ["感兴趣"]
    assert owner_notes(message, "message_opened") == 1


def test_second_open_adds_an_event_but_no_second_notification(client, monkeypatch):
    message = email()
    client.get(open_path(message))
    monkeypatch.setattr(clock, "now", lambda: NOON + dt.timedelta(hours=1))
    client.get(open_path(message))
    message.refresh_from_db()
    assert MessageEvent.objects.filter(message=message, kind="opened").count() == 2
    assert message.opened_at == NOON
    assert owner_notes(message, "message_opened") == 1


def test_open_uses_the_configured_interested_tag(client):
    row = pacing.current_settings()
    row.interested_tag = "热线索"
    row.save()
    message = email()
    client.get(open_path(message))
    assert list(message.customer.tags.values_list("name", flat=True)) == ["热线索"]


def test_tampered_pixel_is_404_and_records_nothing(client):
    message = email()
    assert client.get(open_path(message, sig="0" * 16)).status_code == 404
    other = tokens.signature(message.token, "unsubscribe")  # valid, but for another purpose
    assert client.get(open_path(message, sig=other)).status_code == 404
    message.refresh_from_db()
    assert message.opened_at is None
    assert MessageEvent.objects.count() == 0
    assert message.customer.tags.count() == 0


def test_pixel_of_an_unknown_token_is_404(client):
    token = "f" * 32
    path = reverse("messaging_public:open", args=[token, tokens.signature(token, "open")])
    assert client.get(path).status_code == 404


# --- clicks -----------------------------------------------------------------------------


def test_message_links_are_the_tracked_targets():
    assert email().links == [PLAN, PRICES]


def test_click_redirects_to_the_stored_link_and_implies_an_open(client):
    message = email()
    response = client.get(click_path(message, 1))
    assert response.status_code == 302
    assert response["Location"] == PRICES
    message.refresh_from_db()
    assert message.clicked_at == NOON
    assert message.opened_at == NOON
    kinds = sorted(MessageEvent.objects.filter(message=message).values_list("kind", "url"))
    assert kinds == [("clicked", PRICES), ("opened", "")]
    assert owner_notes(message, "message_clicked") == 1
    assert owner_notes(message, "message_opened") == 1


def test_click_after_an_open_does_not_add_another_open(client):
    message = email()
    client.get(open_path(message))
    client.get(click_path(message, 0))
    assert MessageEvent.objects.filter(message=message, kind="opened").count() == 1
    assert MessageEvent.objects.filter(message=message, kind="clicked").count() == 1


def test_index_out_of_range_is_404_and_records_nothing(client):
    message = email()
    assert client.get(click_path(message, 2)).status_code == 404
    message.refresh_from_db()
    assert message.clicked_at is None and message.opened_at is None
    assert MessageEvent.objects.count() == 0


def test_tampered_click_is_404_and_records_nothing(client):
    message = email()
    # The signature of link 0 does not open link 1: no way to reach another address.
    link0_sig = tokens.signature(message.token, "click", 0)
    assert client.get(click_path(message, 1, sig=link0_sig)).status_code == 404
    assert client.get(click_path(message, 0, sig="a" * 16)).status_code == 404
    message.refresh_from_db()
    assert message.clicked_at is None
    assert MessageEvent.objects.count() == 0


# --- unsubscribe ------------------------------------------------------------------------


def test_unsubscribe_get_shows_a_page_and_does_not_unsubscribe(client):
    message = email()
    response = client.get(unsubscribe_path(message))
    assert response.status_code == 200
    assert response.context["done"] is False
    assert message.recipient in response.content.decode()
    assert Suppression.objects.count() == 0
    assert MessageEvent.objects.count() == 0


def test_unsubscribe_post_suppresses_marketing_but_not_transactional(client):
    message = email()
    audit_before = ActivityEvent.objects.count()
    response = client.post(unsubscribe_path(message))
    assert response.status_code == 200
    assert response.context["done"] is True
    row = Suppression.objects.get(channel="email", address="wang@example.com")
    assert row.reason == SuppressionReason.UNSUBSCRIBED
    assert row.customer_id == message.customer_id
    assert MessageEvent.objects.filter(message=message, kind="unsubscribed").count() == 1
    audit = ActivityEvent.objects.filter(target_type="messaging.suppression").get()
    assert audit.target_id == row.pk and audit.customer_id == message.customer_id
    assert ActivityEvent.objects.count() == audit_before + 1
    marketing = email(customer=message.customer)
    transactional = email(customer=message.customer, category=Category.TRANSACTIONAL)
    assert marketing.status == MessageStatus.SKIPPED
    assert marketing.reason
    assert transactional.status == MessageStatus.QUEUED


def test_unsubscribe_page_shows_done_when_already_unsubscribed(client):
    message = email()
    client.post(unsubscribe_path(message))
    assert client.get(unsubscribe_path(message)).context["done"] is True
    client.post(unsubscribe_path(message))
    assert Suppression.objects.count() == 1
    assert MessageEvent.objects.filter(kind="unsubscribed").count() == 1


def test_one_click_post_needs_no_csrf_token():
    message = email()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        unsubscribe_path(message),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response.content == b""
    assert Suppression.objects.filter(channel="email", address="wang@example.com").exists()


def test_tampered_unsubscribe_is_404_and_changes_nothing(client):
    message = email()
    response = client.post(
        unsubscribe_path(message, sig=tokens.signature(message.token, "open")),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 404
    assert Suppression.objects.count() == 0


def test_owner_without_a_language_is_notified_in_the_site_language(client, settings):
    message = email()
    owner = message.customer.owner
    owner.language = ""
    owner.save()
    client.get(open_path(message), HTTP_ACCEPT_LANGUAGE="en")
    with translation.override(settings.LANGUAGE_CODE):
        expected = gettext("%(customer)s opened “%(subject)s”") % {
            "customer": "华兴科技",
            "subject": "新品方案",
        }
    assert Notification.objects.get(user=owner).title == expected
