"""Inbound webhooks: replies by mail, delivery status notifications, SMS replies and stop
words — through the real URLs, authenticated by the endpoint secret."""

import datetime as dt
import email
import email.policy
import hashlib
import json
from email import encoders
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.core import clock
from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.messaging import inbound, tracking
from guanxi.messaging.channels.email import mime_bytes
from guanxi.messaging.delivery import deliver_due
from guanxi.messaging.models import (
    Category,
    InboundEndpoint,
    Message,
    MessageEvent,
    MessageStatus,
    Notification,
    Suppression,
    SuppressionReason,
)
from guanxi.messaging.sending import Content, message_queue

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PHONE = "+8613800138000"


@pytest.fixture(autouse=True)
def _noon(monkeypatch, settings):
    monkeypatch.setattr(clock, "now", lambda: NOON)
    settings.GUANXI_MESSAGE_ID_DOMAIN = "crm.example.com"
    settings.GUANXI_REPLY_ADDRESS = "reply@crm.example.com"


@pytest.fixture
def admin():
    return UserFactory(role_slug="admin")


@pytest.fixture
def mail_url(admin):
    key = inbound.inbound_endpoint_create(actor=admin, kind="mail")
    return reverse("messaging_public:inbound_mail", args=[key])


@pytest.fixture
def sms_url(admin):
    key = inbound.inbound_endpoint_create(actor=admin, kind="sms")
    return reverse("messaging_public:inbound_sms", args=[key])


def sent_email(*, address="wang@example.com", category=Category.MARKETING):
    customer = CustomerFactory(name="华兴科技")
    ContactFactory(customer=customer, email=address)
    message = message_queue(
        actor=None,
        channel="email",
        customer=customer,
        content=Content(subject="新品方案", text="您好"),
        category=category,
    )
    deliver_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    return message


def sent_sms(*, phone=PHONE, customer=None):
    customer = customer or CustomerFactory(name="华兴科技")
    ContactFactory(customer=customer, phone=phone)
    message = message_queue(
        actor=None, channel="sms", customer=customer, content=Content(text="新品上市")
    )
    deliver_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    return message


def reply_mime(*, headers: dict[str, str], body="好的，请打电话给我。") -> bytes:
    lines = [
        "From: 王芳 <wang@example.com>",
        "To: reply@crm.example.com",
        "Subject: Re: 新品方案",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        *(f"{k}: {v}" for k, v in headers.items()),
        "",
        body,
        "",
    ]
    return "\r\n".join(lines).encode()


def dsn_mime(*, original: str, action="failed", status="5.1.1", attach="headers") -> bytes:
    if attach == "headers":
        returned = f"Content-Type: text/rfc822-headers\r\n\r\n{original}\r\n"
    else:
        returned = f"Content-Type: message/rfc822\r\n\r\n{original}\r\n\r\n您好\r\n"
    return (
        "From: MAILER-DAEMON@mx.example.net\r\n"
        "To: bounce@crm.example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver.\r\n"
        "\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        "Final-Recipient: rfc822; wang@example.com\r\n"
        f"Action: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} <wang@example.com>:\r\n"
        "    Recipient address rejected: User unknown\r\n"
        f"\r\n--B\r\n{returned}--B--\r\n"
    ).encode()


