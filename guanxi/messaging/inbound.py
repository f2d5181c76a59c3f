"""What comes back to Guanxi: replies by mail, delivery status notifications, SMS replies.

Inbound-mail services and SMS providers POST to a secret URL per kind (/m/inbound/<kind>/
<key>/). Only the SHA-256 of the key is stored, so a database copy does not reveal it; the
lookup by fingerprint compares no secret byte by byte (nothing to time). A new key
replaces the old one, which stops working at once.

Mail finds the message it answers by our Message-ID (In-Reply-To / References) or by the
token in a plus address (Reply-To: local+<token>@domain). Bounces are recognised from
RFC 3464 delivery status notifications only; a permanent failure (5.x.x) suppresses the
address, a delay (4.x.x) changes nothing. Spam complaints are recognised from RFC 5965
(ARF) feedback reports, as mailbox providers' feedback loops send them: the address loses
its marketing consent. SMS recognises the unsubscribe keywords (回T退订).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email
import email.policy
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from email.message import EmailMessage
from email.message import Message as MimeMessage
from email.parser import HeaderParser
from email.utils import getaddresses
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError
from guanxi.core.phones import try_normalize_phone
from guanxi.messaging import rendering, tracking
from guanxi.messaging.models import (
    EventKind,
    InboundEndpoint,
    Message,
    MessageChannel,
    MessageStatus,
)

MAX_MAIL_BYTES = 10 * 1024 * 1024
DETAIL_CHARS = 2000
SMS_REPLY_DAYS = 30

# Statuses of a message that reached (or may have reached) the recipient: only those can
# be answered. A skipped or cancelled message never left.
_WENT_OUT = [MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.BOUNCED]

# --- endpoints ---------------------------------------------------------------------------


def _fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _kind(kind: str) -> str:
    if kind not in InboundEndpoint.Kind.values:
        raise ApplicationError(_("Unknown inbound endpoint kind."))
    return kind


def inbound_endpoint_create(*, actor: User, kind: str) -> str:
    """A new secret key for the kind's endpoint (an earlier key stops working). Returns the
    key: it is shown once, only its fingerprint is kept."""
    require_perm(actor, Perm.CONFIG_MANAGE)
    kind = _kind(kind)
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        endpoint, created = InboundEndpoint.objects.update_or_create(
            kind=kind,
            defaults={
                "key_hash": _fingerprint(key),
                "created_at": clock.now(),
                "last_used_at": None,
            },
        )
        activity_record(
            actor=actor,
            verb=Verb.CREATED if created else Verb.UPDATED,
            target=endpoint,
            summary=(_("%(kind)s address created") if created else _("%(kind)s address replaced"))
            % {"kind": endpoint.get_kind_display()},
        )
    return key


def inbound_endpoint_revoke(*, actor: User, kind: str) -> bool:
    """Stop the kind's endpoint. False when there was none."""
    require_perm(actor, Perm.CONFIG_MANAGE)
    kind = _kind(kind)
    with transaction.atomic():
        endpoint = InboundEndpoint.objects.select_for_update().filter(kind=kind).first()
        if endpoint is None:
            return False
        activity_record(
            actor=actor,
            verb=Verb.DELETED,
            target=endpoint,
            summary=_("%(kind)s address revoked") % {"kind": endpoint.get_kind_display()},
        )
        endpoint.delete()
    return True


def inbound_endpoint_check(*, kind: str, key: str) -> InboundEndpoint | None:
    """The endpoint a key opens, noting its use; None for a wrong or revoked key."""
    if kind not in InboundEndpoint.Kind.values or not key:
        return None
    endpoint = InboundEndpoint.objects.filter(kind=kind, key_hash=_fingerprint(key)).first()
    if endpoint is None:
        return None
    endpoint.last_used_at = clock.now()
    InboundEndpoint.objects.filter(pk=endpoint.pk).update(last_used_at=endpoint.last_used_at)
    return endpoint


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What an inbound request did; `as_json()` is the endpoint's answer."""

    matched: bool
    action: str = ""
    message_id: int | None = None
    event_id: int | None = None
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"matched": self.matched}
        if self.action:
            data["action"] = self.action
        if self.message_id is not None:
            data["message"] = self.message_id
        if self.event_id is not None:
            data["event"] = self.event_id
        if self.detail:
            data["detail"] = self.detail
        return data


