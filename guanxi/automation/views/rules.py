"""The rules list, a rule's page (definition in words, status board, loop metrics), activate
and pause, and the template catalog."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.automation import metrics, selectors, services
from guanxi.automation.forms import (
    PERIODS,
    DryRunForm,
    EnrollSelectedForm,
    RuleFilterForm,
    period_days,
)
from guanxi.automation.models import ExecutionStatus, Rule
from guanxi.automation.views import display
from guanxi.core import clock
from guanxi.core.errors import ApplicationError

PER_PAGE = 30
FLAG_DAYS = 30


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    filters = RuleFilterForm(request.GET or None)
    rules = selectors.rules_list(user=request.user, **filters.selector_kwargs())
    page = Paginator(rules, PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page)
    summaries = selectors.rule_summaries(user=request.user, rules=shown)
    now = clock.now()
    since = now - dt.timedelta(days=FLAG_DAYS)
    rows = [
        {
            "rule": rule,
            "trigger": display.trigger_text(rule.current_version.definition["trigger"])
            if rule.current_version
            else "",
            "summary": summaries.get(rule.pk, {}),
            "low_response": rule.current_version is not None
            and metrics.rule_metrics(
                user=request.user, rule=rule, since=since, until=now
            ).low_response,
        }
        for rule in shown
    ]
    context = {
        "page": page,
        "rows": rows,
        "filters": filters,
        "can_manage": selectors.can_manage(request.user),
    }
    name = "automation/rule_list.html"
    return render(request, f"{name}#results" if request.htmx else name, context)


def _board(request: HttpRequest, rule: Rule, lines: list[display.StepLine]) -> list[dict]:
    by_id = {line.id: line for line in display.flat_lines(lines)}
    board = []
    for entry in selectors.step_board(user=request.user, rule=rule, now=clock.now()):
        number, text = display.step_label(entry.step_id, by_id)
        pending = entry.counts.get(ExecutionStatus.PENDING, 0)
        board.append(
            {
                "step_id": entry.step_id,
                "number": number,
                "text": text,
                "action": entry.action,
                "due": pending - entry.waiting + entry.counts.get(ExecutionStatus.RUNNING, 0),
                "waiting": entry.waiting,
                "done": entry.counts.get(ExecutionStatus.DONE, 0),
                "failed": entry.counts.get(ExecutionStatus.FAILED, 0),
                "skipped": entry.counts.get(ExecutionStatus.SKIPPED, 0),
            }
        )
    return board


def _metrics(request: HttpRequest, rule: Rule, days: int, lines) -> dict:
    now = clock.now()
    result = metrics.rule_metrics(
        user=request.user, rule=rule, since=now - dt.timedelta(days=days), until=now
    )
    by_id = {line.id: line for line in display.flat_lines(lines)}
    steps = [
        {"m": step, "number": display.step_label(step.step_id, by_id)[0],
         "text": display.step_label(step.step_id, by_id)[1]}
        for step in result.steps
    ]  # fmt: skip
    return {"m": result, "steps": steps, "days": days, "periods": PERIODS}


@login_required
def rule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rule = selectors.rule_get(user=request.user, pk=pk)
    definition = rule.current_version.definition
    lines = display.step_lines(definition["steps"])
    days = period_days(request.GET.get("days"))
    if request.htmx and request.GET.get("days"):
        context = {"rule": rule, "metrics": _metrics(request, rule, days, lines)}
        return render(request, "automation/rule_detail.html#metrics", context)
    context = {
        "rule": rule,
        "trigger": display.trigger_text(definition["trigger"]),
        "conditions": display.tree_view(definition.get("conditions")),
        "has_conditions": bool(next(iter((definition.get("conditions") or {}).values()), None)),
        "goal": display.tree_view(definition["goal"]) if definition.get("goal") else None,
        "enrollment": definition.get("enrollment") or {},
        "exit_events": [
            display.event_label(e)
            for e in (definition.get("enrollment") or {}).get("exit_events") or []
        ],
        "lines": lines,
        "board": _board(request, rule, lines),
        "metrics": _metrics(request, rule, days, lines),
        "dry_form": DryRunForm(user=request.user),
        "can_manage": selectors.can_manage(request.user),
        "summary": selectors.rule_summaries(user=request.user, rules=[rule])[rule.pk],
    }
    return render(request, "automation/rule_detail.html", context)


@login_required
@require_POST
def rule_activate(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, Perm.AUTOMATION_MANAGE)
    rule = selectors.rule_get(user=request.user, pk=pk)
    services.rule_activate(actor=request.user, rule=rule)
    messages.success(request, _("The rule is active."))
    return redirect("automation:rule", pk=rule.pk)


@login_required
@require_POST
def rule_pause(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, Perm.AUTOMATION_MANAGE)
    rule = selectors.rule_get(user=request.user, pk=pk)
    reason = request.POST.get("reason", "").strip()[:500]
    services.rule_pause(actor=request.user, rule=rule, reason=reason)
    messages.success(request, _("The rule is paused; waiting steps stay where they are."))
    return redirect("automation:rule", pk=rule.pk)


# --- templates --------------------------------------------------------------------------------


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    from guanxi.automation import catalog as templates

    require_perm(request.user, Perm.AUTOMATION_VIEW)
    installed = selectors.installed_templates()
    names = display.template_names()
    rows = []
    for template in templates.templates_list():
        definition = template.definition
        rows.append(
            {
                "t": template,
                "trigger": display.trigger_text(definition.get("trigger")),
                "lines": display.step_lines(definition.get("steps") or [], templates=names),
                "conditions": display.tree_text(definition.get("conditions"))
                if next(iter((definition.get("conditions") or {}).values()), None)
                else "",
                "installed": installed.get(template.key),
            }
        )
    context = {"rows": rows, "can_manage": selectors.can_manage(request.user)}
    return render(request, "automation/catalog.html", context)


@login_required
@require_POST
def catalog_install(request: HttpRequest, key: str) -> HttpResponse:
    from guanxi.automation import catalog as templates

    require_perm(request.user, Perm.AUTOMATION_MANAGE)
    enable = request.POST.get("enable") == "1"
    try:
        rule = templates.template_install(actor=request.user, key=key, enable=enable)
    except ApplicationError as exc:
        if exc.status_code in (403, 404):
            raise
        messages.error(request, exc.message)
        return redirect("automation:catalog")
    done = (
        _("Rule “%(name)s” installed and active.")
        if enable
        else _("Rule “%(name)s” installed as a draft: check it, then activate it.")
    )
    messages.success(request, done % {"name": rule.name})
    return redirect("automation:rule", pk=rule.pk)


@login_required
@require_POST
def enroll_selected(request: HttpRequest) -> HttpResponse:
    """The customer list's "enroll in rule" control: the checked customers (those in the
    viewer's scope that the rule's conditions and enrollment policy accept) start the
    rule's journey."""
    require_perm(request.user, Perm.AUTOMATION_MANAGE)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("customers:list")
    form = EnrollSelectedForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(back)
    rule, ids = form.cleaned_data["rule"], set(form.cleaned_data["ids"])
    try:
        started = services.rule_enroll(actor=request.user, rule=rule, customer_ids=ids)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    left_out = len(ids) - started
    text = ngettext(
        "%(n)d customer enrolled in “%(rule)s”.", "%(n)d customers enrolled in “%(rule)s”.", started
    ) % {"n": started, "rule": rule.name}
    if left_out:
        text += " " + ngettext(
            "%(n)d was left out: already enrolled, or the rule’s conditions do not match.",
            "%(n)d were left out: already enrolled, or the rule’s conditions do not match.",
            left_out,
        ) % {"n": left_out}
    (messages.success if started else messages.warning)(request, text)
    return redirect(back)