def arf_mime(
    *,
    message: Message,
    feedback_type="abuse",
    attach="rfc822",
    original: bytes | None = None,
    encode_fields=False,
) -> bytes:
    """A feedback-loop report (ARF, RFC 5965) about `message`, shaped like the mailbox
    providers' own: a human-readable part, the machine-readable message/feedback-report,
    and the mail as Guanxi sent it (recipient redacted, as several providers do), or only
    its header section."""
    sent = original if original is not None else mime_bytes(message)
    report = MIMEMultipart("report")
    report.set_param("report-type", "feedback-report")
    report["From"] = "Mail AntiSpam Feedback <feedback@fbl.mail.example.net>"
    report["To"] = "fbl@crm.example.com"
    report["Subject"] = "Email Feedback Report for IP 203.0.113.7"
    report["Date"] = "Fri, 20 Nov 2026 04:10:00 +0000"
    report["Message-ID"] = "<arf-8c1f@fbl.mail.example.net>"
    report.attach(
        MIMEText(
            "This is an email abuse report for an email message received from IP 203.0.113.7 "
            "on Fri, 20 Nov 2026 04:02:11 +0000.\nFor more information about this format "
            "please see http://www.mipassoc.org/arf/.\n",
            "plain",
            "us-ascii",
        )
    )
    fields = MIMEBase("message", "feedback-report")
    fields.set_payload(
        f"Feedback-Type: {feedback_type}\n"
        "User-Agent: ExampleMail-Feedback/2.0\n"
        "Version: 1\n"
        "Original-Mail-From: <bounce@crm.example.com>\n"
        "Original-Rcpt-To: <redacted@fbl.mail.example.net>\n"
        "Arrival-Date: Fri, 20 Nov 2026 04:02:11 +0000\n"
        "Reported-Domain: crm.example.com\n"
        "Source-IP: 203.0.113.7\n"
        "Authentication-Results: mta1.example.net; dkim=pass header.d=crm.example.com\n"
    )
    if encode_fields:  # as a few generators do, though RFC 5965 asks for 7bit
        encoders.encode_base64(fields)
    report.attach(fields)
    if attach == "headers":
        head = sent.split(b"\r\n\r\n", 1)[0].decode("ascii")
        report.attach(MIMEText(head.replace("\r\n", "\n") + "\n", "rfc822-headers", "us-ascii"))
    else:
        redacted = sent.replace(f"To: {message.recipient}".encode(), b"To: redacted")
        report.attach(MIMEMessage(email.message_from_bytes(redacted)))
    return report.as_bytes(policy=email.policy.SMTP)  # CRLF line ends, as mail arrives


def post_mail(client, url, raw: bytes):
    return client.post(url, data=raw, content_type="message/rfc822")


# --- endpoint secrets -------------------------------------------------------------------


def test_create_stores_only_the_fingerprint_and_is_audited(admin):
    key = inbound.inbound_endpoint_create(actor=admin, kind="mail")
    endpoint = InboundEndpoint.objects.get(kind="mail")
    assert endpoint.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in endpoint.key_hash
    assert (
        ActivityEvent.objects.filter(
            target_type="messaging.inboundendpoint", verb=Verb.CREATED, actor=admin
        ).count()
        == 1
    )


def test_without_config_permission_no_endpoint_is_created():
    with pytest.raises(PermissionDeniedError):
        inbound.inbound_endpoint_create(actor=UserFactory(role_slug="supervisor"), kind="mail")
    assert InboundEndpoint.objects.count() == 0
    assert ActivityEvent.objects.count() == 0


def test_replacing_the_key_invalidates_the_old_one(client, admin):
    old = inbound.inbound_endpoint_create(actor=admin, kind="sms")
    new = inbound.inbound_endpoint_create(actor=admin, kind="sms")
    data = {"phone": PHONE, "text": "你好"}
    old_url = reverse("messaging_public:inbound_sms", args=[old])
    new_url = reverse("messaging_public:inbound_sms", args=[new])
    assert client.post(old_url, data).status_code == 404
    assert client.post(new_url, data).status_code == 202
    assert InboundEndpoint.objects.count() == 1


def test_revoked_key_is_refused(client, admin, sms_url):
    assert inbound.inbound_endpoint_revoke(actor=admin, kind="sms") is True
    assert client.post(sms_url, {"phone": PHONE, "text": "T"}).status_code == 404
    assert Suppression.objects.count() == 0
    assert inbound.inbound_endpoint_revoke(actor=admin, kind="sms") is False


def test_unknown_key_is_404_and_records_nothing(client, mail_url):
    message = sent_email()
    raw = reply_mime(headers={"In-Reply-To": f"<{message.token}@crm.example.com>"})
    response = post_mail(client, reverse("messaging_public:inbound_mail", args=["wrong"]), raw)
    assert response.status_code == 404
    assert MessageEvent.objects.count() == 0
    assert InboundEndpoint.objects.get(kind="mail").last_used_at is None


def test_a_key_of_the_other_kind_does_not_open_the_endpoint(client, sms_url):
    key = sms_url.rstrip("/").rsplit("/", 1)[-1]
    response = post_mail(client, reverse("messaging_public:inbound_mail", args=[key]), b"x")
    assert response.status_code == 404


