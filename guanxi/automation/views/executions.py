"""A rule's step executions: filtered list, retry / skip one row or every failed row."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.automation import selectors, services
from guanxi.automation.forms import ExecutionFilterForm
from guanxi.automation.models import ExecutionStatus, Rule
from guanxi.automation.views import display
from guanxi.core import clock

PER_PAGE = 50


def _filter_form(data, rule: Rule) -> tuple[ExecutionFilterForm, dict[str, display.StepLine]]:
    lines = display.flat_lines(display.step_lines(rule.current_version.definition["steps"]))
    by_id = {line.id: line for line in lines}
    steps = [(line.id, f"{line.number} · {line.text}") for line in lines]
    known = set(by_id)
    form = ExecutionFilterForm(data, steps=steps)
    step = data.get("step", "") if data else ""
    if step and step not in known:  # a step only an older version had, or the trigger wait
        form.fields["step"].choices = [*form.fields["step"].choices, (step, step)]
    return form, by_id


def _what(execution) -> list[tuple[str, str]]:
    """What a step produced, from its result: (label, link or "")."""
    result = execution.result or {}
    out = []
    if result.get("message_id"):
        url = reverse("outbox:detail", kwargs={"pk": result["message_id"]})
        out.append((_("Message #%(id)s") % {"id": result["message_id"]}, url))
    if result.get("task_id"):
        url = reverse("followups:task_detail", kwargs={"pk": result["task_id"]})
        out.append((_("Task #%(id)s") % {"id": result["task_id"]}, url))
    if result.get("coupon_code"):
        out.append((_("Coupon %(code)s") % {"code": result["coupon_code"]}, ""))
    if result.get("added"):
        out.append((_("Tags added: %(tags)s") % {"tags": "、".join(result["added"])}, ""))
    if result.get("removed"):
        out.append((_("Tags removed: %(tags)s") % {"tags": "、".join(result["removed"])}, ""))
    if result.get("branch"):
        out.append((_("Took the “then” path") if result["branch"] == "then" else _("Took the “otherwise” path"), ""))  # fmt: skip
    if result.get("owner_id"):
        out.append((_("Owner set (user #%(id)s)") % {"id": result["owner_id"]}, ""))
    if result.get("field"):
        out.append((f"{result['field']} → {result.get('value', '')}", ""))
    if result.get("status") and execution.action == "webhook":
        out.append((_("HTTP %(status)s") % {"status": result["status"]}, ""))
    if result.get("notification_id"):
        out.append((_("Notification sent"), ""))
    return out


@login_required
def execution_list(request: HttpRequest, pk: int) -> HttpResponse:
    rule = selectors.rule_get(user=request.user, pk=pk)
    form, by_id = _filter_form(request.GET or None, rule)
    rows = selectors.executions_list(
        user=request.user, rule=rule, now=clock.now(), **form.selector_kwargs()
    )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    items = []
    for execution in page:
        number, text = display.step_label(execution.step_id, by_id)
        items.append({"e": execution, "number": number, "step": text, "what": _what(execution)})
    filters = form.filters()
    failed = selectors.executions_list(
        user=request.user, rule=rule, now=clock.now(),
        **{**form.selector_kwargs(), "status": ExecutionStatus.FAILED},
    ).count()  # fmt: skip
    context = {
        "rule": rule,
        "form": form,
        "filters": filters,
        "page": page,
        "items": items,
        "failed_count": failed,
        "can_manage": selectors.can_manage(request.user),
        "here": request.get_full_path(),
    }
    return render(request, "automation/executions.html", context)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


@login_required
@require_POST
def execution_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Retry or skip one step; the permission first (a refusal tells nothing), then the row."""
    require_perm(request.user, Perm.AUTOMATION_MANAGE)
    execution = selectors.execution_get(user=request.user, pk=pk)
    if action == "retry":
        count = services.executions_retry(actor=request.user, executions=[execution])
        done = _("The step runs again now.") if count else _("Only failed steps can be retried.")
    else:
        count = services.executions_skip(actor=request.user, executions=[execution])
        done = (
            _("The step is skipped; the journey goes on.")
            if count
            else _("Only failed or pending steps can be skipped.")
        )
    (messages.success if count else messages.warning)(request, done)
    return _back(request, reverse("automation:executions", kwargs={"pk": execution.rule_id}))


@login_required
@require_POST
def execution_bulk(request: HttpRequest, pk: int) -> HttpResponse:
    """Retry or skip every failed step the current filter shows."""
    require_perm(request.user, Perm.AUTOMATION_MANAGE)
    rule = selectors.rule_get(user=request.user, pk=pk)
    form, _by_id = _filter_form(request.POST, rule)
    failed = selectors.executions_list(
        user=request.user, rule=rule, now=clock.now(),
        **{**form.selector_kwargs(), "status": ExecutionStatus.FAILED},
    )  # fmt: skip
    if request.POST.get("action") == "skip":
        count = services.executions_skip(actor=request.user, executions=list(failed))
        messages.success(request, _("%(n)d failed steps skipped.") % {"n": count})
    else:
        count = services.executions_retry(actor=request.user, executions=list(failed))
        messages.success(request, _("%(n)d failed steps run again.") % {"n": count})
    query = urlencode(form.filters())
    url = reverse("automation:executions", kwargs={"pk": rule.pk})
    return redirect(f"{url}?{query}" if query else url)
