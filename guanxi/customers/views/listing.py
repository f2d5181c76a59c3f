"""The customer list: search, filters, sort, capped pagination, saved views, bulk actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core.errors import ApplicationError
from guanxi.core.paging import COUNT_CAP, CappedPage, page_number
from guanxi.customers import selectors, services
from guanxi.customers.forms import (
    PROVINCES,
    BulkActionForm,
    CustomerFilterForm,
    SavedViewForm,
    split_tags,
)

LIST_TEMPLATE = "customers/customer_list.html"


def list_query(request: HttpRequest) -> str:
    """The list's query string without the page: what a saved view stores."""
    query = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [v for v in values if v]
        if key != "page" and kept:
            query.setlist(key, kept)
    return query.urlencode()


@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None, user=request.user)
    customers = selectors.customer_list(user=request.user, filters=form.to_filters())
    page = CappedPage.of(
        selectors.with_list_relations(customers),
        number=page_number(request.GET.get("page")),
        total=selectors.capped_count(customers, cap=COUNT_CAP),
        cap=COUNT_CAP,
    )
    context = {
        "form": form,
        "page": page,
        "query": list_query(request),
        "saved_views": selectors.saved_views(user=request.user),
        "bulk_form": BulkActionForm(user=request.user),
        "tags": selectors.tag_list(user=request.user)[:500],
        "provinces": PROVINCES,
    }
    # The filter form, pager and sort links ask for just the table (hx-target="#results").
    partial = bool(request.htmx) and request.htmx.target == "results"
    context["oob"] = partial
    response = render(request, f"{LIST_TEMPLATE}#results" if partial else LIST_TEMPLATE, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _back_to_list(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("customers:list")


@login_required
@require_POST
def customer_bulk(request: HttpRequest) -> HttpResponse:
    if request.POST.get("action") == "reassign":  # refused before anything else is looked at
        require_perm(request.user, Perm.CUSTOMER_REASSIGN)
    if request.POST.get("action") == "merge":
        require_perm(request.user, Perm.CUSTOMER_MERGE)
    form = BulkActionForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(_back_to_list(request))
    data = form.cleaned_data
    if data["action"] == "merge":  # nothing changes yet: the merge page compares them first
        query = urlencode([("ids", pk) for pk in dict.fromkeys(data["ids"])])
        return redirect(f"{reverse('quality:merge')}?{query}")
    try:
        if data["action"] == "reassign":
            changed = services.customer_reassign(
                actor=request.user, customer_ids=data["ids"], owner=data["owner"]
            )
        else:
            changed = services.customer_tags_add(
                actor=request.user, customer_ids=data["ids"], names=split_tags(data["tags"])
            )
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext("%(count)d customer changed.", "%(count)d customers changed.", changed)
            % {"count": changed},
        )
    return redirect(_back_to_list(request))


def _saved_views_response(request: HttpRequest, form: SavedViewForm | None = None):
    """With HTMX, the refreshed "my views" bar (the bar itself is the feedback); without,
    back to the list with a message."""
    if not request.htmx:
        if form is not None and form.errors:
            messages.error(request, " ".join(form.errors.get("name", [])))
        return redirect(_back_to_list(request))
    context = {"saved_views": selectors.saved_views(user=request.user), "view_form": form}
    return render(request, f"{LIST_TEMPLATE}#saved-views", context)


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    if form.is_valid():
        services.saved_view_save(
            user=request.user, name=form.cleaned_data["name"], query=form.cleaned_data["query"]
        )
        if not request.htmx:
            messages.success(request, _("View “%(name)s” saved.") % form.cleaned_data)
    return _saved_views_response(request, form)


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.saved_view_delete(user=request.user, view_id=pk)
    return _saved_views_response(request)


@login_required
@require_GET
def customer_lookup(request: HttpRequest) -> HttpResponse:
    """Suggestions for a customer picker (<datalist>): code and name of the best matches."""
    term = (request.GET.get("q") or request.GET.get("customer") or "").strip()
    filters = selectors.CustomerFilters(search=term.split(" ")[0], sort="name")
    customers = selectors.customer_list(user=request.user, filters=filters)[:10] if term else []
    return render(request, "customers/customer_lookup.html", {"customers": customers})