def test_get_is_not_allowed(client, mail_url):
    assert client.get(mail_url).status_code == 405


def test_use_is_stamped(client, mail_url):
    post_mail(client, mail_url, reply_mime(headers={}))
    assert InboundEndpoint.objects.get(kind="mail").last_used_at == NOON


# --- replies by mail --------------------------------------------------------------------


def test_reply_found_by_in_reply_to_records_event_tags_and_notifies(client, mail_url):
    message = sent_email()
    raw = reply_mime(headers={"In-Reply-To": f"<{message.token}@crm.example.com>"})
    response = post_mail(client, mail_url, raw)
    assert response.status_code == 200
    event = MessageEvent.objects.get(message=message, kind="replied")
    assert response.json() == {
        "matched": True,
        "action": "replied",
        "message": message.pk,
        "event": event.pk,
    }
    assert "wang@example.com" in event.detail
    assert "Re: 新品方案" in event.detail
    assert "好的，请打电话给我。" in event.detail
    message.refresh_from_db()
    assert message.replied_at == NOON
    assert list(message.customer.tags.values_list("name", flat=True)) == ["需跟进"]
    assert (
        Notification.objects.filter(user=message.customer.owner, kind="message_replied").count()
        == 1
    )


def test_reply_found_by_references_when_in_reply_to_names_another_mail(client, mail_url):
    message = sent_email()
    refs = f"<other@elsewhere.example> <{message.token}@crm.example.com>"
    raw = reply_mime(headers={"In-Reply-To": "<other@elsewhere.example>", "References": refs})
    assert post_mail(client, mail_url, raw).json()["message"] == message.pk


def test_reply_found_by_plus_address_alone(client, mail_url):
    message = sent_email()
    raw = reply_mime(headers={"Delivered-To": f"reply+{message.token}@crm.example.com"})
    response = post_mail(client, mail_url, raw)
    assert response.status_code == 200
    assert MessageEvent.objects.filter(message=message, kind="replied").count() == 1


def test_message_id_of_another_domain_does_not_match(client, mail_url):
    message = sent_email()
    raw = reply_mime(headers={"In-Reply-To": f"<{message.token}@evil.example>"})
    response = post_mail(client, mail_url, raw)
    assert response.status_code == 202
    assert response.json() == {"matched": False}
    assert MessageEvent.objects.count() == 0


def test_raw_mime_in_a_form_field_or_file_is_accepted(client, mail_url):
    message = sent_email()
    raw = reply_mime(headers={"In-Reply-To": f"<{message.token}@crm.example.com>"})
    assert client.post(mail_url, {"email": raw.decode()}).status_code == 200
    upload = SimpleUploadedFile("reply.eml", raw, content_type="message/rfc822")
    assert client.post(mail_url, {"mime": upload}).status_code == 200
    assert MessageEvent.objects.filter(message=message, kind="replied").count() == 2


def test_form_without_the_field_is_a_clear_400(client, mail_url):
    response = client.post(mail_url, {"other": "x"})
    assert response.status_code == 400
    assert "email" in response.json()["detail"]


def test_unmatched_mail_is_202_and_records_nothing(client, mail_url):
    sent_email()
    response = post_mail(client, mail_url, reply_mime(headers={"In-Reply-To": "<x@y.z>"}))
    assert response.status_code == 202
    assert response.json() == {"matched": False}
    assert MessageEvent.objects.count() == 0


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"hello world, no headers here"])
def test_malformed_body_is_400_with_a_message(client, mail_url, raw):
    response = post_mail(client, mail_url, raw)
    assert response.status_code == 400
    assert response.json()["detail"]
    assert MessageEvent.objects.count() == 0


def test_mail_over_ten_megabytes_is_413(client, mail_url):
    message = sent_email()
    raw = reply_mime(
        headers={"In-Reply-To": f"<{message.token}@crm.example.com>"},
        body="x" * (inbound.MAX_MAIL_BYTES + 1),
    )
    response = post_mail(client, mail_url, raw)
    assert response.status_code == 413
    assert MessageEvent.objects.count() == 0


