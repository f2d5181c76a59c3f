"""Maintenance-plan pages: the list (with the templates and the approval queue), a plan,
its form, and the submit / approve / reject / delete / apply-template actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core import clock
from guanxi.core.errors import ApplicationError
from guanxi.core.paging import CappedPage, page_number
from guanxi.customers.forms import show_service_errors
from guanxi.followups.plans import defaults, selectors, services
from guanxi.followups.plans.forms import DecisionForm, PlanFilterForm, PlanForm, TemplateApplyForm
from guanxi.followups.plans.models import PlanStatus
from guanxi.followups.plans.services import can_decide, can_edit

FORM = "followups/plan_form.html"


@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    form = PlanFilterForm(request.GET or None)
    plans = selectors.plan_list(user=request.user, **form.selector_kwargs())
    page = CappedPage.of(plans, number=page_number(request.GET.get("page")), total=plans.count())
    for plan in page.items:
        plan.upcoming = selectors.plan_upcoming_date(plan)
    context = {
        "form": form,
        "page": page,
        "awaiting": selectors.plans_awaiting(user=request.user),
        "templates": defaults.TEMPLATES,
        "template_form": TemplateApplyForm(initial={"start_date": clock.today()}),
    }
    return render(request, "followups/plan_list.html", context)


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, Perm.FOLLOWUP_RECORD)
    form = PlanForm(request.POST or None, user=request.user)
    if form.is_bound and form.is_valid():
        try:
            plan = services.plan_create(actor=request.user, data=form.service_kwargs())
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            show_service_errors(form, exc)
        else:
            messages.success(request, _("Plan “%(name)s” saved as a draft.") % {"name": plan.name})
            return redirect("followups:plan_detail", pk=plan.pk)
    return render(request, FORM, {"form": form, "plan": None})


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, pk=pk)
    initial = PlanForm.initial_of(plan)
    form = PlanForm(request.POST or None, user=request.user, initial=initial)
    if form.is_bound and form.is_valid():
        was_approved = plan.status == PlanStatus.APPROVED
        try:
            plan = services.plan_update(actor=request.user, plan=plan, data=form.service_kwargs())
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            show_service_errors(form, exc)
        else:
            if was_approved and plan.status == PlanStatus.SUBMITTED:
                messages.warning(
                    request,
                    _("Plan saved. It goes back to approval and makes no tasks until then."),
                )
            else:
                messages.success(request, _("Plan saved."))
            return redirect("followups:plan_detail", pk=plan.pk)
    return render(request, FORM, {"form": form, "plan": plan})


@login_required
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, pk=pk)
    context = {
        "plan": plan,
        "stats": selectors.plan_stats(user=request.user, plan=plan),
        "matching": selectors.plan_matching_count(user=request.user, plan=plan),
        "upcoming": selectors.plan_upcoming_date(plan),
        "occurrences": selectors.plan_recent_occurrences(user=request.user, plan=plan),
        "can_edit": can_edit(request.user, plan),
        "can_decide": plan.status == PlanStatus.SUBMITTED and can_decide(request.user, plan),
        "decision_form": DecisionForm(),
        "approvers": services.approvers_of(plan),
    }
    return render(request, "followups/plan_detail.html", context)


def _act(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, pk=pk)
    try:
        action(plan)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        message = " ".join(m for msgs in exc.errors.values() for m in msgs) or exc.message
        messages.error(request, message)
    else:
        messages.success(request, done % {"name": plan.name})
    return redirect("followups:plan_detail", pk=plan.pk)


@login_required
@require_POST
def plan_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, lambda plan: services.plan_submit(actor=request.user, plan=plan),
        _("Plan “%(name)s” submitted for approval."),
    )  # fmt: skip


@login_required
@require_POST
def plan_approve(request: HttpRequest, pk: int) -> HttpResponse:
    comment = request.POST.get("comment", "")
    return _act(
        request, pk,
        lambda plan: services.plan_approve(actor=request.user, plan=plan, comment=comment),
        _("Plan “%(name)s” approved; its tasks are being generated."),
    )  # fmt: skip


@login_required
@require_POST
def plan_reject(request: HttpRequest, pk: int) -> HttpResponse:
    comment = request.POST.get("comment", "")
    return _act(
        request, pk,
        lambda plan: services.plan_reject(actor=request.user, plan=plan, comment=comment),
        _("Plan “%(name)s” rejected."),
    )  # fmt: skip


@login_required
@require_POST
def plan_delete(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, pk=pk)
    try:
        services.plan_delete(actor=request.user, plan=plan)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, exc.message)
        return redirect("followups:plan_detail", pk=plan.pk)
    messages.success(request, _("Plan “%(name)s” deleted.") % {"name": plan.name})
    return redirect("followups:plan_list")


@login_required
@require_POST
def template_apply(request: HttpRequest, key: str) -> HttpResponse:
    form = TemplateApplyForm(request.POST)
    start = form.cleaned_data["start_date"] if form.is_valid() else None
    try:
        plans = defaults.template_apply(actor=request.user, key=key, start_date=start)
    except ApplicationError as exc:
        if exc.status_code in (403, 404):
            raise
        messages.error(request, " ".join(m for v in exc.errors.values() for m in v) or exc.message)
        return redirect("followups:plan_list")
    names = "、".join(p.name for p in plans)
    messages.success(
        request, _("Draft plans created: %(names)s. Check and submit them.") % {"names": names}
    )
    return redirect("followups:plan_list")
