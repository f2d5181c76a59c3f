"""Follow-up and task pages: the follow-up list, recording a follow-up, My tasks, a task."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from guanxi.accounts.permissions import Perm, has_perm, require_perm
from guanxi.core.errors import ApplicationError
from guanxi.core.paging import COUNT_CAP, CappedPage, page_number
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.forms import show_service_errors
from guanxi.customers.timeline import followup_entry
from guanxi.followups import selectors, services
from guanxi.followups.forms import FollowUpFilterForm, FollowUpForm, TaskForm, default_due
from guanxi.followups.models import TaskStatus
from guanxi.followups.suggestions import selectors as suggestion_selectors

FOLLOWUP_FORM = "followups/followup_form.html"
TASKS = "followups/task_list.html"


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# --- follow-ups ----------------------------------------------------------------------


@login_required
@require_GET
def followup_list(request: HttpRequest) -> HttpResponse:
    form = FollowUpFilterForm(request.GET or None, user=request.user)
    followups = selectors.followup_list(user=request.user, **form.selector_kwargs())
    page = CappedPage.of(
        followups,
        number=page_number(request.GET.get("page")),
        total=customer_selectors.capped_count(followups, cap=COUNT_CAP),
        cap=COUNT_CAP,
    )
    partial = request.htmx and request.htmx.target == "results"
    template = "followups/followup_list.html" + ("#results" if partial else "")
    response = render(request, template, {"form": form, "page": page})
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
def followup_record(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """Record a follow-up. From the customer page (HTMX) the new entry goes on top of the
    timeline; without JavaScript this is a page of its own."""
    customer = customer_selectors.customer_get(user=request.user, pk=customer_pk)
    require_perm(request.user, Perm.FOLLOWUP_RECORD)
    contacts = customer_selectors.contact_list(user=request.user, customer_id=customer.pk)
    post = request.method == "POST"
    form = FollowUpForm(request.POST if post else None, request.FILES or None, contacts=contacts)
    if form.is_bound and form.is_valid():
        try:
            followup = services.followup_record_with_files(
                actor=request.user,
                customer=customer,
                files=form.files_to_attach(),
                **form.service_kwargs(),
            )
        except ApplicationError as exc:
            show_service_errors(form, exc, field_names={"file": "attachment"})
        else:
            if request.htmx:
                return _recorded(request, customer_pk, followup, contacts)
            messages.success(request, _("Follow-up recorded."))
            return redirect("customers:detail", pk=customer.pk)
    context = {"customer": customer, "followup_form": form}
    if not request.htmx:
        return render(request, FOLLOWUP_FORM, context)
    response = render(request, f"{FOLLOWUP_FORM}#form", context)
    return reswap(retarget(response, "#followup-form"), "outerHTML")


def _recorded(request: HttpRequest, customer_pk: int, followup, contacts) -> HttpResponse:
    customer = customer_selectors.customer_get(user=request.user, pk=customer_pk)
    context = {
        "customer": customer,
        "entry": followup_entry(viewer=request.user, followup=followup),
        "followup_form": FollowUpForm(contacts=contacts),
        "open_tasks": selectors.task_list(
            user=request.user, customer_id=customer.pk, status=TaskStatus.OPEN
        )[:20],
        "recorded": True,
        "oob": True,
        "suggestions": suggestion_selectors.suggestion_list(
            user=request.user, customer_id=customer.pk
        )[:20],
    }
    return render(request, "followups/followup_recorded.html", context)


# --- tasks ---------------------------------------------------------------------------


def _tasks_page(request: HttpRequest, form: TaskForm) -> HttpResponse:
    context = {"sections": selectors.my_tasks(user=request.user), "task_form": form}
    return render(request, TASKS, context)


@login_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    initial = {"due_at": default_due(), "customer": request.GET.get("customer", "")}
    return _tasks_page(request, TaskForm(user=request.user, initial=initial))


@login_required
@require_POST
def task_create(request: HttpRequest) -> HttpResponse:
    form = TaskForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            task = services.task_create(actor=request.user, **form.service_kwargs())
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            show_service_errors(form, exc)
        else:
            messages.success(request, _("Task “%(title)s” created.") % {"title": task.title})
            return redirect("followups:tasks")
    return _tasks_page(request, form)


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(user=request.user, pk=pk)
    initial = {
        "title": task.title,
        "due_at": task.due_at,
        "priority": task.priority,
        "assignee": task.assignee_id,
        "description": task.description,
    }
    data = request.POST if request.method == "POST" else None
    form = TaskForm(data, user=request.user, editing=True, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.task_update(actor=request.user, task=task, data=form.service_kwargs())
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            show_service_errors(form, exc)
        else:
            messages.success(request, _("Task saved."))
            return redirect("followups:task_detail", pk=task.pk)
    # Mirrors the service's rule, only to decide whether to show the form.
    can_edit = task.status == TaskStatus.OPEN and (
        request.user.pk in (task.assignee_id, task.created_by_id)
        or has_perm(request.user, Perm.TASK_ASSIGN)
    )
    context = {"task": task, "form": form, "can_edit": can_edit}
    return render(request, "followups/task_detail.html", context)


def _task_changed(request: HttpRequest, task, message: str) -> HttpResponse:
    if request.htmx:  # the row re-rendered in its new state
        return render(request, f"{TASKS}#task-row", {"task": task})
    messages.success(request, message % {"title": task.title})
    return redirect(_next_url(request, reverse("followups:tasks")))


@login_required
@require_POST
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(user=request.user, pk=pk)
    task = services.task_complete(actor=request.user, task=task)
    return _task_changed(request, task, _("Task “%(title)s” done."))


@login_required
@require_POST
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(user=request.user, pk=pk)
    task = services.task_cancel(actor=request.user, task=task)
    return _task_changed(request, task, _("Task “%(title)s” cancelled."))