def test_out_of_office_answer_is_not_a_reply(client, mail_url):
    message = sent_email()
    raw = reply_mime(
        headers={
            "In-Reply-To": f"<{message.token}@crm.example.com>",
            "Auto-Submitted": "auto-replied",
        }
    )
    response = post_mail(client, mail_url, raw)
    assert response.status_code == 200
    assert response.json()["action"] == "ignored_auto_reply"
    assert MessageEvent.objects.count() == 0
    assert message.customer.tags.count() == 0


# --- delivery status notifications ------------------------------------------------------


def test_permanent_failure_bounces_the_message_and_suppresses_the_address(client, mail_url):
    message = sent_email()
    raw = dsn_mime(original=f"Message-ID: <{message.token}@crm.example.com>\r\nSubject: 新品方案")
    response = post_mail(client, mail_url, raw)
    assert response.status_code == 200
    assert response.json()["action"] == "bounced"
    message.refresh_from_db()
    assert message.status == MessageStatus.BOUNCED
    assert message.reason == (
        "5.1.1 smtp; 550 5.1.1 <wang@example.com>: Recipient address rejected: User unknown"
    )
    row = Suppression.objects.get(channel="email", address="wang@example.com")
    assert row.reason == SuppressionReason.BOUNCED
    assert MessageEvent.objects.filter(message=message, kind="bounced").count() == 1
    # A bounced address gets nothing more, not even transactional mail.
    later = message_queue(
        actor=None,
        channel="email",
        customer=message.customer,
        content=Content(subject="订单", text="您的订单"),
        category=Category.TRANSACTIONAL,
    )
    assert later.status == MessageStatus.SKIPPED


def test_bounce_found_by_the_returned_message_guanxi_header(client, mail_url):
    message = sent_email()
    original = f"Message-ID: <rewritten@relay.example>\r\nX-Guanxi-Message: {message.token}"
    response = post_mail(client, mail_url, dsn_mime(original=original, attach="rfc822"))
    assert response.json()["message"] == message.pk
    message.refresh_from_db()
    assert message.status == MessageStatus.BOUNCED


def test_delayed_report_does_not_suppress(client, mail_url):
    message = sent_email()
    raw = dsn_mime(
        original=f"Message-ID: <{message.token}@crm.example.com>",
        action="delayed",
        status="4.4.7",
    )
    response = post_mail(client, mail_url, raw)
    assert response.status_code == 200
    assert response.json()["action"] == "delayed"
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert Suppression.objects.count() == 0
    assert MessageEvent.objects.count() == 0


def test_success_report_marks_the_message_delivered(client, mail_url):
    message = sent_email()
    raw = dsn_mime(
        original=f"Message-ID: <{message.token}@crm.example.com>",
        action="delivered",
        status="2.0.0",
    )
    assert post_mail(client, mail_url, raw).json()["action"] == "delivered"
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at == NOON


def test_report_about_a_message_we_did_not_send_is_unmatched(client, mail_url):
    sent_email()
    raw = dsn_mime(original="Message-ID: <someone-else@other.example>")
    response = post_mail(client, mail_url, raw)
    assert response.status_code == 202
    assert Suppression.objects.count() == 0
    assert Message.objects.filter(status=MessageStatus.BOUNCED).count() == 0


# --- spam complaints (ARF feedback reports) ---------------------------------------------


