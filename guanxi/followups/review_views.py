"""The follow-up review page: the team's recent follow-ups to mark reviewed (with a comment)
and the plan occurrences whose follow-up is missing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core.errors import ApplicationError
from guanxi.core.paging import CappedPage, page_number
from guanxi.customers import selectors as customer_selectors
from guanxi.followups import review, selectors

TEMPLATE = "followups/review.html"
SHOWS = {"todo": False, "reviewed": True, "all": None}


@login_required
@require_GET
def review_page(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, Perm.FOLLOWUP_REVIEW)
    show = request.GET.get("show") if request.GET.get("show") in SHOWS else "todo"
    authors = list(customer_selectors.owner_choices(user=request.user))
    raw_author = request.GET.get("author") or ""
    # Only people of the viewer's scope; anyone else reads as "everyone".
    author = next((a for a in authors if str(a.pk) == raw_author), None)
    followups = review.review_list(
        user=request.user, reviewed=SHOWS[show], author_id=author.pk if author else None
    )
    page = CappedPage.of(
        followups, number=page_number(request.GET.get("page")), total=followups.count()
    )
    missing = list(review.missing_followups(user=request.user)[:100])
    context = {
        "page": page,
        "show": show,
        "missing": missing,
        "days": review.REVIEW_DAYS,
        "authors": authors,
        "author": author,
    }
    return render(request, TEMPLATE, context)


@login_required
@require_POST
def followup_review(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, Perm.FOLLOWUP_REVIEW)
    followup = selectors.followup_get(user=request.user, pk=pk)
    error = ""
    try:
        followup = review.followup_review(
            actor=request.user, followup=followup, comment=request.POST.get("comment", "")
        )
    except ApplicationError as exc:
        if exc.status_code in (403, 404):
            raise
        error = " ".join(m for msgs in exc.errors.values() for m in msgs) or exc.message
    if request.htmx:
        return render(request, f"{TEMPLATE}#review-row", {"followup": followup, "error": error})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Follow-up marked reviewed."))
    return redirect("followups:review")
