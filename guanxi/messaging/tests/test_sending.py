import datetime as dt

import pytest

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, NotFoundError
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.messaging import tracking
from guanxi.messaging.delivery import deliver_due
from guanxi.messaging.models import (
    Category,
    Message,
    MessageStatus,
    MessageTemplate,
    MessagingSettings,
    TemplateVersion,
)
from guanxi.messaging.sending import Content, message_queue

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _noon(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOON)


def template(channel="email", category=Category.MARKETING, **text):
    now = clock.now()
    t = MessageTemplate.objects.create(
        key=f"t-{MessageTemplate.objects.count()}",
        name="产品介绍",
        channel=channel,
        category=category,
        created_at=now,
        updated_at=now,
    )
    v = TemplateVersion.objects.create(template=t, number=1, created_at=now, **text)
    t.current_version = v
    t.save()
    return t


def email_template(**kw):
    return template(
        subject="{{ customer.name }} 专属方案",
        html_body='<p>{{ contact.salutation }}您好，</p><p><a href="https://example.com/plan">方案</a></p>',
        **kw,
    )


def test_email_is_rendered_sent_over_smtp_and_recorded(smtp):
    customer = CustomerFactory(name="华兴科技")
    ContactFactory(customer=customer, name="王芳", email="wang@example.com")
    message = message_queue(
        actor=customer.owner,
        channel="email",
        customer=customer,
        template=email_template(),
        idempotency_key="k1",
    )
    assert message.status == MessageStatus.QUEUED
    report = deliver_due()
    assert report.sent == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 1
    [mail] = smtp.received
    parsed = mail.message
    assert parsed["Subject"] == "华兴科技 专属方案"
    assert parsed["To"] == "wang@example.com"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.token in parsed["Message-ID"]
    html = parsed.get_body(("html",)).get_content()
    text = parsed.get_body(("plain",)).get_content()
    assert "王芳您好" in html and "王芳您好" in text
    assert "https://example.com/plan" not in html  # rewritten to a tracked link
    assert message.links == ["https://example.com/plan"]
    assert ActivityEvent.objects.filter(verb=Verb.MESSAGED, customer_id=customer.pk).count() == 1


def test_same_idempotency_key_never_sends_twice(smtp):
    customer = CustomerFactory()
    ContactFactory(customer=customer)
    t = email_template()
    first = message_queue(
        actor=None,
        channel="email",
        customer=customer,
        template=t,
        idempotency_key="rule:1:customer:1",
    )
    deliver_due()
    second = message_queue(
        actor=None,
        channel="email",
        customer=customer,
        template=t,
        idempotency_key="rule:1:customer:1",
    )
    deliver_due()
    assert first.pk == second.pk
    assert len(smtp.received) == 1


def test_permanent_smtp_refusal_fails_at_once_with_the_servers_words(smtp):
    smtp.handler.refuse["gone@example.com"] = "550 5.1.1 no such user"
    customer = CustomerFactory()
    ContactFactory(customer=customer, email="gone@example.com")
    message = message_queue(
        actor=None,
        channel="email",
        customer=customer,
        template=email_template(category=Category.TRANSACTIONAL),
    )
    report = deliver_due()
    message.refresh_from_db()
    assert report.failed == 1
    assert message.status == MessageStatus.FAILED
    assert "550" in message.reason and "no such user" in message.reason


def test_transient_refusal_retries_later_then_sends(smtp, monkeypatch):
    smtp.handler.refuse["busy@example.com"] = "451 4.3.0 try later"
    customer = CustomerFactory()
    ContactFactory(customer=customer, email="busy@example.com")
    message = message_queue(
        actor=None,
        channel="email",
        customer=customer,
        template=email_template(category=Category.TRANSACTIONAL),
    )
    assert deliver_due().retrying == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.next_attempt_at == NOON + dt.timedelta(minutes=1)
    assert deliver_due().sent == 0  # not due yet
    del smtp.handler.refuse["busy@example.com"]
    later = NOON + dt.timedelta(minutes=2)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert deliver_due().sent == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)


def test_unreachable_server_is_transient(settings):
    settings.GUANXI_EMAIL_URL = "smtp://127.0.0.1:9"  # nothing listens on discard
    customer = CustomerFactory()
    ContactFactory(customer=customer)
    message = message_queue(
        actor=None,
        channel="email",
        customer=customer,
        template=email_template(category=Category.TRANSACTIONAL),
    )
    assert deliver_due().retrying == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and "SMTP" in message.reason


def test_without_email_url_messages_become_eml_files(settings):
    customer = CustomerFactory()
    ContactFactory(customer=customer)
    message = message_queue(
        actor=None, channel="email", customer=customer, template=email_template()
    )
    deliver_due()
    path = settings.GUANXI_OUTBOX_DIR / "email" / f"{message.token}.eml"
    assert path.exists() and b"Subject:" in path.read_bytes()


def test_unsubscribed_address_skips_marketing_but_not_transactional(smtp):
    customer = CustomerFactory()
    ContactFactory(customer=customer, email="Wang@Example.com")
    tracking.unsubscribe(channel="email", address="wang@example.com", customer_id=customer.pk)
    skipped = message_queue(
        actor=None, channel="email", customer=customer, template=email_template()
    )
    sent = message_queue(
        actor=None,
        channel="email",
        customer=customer,
        template=email_template(category=Category.TRANSACTIONAL),
    )
    deliver_due()
    skipped.refresh_from_db()
    sent.refresh_from_db()
    assert skipped.status == MessageStatus.SKIPPED and skipped.reason
    assert sent.status == MessageStatus.SENT
    assert len(smtp.received) == 1