def test_spam_complaint_withdraws_marketing_consent_and_tells_the_owner(client, mail_url):
    message = sent_email()
    raw = arf_mime(message=message)
    parsed = email.message_from_bytes(raw)
    assert parsed.get_content_type() == "multipart/report"
    assert parsed.get_param("report-type") == "feedback-report"
    assert [part.get_content_type() for part in parsed.get_payload()] == [
        "text/plain", "message/feedback-report", "message/rfc822",
    ]  # fmt: skip

    response = post_mail(client, mail_url, raw)

    assert response.status_code == 200
    event = MessageEvent.objects.get(message=message, kind="complained")
    detail = (
        "Feedback-Type: abuse; User-Agent: ExampleMail-Feedback/2.0; "
        "From: Mail AntiSpam Feedback <feedback@fbl.mail.example.net>"
    )
    assert response.json() == {
        "matched": True,
        "action": "complained",
        "message": message.pk,
        "event": event.pk,
        "detail": detail,
    }
    assert event.detail == detail
    # Consent withdrawn as an unsubscribe withdraws it: one audited Suppression row.
    row = Suppression.objects.get(channel="email", address="wang@example.com")
    assert (row.reason, row.customer_id, row.detail) == (
        SuppressionReason.COMPLAINED,
        message.customer_id,
        detail,
    )
    audit = ActivityEvent.objects.get(target_type="messaging.suppression", target_id=row.pk)
    assert audit.customer_id == message.customer_id
    assert str(SuppressionReason.COMPLAINED.label) in audit.summary
    # The message itself went out; it stays sent, with the complaint as its event.
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert list(message.events.values_list("kind", flat=True)) == ["complained"]
    notice = Notification.objects.get(user=message.customer.owner, kind="message_complained")
    assert notice.customer_id == message.customer_id
    assert message.customer.name in notice.title
    # Marketing stops; transactional mail still goes.
    marketing = message_queue(
        actor=None, channel="email", customer=message.customer,
        content=Content(subject="促销", text="新品"), category=Category.MARKETING,
    )  # fmt: skip
    assert marketing.status == MessageStatus.SKIPPED
    receipt = message_queue(
        actor=None, channel="email", customer=message.customer,
        content=Content(subject="订单", text="您的订单"), category=Category.TRANSACTIONAL,
    )  # fmt: skip
    assert receipt.status == MessageStatus.QUEUED


def test_a_repeated_complaint_changes_nothing_more(client, mail_url):
    message = sent_email()
    raw = arf_mime(message=message)
    assert post_mail(client, mail_url, raw).json()["action"] == "complained"
    before = (
        MessageEvent.objects.count(),
        Suppression.objects.count(),
        Notification.objects.count(),
        ActivityEvent.objects.count(),
    )

    again = post_mail(client, mail_url, arf_mime(message=message, attach="headers"))

    assert again.status_code == 200
    assert again.json() == {
        "matched": True,
        "action": "already_complained",
        "message": message.pk,
    }
    after = (
        MessageEvent.objects.count(),
        Suppression.objects.count(),
        Notification.objects.count(),
        ActivityEvent.objects.count(),
    )
    assert after == before


def test_complaint_found_by_the_returned_header_section(client, mail_url):
    message = sent_email()
    response = post_mail(client, mail_url, arf_mime(message=message, attach="headers"))
    assert response.json()["action"] == "complained"
    assert Suppression.objects.get(address="wang@example.com").reason == "complained"


def test_complaint_found_by_our_header_when_the_message_id_was_rewritten(client, mail_url):
    message = sent_email()
    original = mime_bytes(message).replace(
        f"Message-ID: <{message.token}@crm.example.com>".encode(),
        b"Message-ID: <rewritten@relay.example>",
    )
    response = post_mail(client, mail_url, arf_mime(message=message, original=original))
    assert (response.json()["action"], response.json()["message"]) == ("complained", message.pk)


def test_complaint_with_a_base64_encoded_feedback_part(client, mail_url):
    message = sent_email()
    raw = arf_mime(message=message, encode_fields=True)
    assert b"Feedback-Type" not in raw  # only the encoded form travels
    response = post_mail(client, mail_url, raw)
    assert response.json()["action"] == "complained"
    assert response.json()["detail"].startswith("Feedback-Type: abuse; User-Agent: ExampleMail")


def test_complaint_about_an_unsubscribed_address_keeps_the_unsubscribe(client, mail_url):
    message = sent_email()
    tracking.unsubscribe(channel="email", address="wang@example.com", message=message)
    audits = ActivityEvent.objects.filter(target_type="messaging.suppression").count()

    response = post_mail(client, mail_url, arf_mime(message=message))

    assert response.json()["action"] == "complained"
    assert Suppression.objects.get(address="wang@example.com").reason == "unsubscribed"
    assert ActivityEvent.objects.filter(target_type="messaging.suppression").count() == audits
    assert MessageEvent.objects.filter(message=message, kind="complained").count() == 1


