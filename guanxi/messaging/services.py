"""In-app notifications (the email/SMS channels arrive with the messaging issue)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from guanxi.accounts.models import User
from guanxi.activity.models import Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.sql_lists import insert_rows
from guanxi.customers.bulk import rows_insert
from guanxi.demo.bulk import RowWriter
from guanxi.messaging.models import CalendarFeed, Notification


def notification_create(
    *,
    user_id: int,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    customer_id: int | None = None,
    dedupe_key: str | None = None,
) -> Notification | None:
    """Create one notice; with a dedupe_key a second call for the same cause creates nothing."""
    try:
        with transaction.atomic():
            return Notification.objects.create(
                user_id=user_id,
                kind=kind,
                title=title[:200],
                body=body,
                url=url[:500],
                customer_id=customer_id,
                dedupe_key=dedupe_key,
                created_at=clock.now(),
            )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=clock.now())


@dataclass(frozen=True, kw_only=True)
class NewNotification:
    user_id: int
    kind: str
    title: str
    body: str = ""
    url: str = ""
    customer_id: int | None = None
    dedupe_key: str | None = None


_COLUMNS = ["user_id", "kind", "title", "body", "url", "customer_id", "dedupe_key", "created_at"]
_KEYS_PER_QUERY = 500


def notifications_create_many(*, notifications: Sequence[NewNotification]) -> int:
    """Create many notices in one transaction, a statement (or COPY) per few hundred rows —
    what reminders do for thousands of owners at once (the automation engine, which needs
    the ids, uses notifications_create_keyed). A
    dedupe_key already used (earlier, or earlier in this batch) creates nothing, as with
    notification_create. Returns how many were created."""
    fresh: list[NewNotification] = []
    keys = {n.dedupe_key for n in notifications if n.dedupe_key}
    taken = _taken_keys(keys)
    for n in notifications:
        if n.dedupe_key:
            if n.dedupe_key in taken:
                continue
            taken.add(n.dedupe_key)
        fresh.append(n)
    if not fresh:
        return 0
    stamp = RowWriter().timestamp(clock.now().astimezone(dt.UTC))
    rows = [_row(n, stamp) for n in fresh]
    try:
        with transaction.atomic():
            rows_insert(Notification._meta.db_table, _COLUMNS, rows)
    except IntegrityError:
        # Another writer used one of the keys in between: one at a time, skipping those.
        created = 0
        for n in fresh:
            made = notification_create(
                user_id=n.user_id, kind=n.kind, title=n.title, body=n.body, url=n.url,
                customer_id=n.customer_id, dedupe_key=n.dedupe_key,
            )  # fmt: skip
            created += made is not None
        return created
    return len(rows)


def notifications_create_keyed(*, notifications: Sequence[NewNotification]) -> dict[str, int]:
    """Keyed notices (each has a dedupe_key) in one INSERT … ON CONFLICT DO NOTHING RETURNING
    per few hundred: {dedupe key: notice id} for every key, created now or earlier.

    For the automation engine, whose keys are new except when a batch is run again: it
    needs the ids, and asking for taken keys before and for ids after meant two lookups by
    500 keys a batch, which PostgreSQL answers by scanning the table while its statistics
    still say it is empty (a fresh installation's first big journey)."""
    first: dict[str, NewNotification] = {}
    for n in notifications:
        if not n.dedupe_key:
            raise ValueError("notifications_create_keyed needs a dedupe_key on every notice")
        first.setdefault(n.dedupe_key, n)
    if not first:
        return {}
    stamp = connection.ops.adapt_datetimefield_value(clock.now())
    made = insert_rows(
        model=Notification,
        fields=_COLUMNS[:-1],  # created_at: the one stamp, a constant
        rows=[_row(n, stamp)[:-1] for n in first.values()],
        constants={"created_at": stamp},
        conflict="dedupe_key",
        returning=["dedupe_key", "id"],
        per=_KEYS_PER_QUERY,
    )
    ids: dict[str, int] = dict(made)
    ids.update(_ids_by_key({key for key in first if key not in ids}))  # made earlier
    return ids


def _row(n: NewNotification, stamp: object) -> tuple:
    """A notice as the values of _COLUMNS."""
    return (n.user_id, n.kind, n.title[:200], n.body, n.url[:500], n.customer_id, n.dedupe_key,
            stamp)  # fmt: skip


def _taken_keys(keys: set[str]) -> set[str]:
    return set(_ids_by_key(keys))


def _ids_by_key(keys: set[str]) -> dict[str, int]:
    """{dedupe key: notice id} of the keys already used, a query per few hundred keys."""
    ids: dict[str, int] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), _KEYS_PER_QUERY):
        chunk = ordered[start : start + _KEYS_PER_QUERY]
        ids.update(
            Notification.objects.filter(dedupe_key__in=chunk).values_list("dedupe_key", "pk")
        )
    return ids


# --- calendar feed ---------------------------------------------------------------------


def _fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def calendar_feed_create(*, actor: User) -> str:
    """A new secret feed URL key for the actor (any earlier URL stops working). Returns the
    key: it is shown once, only its fingerprint is kept."""
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed, created = CalendarFeed.objects.update_or_create(
            user=actor, defaults={"key_hash": _fingerprint(key), "created_at": clock.now()}
        )
        activity_record(
            actor=actor,
            verb=Verb.CREATED if created else Verb.UPDATED,
            target=feed,
            summary="calendar feed URL" if created else "calendar feed URL replaced",
        )
    return key


def calendar_feed_revoke(*, actor: User) -> bool:
    with transaction.atomic():
        feed = CalendarFeed.objects.filter(user=actor).first()
        if feed is None:
            return False
        activity_record(actor=actor, verb=Verb.DELETED, target=feed, summary="calendar feed URL")
        feed.delete()
    return True


def calendar_feed_user(*, key: str) -> User | None:
    """The active user a feed key belongs to, noting the fetch; None for an unknown key."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(key_hash=_fingerprint(key), user__is_active=True)
        .first()
    )
    if feed is None:
        return None
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=clock.now())
    return feed.user