def test_marketing_frequency_cap_skips_the_second_message_of_the_day(smtp):
    customer = CustomerFactory()
    ContactFactory(customer=customer)
    t = email_template()
    message_queue(actor=None, channel="email", customer=customer, template=t)
    second = message_queue(actor=None, channel="email", customer=customer, template=t)
    assert second.status == MessageStatus.SKIPPED
    assert "24" in second.reason


def test_quiet_hours_postpone_sms_to_the_morning(monkeypatch):
    late = dt.datetime(2026, 11, 20, 22, 30, tzinfo=NOON.tzinfo)
    monkeypatch.setattr(clock, "now", lambda: late)
    customer = CustomerFactory()
    ContactFactory(customer=customer, phone="+8613800138000")
    message = message_queue(
        actor=None,
        channel="sms",
        customer=customer,
        template=template(channel="sms", text_body="{{ customer.name }}您好"),
    )
    assert message.status == MessageStatus.QUEUED
    assert message.next_attempt_at == dt.datetime(2026, 11, 21, 8, 0, tzinfo=NOON.tzinfo)
    assert deliver_due().sent == 0


def test_quiet_hours_do_not_hold_transactional_email(smtp, monkeypatch):
    late = dt.datetime(2026, 11, 20, 23, 0, tzinfo=NOON.tzinfo)
    monkeypatch.setattr(clock, "now", lambda: late)
    customer = CustomerFactory()
    ContactFactory(customer=customer)
    message_queue(
        actor=None,
        channel="email",
        customer=customer,
        template=email_template(category=Category.TRANSACTIONAL),
    )
    assert deliver_due().sent == 1


def test_actor_outside_scope_cannot_message_and_nothing_is_stored():
    customer = CustomerFactory()
    ContactFactory(customer=customer)
    stranger = UserFactory(role_slug="sales")
    with pytest.raises(NotFoundError):
        message_queue(actor=stranger, channel="email", customer=customer, template=email_template())
    assert Message.objects.count() == 0


def test_customer_without_address_is_a_clear_error():
    customer = CustomerFactory()
    with pytest.raises(ApplicationError) as error:
        message_queue(actor=None, channel="email", customer=customer, template=email_template())
    assert error.value.message
    assert Message.objects.count() == 0


def test_template_cannot_reach_the_database_or_private_attributes():
    customer = CustomerFactory()
    ContactFactory(customer=customer)
    message = message_queue(
        actor=None,
        channel="email",
        customer=customer,
        content=Content(subject="x", text="{{ customer.__class__ }}{{ customer.owner }}|"),
    )
    assert message.body_text.strip() == "|"


def test_rate_limit_paces_the_worker(smtp):
    MessagingSettings.objects.update_or_create(pk=1, defaults={"email_per_minute": 2})
    for n in range(3):
        customer = CustomerFactory()
        ContactFactory(customer=customer)
        message_queue(
            actor=None,
            channel="email",
            customer=customer,
            template=email_template(category=Category.TRANSACTIONAL),
        )
    assert deliver_due().sent == 2
    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 1


def _queued(addresses: list[str]) -> list[Message]:
    t = email_template(category=Category.TRANSACTIONAL)
    messages = []
    for address in addresses:
        customer = CustomerFactory()
        ContactFactory(customer=customer, email=address)
        messages.append(message_queue(actor=None, channel="email", customer=customer, template=t))
    return messages


def test_a_batch_prepares_each_envelope_while_the_previous_outcome_commits(smtp):
    """After the first message, each envelope is opened while the database commits; a
    refusal there fails that message only, and every other one arrives once."""
    smtp.handler.refuse["gone@example.com"] = "550 5.1.1 no such user"
    addresses = ["a@example.com", "b@example.com", "gone@example.com", "c@example.com"]
    messages = _queued(addresses)

    report = deliver_due()

    assert (report.sent, report.failed) == (3, 1)
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == [
        "a@example.com", "b@example.com", "c@example.com"
    ]  # fmt: skip
    by_address = {m.recipient: m for m in Message.objects.filter(pk__in=[m.pk for m in messages])}
    assert by_address["gone@example.com"].status == MessageStatus.FAILED
    assert "no such user" in by_address["gone@example.com"].reason
    assert {by_address[a].status for a in addresses if a != "gone@example.com"} == {
        MessageStatus.SENT
    }


def test_a_prepared_message_is_not_delivered_when_its_in_flight_mark_fails(smtp, monkeypatch):
    from guanxi.messaging import delivery

    messages = _queued(["a@example.com", "b@example.com"])
    real = delivery._sent_then_sending

    def broken(previous, pk):
        raise RuntimeError("database went away")

    monkeypatch.setattr(delivery, "_sent_then_sending", broken)
    with pytest.raises(RuntimeError):
        deliver_due()
    # The first went; the second's envelope was open, but without its mark nothing followed.
    assert [r.rcpt_tos for r in smtp.received] == [["a@example.com"]]

    monkeypatch.setattr(delivery, "_sent_then_sending", real)
    later = NOON + delivery.LEASE + dt.timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    deliver_due()
    second = Message.objects.get(pk=messages[1].pk)
    assert second.status == MessageStatus.SENT
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == ["a@example.com", "b@example.com"]


def test_lines_starting_with_a_dot_arrive_as_written(smtp, monkeypatch):
    from guanxi.messaging.channels import email as email_channel

    raw = b"Subject: dots\r\n\r\n.one dot\r\n..two dots\r\nplain\r\n."
    monkeypatch.setattr(email_channel, "mime_bytes", lambda message: raw)
    _queued(["a@example.com", "b@example.com"])

    assert deliver_due().sent == 2
    assert [r.data for r in smtp.received] == [raw + b"\r\n"] * 2
