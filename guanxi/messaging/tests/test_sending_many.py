import datetime as dt

import pytest

from guanxi.activity.models import ActivityEvent, Verb
from guanxi.core import clock
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.messaging import tracking
from guanxi.messaging.delivery import deliver_due
from guanxi.messaging.models import Message, MessageStatus
from guanxi.messaging.sending import message_queue
from guanxi.messaging.sending_many import messages_queue_many
from guanxi.messaging.tests.test_sending import NOON, email_template, template

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _noon(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOON)


def customers_with_email(n):
    out = []
    for i in range(n):
        c = CustomerFactory(name=f"客户{i}")
        ContactFactory(customer=c, name=f"联系人{i}", email=f"c{i}@example.com")
        out.append(c)
    return out


def test_many_are_rendered_per_customer_and_sent_once(smtp):
    customers = customers_with_email(3)
    t = email_template()
    made = messages_queue_many(
        channel="email", template=t, customers=customers, idempotency_key=lambda c: f"r1:{c.pk}"
    )
    assert [m.customer_id for m in made] == [c.pk for c in customers]
    assert [m.subject for m in made] == [f"客户{i} 专属方案" for i in range(3)]
    again = messages_queue_many(
        channel="email", template=t, customers=customers, idempotency_key=lambda c: f"r1:{c.pk}"
    )
    assert [m.pk for m in again] == [m.pk for m in made]
    assert Message.objects.count() == 3
    assert deliver_due().sent == 3
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == [f"c{i}@example.com" for i in range(3)]
    assert ActivityEvent.objects.filter(verb=Verb.MESSAGED).count() == 3


def test_many_applies_consent_and_the_cap_like_one_at_a_time():
    unsubscribed, capped, fine = customers_with_email(3)
    tracking.unsubscribe(channel="email", address="c0@example.com", customer_id=unsubscribed.pk)
    t = email_template()
    message_queue(actor=None, channel="email", customer=capped, template=t)
    made = messages_queue_many(
        channel="email", template=t, customers=[unsubscribed, capped, fine],
        idempotency_key=lambda c: f"r2:{c.pk}",
    )  # fmt: skip
    statuses = [(m.status, bool(m.reason)) for m in made]
    assert statuses == [
        (MessageStatus.SKIPPED, True), (MessageStatus.SKIPPED, True), (MessageStatus.QUEUED, False)
    ]  # fmt: skip


def test_customers_without_an_address_are_left_out():
    with_phone = CustomerFactory()
    ContactFactory(customer=with_phone, email="", phone="+8613800138000")
    sms = template(channel="sms", text_body="{{ customer.name }}您好")
    made = messages_queue_many(
        channel="email", template=email_template(), customers=[with_phone],
        idempotency_key=lambda c: f"r3:{c.pk}",
    )  # fmt: skip
    assert made == []
    made = messages_queue_many(
        channel="sms", template=sms, customers=[with_phone], idempotency_key=lambda c: f"r4:{c.pk}"
    )
    assert [m.recipient for m in made] == ["+8613800138000"]


def test_many_at_night_waits_for_the_morning(monkeypatch):
    late = dt.datetime(2026, 11, 20, 23, 0, tzinfo=NOON.tzinfo)
    monkeypatch.setattr(clock, "now", lambda: late)
    [message] = messages_queue_many(
        channel="email", template=email_template(), customers=customers_with_email(1),
        idempotency_key=lambda c: f"r5:{c.pk}",
    )  # fmt: skip
    assert message.next_attempt_at == dt.datetime(2026, 11, 21, 8, 0, tzinfo=NOON.tzinfo)
