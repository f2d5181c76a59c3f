"""Deal pages: the list (filters, export), a deal with its history, new / edit / delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.activity.selectors import activity_list
from guanxi.core.errors import ApplicationError
from guanxi.core.paging import COUNT_CAP, CappedPage, page_number
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.forms import show_service_errors
from guanxi.customers.timeline import present
from guanxi.deals import selectors, services
from guanxi.deals.forms import DealFilterForm, DealForm

LIST = "deals/deal_list.html"
FORM = "deals/deal_form.html"


@login_required
@require_GET
def deal_list(request: HttpRequest) -> HttpResponse:
    form = DealFilterForm(request.GET or None, user=request.user)
    deals = (
        selectors.deal_list(user=request.user, filters=form.filters())
        .select_related("customer", "stage", "owner")
        .order_by("-id")
    )
    page = CappedPage.of(
        deals,
        number=page_number(request.GET.get("page")),
        total=customer_selectors.capped_count(deals, cap=COUNT_CAP),
        cap=COUNT_CAP,
    )
    partial = request.htmx and request.htmx.target == "results"
    response = render(request, LIST + ("#results" if partial else ""), {"form": form, "page": page})
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
@require_GET
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_get(user=request.user, pk=pk)
    events = list(
        activity_list(user=request.user, target_type="deals.deal").filter(target_id=deal.pk)[:50]
    )
    context = {
        "deal": deal,
        "history": present(viewer=request.user, events=events),
        "stages": selectors.stage_list(),
    }
    return render(request, "deals/deal_detail.html", context)


def _customer_of(request: HttpRequest):
    raw = request.GET.get("customer") or request.POST.get("customer_pk")
    if raw and str(raw).isdigit():
        return customer_selectors.customer_get(user=request.user, pk=int(raw))
    return None


@login_required
def deal_create(request: HttpRequest) -> HttpResponse:
    """A new deal; from a customer's page (?customer=<id>) the customer is set."""
    require_perm(request.user, Perm.DEAL_EDIT)
    customer = _customer_of(request)
    post = request.method == "POST"
    form = DealForm(request.POST if post else None, user=request.user, customer=customer)
    if form.is_bound and form.is_valid():
        target = customer or form.cleaned_data["customer"]
        try:
            deal = services.deal_create(
                actor=request.user, customer=target, data=form.service_data()
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            show_service_errors(form, exc)
        else:
            messages.success(request, _("Deal created."))
            return redirect("deals:detail", pk=deal.pk)
    return render(request, FORM, {"form": form, "customer": customer, "deal": None})


@login_required
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, Perm.DEAL_EDIT)
    deal = selectors.deal_get(user=request.user, pk=pk)
    initial = {
        "title": deal.title, "amount": deal.amount, "stage": deal.stage,
        "probability": deal.probability, "expected_close_date": deal.expected_close_date,
        "owner": deal.owner, "next_step": deal.next_step, "next_step_date": deal.next_step_date,
        "notes": deal.notes, "close_reason": deal.close_reason,
    }  # fmt: skip
    post = request.method == "POST"
    form = DealForm(request.POST if post else None, initial=initial, user=request.user, deal=deal)
    if form.is_bound and form.is_valid():
        try:
            services.deal_update(actor=request.user, deal=deal, data=form.service_data())
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            show_service_errors(form, exc)
        else:
            messages.success(request, _("Deal saved."))
            return redirect("deals:detail", pk=deal.pk)
    return render(request, FORM, {"form": form, "customer": deal.customer, "deal": deal})


@login_required
@require_POST
def deal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, Perm.DEAL_EDIT)
    deal = selectors.deal_get(user=request.user, pk=pk)
    customer_id = deal.customer_id
    services.deal_delete(actor=request.user, deal=deal)
    messages.success(request, _("Deal deleted."))
    return redirect("customers:detail", pk=customer_id)
