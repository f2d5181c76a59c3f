"""Reading follow-ups and tasks through the viewer's scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, has_perm, scope_q, visible_to
from guanxi.core import clock
from guanxi.core.errors import NotFoundError
from guanxi.followups.models import FollowUp, Task, TaskStatus


def followup_list(
    *,
    user: User,
    customer_id: int | None = None,
    author_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    channel: str = "",
    reviewed: bool | None = None,
) -> QuerySet[FollowUp]:
    qs = visible_to(
        user, FollowUp.objects.select_related("customer", "author", "contact", "reviewed_by")
    )
    if reviewed is not None:
        qs = qs.filter(reviewed_at__isnull=not reviewed)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if author_id:
        qs = qs.filter(author_id=author_id)
    if channel:
        qs = qs.filter(channel=channel)
    if since:
        qs = qs.filter(occurred_at__gte=since)
    if until:
        qs = qs.filter(occurred_at__lt=until)
    return qs.order_by("-occurred_at", "-id")


def followup_get(*, user: User, pk: int) -> FollowUp:
    followup = followup_list(user=user).filter(pk=pk).first()
    if followup is None:
        raise NotFoundError(_("Follow-up not found."))
    return followup


def tasks_visible(*, user: User) -> QuerySet[Task]:
    """My tasks, tasks I created, and tasks on customers I may see."""
    if not user.is_authenticated:
        return Task.objects.none()
    q = Q(assignee_id=user.pk) | Q(created_by_id=user.pk)
    if has_perm(user, Perm.CUSTOMER_VIEW):
        q |= Q(customer__isnull=False) & scope_q(user, prefix="customer__")
    return Task.objects.filter(q).select_related("customer", "assignee")


def task_list(
    *,
    user: User,
    assignee_id: int | None = None,
    status: str = "",
    customer_id: int | None = None,
    due_before: dt.datetime | None = None,
    due_after: dt.datetime | None = None,
) -> QuerySet[Task]:
    qs = tasks_visible(user=user)
    if assignee_id:
        qs = qs.filter(assignee_id=assignee_id)
    if status:
        qs = qs.filter(status=status)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if due_before:
        qs = qs.filter(due_at__lt=due_before)
    if due_after:
        qs = qs.filter(due_at__gte=due_after)
    return qs.order_by("due_at", "id")


def task_get(*, user: User, pk: int) -> Task:
    task = tasks_visible(user=user).filter(pk=pk).first()
    if task is None:
        raise NotFoundError(_("Task not found."))
    return task


def my_tasks(*, user: User) -> dict[str, list[Task]]:
    """The "My tasks" page: overdue, today, upcoming (next 14 days), open tasks only."""
    now = clock.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = start + dt.timedelta(days=1)
    open_tasks = Task.objects.filter(assignee=user, status=TaskStatus.OPEN).select_related(
        "customer"
    )
    return {
        "overdue": list(open_tasks.filter(due_at__lt=now).order_by("due_at")[:200]),
        "today": list(open_tasks.filter(due_at__gte=now, due_at__lt=tomorrow).order_by("due_at")),
        "upcoming": list(
            open_tasks.filter(
                due_at__gte=tomorrow, due_at__lt=start + dt.timedelta(days=15)
            ).order_by("due_at")[:200]
        ),
    }
