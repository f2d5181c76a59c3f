"""The calendar page (month / week / day, mine or my team's) and moving a task to a day —
by dragging it (HTMX swaps the grid) or with the date input on the task."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guanxi.accounts.models import Team
from guanxi.core import clock
from guanxi.core.errors import ApplicationError
from guanxi.followups import selectors as task_selectors
from guanxi.followups import services as task_services
from guanxi.followups.plans import calendar

TEMPLATE = "followups/calendar.html"
MONTH_CELL_TASKS = 4


def _params(request: HttpRequest) -> tuple[str, dt.date, Team | None]:
    view = request.GET.get("view") or calendar.View.MONTH
    if view not in calendar.View.__members__.values():
        view = calendar.View.MONTH
    try:
        day = dt.date.fromisoformat(request.GET.get("date") or "")
    except ValueError:
        day = clock.today()
    team = None
    raw_team = request.GET.get("team") or ""
    if raw_team.isdigit():
        team = calendar.team_get(user=request.user, team_id=int(raw_team))
    return view, day, team


def _context(request: HttpRequest, view: str, day: dt.date, team: Team | None) -> dict:
    days, truncated = calendar.calendar_days(user=request.user, view=view, day=day, team=team)
    return {
        "view": view,
        "day": day,
        "team": team,
        "teams": calendar.teams_for(request.user),
        "days": days,
        "weeks": [days[n : n + 7] for n in range(0, len(days), 7)],
        "truncated": truncated,
        # Phones list only the days that have something; this says when none has.
        "has_items": any(cell.tasks or cell.occurrences for cell in days),
        "previous": calendar.step(view, day, -1),
        "next": calendar.step(view, day, 1),
        "today": clock.today(),
        "views": [(v.value, label) for v, label in _view_labels()],
        # A month cell shows this many tasks, then a link to the day.
        "month_limit": MONTH_CELL_TASKS,
        "month_more": -MONTH_CELL_TASKS,
    }


def _view_labels():
    return [
        (calendar.View.MONTH, _("Month")),
        (calendar.View.WEEK, _("Week")),
        (calendar.View.DAY, _("Day")),
    ]


@login_required
@require_GET
def calendar_page(request: HttpRequest) -> HttpResponse:
    view, day, team = _params(request)
    partial = request.htmx and request.htmx.target == "calendar"
    response = render(
        request, TEMPLATE + ("#grid" if partial else ""), _context(request, view, day, team)
    )
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
@require_POST
def task_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Reschedule a task to the posted date; HTMX gets the calendar grid back."""
    task = task_selectors.task_get(user=request.user, pk=pk)
    back = request.POST.get("next") or reverse("followups:calendar")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("followups:calendar")
    error = ""
    try:
        day = dt.date.fromisoformat(request.POST.get("date") or "")
    except ValueError:
        error = _("Give a date.")
    else:
        try:
            task_services.task_reschedule(actor=request.user, task=task, day=day)
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            error = " ".join(m for msgs in exc.errors.values() for m in msgs) or exc.message
    if request.htmx:
        view, day, team = _params(request)
        context = {**_context(request, view, day, team), "move_error": error}
        return render(request, TEMPLATE + "#grid", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Task “%(title)s” moved.") % {"title": task.title})
    return redirect(back)
