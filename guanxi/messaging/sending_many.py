"""Queueing one template for many customers at once (automation steps, campaigns).

Same rules and the same rows as `sending.message_queue`, but every lookup is one query per
batch instead of one per message: existing idempotency keys, addresses, suppressions and
the frequency-cap counts; rows and audit rows are inserted in bulk; one worker wake-up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.activity.models import ActivityEvent, Source, Verb
from guanxi.activity.services import activity_record_many
from guanxi.core import clock
from guanxi.core.errors import ApplicationError
from guanxi.customers.models import Contact, Customer
from guanxi.messaging import pacing, tokens
from guanxi.messaging.models import (
    Category,
    Message,
    MessageChannel,
    MessageStatus,
    MessageTemplate,
    Suppression,
)
from guanxi.messaging.sending import (
    address_normalize,
    content_of,
    context_for,
    message_summary,
    render,
    skip_reason,
    wake_worker,
)

BATCH = 500


def messages_queue_many(
    *,
    channel: str,
    template: MessageTemplate,
    customers: Sequence[Customer],
    idempotency_key: Callable[[Customer], str],
    params: Callable[[Customer], dict[str, Any]] | None = None,
    source: str = Source.AUTOMATION,
) -> list[Message]:
    """Queue `template` to each customer's primary address; returns the messages (existing
    ones for keys already used). Customers without an address for the channel are left
    out — the caller (an automation step) records that as its own skip reason. Pass
    customers fetched with select_related("owner", "level", "industry")."""
    version = template.current_version
    if version is None or not template.is_active or template.channel != channel:
        raise ApplicationError(_("This template is not active or is for another channel."))
    result: list[Message] = []
    for start in range(0, len(customers), BATCH):
        result += _batch(
            channel=channel, template=template, version=version,
            customers=customers[start : start + BATCH], key_of=idempotency_key,
            params_of=params, source=source,
        )  # fmt: skip
    if any(m.status == MessageStatus.QUEUED for m in result):
        transaction.on_commit(wake_worker)
    return result


def _addresses(channel: str, customer_ids: list[int]) -> dict[int, Contact]:
    column = "email" if channel == MessageChannel.EMAIL else "phone"
    found: dict[int, Contact] = {}
    contacts = (
        Contact.objects.filter(customer_id__in=customer_ids)
        .exclude(**{column: ""})
        .order_by("customer_id", "-is_primary", "id")
    )
    for contact in contacts:
        found.setdefault(contact.customer_id, contact)
    return found


def _batch(*, channel, template, version, customers, key_of, params_of, source) -> list[Message]:
    keys = {c.pk: key_of(c) for c in customers}
    existing = {
        m.idempotency_key: m for m in Message.objects.filter(idempotency_key__in=keys.values())
    }
    fresh = [c for c in customers if keys[c.pk] not in existing]
    contacts = _addresses(channel, [c.pk for c in fresh])
    column = "email" if channel == MessageChannel.EMAIL else "phone"
    normalized = {
        pk: address_normalize(channel=channel, address=getattr(contact, column))
        for pk, contact in contacts.items()
    }
    suppressions = {
        s.address: s
        for s in Suppression.objects.filter(
            channel=channel, address__in=[a for a in normalized.values() if a]
        )
    }
    settings_row = pacing.current_settings()
    category = template.category
    recent = (
        pacing.recent_counts(settings=settings_row, customer_ids=list(contacts), channel=channel)
        if category == Category.MARKETING
        else {}
    )
    content = content_of(version)
    now = clock.now()
    postponed = pacing.postponed_to(
        settings=settings_row, channel=channel, category=category, at=now
    )
    rows: list[Message] = []
    for customer in fresh:
        contact = contacts.get(customer.pk)
        if contact is None:
            continue
        token = tokens.new_token()
        rendered = render(
            channel=channel,
            content=content,
            context=context_for(
                customer=customer, contact=contact, token=token,
                params=params_of(customer) if params_of else None, settings_row=settings_row,
            ),
            token=token,
        )  # fmt: skip
        address = normalized[customer.pk]
        reason = skip_reason(
            channel=channel, category=category, address=address, customer_id=customer.pk,
            settings_row=settings_row, suppression=suppressions.get(address or ""),
            recent=recent.get(customer.pk, 0),
        )  # fmt: skip
        rows.append(
            Message(
                channel=channel, category=category, customer=customer, contact=contact,
                recipient=address or getattr(contact, column), template_version=version,
                subject=rendered.subject[:300], body_text=rendered.text, body_html=rendered.html,
                links=rendered.links, provider_template=rendered.provider_template,
                idempotency_key=keys[customer.pk], token=token,
                status=MessageStatus.SKIPPED if reason else MessageStatus.QUEUED,
                reason=reason, next_attempt_at=None if reason else (postponed or now),
                source=source, created_at=now,
            )
        )  # fmt: skip
    with transaction.atomic():
        Message.objects.bulk_create(rows, batch_size=BATCH)
        activity_record_many(
            [
                ActivityEvent(
                    occurred_at=now, actor=None, verb=Verb.MESSAGED, source=source,
                    target_type="messaging.message", target_id=m.pk, target_repr=str(m)[:200],
                    customer_id=m.customer_id, changes={}, summary=message_summary(m)[:500],
                )
                for m in rows
            ]
        )  # fmt: skip
    made = {m.customer_id: m for m in rows}
    return [existing.get(keys[c.pk]) or made[c.pk] for c in customers
            if keys[c.pk] in existing or c.pk in made]  # fmt: skip
