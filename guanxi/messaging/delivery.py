"""The delivery loop: claim due messages, hand them to their channel, record the outcome.

Exactly-once, including a worker killed at the worst moment:
1. A batch is *claimed* (a lease, `lease_until`) in one short transaction. A worker that dies
   holding a lease loses nothing: once the lease expires the rows are claimable again.
2. Right before a message is handed over, its row is marked `sending` and committed — in the
   same transaction that records the previous message's outcome, so it costs no extra commit.
   A channel may prepare the handover meanwhile (SMTP: the envelope up to DATA), but hands
   the message over only after that commit.
3. After the handover the outcome is recorded (sent / retry later / failed).
A row found in `sending` with an expired lease was being handed over when its worker died:
the server may or may not have it. It is not sent again (that could deliver it twice); it
fails with that reason, and a person can send it again after checking (message_retry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from django.db import connection, transaction
from django.db.models import Q
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
    # A channel that can start a handover without delivering (SMTP's envelope) does so in
    # this thread while the database commits the in-flight mark (channels.base.Channel).
    helper = ThreadPoolExecutor(max_workers=1) if hasattr(channel, "prepare") else None
    try:
        previous: tuple[Message, Outcome] | None = None
        for message in messages:
            if previous is not None and previous[1].kind == OutcomeKind.SENT:
                # The common case in one statement (atomic on its own): previous sent,
                # this one in flight.
                _while_preparing(helper, channel, message, partial(_sent_then_sending,
                                                                   previous, message.pk))  # fmt: skip
                report.sent += 1
            else:
                with transaction.atomic():
                    if previous is not None:
                        _record(*previous, report=report, max_attempts=settings_row.max_attempts)
                    _mark_sending(message.pk)
            message.attempts += 1
            previous = (message, channel.send(message))
        if previous is not None:
            with transaction.atomic():
                _record(*previous, report=report, max_attempts=settings_row.max_attempts)
    finally:
        if helper is not None:
            helper.shutdown()
        channel.close()
    return report


def _while_preparing(
    helper: ThreadPoolExecutor | None, channel: Channel, message: Message, mark: Callable[[], None]
) -> None:
    """Run `mark` (the commit that puts `message` in flight) while the channel prepares its
    handover. The message itself goes only in channel.send(), after `mark` committed, so a
    worker that dies here has delivered nothing."""
    if helper is None:
        mark()
        return
    preparing = helper.submit(channel.prepare, message)  # type: ignore[attr-defined]
    try:
        mark()
    except BaseException:
        preparing.result()
        channel.cancel()  # type: ignore[attr-defined]
        raise
    preparing.result()


# The two statements every message runs, as plain SQL: through the ORM they cost more than
# the SMTP round trip they bracket (benchmarks/messaging.py).
_TABLE = Message._meta.db_table  # a model constant, never input
_SENDING_SQL = f"UPDATE {_TABLE} SET status = %s, attempts = attempts + 1 WHERE id = %s"  # noqa: S608
# One statement: the previous message sent, the next one in flight.
_ADVANCE_SQL = (
    f"UPDATE {_TABLE} SET "  # noqa: S608
    "status = CASE WHEN id = %s THEN %s ELSE %s END, "
    "attempts = CASE WHEN id = %s THEN attempts ELSE attempts + 1 END, "
    "sent_at = CASE WHEN id = %s THEN %s ELSE sent_at END, "
    "lease_until = CASE WHEN id = %s THEN NULL ELSE lease_until END, "
    "next_attempt_at = CASE WHEN id = %s THEN NULL ELSE next_attempt_at END, "
    "provider_message_id = CASE WHEN id = %s THEN %s ELSE provider_message_id END, "
    "reason = CASE WHEN id = %s THEN '' ELSE reason END "
    "WHERE id IN (%s, %s)"
)
_SENT_SQL = (
    f"UPDATE {_TABLE} SET status = %s, sent_at = %s, lease_until = NULL, "  # noqa: S608
    "next_attempt_at = NULL, provider_message_id = %s, reason = '' WHERE id = %s"
)


def _sent_then_sending(previous: tuple[Message, Outcome], pk: int) -> None:
    done, outcome = previous
    now = connection.ops.adapt_datetimefield_value(clock.now())
    sent, sending = MessageStatus.SENT.value, MessageStatus.SENDING.value
    d = done.pk
    with connection.cursor() as cursor:
        cursor.execute(
            _ADVANCE_SQL,
            [d, sent, sending, d, d, now, d, d, d, outcome.provider_id[:200], d, d, pk],
        )


def _mark_sending(pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_SENDING_SQL, [MessageStatus.SENDING.value, pk])


def _mark_sent(pk: int, *, now: dt.datetime, provider_id: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            _SENT_SQL,
            [
                MessageStatus.SENT.value,
                connection.ops.adapt_datetimefield_value(now),
                provider_id,
                pk,
            ],
        )


def _record(message: Message, outcome: Outcome, *, report: Report, max_attempts: int) -> None:
    now = clock.now()
    if outcome.kind == OutcomeKind.SENT:
        _mark_sent(message.pk, now=now, provider_id=outcome.provider_id[:200])
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
