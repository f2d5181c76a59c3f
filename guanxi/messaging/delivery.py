"""The delivery loop: claim due messages, hand them to their channel, record the outcome.

Exactly-once, including a worker killed at the worst moment:
1. A batch is *claimed* (a lease, `lease_until`) in one short transaction. A worker that dies
   holding a lease loses nothing: once the lease expires the rows are claimable again.
2. Right before a message is handed over, its row is marked `sending` and committed — in the
   same transaction that records the previous message's outcome, so it costs no extra commit.
3. After the handover the outcome is recorded (sent / retry later / failed).
A row found in `sending` with an expired lease was being handed over when its worker died:
the server may or may not have it. It is not sent again (that could deliver it twice); it
fails with that reason, and a person can send it again after checking (message_retry).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from guanxi.core import clock
from guanxi.messaging import pacing
from guanxi.messaging.channels import Channel, Outcome, OutcomeKind, channel_for
from guanxi.messaging.models import Message, MessageStatus

LEASE = dt.timedelta(minutes=5)
BATCH = 200
# Retry backoff after the n-th failed attempt: 1, 5, 15, 60 minutes, then 3 hours.
BACKOFF_MINUTES = [1, 5, 15, 60, 180]


@dataclass
class Report:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    interrupted: int = 0

    def __iadd__(self, other: Report) -> Report:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.interrupted += other.interrupted
        return self


def deliver_due(
    *, now: dt.datetime | None = None, channels: list[Channel] | None = None, limit: int = 5000
) -> Report:
    """Send what is due, batch by batch, until nothing is left (or `limit` were handled)."""
    report = Report(interrupted=recover_interrupted(now=now))
    by_kind = {c.kind: c for c in channels} if channels else {}
    handled = 0
    while handled < limit:
        batch = claim(now=now, size=min(BATCH, limit - handled))
        if not batch:
            break
        handled += len(batch)
        for kind in sorted({m.channel for m in batch}):
            channel = by_kind.get(kind) or channel_for(kind)
            report += send_batch(channel=channel, messages=[m for m in batch if m.channel == kind])
    return report


def recover_interrupted(*, now: dt.datetime | None = None) -> int:
    now = now or clock.now()
    return Message.objects.filter(status=MessageStatus.SENDING, lease_until__lt=now).update(
        status=MessageStatus.FAILED,
        lease_until=None,
        next_attempt_at=None,
        reason=_(
            "The worker stopped while handing this message over; it was not sent again "
            "automatically so that it cannot arrive twice. Check, then send it again by hand."
        ),
    )


def claim(*, now: dt.datetime | None = None, size: int = BATCH) -> list[Message]:
    """Lease up to `size` due messages to this worker, oldest due first, within the send
    rate of each channel."""
    now = now or clock.now()
    settings_row = pacing.current_settings()
    due = Q(status=MessageStatus.QUEUED, next_attempt_at__lte=now) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    with transaction.atomic():
        qs = Message.objects.filter(due).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        candidates = list(qs.values_list("pk", "channel")[: size * 2])
        allowed: dict[str, int] = {}
        ids = []
        for pk, kind in candidates:
            if kind not in allowed:
                allowed[kind] = pacing.rate_allowance(
                    settings=settings_row, channel=kind, wanted=size
                )
            if allowed[kind] > 0 and len(ids) < size:
                allowed[kind] -= 1
                ids.append(pk)
        if not ids:
            return []
        Message.objects.filter(pk__in=ids).update(lease_until=now + LEASE)
    return list(Message.objects.filter(pk__in=ids).order_by("next_attempt_at", "id"))


def send_batch(*, channel: Channel, messages: list[Message]) -> Report:
    report = Report()
    settings_row = pacing.current_settings()
    channel.open()
    try:
        previous: tuple[Message, Outcome] | None = None
        for message in messages:
            with transaction.atomic():
                if previous is not None:
                    _record(*previous, report=report, max_attempts=settings_row.max_attempts)
                Message.objects.filter(pk=message.pk).update(
                    status=MessageStatus.SENDING, attempts=F("attempts") + 1
                )
            message.attempts += 1
            previous = (message, channel.send(message))
        if previous is not None:
            with transaction.atomic():
                _record(*previous, report=report, max_attempts=settings_row.max_attempts)
    finally:
        channel.close()
    return report


def _record(message: Message, outcome: Outcome, *, report: Report, max_attempts: int) -> None:
    now = clock.now()
    if outcome.kind == OutcomeKind.SENT:
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENT, sent_at=now, lease_until=None, next_attempt_at=None,
            provider_message_id=outcome.provider_id[:200], reason="",
        )  # fmt: skip
        report.sent += 1
    elif outcome.kind == OutcomeKind.RETRY and message.attempts < max_attempts:
        wait = BACKOFF_MINUTES[min(message.attempts, len(BACKOFF_MINUTES)) - 1]
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.QUEUED, lease_until=None, reason=outcome.reason,
            next_attempt_at=now + dt.timedelta(minutes=wait),
        )  # fmt: skip
        report.retrying += 1
    else:
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.FAILED, lease_until=None, next_attempt_at=None,
            reason=outcome.reason,
        )  # fmt: skip
        report.failed += 1
