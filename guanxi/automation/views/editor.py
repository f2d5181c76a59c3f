"""The rule editor (new and edit) and the dry-run panel (a saved rule, or the editor's draft)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.automation import dryrun, selectors, services
from guanxi.automation.conditions.fields import REGISTRY
from guanxi.automation.definition import effective_conditions, validate_definition
from guanxi.automation.forms import DryRunForm, RuleEditor
from guanxi.automation.models import Rule, RuleStatus
from guanxi.automation.views import display
from guanxi.core.errors import ApplicationError

SAMPLE = 5


def _editor_page(request: HttpRequest, editor: RuleEditor, rule: Rule | None) -> HttpResponse:
    context = {
        **editor.context(),
        "rule": rule,
        "action": reverse("automation:rule_edit", kwargs={"pk": rule.pk})
        if rule is not None
        else reverse("automation:rule_create"),
        "is_active": rule is not None and rule.status == RuleStatus.ACTIVE,
        "dry_form": DryRunForm(user=request.user),
    }
    name = "automation/rule_form.html"
    return render(request, f"{name}#editor" if request.htmx else name, context)


def _submit(request: HttpRequest, rule: Rule | None) -> HttpResponse:
    """A structural button re-renders the editor; "save" goes through the services."""
    editor = RuleEditor.from_post(request.POST)
    if editor.apply():
        return _editor_page(request, editor, rule)
    try:
        if rule is None:
            rule = services.rule_create(
                actor=request.user, name=editor.name, description=editor.description,
                definition=editor.to_service(),
            )  # fmt: skip
            messages.success(
                request, _("Rule “%(name)s” created as a draft.") % {"name": rule.name}
            )
        else:
            rule = services.rule_update(
                actor=request.user, rule=rule, name=editor.name, description=editor.description,
                definition=editor.to_service(),
            )  # fmt: skip
            messages.success(request, _("Changes saved."))
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        editor.errors = {"general": [exc.message], **exc.errors}
        return _editor_page(request, editor, rule)
    return redirect("automation:rule", pk=rule.pk)


@login_required
def rule_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, Perm.AUTOMATION_MANAGE)
    if request.method == "POST":
        return _submit(request, None)
    return _editor_page(request, RuleEditor(), None)


@login_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, Perm.AUTOMATION_MANAGE)
    rule = selectors.rule_get(user=request.user, pk=pk)
    if request.method == "POST":
        return _submit(request, rule)
    editor = RuleEditor(
        name=rule.name, description=rule.description, definition=rule.current_version.definition
    )
    return _editor_page(request, editor, rule)


def _dry_run(request: HttpRequest, definition: dict, *, narrow: bool = False) -> HttpResponse:
    form = DryRunForm(request.POST, user=request.user)
    context: dict = {"form": form, "narrow": narrow}
    if form.is_valid():
        customer = form.cleaned_data.get("customer")
        try:
            result = dryrun.dry_run(
                user=request.user, definition=definition, sample=SAMPLE,
                customer_ids=[customer.pk] if customer else None,
            )  # fmt: skip
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            context["problems"] = [m for ms in exc.errors.values() for m in ms] or [exc.message]
        else:
            tree = effective_conditions(validate_definition(definition))
            for row in result.sample:
                _shown(row.explanation, tree)
            context.update(
                result=result,
                explained=customer,
                first_step=display.step_text(
                    definition["steps"][0], templates=display.template_names()
                )
                if definition.get("steps")
                else "",
            )
    return render(request, "automation/_dryrun.html", context)


def _shown(node: dict, tree: dict | None) -> None:
    """Each leaf's actual value as text (choices by their label, lists joined, yes / no),
    walking the explanation and the condition tree it explains side by side."""
    children = node.get("children")
    if children is not None:
        group = next((tree[k] for k in ("all", "any") if isinstance(tree, dict) and k in tree), [])
        for i, child in enumerate(children):
            _shown(child, group[i] if i < len(group) else None)
        return
    actual = node.get("actual")
    kind = REGISTRY.get(str((tree or {}).get("field", "")))
    labels = dict(kind.choices()) if kind is not None and kind.choices is not None else {}
    if isinstance(actual, bool):
        node["shown"] = _("yes") if actual else _("no")
    elif isinstance(actual, list):
        node["shown"] = "、".join(str(labels.get(a, a)) for a in actual)
    elif isinstance(actual, str) and "T" in actual and actual[:4].isdigit():
        try:
            moment = dt.datetime.fromisoformat(actual)
        except ValueError:
            node["shown"] = actual
        else:
            node["shown"] = date_format(timezone.localtime(moment), "Y-m-d H:i")
    else:
        node["shown"] = "" if actual is None else str(labels.get(actual, actual))


@login_required
@require_POST
def rule_dryrun(request: HttpRequest, pk: int) -> HttpResponse:
    """What the saved rule would do now. Changes nothing, so viewers may run it too."""
    rule = selectors.rule_get(user=request.user, pk=pk)
    return _dry_run(request, rule.current_version.definition)


@login_required
@require_POST
def draft_dryrun(request: HttpRequest) -> HttpResponse:
    """What the editor's unsaved definition would do now."""
    require_perm(request.user, Perm.AUTOMATION_VIEW)
    editor = RuleEditor.from_post(request.POST)
    return _dry_run(request, editor.to_service(), narrow=True)
