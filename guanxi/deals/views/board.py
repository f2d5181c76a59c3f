"""The pipeline board: columns per stage with totals, the first cards, "load more", and moves
by drag and drop or by each card's stage select (the keyboard way)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core import clock
from guanxi.core.errors import ApplicationError
from guanxi.deals import selectors, services
from guanxi.deals.forms import DealFilterForm, MoveForm
from guanxi.deals.models import StageKind

BOARD = "deals/board.html"


def _filter_form(request: HttpRequest, query: QueryDict) -> DealFilterForm:
    return DealFilterForm(query or None, user=request.user, board=True)


class _Links:
    """Card links and stage menus built once per page, not per card: a 300-card board
    reversed 1,200 URLs and rendered 1,800 <option>s through the template engine."""

    def __init__(self, stages: list) -> None:
        self.detail = reverse("deals:detail", args=[0]).replace("/0/", "/%d/")
        self.move = reverse("deals:move", args=[0]).replace("/0/", "/%d/")
        self.customer = reverse("customers:detail", args=[0]).replace("/0/", "/%d/")
        self.stages = stages

    def options(self, current) -> str:
        return mark_safe(  # noqa: S308 - every value passes through format_html
            "".join(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    s.pk,
                    " selected" if s.pk == current.pk else "",
                    str(s),
                )
                for s in self.stages
            )
        )

    def dress(self, cards: list, stage) -> list:
        options = self.options(stage)
        for deal in cards:
            deal.detail_url = self.detail % deal.pk
            deal.move_url = self.move % deal.pk
            deal.customer_url = self.customer % deal.customer_id
            deal.stage_options = options
        return cards


def board_context(request: HttpRequest, query: QueryDict) -> dict:
    form = _filter_form(request, query)
    columns = selectors.board(user=request.user, filters=form.filters())
    links = _Links([c.stage for c in columns])
    for column in columns:
        links.dress(column.cards, column.stage)
    return {
        "form": form,
        "columns": columns,
        "totals": selectors.board_totals(columns),
        "stages": [c.stage for c in columns],
        "query": form.data.urlencode() if form.is_bound else "",
        "today": clock.today(),
    }


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    partial = request.htmx and request.htmx.target == "board"
    response = render(
        request, BOARD + ("#board" if partial else ""), board_context(request, request.GET)
    )
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
@require_GET
def board_column(request: HttpRequest, stage_pk: int) -> HttpResponse:
    """More cards of one column ("load more"), with the next button when there are more."""
    stage = selectors.stage_get(pk=stage_pk)
    form = _filter_form(request, request.GET)
    try:
        offset = max(0, int(request.GET.get("offset", 0)))
    except ValueError:
        offset = 0
    limit = selectors.CARDS_PER_COLUMN
    cards = selectors.column_cards(
        user=request.user, stage=stage, filters=form.filters(), offset=offset, limit=limit + 1
    )
    context = {
        "stage": stage,
        "cards": _Links(selectors.stage_list()).dress(cards[:limit], stage),
        "next_offset": offset + limit if len(cards) > limit else None,
        "stages": selectors.stage_list(),
        "query": form.data.urlencode() if form.is_bound else "",
        "today": clock.today(),
    }
    return render(request, f"{BOARD}#more-cards", context)


def _board_query(request: HttpRequest) -> QueryDict:
    """The filters of the board the move came from (htmx sends the page's URL)."""
    current = request.htmx.current_url if request.htmx else ""
    return QueryDict(urlsplit(current or "").query)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("deals:board")


@login_required
@require_POST
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a deal to a stage. Into a lost stage without a reason: ask for one first (in the
    board's dialog, or as a page of its own without JavaScript)."""
    require_perm(request.user, Perm.DEAL_EDIT)  # before the lookup: a refusal tells nothing
    deal = selectors.deal_get(user=request.user, pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a stage."))
        return _after_move(request)
    stage, reason = form.cleaned_data["stage"], form.cleaned_data["reason"]
    if stage.kind == StageKind.LOST and not reason.strip() and stage.pk != deal.stage_id:
        return _ask_reason(request, deal, stage, form)
    try:
        services.deal_move(actor=request.user, deal=deal, stage=stage, reason=reason)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, exc.message)
    return _after_move(request)


def _after_move(request: HttpRequest) -> HttpResponse:
    if request.htmx and request.htmx.target == "board":
        return render(request, f"{BOARD}#board", board_context(request, _board_query(request)))
    return redirect(_next(request))


def _ask_reason(request: HttpRequest, deal, stage, form: MoveForm) -> HttpResponse:
    context = {
        "deal": deal,
        "stage": stage,
        "next": _next(request),
        "error": _("Say why the deal was lost.") if "reason" in request.POST else "",
    }
    if not request.htmx:
        return render(request, "deals/move_reason.html", context)
    response = render(request, "deals/move_reason.html#reason-form", context)
    response = reswap(retarget(response, "#move-dialog-body"), "innerHTML")
    return trigger_client_event(response, "deal-reason-needed", after="swap")
