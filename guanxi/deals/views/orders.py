"""Orders: the list (filters, export) and the spreadsheet import (check, then import)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core.errors import ApplicationError
from guanxi.core.paging import COUNT_CAP, CappedPage, page_number
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.forms import show_service_errors
from guanxi.deals import order_import as importing
from guanxi.deals import selectors
from guanxi.deals.forms import OrderFilterForm, OrderImportForm

LIST = "deals/order_list.html"
IMPORT = "deals/order_import.html"


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET or None)
    orders = selectors.order_list(user=request.user, filters=form.filters())
    page = CappedPage.of(
        orders,
        number=page_number(request.GET.get("page")),
        total=customer_selectors.capped_count(orders, cap=COUNT_CAP),
        cap=COUNT_CAP,
    )
    partial = request.htmx and request.htmx.target == "results"
    response = render(request, LIST + ("#results" if partial else ""), {"form": form, "page": page})
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
def order_import(request: HttpRequest) -> HttpResponse:
    """Upload a file: it is checked (nothing written), or imported at once when the user
    unticks "only check". A checked file can then be imported without uploading it again."""
    require_perm(request.user, Perm.ORDER_SYNC)
    form = OrderImportForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form}
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            token = importing.upload_store(actor=request.user, upload=upload, file_name=upload.name)
            report = _run(request, token, form.cleaned_data["source"], form.cleaned_data["dry_run"])
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            show_service_errors(form, exc)
        else:
            context.update(report=report, token=token, source=form.cleaned_data["source"])
            context["file_name"] = upload.name
    return render(request, IMPORT, context)


@login_required
@require_POST
def order_import_run(request: HttpRequest, token: str) -> HttpResponse:
    """Import a file that passed its check."""
    require_perm(request.user, Perm.ORDER_SYNC)
    source = request.POST.get("source", "")
    try:
        report = _run(request, token, source, dry_run=False)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, exc.message)
        return redirect("deals:order_import")
    context = {
        "form": OrderImportForm(initial={"source": source}),
        "report": report,
        "token": token,
        "source": source,
        "file_name": request.POST.get("file_name", ""),
    }
    return render(request, IMPORT, context)


def _run(request: HttpRequest, token: str, source: str, dry_run: bool):
    path = importing.upload_path(actor=request.user, token=token)
    report = importing.orders_import(
        actor=request.user, path=path, file_name=token, source=source, dry_run=dry_run
    )
    if report.written:
        path.unlink(missing_ok=True)
    return report
