"""Queueing email and SMS: the single write path for every message Guanxi sends.

`message_queue` renders a template version for one customer, decides whether the message
may go (consent, bounces, frequency cap) and when (quiet hours), and stores it. A worker
sends it (delivery.py). The idempotency key makes the whole thing safe to call twice: the
second call returns the first message and queues nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import visible_to
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, ConflictError, NotFoundError
from guanxi.core.phones import try_normalize_phone
from guanxi.customers.models import Contact, Customer
from guanxi.messaging import pacing, rendering, tokens
from guanxi.messaging.models import (
    Category,
    Message,
    MessageChannel,
    MessageStatus,
    MessageTemplate,
    MessagingSettings,
    Suppression,
    SuppressionReason,
    TemplateVersion,
)


@dataclass(frozen=True, kw_only=True)
class Content:
    """What a message says, before rendering (a template version, or text typed for one)."""

    subject: str = ""
    html: str = ""
    text: str = ""
    # SMS through the provider's own approved template: its code and (name, expression)
    # pairs, in the provider's order. Empty: the text goes through the carrier template.
    provider_template_code: str = ""
    provider_params: tuple[tuple[str, ...], ...] = ()


@dataclass(kw_only=True)
class Recipient:
    address: str
    contact: Contact | None = None


@dataclass(kw_only=True)
class Rendered:
    subject: str
    text: str
    html: str
    links: list[str] = field(default_factory=list)
    # {"code": …, "params": [[name, value], …]} (Message.provider_template); {} without one.
    provider_template: dict[str, Any] = field(default_factory=dict)


def address_normalize(*, channel: str, address: str) -> str | None:
    """The form addresses are compared in (lower-case email, E.164 phone); None if invalid."""
    address = (address or "").strip()
    if channel == MessageChannel.EMAIL:
        return address.lower() if "@" in address and " " not in address else None
    return try_normalize_phone(address)


def recipient_for(*, customer: Customer, channel: str) -> Recipient | None:
    """The primary contact's address for the channel, else the first contact that has one."""
    column = "email" if channel == MessageChannel.EMAIL else "phone"
    contacts = Contact.objects.filter(customer=customer).exclude(**{column: ""})
    contact = contacts.order_by("-is_primary", "id").first()
    if contact is None:
        return None
    return Recipient(address=getattr(contact, column), contact=contact)


def context_for(
    *,
    customer: Customer | None,
    contact: Contact | None,
    token: str,
    params: dict[str, Any] | None = None,
    settings_row: MessagingSettings | None = None,
) -> dict[str, Any]:
    """The template variables (rendering.VARIABLES), as plain strings in plain dicts."""
    s = settings_row or pacing.current_settings()
    owner = customer.owner if customer and customer.owner_id else None
    birthday = customer.birthday if customer else None
    context: dict[str, Any] = {
        "customer": {
            "name": customer.name if customer else "",
            "code": customer.code if customer else "",
            "level": customer.level.name if customer and customer.level_id else "",
            "intent": customer.get_intent_display() if customer else "",
            "stage": customer.get_stage_display() if customer else "",
            "industry": customer.industry.name if customer and customer.industry_id else "",
            "province": customer.province if customer else "",
            "city": customer.city if customer else "",
            "birthday": birthday.strftime("%m-%d") if birthday else "",
        },
        "contact": {
            "name": contact.name if contact else "",
            "title": contact.title if contact else "",
            "salutation": (contact.name if contact and contact.name else "")
            or (customer.name if customer else ""),
        },
        "owner": {
            "name": str(owner) if owner else "",
            "email": owner.email if owner else "",
            "phone": owner.phone if owner else "",
        },
        "company": {
            "name": s.company_name,
            "phone": s.company_phone,
            "website": s.company_website,
            "address": s.company_address,
            "signature": s.email_signature,
        },
        "coupon_code": "",
        "unsubscribe_url": tokens.unsubscribe_url(token),
        "today": timezone.localdate(clock.now()).isoformat(),
    }
    for key, value in (params or {}).items():
        if key in rendering.TOP_LEVEL and not isinstance(context.get(key), dict):
            context[key] = str(value)
    return context


