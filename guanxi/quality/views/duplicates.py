"""The duplicate finder: groups from the last scan, refresh, dismiss, one customer's look-alikes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core.paging import CappedPage, page_number
from guanxi.customers.selectors import capped_count, customer_get
from guanxi.quality import selectors, services
from guanxi.quality.tasks import refresh_duplicates
from guanxi.quality.views.checks import COUNT_CAP

PER_PAGE = 20
# Rows shown per group: the strongest groups at 1M hold 15–20 customers, and 20 full groups
# (~350 rows) took ~300 ms to render. The rest of a group is counted, not rendered.
MEMBER_ROWS = 8


def _min_score(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and int(raw) <= 100 else 0


@login_required
@require_GET
def duplicate_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, Perm.CUSTOMER_VIEW)
    min_score = _min_score(request.GET.get("min_score"))
    groups = selectors.duplicate_groups(user=request.user, min_score=min_score)
    page = CappedPage.of(
        groups,
        number=page_number(request.GET.get("page")),
        total=capped_count(groups, cap=COUNT_CAP),
        per_page=PER_PAGE,
        cap=COUNT_CAP,
    )
    members = selectors.group_members(user=request.user, groups=page.items)
    context = {
        "page": page,
        "groups": [
            (
                g,
                members.get(g.pk, [])[:MEMBER_ROWS],
                max(0, len(members.get(g.pk, [])) - MEMBER_ROWS),
            )
            for g in page.items
        ],
        "min_score": min_score,
        "computed_at": selectors.last_computed_at(user=request.user),
    }
    return render(request, "quality/duplicates.html", context)


@login_required
@require_GET
def duplicates_count(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, Perm.CUSTOMER_VIEW)
    total = capped_count(selectors.duplicate_groups(user=request.user), cap=COUNT_CAP)
    return render(request, "quality/_count.html", {"total": total, "cap": COUNT_CAP})


@login_required
@require_POST
def duplicates_refresh(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, Perm.CUSTOMER_MERGE)
    refresh_duplicates.enqueue()
    messages.success(request, _("The duplicate scan has started; reload in a minute."))
    return redirect("quality:duplicates")


@login_required
@require_POST
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, Perm.CUSTOMER_MERGE)
    group = selectors.duplicate_group_get(user=request.user, pk=pk)
    services.duplicate_group_dismiss(actor=request.user, group=group)
    messages.success(request, _("Marked as not duplicates; they will not be suggested again."))
    return redirect("quality:duplicates")


@login_required
@require_GET
def customer_duplicates(request: HttpRequest, pk: int) -> HttpResponse:
    """Live look-alikes of one customer (from its page), not waiting for the next scan."""
    customer = customer_get(user=request.user, pk=pk)
    candidates = selectors.duplicates_of(user=request.user, customer=customer)
    context = {"customer": customer, "candidates": candidates}
    return render(request, "quality/customer_duplicates.html", context)
