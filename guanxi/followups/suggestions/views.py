"""Suggestion pages: the pending list, the card on a customer's page, confirm / dismiss, and
the admins' rule pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core.errors import ApplicationError
from guanxi.core.paging import CappedPage, page_number
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.forms import show_service_errors
from guanxi.followups.suggestions import selectors, services
from guanxi.followups.suggestions.forms import RuleForm
from guanxi.followups.suggestions.models import SuggestionStatus

LIST = "followups/suggestion_list.html"
CARD = "followups/suggestions_card.html"
RULES = "followups/suggestion_rules.html"


@login_required
@require_GET
def suggestion_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", SuggestionStatus.PENDING)
    if status not in SuggestionStatus.values:
        status = SuggestionStatus.PENDING
    suggestions = selectors.suggestion_list(user=request.user, status=status)
    page = CappedPage.of(
        suggestions, number=page_number(request.GET.get("page")), total=suggestions.count()
    )
    return render(request, LIST, {"page": page, "status": status})


@login_required
@require_GET
def customer_suggestions(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """The pending suggestions card of a customer's page (loaded by HTMX)."""
    customer = customer_selectors.customer_get(user=request.user, pk=customer_pk)
    suggestions = selectors.suggestion_list(user=request.user, customer_id=customer.pk)[:20]
    return render(request, CARD, {"customer": customer, "suggestions": suggestions})


def _decide(request: HttpRequest, pk: int, decide, done: str) -> HttpResponse:
    suggestion = selectors.suggestion_get(user=request.user, pk=pk)
    error = ""
    try:
        suggestion = decide(suggestion)
    except ApplicationError as exc:
        if exc.status_code in (403, 404):
            raise
        error = " ".join(m for msgs in exc.errors.values() for m in msgs) or exc.message
    if request.htmx and not error and request.POST.get("refresh"):
        # On a customer's page an applied change shows in several places (tags, deals,
        # timeline): the page reloads, with the message.
        messages.success(request, done)
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    if request.htmx:
        return render(request, f"{CARD}#item", {"suggestion": suggestion, "error": error})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    back = request.POST.get("next") or reverse("followups:suggestions")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("followups:suggestions")
    return redirect(back)


@login_required
@require_POST
def suggestion_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request, pk,
        lambda s: services.suggestion_confirm(actor=request.user, suggestion=s),
        _("Suggestion applied."),
    )  # fmt: skip


@login_required
@require_POST
def suggestion_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request, pk,
        lambda s: services.suggestion_dismiss(actor=request.user, suggestion=s),
        _("Suggestion dismissed."),
    )  # fmt: skip


# --- rules ---------------------------------------------------------------------------------


@login_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, Perm.CONFIG_MANAGE)
    return render(request, RULES, {"rules": selectors.rule_list()})


@login_required
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_perm(request.user, Perm.CONFIG_MANAGE)
    rule = selectors.rule_get(pk=pk) if pk else None
    initial = RuleForm.initial_of(rule) if rule else None
    form = RuleForm(request.POST or None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.rule_save(actor=request.user, rule=rule, data=form.service_kwargs())
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            show_service_errors(form, exc)
        else:
            messages.success(request, _("Suggestion rule saved."))
            return redirect("followups:suggestion_rules")
    return render(request, "followups/suggestion_rule_form.html", {"form": form, "rule": rule})


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, Perm.CONFIG_MANAGE)
    rule = selectors.rule_get(pk=pk)
    services.rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("Suggestion rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect("followups:suggestion_rules")
