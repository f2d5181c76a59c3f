"""In-app notifications (the email/SMS channels arrive with the messaging issue)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from guanxi.core import clock
from guanxi.messaging.models import Notification


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