UNMATCHED = Outcome(matched=False)

# --- mail --------------------------------------------------------------------------------

_TOKEN = r"[0-9a-f]{32}"
_PLUS_TOKEN = re.compile(rf"\+({_TOKEN})@", re.IGNORECASE)


def _message_id_tokens(text: str) -> list[str]:
    """Tokens of our Message-IDs (<token@our-domain>) in a header value, in order."""
    domain = re.escape(settings.GUANXI_MESSAGE_ID_DOMAIN)
    pattern = re.compile(rf"<({_TOKEN})@{domain}>", re.IGNORECASE)
    return [t.lower() for t in pattern.findall(text or "")]


def _find_message(tokens: list[str]) -> Message | None:
    """The first of the tokens that names one of our emails."""
    seen: list[str] = []
    for token in tokens:
        if token in seen:
            continue
        seen.append(token)
        message = (
            Message.objects.select_related("customer")
            .filter(token=token, channel=MessageChannel.EMAIL)
            .first()
        )
        if message is not None:
            return message
    return None


def mail_parse(raw: bytes) -> EmailMessage:
    """Parse raw MIME; ApplicationError when it is not an email at all."""
    if not raw or not raw.strip():
        raise ApplicationError(_("The request body is empty: post the raw email (MIME)."))
    try:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
    except (TypeError, ValueError, IndexError) as error:  # the parser is lenient; rarely
        raise ApplicationError(
            _("The email cannot be read: %(error)s") % {"error": error}
        ) from None
    if not list(parsed.keys()):
        raise ApplicationError(_("The request body is not an email: it has no header lines."))
    assert isinstance(parsed, EmailMessage)  # policy.default builds EmailMessage
    return parsed


def mail_receive(*, raw: bytes) -> Outcome:
    """Record what an inbound email means: a bounce, a delay, a delivery, or a reply."""
    parsed = mail_parse(raw)
    if _is_delivery_report(parsed):
        return _delivery_report(parsed)
    if _is_feedback_report(parsed):
        return _feedback_report(parsed)
    return _reply(parsed)


def _header(mail: MimeMessage, name: str) -> str:
    return " ".join(str(v) for v in (mail.get_all(name) or []))


def _reply(mail: EmailMessage) -> Outcome:
    tokens = _message_id_tokens(_header(mail, "In-Reply-To") + " " + _header(mail, "References"))
    for name in ("To", "Delivered-To", "X-Original-To", "Cc"):
        for _name, address in getaddresses(mail.get_all(name) or []):
            tokens += [t.lower() for t in _PLUS_TOKEN.findall(address)]
    message = _find_message(tokens)
    if message is None:
        return UNMATCHED
    if _is_automatic(mail):
        # An out-of-office answer is not the customer showing interest: no 需跟进 tag.
        return Outcome(matched=True, action="ignored_auto_reply", message_id=message.pk)
    event = tracking.message_event_record(
        message=message, kind=EventKind.REPLIED, detail=_reply_detail(mail)
    )
    return Outcome(matched=True, action="replied", message_id=message.pk, event_id=event.pk)