@pytest.mark.parametrize("feedback_type", ["not-spam", "auth-failure", "virus", "other"])
def test_feedback_that_is_no_complaint_withdraws_nothing(client, mail_url, feedback_type):
    message = sent_email()
    response = post_mail(client, mail_url, arf_mime(message=message, feedback_type=feedback_type))
    assert response.status_code == 200
    assert response.json()["action"] == "ignored_feedback"
    assert f"Feedback-Type: {feedback_type}" in response.json()["detail"]
    assert Suppression.objects.count() == 0
    assert MessageEvent.objects.count() == 0
    assert Notification.objects.filter(kind="message_complained").count() == 0


def test_complaint_about_mail_we_did_not_send_is_unmatched(client, mail_url):
    message = sent_email()
    foreign = (
        b"From: someone@other.example\r\nTo: wang@example.com\r\n"
        b"Message-ID: <newsletter-1@other.example>\r\nSubject: hi\r\n\r\nhello\r\n"
    )
    response = post_mail(client, mail_url, arf_mime(message=message, original=foreign))
    assert response.status_code == 202
    assert response.json() == {"matched": False}
    assert Suppression.objects.count() == 0
    assert MessageEvent.objects.count() == 0


# --- SMS --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["T", "td", " 退订 ", "回T", "回TD退订", "t退订", "STOP", "Unsubscribe", "N", "T。"]
)
def test_stop_words(text):
    assert inbound.is_stop_word(text) is True


@pytest.mark.parametrize("text", ["退订了吗？我想问问价格", "Tomorrow", "好的", "NO", "停"])
def test_ordinary_texts_are_not_stop_words(text):
    assert inbound.is_stop_word(text) is False


def test_stop_word_unsubscribes_the_number(client, sms_url):
    message = sent_sms()
    body = json.dumps({"phone": "138 0013 8000", "text": "回T退订"})
    response = client.post(sms_url, body, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"matched": True, "action": "unsubscribed", "message": message.pk}
    row = Suppression.objects.get(channel="sms", address=PHONE)
    assert row.reason == SuppressionReason.UNSUBSCRIBED
    assert row.customer_id == message.customer_id
    assert ActivityEvent.objects.filter(target_type="messaging.suppression").count() == 1
    again = client.post(sms_url, body, content_type="application/json")
    assert again.json()["action"] == "already_unsubscribed"
    assert ActivityEvent.objects.filter(target_type="messaging.suppression").count() == 1


def test_stop_word_from_an_unknown_number_still_unsubscribes(client, sms_url):
    response = client.post(sms_url, {"phone": PHONE, "text": "TD"})
    assert response.status_code == 200
    assert response.json() == {"matched": True, "action": "unsubscribed"}
    assert Suppression.objects.filter(channel="sms", address=PHONE).exists()


def test_other_text_is_a_reply_to_the_latest_sms(client, sms_url, monkeypatch):
    customer = CustomerFactory()
    sent_sms(customer=customer)
    monkeypatch.setattr(clock, "now", lambda: NOON + dt.timedelta(days=2))
    latest = message_queue(
        actor=None, channel="sms", customer=customer, content=Content(text="第二条")
    )
    deliver_due()
    response = client.post(sms_url, {"mobile": PHONE, "content": "价格多少？"})
    assert response.status_code == 200
    event = MessageEvent.objects.get(kind="replied")
    assert event.message_id == latest.pk
    assert event.detail == "价格多少？"
    assert Suppression.objects.count() == 0


def test_reply_to_an_sms_older_than_30_days_is_unmatched(client, sms_url, monkeypatch):
    sent_sms()
    monkeypatch.setattr(clock, "now", lambda: NOON + dt.timedelta(days=31))
    response = client.post(sms_url, {"phone": PHONE, "text": "价格多少？"})
    assert response.status_code == 202
    assert response.json() == {"matched": False}
    assert MessageEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [({"phone": "12345", "text": "T"}, "phone"), ({"phone": PHONE, "text": "  "}, "text")],
)
def test_bad_sms_input_is_400_and_changes_nothing(client, sms_url, data, field):
    response = client.post(sms_url, data)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert Suppression.objects.count() == 0


def test_invalid_json_is_400(client, sms_url):
    response = client.post(sms_url, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]