def render(*, channel: str, content: Content, context: dict[str, Any], token: str) -> Rendered:
    """Render subject and bodies; http(s) links in an email become tracked links (the
    unsubscribe link stays as it is)."""
    subject = " ".join(rendering.render_text(content.subject, context).split())
    if channel == MessageChannel.SMS:
        return Rendered(
            subject="",
            text=rendering.render_text(content.text, context).strip(),
            html="",
            provider_template=render_provider_template(content=content, context=context),
        )
    html = rendering.render_html(content.html, context)
    text = rendering.render_text(content.text, context) if content.text else ""
    if html and not text:
        text = rendering.html_to_text(html)
    links = rendering.LinkRewriter(
        url_for=lambda index: tokens.click_url(token, index),
        skip={context["unsubscribe_url"]},
    )
    html = links.html(html)
    text = links.text(text)
    if html:
        pixel = tokens.open_url(token)
        tag = f'<img src="{pixel}" width="1" height="1" alt="" style="display:none">'
        html = html.replace("</body>", f"{tag}</body>") if "</body>" in html else html + tag
    return Rendered(subject=subject, text=text, html=html, links=links.links)


def render_provider_template(*, content: Content, context: dict[str, Any]) -> dict[str, Any]:
    """The provider template an SMS names, with its variables rendered as the text is (the
    same sandbox and whitelist): {"code": …, "params": [[name, value], …]}, a list because
    Tencent fills {1}, {2}, … by position. {} when the content names no provider template."""
    if not content.provider_template_code:
        return {}
    params = [
        [name, " ".join(rendering.render_text(expression, context).split())]
        for name, expression in content.provider_params
    ]
    return {"code": content.provider_template_code, "params": params}


def content_of(version: TemplateVersion) -> Content:
    return Content(
        subject=version.subject,
        html=version.html_body,
        text=version.text_body,
        provider_template_code=version.provider_template_code,
        provider_params=tuple(tuple(pair) for pair in version.provider_params),
    )


_UNKNOWN = object()


def skip_reason(
    *, channel: str, category: str, address: str | None, customer_id: int | None,
    settings_row: MessagingSettings, suppression: object = _UNKNOWN,
    recent: int | None = None,
) -> str:  # fmt: skip
    """Why a message may not go ("" when it may). A bulk caller passes the address's
    suppression (or None) and the customer's recent marketing count it fetched in bulk."""
    if address is None:
        return (
            _("Invalid email address")
            if channel == MessageChannel.EMAIL
            else _("Invalid mobile number")
        )
    if suppression is _UNKNOWN:
        suppression = Suppression.objects.filter(channel=channel, address=address).first()
    if isinstance(suppression, Suppression):
        if suppression.reason == SuppressionReason.BOUNCED:
            return _("The address bounced earlier: %(detail)s") % {"detail": suppression.detail}
        if category == Category.MARKETING:
            return _("The recipient unsubscribed (%(reason)s)") % {
                "reason": suppression.get_reason_display()
            }
    if category == Category.MARKETING:
        if recent is None:
            capped = pacing.over_cap(
                settings=settings_row, customer_id=customer_id, channel=channel
            )
        else:
            capped = bool(settings_row.marketing_cap) and recent >= settings_row.marketing_cap
        if capped:
            return _(
                "Frequency cap: this customer already got %(count)s marketing message(s) on "
                "this channel within %(hours)s hours"
            ) % {"count": settings_row.marketing_cap, "hours": settings_row.marketing_cap_hours}
    return ""