def _is_automatic(mail: MimeMessage) -> bool:
    """RFC 3834 Auto-Submitted, and the headers common autoresponders set instead."""
    auto = str(mail.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(mail.get("Precedence", "")).strip().lower()
    return (
        auto != "no"
        or precedence in {"auto_reply", "bulk", "junk"}
        or mail.get("X-Autoreply") is not None
        or mail.get("X-Autorespond") is not None
    )


def _reply_detail(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        try:
            text = body.get_content()
        except (LookupError, ValueError):  # unknown charset, broken transfer encoding
            text = ""
        if body.get_content_type() == "text/html":
            text = rendering.html_to_text(text)
    head = "\n".join(
        f"{label}: {mail.get(name, '')}"
        for label, name in ((_("From"), "From"), (_("Subject"), "Subject"))
    )
    return f"{head}\n\n{text.strip()[:DETAIL_CHARS]}".strip()


# --- delivery status notifications (RFC 3464) -------------------------------------------


def _is_delivery_report(mail: MimeMessage) -> bool:
    return (
        mail.get_content_type() == "multipart/report"
        and str(mail.get_param("report-type", "")).lower() == "delivery-status"
    )


@dataclass(frozen=True, kw_only=True)
class _Recipient:
    action: str
    status: str
    address: str
    diagnostic: str


def _recipients(report: MimeMessage) -> list[_Recipient]:
    found: list[_Recipient] = []
    for part in report.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for block in blocks:  # the first is per message, the others per recipient
            if block.get("Action") is None:
                continue
            final = str(block.get("Final-Recipient", ""))
            found.append(
                _Recipient(
                    action=str(block.get("Action", "")).strip().lower(),
                    status=str(block.get("Status", "")).strip(),
                    address=final.split(";", 1)[-1].strip(),
                    diagnostic=" ".join(str(block.get("Diagnostic-Code", "")).split()),
                )
            )
    return found


def _original_tokens(report: MimeMessage) -> list[str]:
    """Tokens of the message the report is about: from the returned message or its
    headers (Message-ID, then our X-Guanxi-Message header)."""
    originals: list[MimeMessage] = []
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                originals.append(payload[0])
        elif kind == "text/rfc822-headers":
            try:
                text = part.get_content()
            except (LookupError, ValueError):
                continue
            originals.append(HeaderParser(policy=email.policy.default).parsestr(text))
    tokens: list[str] = []
    for original in originals:
        tokens += _message_id_tokens(_header(original, "Message-ID"))
        header = str(original.get("X-Guanxi-Message", "")).strip().lower()
        if re.fullmatch(_TOKEN, header):
            tokens.append(header)
    return tokens


def _delivery_report(report: EmailMessage) -> Outcome:
    message = _find_message(_original_tokens(report))
    if message is None:
        return UNMATCHED
    recipients = _recipients(report)
    failed = [r for r in recipients if r.action == "failed" and r.status.startswith("5")]
    if failed:
        first = failed[0]
        detail = f"{first.status} {first.diagnostic}".strip()
        tracking.message_bounced(message=message, detail=detail)
        return Outcome(matched=True, action="bounced", message_id=message.pk, detail=detail)
    delivered = [r for r in recipients if r.action in ("delivered", "relayed", "expanded")]
    if delivered and not [r for r in recipients if r.action in ("failed", "delayed")]:
        event = tracking.message_event_record(
            message=message, kind=EventKind.DELIVERED, detail=delivered[0].status
        )
        return Outcome(matched=True, action="delivered", message_id=message.pk, event_id=event.pk)
    # Delayed (4.x.x), or a "failed" with a transient status: the server keeps trying,
    # and a temporary problem must not cost the customer their address.
    first = recipients[0] if recipients else None
    detail = f"{first.status} {first.diagnostic}".strip() if first else ""
    return Outcome(matched=True, action="delayed", message_id=message.pk, detail=detail)


# --- spam complaints: feedback reports (ARF, RFC 5965) ----------------------------------

# Feedback types that are the recipient's verdict on the message (RFC 5965 3.5): "abuse" is
# the "this is spam" button, "fraud" a phishing report. "not-spam", "virus" (a filter's
# finding), "auth-failure" (RFC 6591, about our DKIM/SPF) and "other" withdraw no consent.
COMPLAINT_TYPES = frozenset({"abuse", "fraud"})


def _is_feedback_report(mail: MimeMessage) -> bool:
    return (
        mail.get_content_type() == "multipart/report"
        and str(mail.get_param("report-type", "")).lower() == "feedback-report"
    )


def _feedback_fields(report: MimeMessage) -> MimeMessage | None:
    """The fields of the machine-readable part (Feedback-Type, User-Agent, …) as headers."""
    for part in report.walk():
        if part.get_content_type() != "message/feedback-report":
            continue
        payload = part.get_payload()
        if not isinstance(payload, list) or not payload:
            return None
        fields = payload[0]  # the parser reads the part's fields as a message's headers
        body = fields.get_payload()
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if fields.get("Feedback-Type") is None and encoding == "base64" and isinstance(body, str):
            # Some generators base64-encode the part (RFC 5965 asks for 7bit); the parser
            # then sees no fields, only the encoded text as a body. Decode, then read.
            try:
                text = base64.b64decode(body).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                return fields
            return HeaderParser(policy=email.policy.default).parsestr(text)
        return fields
    return None


def _feedback_report(report: EmailMessage) -> Outcome:
    # Matched as bounces are: by our Message-ID / X-Guanxi-Message in the returned original
    # (Original-Rcpt-To is often redacted by the provider, and we suppress the address we
    # sent to, whatever it was forwarded to).
    message = _find_message(_original_tokens(report))
    if message is None:
        return UNMATCHED
    fields = _feedback_fields(report)
    kind = str(fields.get("Feedback-Type", "")).strip().lower() if fields is not None else ""
    parts = [f"Feedback-Type: {kind or '?'}"]
    if fields is not None and fields.get("User-Agent"):
        parts.append(f"User-Agent: {' '.join(str(fields['User-Agent']).split())}")
    if report.get("From"):
        parts.append(f"From: {' '.join(str(report['From']).split())}")
    detail = "; ".join(parts)[:500]
    if kind not in COMPLAINT_TYPES:
        return Outcome(
            matched=True, action="ignored_feedback", message_id=message.pk, detail=detail
        )
    event = tracking.message_complained(message=message, detail=detail)
    if event is None:
        return Outcome(matched=True, action="already_complained", message_id=message.pk)
    return Outcome(
        matched=True, action="complained", message_id=message.pk, event_id=event.pk, detail=detail
    )


# --- SMS ---------------------------------------------------------------------------------

# Replies that mean "stop": the 回T退订 convention of Chinese SMS plus the English ones.
STOP_WORDS = frozenset({"T", "TD", "N", "STOP", "UNSUBSCRIBE", "退订", "取消订阅"})
_NOISE = re.compile(r"[\s\W_]+")


def is_stop_word(text: str) -> bool:
    """ "T", "td", " 退订 ", "回T", "t退订", "STOP!" → True; "退订了吗？我想问问价格" → False."""
    word = _NOISE.sub("", unicodedata.normalize("NFKC", text or "")).upper()
    if word.startswith("回"):
        word = word[1:]
    if word.endswith("退订") and word[:-2] in {"T", "TD", "N"}:
        word = "退订"
    return word in STOP_WORDS


def _latest_sms(phone: str, *, since: dt.datetime | None = None) -> Message | None:
    qs = Message.objects.select_related("customer").filter(
        channel=MessageChannel.SMS, recipient=phone, status__in=_WENT_OUT
    )
    if since is not None:
        qs = qs.filter(sent_at__gte=since)
    return qs.order_by("-sent_at", "-id").first()


def sms_receive(*, phone: str, text: str) -> Outcome:
    """A text from a mobile: unsubscribe on a stop word, else a reply to our last SMS."""
    number = try_normalize_phone(phone or "")
    if number is None:
        raise ApplicationError(
            _("“%(value)s” is not a valid mobile number.") % {"value": phone or ""},
            errors={"phone": [_("Enter the sender's mobile number.")]},
        )
    text = (text or "").strip()
    if not text:
        raise ApplicationError(
            _("The text is empty."), errors={"text": [_("Enter the text of the SMS.")]}
        )
    if is_stop_word(text):
        message = _latest_sms(number)
        created = tracking.unsubscribe(
            channel=MessageChannel.SMS,
            address=number,
            message=message,
            detail=text,
            source=Source.SYSTEM,
        )
        return Outcome(
            matched=True,
            action="unsubscribed" if created else "already_unsubscribed",
            message_id=message.pk if message else None,
        )
    message = _latest_sms(number, since=clock.now() - dt.timedelta(days=SMS_REPLY_DAYS))
    if message is None:
        return UNMATCHED
    event = tracking.message_event_record(
        message=message, kind=EventKind.REPLIED, detail=text[:DETAIL_CHARS]
    )
    return Outcome(matched=True, action="replied", message_id=message.pk, event_id=event.pk)
