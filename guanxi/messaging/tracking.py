"""What recipients do with messages: opens, clicks, replies, bounces, unsubscribes, spam
complaints.

Every outcome is a MessageEvent row. The first open / click / reply of a message also
stamps the message, tags the customer (settings: 感兴趣 for opens and clicks, 需跟进 for
replies), tells the owner in-app, and publishes `message.<kind>` for the automation engine.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.events import Event, publish
from guanxi.customers.services import customer_tag_by_system
from guanxi.messaging import pacing
from guanxi.messaging.models import (
    EventKind,
    Message,
    MessageChannel,
    MessageEvent,
    MessageStatus,
    Suppression,
    SuppressionReason,
)
from guanxi.messaging.services import notification_create

_FIRST_STAMP = {
    EventKind.OPENED: "opened_at",
    EventKind.CLICKED: "clicked_at",
    EventKind.REPLIED: "replied_at",
    EventKind.DELIVERED: "delivered_at",
}


def message_event_record(
    *, message: Message, kind: str, url: str = "", detail: str = ""
) -> MessageEvent:
    """Record one event; the first of its kind for the message also reaches the customer
    record, the owner and the automation engine."""
    now = clock.now()
    with transaction.atomic():
        event = MessageEvent.objects.create(
            message=message, kind=kind, url=url[:2000], detail=detail, occurred_at=now
        )
        stamp = _FIRST_STAMP.get(kind)
        first = False
        if stamp:
            first = bool(
                Message.objects.filter(pk=message.pk, **{f"{stamp}__isnull": True}).update(
                    **{stamp: now}
                )
            )
            setattr(message, stamp, getattr(message, stamp) or now)
        if kind == EventKind.DELIVERED:
            Message.objects.filter(pk=message.pk, status=MessageStatus.SENT).update(
                status=MessageStatus.DELIVERED
            )
        if first and kind in (EventKind.OPENED, EventKind.CLICKED, EventKind.REPLIED):
            _react(message=message, kind=kind, url=url)
        if message.customer_id:
            publish(
                Event(
                    name=f"message.{kind}",
                    customer_id=message.customer_id,
                    source=Source.SYSTEM,
                    payload={"message_id": message.pk, "url": url, "first": first},
                )
            )
    return event


def _react(*, message: Message, kind: str, url: str) -> None:
    customer = message.customer
    if customer is None:
        return
    settings_row = pacing.current_settings()
    tag = settings_row.follow_up_tag if kind == EventKind.REPLIED else settings_row.interested_tag
    if tag:
        customer_tag_by_system(customer=customer, name=tag)
    if customer.owner_id is None:
        return
    owner = customer.owner
    what = message.subject or message.body_text[:40]
    # A blank preference means the site language; override(None) would mean untranslated.
    with translation.override(owner.language or settings.LANGUAGE_CODE):
        if kind == EventKind.CLICKED:
            title = _("%(customer)s clicked %(link)s — contact them today") % {
                "customer": customer.name, "link": url or what,
            }  # fmt: skip
        elif kind == EventKind.REPLIED:
            title = _("%(customer)s replied to “%(subject)s” — answer them today") % {
                "customer": customer.name, "subject": what,
            }  # fmt: skip
        else:
            title = _("%(customer)s opened “%(subject)s”") % {
                "customer": customer.name, "subject": what,
            }  # fmt: skip
    notification_create(
        user_id=owner.pk,
        kind=f"message_{kind}",
        title=title,
        url=reverse("customers:detail", args=[customer.pk]),
        customer_id=customer.pk,
        dedupe_key=f"message:{message.pk}:{kind}",
    )


def message_open(*, message: Message) -> None:
    message_event_record(message=message, kind=EventKind.OPENED)


def message_click(*, message: Message, index: int) -> str | None:
    """The address link `index` of the message leads to (None: no such link)."""
    if not 0 <= index < len(message.links):
        return None
    url = message.links[index]
    # A click proves an open even when images were blocked.
    if message.opened_at is None:
        message_event_record(message=message, kind=EventKind.OPENED)
    message_event_record(message=message, kind=EventKind.CLICKED, url=url)
    return url


def unsubscribe(
    *,
    channel: str,
    address: str,
    message: Message | None = None,
    customer_id: int | None = None,
    reason: str = SuppressionReason.UNSUBSCRIBED,
    detail: str = "",
    actor=None,
    source: str = Source.SYSTEM,
) -> bool:
    """Stop marketing to an address on a channel. False when it was already stopped."""
    customer_id = customer_id or (message.customer_id if message else None)
    with transaction.atomic():
        row, created = Suppression.objects.get_or_create(
            channel=channel,
            address=address,
            defaults={
                "reason": reason,
                "detail": detail[:500],
                "customer_id": customer_id,
                "created_by": actor,
                "created_at": clock.now(),
            },
        )
        if not created and reason == SuppressionReason.BOUNCED and row.reason != reason:
            # A bounce is stronger than an unsubscribe: nothing may go any more.
            Suppression.objects.filter(pk=row.pk).update(reason=reason, detail=detail[:500])
            created = True
        if not created:
            return False
        if message is not None and reason == SuppressionReason.UNSUBSCRIBED:
            MessageEvent.objects.create(
                message=message, kind=EventKind.UNSUBSCRIBED, occurred_at=clock.now()
            )
        activity_record(
            actor=actor,
            verb=Verb.UPDATED,
            target=row,
            customer_id=customer_id,
            source=source,
            summary=_("%(channel)s %(address)s: %(reason)s")
            % {
                "channel": MessageChannel(channel).label,
                "address": address,
                "reason": SuppressionReason(reason).label,
            },
        )
        if customer_id:
            publish(
                Event(
                    name="message.unsubscribed" if reason != "bounced" else "message.bounced",
                    customer_id=customer_id,
                    source=source,
                    payload={"channel": channel, "address": address},
                )
            )
    return True


def resubscribe(*, actor, channel: str, address: str, customer_id: int | None = None) -> bool:
    """A person records that the recipient opted in again (audited)."""
    with transaction.atomic():
        row = Suppression.objects.filter(channel=channel, address=address).first()
        if row is None:
            return False
        activity_record(
            actor=actor,
            verb=Verb.DELETED,
            target=row,
            customer_id=customer_id or row.customer_id,
            summary=_("%(channel)s %(address)s may receive marketing again")
            % {"channel": MessageChannel(channel).label, "address": address},
        )
        row.delete()
    return True


def message_bounced(*, message: Message, detail: str) -> None:
    """A delivery status notification said the address does not work: the message is
    bounced and the address gets nothing more (until a person clears it)."""
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(status=MessageStatus.BOUNCED, reason=detail)
        message_event_record(message=message, kind=EventKind.BOUNCED, detail=detail)
        unsubscribe(
            channel=message.channel,
            address=message.recipient,
            message=message,
            reason=SuppressionReason.BOUNCED,
            detail=detail,
        )


def message_complained(*, message: Message, detail: str) -> MessageEvent | None:
    """The recipient marked the message as spam (their mailbox provider's feedback loop sent
    an ARF report): the address gets no more marketing — withdrawn as an unsubscribe
    withdraws it, audited, with the reason "Marked as spam" — the message records a
    `complained` event, and the customer's owner is told in-app.

    Returns the event; None when this message was complained about before (mailbox
    providers repeat reports, and the webhook and IMAP may both see one): nothing changes."""
    with transaction.atomic():
        # The lock makes two copies of a report, handled at once, record one complaint.
        Message.objects.select_for_update().filter(pk=message.pk).first()
        if MessageEvent.objects.filter(message=message, kind=EventKind.COMPLAINED).exists():
            return None
        event = message_event_record(message=message, kind=EventKind.COMPLAINED, detail=detail)
        unsubscribe(
            channel=message.channel,
            address=message.recipient,
            message=message,
            reason=SuppressionReason.COMPLAINED,
            detail=detail,
        )
        _tell_owner_of_complaint(message=message)
    return event


def _tell_owner_of_complaint(*, message: Message) -> None:
    customer = message.customer
    if customer is None or customer.owner_id is None:
        return
    owner = customer.owner
    what = message.subject or message.body_text[:40]
    with translation.override(owner.language or settings.LANGUAGE_CODE):
        title = _(
            "%(customer)s marked “%(subject)s” as spam — they get no more marketing email"
        ) % {"customer": customer.name, "subject": what}
    notification_create(
        user_id=owner.pk,
        kind="message_complained",
        title=title,
        url=reverse("customers:detail", args=[customer.pk]),
        customer_id=customer.pk,
        dedupe_key=f"message:{message.pk}:complained",
    )