def message_queue(
    *,
    actor: User | None,
    channel: str,
    customer: Customer | None = None,
    template: MessageTemplate | None = None,
    version: TemplateVersion | None = None,
    content: Content | None = None,
    category: str | None = None,
    recipient: str = "",
    contact: Contact | None = None,
    params: dict[str, Any] | None = None,
    idempotency_key: str = "",
    source: str = Source.UI,
    not_before: dt.datetime | None = None,
) -> Message:
    """Queue one message. Returns the existing message when the idempotency key was used.

    With an `actor`, the customer must be in their data scope (else ApplicationError, nothing
    stored). A message that may not go (unsubscribed, bounced, over the cap, no valid
    address) is stored as skipped with the reason, so the sender sees why."""
    if channel not in MessageChannel.values:
        raise ApplicationError(_("Unknown channel."))
    if idempotency_key:
        existing = Message.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    if (
        actor is not None
        and customer is not None
        and not visible_to(actor, Customer.objects.filter(pk=customer.pk)).exists()
    ):
        raise NotFoundError(_("Customer not found."))
    if template is not None and version is None:
        if not template.is_active or template.current_version_id is None:
            raise ApplicationError(_("This template is not active."))
        version = template.current_version
    if version is not None:
        template = version.template
        if template.channel != channel:
            raise ApplicationError(_("This template is for another channel."))
        content = content_of(version)
        category = category or template.category
    if content is None:
        raise ApplicationError(_("Choose a template or write the message."))
    category = category or Category.TRANSACTIONAL
    if not recipient and customer is not None:
        found = recipient_for(customer=customer, channel=channel)
        if found is not None:
            recipient, contact = found.address, contact or found.contact
    if not recipient:
        raise ApplicationError(
            _("This customer has no email address.")
            if channel == MessageChannel.EMAIL
            else _("This customer has no mobile number.")
        )
    settings_row = pacing.current_settings()
    token = tokens.new_token()
    try:
        rendered = render(
            channel=channel,
            content=content,
            context=context_for(
                customer=customer, contact=contact, token=token, params=params,
                settings_row=settings_row,
            ),
            token=token,
        )  # fmt: skip
    except rendering.TemplateProblem as problem:
        raise ApplicationError(
            _("The template cannot be rendered: %(error)s") % {"error": problem}
        ) from None
    if channel == MessageChannel.SMS and not rendered.text:
        raise ApplicationError(_("The message is empty."))
    address = address_normalize(channel=channel, address=recipient)
    now = clock.now()
    reason = skip_reason(
        channel=channel, category=category, address=address,
        customer_id=customer.pk if customer else None, settings_row=settings_row,
    )  # fmt: skip
    due = max(now, not_before) if not_before else now
    postponed = pacing.postponed_to(
        settings=settings_row, channel=channel, category=category, at=due
    )
    message = Message(
        channel=channel,
        category=category,
        customer=customer,
        contact=contact,
        recipient=address or recipient,
        template_version=version,
        subject=rendered.subject[:300],
        body_text=rendered.text,
        body_html=rendered.html,
        links=rendered.links,
        provider_template=rendered.provider_template,
        idempotency_key=idempotency_key or f"adhoc:{token}",
        token=token,
        status=MessageStatus.SKIPPED if reason else MessageStatus.QUEUED,
        reason=reason,
        next_attempt_at=None if reason else (postponed or due),
        source=source,
        created_by=actor if actor is not None and actor.pk else None,
        created_at=now,
    )
    try:
        with transaction.atomic():
            message.save()
            activity_record(
                actor=actor,
                verb=Verb.MESSAGED,
                target=message,
                customer_id=message.customer_id,
                summary=message_summary(message),
                source=source,
            )
    except IntegrityError:
        existing = Message.objects.filter(idempotency_key=message.idempotency_key).first()
        if existing is None:
            raise
        return existing
    if message.status == MessageStatus.QUEUED:
        transaction.on_commit(wake_worker)
    return message


def message_summary(message: Message) -> str:
    summary = str(message)
    if message.status == MessageStatus.SKIPPED:
        summary += f" ({message.get_status_display()}: {message.reason})"
    return summary


def wake_worker() -> None:
    """Ask a worker to deliver (one waiting wake-up is enough: see core.wake)."""
    from guanxi.core.wake import enqueue_unless_waiting
    from guanxi.messaging.tasks import deliver_messages

    enqueue_unless_waiting(deliver_messages)


def message_retry(*, actor: User, message: Message) -> Message:
    """Send a failed (or skipped) message again, as a person decided to."""
    if message.status not in (MessageStatus.FAILED, MessageStatus.SKIPPED):
        raise ConflictError(_("Only a failed or skipped message can be sent again."))
    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, status=message.status).update(
            status=MessageStatus.QUEUED, next_attempt_at=clock.now(), lease_until=None, reason=""
        )
        if not updated:
            raise ConflictError(_("The message changed meanwhile; reload the page."))
        activity_record(
            actor=actor, verb=Verb.UPDATED, target=message, customer_id=message.customer_id,
            summary=_("sent again by hand"),
        )  # fmt: skip
        transaction.on_commit(wake_worker)
    message.refresh_from_db()
    return message


def message_cancel(*, actor: User, message: Message) -> Message:
    """Stop a message that has not gone yet (queued, waiting for the morning)."""
    with transaction.atomic():
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=clock.now())
        updated = Message.objects.filter(free, pk=message.pk, status=MessageStatus.QUEUED).update(
            status=MessageStatus.CANCELLED, next_attempt_at=None
        )
        if not updated:
            raise ConflictError(_("Only a message still waiting can be cancelled."))
        activity_record(
            actor=actor, verb=Verb.CANCELLED, target=message, customer_id=message.customer_id
        )
    message.refresh_from_db()
    return message
