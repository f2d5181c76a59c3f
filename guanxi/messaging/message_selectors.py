"""Reading messages (the outbox, a customer's history, the API), always as one viewer sees them.

A message to a customer is visible to whoever may see that customer (`visible_to`). A message
with no customer (a test to oneself, a digest to a colleague) belongs to its sender, and to
administrators, who run the outbox for everyone.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import (
    Perm,
    can_see_contact_details,
    has_perm,
    mask_email,
    mask_phone,
    visible_to,
)
from guanxi.core.errors import NotFoundError
from guanxi.customers.models import Customer
from guanxi.messaging.models import Message, MessageChannel, MessageStatus, MessageTemplate


def _scope(user: User | None) -> Q | None:
    """The Q of the messages `user` may see, or None when they may see none."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    q = Q(customer__in=visible_to(user, Customer.objects.all()).values("pk"))
    if has_perm(user, Perm.CONFIG_MANAGE):
        return q | Q(customer__isnull=True)
    return q | Q(customer__isnull=True, created_by=user)


def message_list(
    *,
    user: User | None,
    status: str | None = None,
    channel: str | None = None,
    customer_id: int | None = None,
    category: str | None = None,
    q: str | None = None,
) -> QuerySet[Message]:
    """The messages the viewer may see, newest first, narrowed by the filters given."""
    scope = _scope(user)
    if scope is None:
        return Message.objects.none()
    qs = Message.objects.filter(scope)
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if category:
        qs = qs.filter(category=category)
    if q and q.strip():
        term = q.strip()
        text = Q(subject__icontains=term) | Q(body_text__icontains=term)
        # Searching by address would tell a masked viewer whose address it is.
        if can_see_contact_details(user):
            text |= Q(recipient__icontains=term)
        qs = qs.filter(text)
    return qs.select_related("customer", "template_version__template", "created_by").order_by(
        "-created_at", "-id"
    )


def message_status_counts(*, user: User | None, **filters: Any) -> dict[str, int]:
    """How many of the viewer's messages are in each status (with the other filters applied),
    every status present, zero when none."""
    filters.pop("status", None)
    rows = (
        message_list(user=user, **filters)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    counts = dict.fromkeys(MessageStatus.values, 0)
    counts.update(dict(rows))
    return counts


def message_get(*, user: User | None, pk: int) -> Message:
    """One message the viewer may see; NotFoundError for "missing" and "not yours" alike."""
    message = message_list(user=user).filter(pk=pk).first()
    if message is None:
        raise NotFoundError(_("Message not found."))
    return message


def message_events(*, message: Message) -> list:
    """The message's events, newest first (the message itself was already scope-checked)."""
    return list(message.events.order_by("-occurred_at", "-id"))


def message_by_idempotency_key(*, key: str) -> Message | None:
    """The message stored under an exact key, whoever's it is: the caller decides whether
    the viewer may have it (message_list) before showing anything of it."""
    return Message.objects.filter(idempotency_key=key).first()


def customer_messages(*, user: User | None, customer: Customer, limit: int = 20) -> list[Message]:
    """The customer's latest messages for their page."""
    return list(message_list(user=user, customer_id=customer.pk)[:limit])


def sendable_templates(*, channel: str) -> QuerySet[MessageTemplate]:
    """Active templates of a channel that have a text to send. Templates are shared by
    everyone, not scoped: the customer they are sent to is."""
    return (
        MessageTemplate.objects.filter(
            is_active=True, channel=channel, current_version__isnull=False
        )
        .select_related("current_version")
        .order_by("name", "id")
    )


def template_find(*, channel: str | None = None, ref: str | int) -> MessageTemplate | None:
    """An active template by id or by key ("123" or "product-intro")."""
    qs = MessageTemplate.objects.filter(is_active=True)
    if channel:
        qs = qs.filter(channel=channel)
    ref = str(ref).strip()
    return (qs.filter(pk=int(ref)) if ref.isdigit() else qs.filter(key=ref)).first()


def shown_recipient(user: User | None, message: Message) -> str:
    """The recipient's address as this viewer may see it (masked without contact details)."""
    if can_see_contact_details(user):
        return message.recipient
    if message.channel == MessageChannel.EMAIL:
        return mask_email(message.recipient)
    return mask_phone(message.recipient)
