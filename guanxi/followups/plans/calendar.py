"""The calendar: tasks and plan occurrences by day, for me or for a team my scope covers.

"Plan occurrences" are the dates an approved plan will reach after the tasks it has already
generated: the generated ones are tasks (one per customer); the later ones are shown once
per plan, since their tasks do not exist yet.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import Team, User
from guanxi.accounts.permissions import effective_scope
from guanxi.core import clock
from guanxi.core.errors import NotFoundError
from guanxi.followups.models import Task, TaskStatus
from guanxi.followups.plans.cycles import CycleSpec, dates_between
from guanxi.followups.plans.models import MaintenancePlan, PlanStatus
from guanxi.followups.plans.selectors import last_generated_dates, plans_visible
from guanxi.followups.selectors import tasks_visible

MAX_TASKS = 2000
MAX_DAYS = 62


class View(StrEnum):
    MONTH = "month"
    WEEK = "week"
    DAY = "day"


@dataclass(frozen=True)
class Occurrence:
    date: dt.date
    plan: MaintenancePlan


@dataclass
class Day:
    date: dt.date
    in_range: bool
    is_today: bool
    tasks: list[Task] = field(default_factory=list)
    occurrences: list[Occurrence] = field(default_factory=list)


def bounds(view: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day shown: whole weeks (Monday first) around a month, a week, a day."""
    if view == View.DAY:
        return day, day
    if view == View.WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    first = day.replace(day=1)
    last = day.replace(day=pycalendar.monthrange(day.year, day.month)[1])
    return first - dt.timedelta(days=first.weekday()), last + dt.timedelta(days=6 - last.weekday())


def step(view: str, day: dt.date, direction: int) -> dt.date:
    """The same view one period earlier (-1) or later (+1)."""
    if view == View.DAY:
        return day + dt.timedelta(days=direction)
    if view == View.WEEK:
        return day + dt.timedelta(days=7 * direction)
    month = day.month - 1 + direction
    year = day.year + month // 12
    return dt.date(year, month % 12 + 1, 1)


def teams_for(user: User) -> QuerySet[Team]:
    """The teams whose calendar this user may open: as far as their data scope reaches."""
    scope = effective_scope(user)
    if scope == "all":
        return Team.objects.all()
    q = Q(leader=user)
    if scope == "department" and user.department_id:
        q |= Q(department_id=user.department_id)
    if scope in ("team", "department") and user.team_id:
        q |= Q(pk=user.team_id)
    return Team.objects.filter(q) if scope != "own" else Team.objects.none()


def team_get(*, user: User, team_id: int) -> Team:
    team = teams_for(user).filter(pk=team_id).first()
    if team is None:
        raise NotFoundError(_("Team not found."))
    return team


def _day_range(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    def midnight(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    return midnight(start), midnight(end + dt.timedelta(days=1))


def calendar_tasks(
    *, user: User, start: dt.date, end: dt.date, team: Team | None = None
) -> QuerySet[Task]:
    """Tasks due in [start, end] (skipped ones left out): mine, or the team members' that I
    may see."""
    if team is not None:
        qs = tasks_visible(user=user).filter(assignee__team=team)
    else:
        qs = Task.objects.filter(assignee=user).select_related("customer", "assignee")
    lo, hi = _day_range(start, end)
    return (
        qs.filter(due_at__gte=lo, due_at__lt=hi)
        .exclude(status=TaskStatus.CANCELLED)
        .select_related("plan_occurrence__plan")
        .order_by("due_at", "id")
    )


def calendar_occurrences(
    *, user: User, start: dt.date, end: dt.date, team: Team | None = None
) -> list[Occurrence]:
    """Dates approved plans will reach in [start, end] beyond what they generated so far
    (and not before today)."""
    plans = plans_visible(user=user).filter(status=PlanStatus.APPROVED)
    if team is not None:
        plans = plans.filter(
            Q(created_by__team=team) | Q(owner__team=team) | Q(customer__team=team)
        )
    else:
        plans = plans.filter(
            Q(created_by=user)
            | Q(owner=user)
            | Q(customer__owner=user)
            | (Q(customer__isnull=True) & Q(created_by__team_id=user.team_id or 0))
        )
    plans = list(plans.order_by("name")[:200])
    last = last_generated_dates([p.pk for p in plans])
    first = max(start, clock.today())
    found = []
    for plan in plans:
        done = last.get(plan.pk)
        for day in dates_between(CycleSpec.of(plan), first, end):
            if done is None or day > done:
                found.append(Occurrence(day, plan))
    return found


def calendar_days(
    *, user: User, view: str, day: dt.date, team: Team | None = None
) -> tuple[list[Day], bool]:
    """The grid's days with their tasks and occurrences; True when tasks were cut off."""
    start, end = bounds(view, day)
    today = clock.today()
    days = {
        start + dt.timedelta(days=n): Day(
            date=start + dt.timedelta(days=n),
            in_range=view != View.MONTH or (start + dt.timedelta(days=n)).month == day.month,
            is_today=start + dt.timedelta(days=n) == today,
        )
        for n in range((end - start).days + 1)
    }
    tasks = list(calendar_tasks(user=user, start=start, end=end, team=team)[: MAX_TASKS + 1])
    now = clock.now()
    for task in tasks[:MAX_TASKS]:
        task.is_overdue = task.status == TaskStatus.OPEN and task.due_at < now
        days[timezone.localdate(task.due_at)].tasks.append(task)
    for occurrence in calendar_occurrences(user=user, start=start, end=end, team=team):
        days[occurrence.date].occurrences.append(occurrence)
    return list(days.values()), len(tasks) > MAX_TASKS
