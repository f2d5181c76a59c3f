"""Who sees which messages: customer scope, messages with no customer, filters, search."""

import datetime as dt

import pytest

from guanxi.accounts.tests.factories import UserFactory
from guanxi.core import clock
from guanxi.core.errors import NotFoundError
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.messaging import message_selectors as ms
from guanxi.messaging.models import Category, Message, MessageTemplate, TemplateVersion
from guanxi.messaging.sending import Content, message_queue

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _noon(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOON)


def template(channel="email", category=Category.TRANSACTIONAL, name="产品介绍", **text):
    """A template with one version, made directly (seeded templates may change)."""
    now = clock.now()
    t = MessageTemplate.objects.create(
        key=f"t-{MessageTemplate.objects.count()}", name=name, channel=channel,
        category=category, created_at=now, updated_at=now,
    )  # fmt: skip
    if not text:
        text = (
            {
                "subject": "{{ customer.name }} 方案",
                "html_body": "<p>{{ contact.salutation }}您好</p>",
            }
            if channel == "email"
            else {"text_body": "{{ contact.salutation }}您好，优惠码{{ coupon_code }}，回T退订"}
        )
    v = TemplateVersion.objects.create(template=t, number=1, created_at=now, **text)
    t.current_version = v
    t.save()
    return t


def customer_with_contact(owner=None, **contact):
    customer = CustomerFactory(owner=owner) if owner else CustomerFactory()
    ContactFactory(customer=customer, **contact)
    return customer


def queued(customer, channel="email", tmpl=None, **kw):
    return message_queue(
        actor=customer.owner, channel=channel, customer=customer,
        template=tmpl or template(channel), **kw,
    )  # fmt: skip


def loose(actor=None, recipient="ops@example.com"):
    """A message to no customer (a test to oneself)."""
    return message_queue(
        actor=actor, channel="email", recipient=recipient,
        content=Content(subject="测试", text="你好"),
    )  # fmt: skip


def test_sales_see_only_messages_of_their_own_customers():
    sales = UserFactory(role_slug="sales")
    mine = queued(customer_with_contact(owner=sales))
    queued(customer_with_contact())
    assert [m.pk for m in ms.message_list(user=sales)] == [mine.pk]


def test_messages_without_customer_are_the_senders_and_the_admins():
    sales, other = UserFactory(role_slug="sales"), UserFactory(role_slug="sales")
    admin = UserFactory(role_slug="admin")
    own = loose(actor=sales)
    system = loose(actor=None)
    assert [m.pk for m in ms.message_list(user=sales)] == [own.pk]
    assert list(ms.message_list(user=other)) == []
    assert {m.pk for m in ms.message_list(user=admin)} == {own.pk, system.pk}


def test_a_supervisor_without_config_sees_team_customers_but_no_loose_messages():
    supervisor = UserFactory(role_slug="supervisor")
    colleague = UserFactory(role_slug="sales", team=supervisor.team)
    team_message = queued(customer_with_contact(owner=colleague))
    loose(actor=colleague)
    assert [m.pk for m in ms.message_list(user=supervisor)] == [team_message.pk]


def test_anonymous_and_roleless_users_see_nothing():
    from django.contrib.auth.models import AnonymousUser

    queued(customer_with_contact())
    assert list(ms.message_list(user=AnonymousUser())) == []
    assert list(ms.message_list(user=None)) == []


def test_newest_first_and_filters():
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales)
    email = queued(customer)
    sms = queued(customer, channel="sms")
    assert [m.pk for m in ms.message_list(user=sales)] == [sms.pk, email.pk]
    assert [m.pk for m in ms.message_list(user=sales, channel="sms")] == [sms.pk]
    assert [m.pk for m in ms.message_list(user=sales, status="queued")] == [sms.pk, email.pk]
    assert list(ms.message_list(user=sales, status="sent")) == []
    assert list(ms.message_list(user=sales, category="marketing")) == []
    other = customer_with_contact(owner=sales)
    assert list(ms.message_list(user=sales, customer_id=other.pk)) == []


def test_search_by_address_only_for_viewers_who_may_see_addresses():
    sales = UserFactory(role_slug="sales")  # has contact details
    customer = customer_with_contact(owner=sales, email="wang@example.com")
    message = queued(customer)
    marketing = UserFactory(role_slug="marketing")  # all customers, masked
    assert [m.pk for m in ms.message_list(user=sales, q="wang@")] == [message.pk]
    assert list(ms.message_list(user=marketing, q="wang@")) == []
    assert [m.pk for m in ms.message_list(user=marketing, q=customer.name)] == [message.pk]


def test_status_counts_cover_every_status():
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales)
    queued(customer)
    skipped = queued(customer)
    Message.objects.filter(pk=skipped.pk).update(status="failed")
    counts = ms.message_status_counts(user=sales, status="failed")
    assert counts == {
        "queued": 1, "sending": 0, "sent": 0, "delivered": 0, "bounced": 0,
        "failed": 1, "skipped": 0, "cancelled": 0,
    }  # fmt: skip


def test_message_get_is_404_outside_scope():
    sales = UserFactory(role_slug="sales")
    theirs = queued(customer_with_contact())
    with pytest.raises(NotFoundError):
        ms.message_get(user=sales, pk=theirs.pk)
    assert ms.message_get(user=theirs.customer.owner, pk=theirs.pk) == theirs


def test_sendable_templates_are_active_with_a_version_of_the_channel():
    email = template("email", name="A")
    sms = template("sms", name="B")
    inactive = template("email", name="C")
    inactive.is_active = False
    inactive.save()
    now = clock.now()
    empty = MessageTemplate.objects.create(
        key="empty", name="D", channel="email", created_at=now, updated_at=now
    )
    mine = {email.pk, sms.pk, inactive.pk, empty.pk}  # seeded templates may be there too
    found = [t.pk for t in ms.sendable_templates(channel="email") if t.pk in mine]
    assert found == [email.pk]


def test_template_find_by_id_or_key():
    t = template("sms")
    assert ms.template_find(ref=str(t.pk)) == t
    assert ms.template_find(ref=t.key) == t
    assert ms.template_find(ref="nope") is None


def test_shown_recipient_masks_without_contact_details():
    marketing, sales = UserFactory(role_slug="marketing"), UserFactory(role_slug="sales")
    email = Message(channel="email", recipient="wang@example.com")
    sms = Message(channel="sms", recipient="+8613812345678")
    assert ms.shown_recipient(marketing, email) == "w***@example.com"
    assert ms.shown_recipient(marketing, sms) == "138****5678"
    assert ms.shown_recipient(sales, sms) == "+8613812345678"
