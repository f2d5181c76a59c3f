"""The merge page: the customers side by side, a radio per field, confirm."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core.errors import ApplicationError
from guanxi.customers.merging import customers_merge
from guanxi.quality import selectors
from guanxi.quality.comparison import comparison_rows
from guanxi.quality.forms import MergeForm


@login_required
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, Perm.CUSTOMER_MERGE)
    data = request.POST if request.method == "POST" else request.GET
    form = MergeForm(data)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("ids", [])))
        return redirect("quality:duplicates")
    customers = selectors.merge_customers(user=request.user, ids=form.cleaned_data["ids"])
    by_id = {c.pk: c for c in customers}
    survivor = by_id.get(form.cleaned_data["survivor"] or 0, customers[0])
    others = [c for c in customers if c.pk != survivor.pk]
    chosen, error = form.field_choices(), None
    if request.method == "POST":
        try:
            merged = customers_merge(
                actor=request.user,
                survivor=survivor,
                others=others,
                field_choices=chosen,
                expected_version=form.expected_version(survivor.pk),
            )
        except ApplicationError as exc:
            error = exc
        else:
            codes = ", ".join(c.code for c in others)
            messages.success(
                request,
                _("Merged %(codes)s into %(name)s (%(code)s).")
                % {"codes": codes, "name": merged.name, "code": merged.code},
            )
            return redirect("customers:detail", pk=merged.pk)
    valid = {k: int(v) for k, v in chosen.items() if str(v).isdigit() and int(v) in by_id}
    context = {
        "customers": [survivor, *others],
        "survivor": survivor,
        "rows": comparison_rows(
            viewer=request.user, survivor=survivor, others=others, chosen=valid
        ),
        "error": error,
    }
    return render(
        request, "quality/merge.html", context, status=error.status_code if error else 200
    )
