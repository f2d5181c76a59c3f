"""When a message may go out: quiet hours, the marketing frequency cap, send rates.

Quiet hours postpone (the message waits for the morning, it is not dropped); the frequency
cap skips a marketing message with the reason; the send rate only paces the worker.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from guanxi.core import clock
from guanxi.messaging.models import (
    Category,
    Message,
    MessageChannel,
    MessageStatus,
    MessagingSettings,
)

COUNTED = [
    MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED
]  # fmt: skip


def current_settings() -> MessagingSettings:
    row, _ = MessagingSettings.objects.get_or_create(pk=1)
    return row


def in_quiet_hours(*, settings: MessagingSettings, channel: str, category: str) -> bool:
    if channel == MessageChannel.SMS:
        return settings.quiet_for_sms
    return category == Category.MARKETING and settings.quiet_for_marketing_email


def quiet_until(*, settings: MessagingSettings, at: dt.datetime) -> dt.datetime | None:
    """The end of the quiet period `at` falls in (local time), or None outside it."""
    start, end = settings.quiet_start, settings.quiet_end
    if start == end:
        return None
    local = timezone.localtime(at)
    now = local.time()
    overnight = start > end  # 21:00 → 08:00
    inside = (now >= start or now < end) if overnight else (start <= now < end)
    if not inside:
        return None
    day = local.date()
    if overnight and now >= start:
        day += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, end), local.tzinfo)


def postponed_to(
    *, settings: MessagingSettings, channel: str, category: str, at: dt.datetime
) -> dt.datetime | None:
    if not in_quiet_hours(settings=settings, channel=channel, category=category):
        return None
    return quiet_until(settings=settings, at=at)


def over_cap(*, settings: MessagingSettings, customer_id: int | None, channel: str) -> bool:
    """True when the customer already had their marketing allowance on this channel."""
    if customer_id is None or settings.marketing_cap == 0:
        return False
    since = clock.now() - dt.timedelta(hours=settings.marketing_cap_hours)
    recent = Message.objects.filter(
        Q(sent_at__gte=since) | Q(sent_at__isnull=True),
        customer_id=customer_id,
        channel=channel,
        category=Category.MARKETING,
        status__in=COUNTED,
        created_at__gte=since - dt.timedelta(days=7),
    ).count()
    return recent >= settings.marketing_cap


def rate_allowance(*, settings: MessagingSettings, channel: str, wanted: int) -> int:
    """How many of `wanted` messages this channel may send now, under its per-minute limit."""
    limit = (
        settings.email_per_minute if channel == MessageChannel.EMAIL else settings.sms_per_minute
    )
    if not limit:
        return wanted
    since = clock.now() - dt.timedelta(minutes=1)
    sent = Message.objects.filter(channel=channel, sent_at__gte=since).count()
    return max(0, min(wanted, limit - sent))


def recent_counts(
    *, settings: MessagingSettings, customer_ids: list[int], channel: str
) -> dict[int, int]:
    """over_cap's count for many customers in one query: customer id → messages counted."""
    from django.db.models import Count

    since = clock.now() - dt.timedelta(hours=settings.marketing_cap_hours)
    rows = (
        Message.objects.filter(
            Q(sent_at__gte=since) | Q(sent_at__isnull=True),
            customer_id__in=customer_ids,
            channel=channel,
            category=Category.MARKETING,
            status__in=COUNTED,
            created_at__gte=since - dt.timedelta(days=7),
        )
        .values("customer_id")
        .annotate(n=Count("id"))
    )
    return {row["customer_id"]: row["n"] for row in rows}
