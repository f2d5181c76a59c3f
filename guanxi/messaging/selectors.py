from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from guanxi.core import clock
from guanxi.followups.models import FollowUp, Task, TaskStatus
from guanxi.messaging.ical import Entry
from guanxi.messaging.models import Notification


def notification_list(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


FEED_PAST_DAYS = 30  # overdue tasks stay visible for a month


def calendar_entries(*, user) -> list[Entry]:
    """The user's open tasks and planned follow-ups from a month ago on, as calendar
    entries: tasks assigned to them, follow-ups they recorded with a next date. Scoped to
    the user alone (a feed URL is as good as their login for these rows)."""
    since = clock.now() - dt.timedelta(days=FEED_PAST_DAYS)
    entries = []
    tasks = Task.objects.filter(assignee=user, status=TaskStatus.OPEN, due_at__gte=since)
    for pk, title, description, due, customer_id, customer in tasks.values_list(
        "pk", "title", "description", "due_at", "customer_id", "customer__name"
    ).order_by("due_at", "pk")[:2000]:
        entries.append(
            Entry(
                uid=f"task-{pk}@guanxi",
                starts=due,
                minutes=30,
                summary=f"{title} · {customer}" if customer else title,
                description=description,
                url=reverse("customers:detail", args=[customer_id]) if customer_id else "",
            )
        )
    # A next date recorded with a follow-up usually made a follow-up task (listed above):
    # only the plans without one are entries of their own.
    plans = FollowUp.objects.filter(author=user, next_followup_at__gte=since, tasks__isnull=True)
    for pk, when, step, customer_id, customer in plans.values_list(
        "pk", "next_followup_at", "next_step", "customer_id", "customer__name"
    ).order_by("next_followup_at", "pk")[:2000]:
        entries.append(
            Entry(
                uid=f"followup-{pk}@guanxi",
                starts=when,
                minutes=30,
                summary=_("Follow up: %(customer)s") % {"customer": customer},
                description=step,
                url=reverse("customers:detail", args=[customer_id]),
            )
        )
    return entries
