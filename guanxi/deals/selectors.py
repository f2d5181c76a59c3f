"""Reading deals, pipeline stages and orders through the viewer's scope: a deal or an order
is visible exactly when its customer is (visible_to through `customer__`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm, visible_to
from guanxi.core.errors import NotFoundError
from guanxi.deals.models import VOID_STATUSES, Deal, DealStage, Order, StageKind

CARDS_PER_COLUMN = 50
# What a board card shows: not every column of the deal, its customer and its owner.
CARD_FIELDS = (
    "id", "title", "amount", "probability", "expected_close_date", "closed_on", "stage_id",
    "customer_id", "customer__name", "owner_id", "owner__username", "owner__display_name",
    "owner__first_name", "owner__last_name",
)  # fmt: skip
MONEY = DecimalField(max_digits=20, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)


@dataclass(frozen=True)
class DealFilters:
    """The board's and the list's filters, already parsed (forms.DealFilterForm)."""

    owner_id: int | None = None
    team_id: int | None = None
    close_month: dt.date | None = None  # any day of the month
    stage_id: int | None = None
    status: str = ""  # open | won | lost
    customer_id: int | None = None
    search: str = ""


def _month_range(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following


def deal_list(*, user: User, filters: DealFilters | None = None) -> QuerySet[Deal]:
    """The deals the viewer may see, filtered; unordered (callers choose)."""
    f = filters or DealFilters()
    qs = visible_to(user, Deal.objects.all())
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.team_id:
        qs = qs.filter(owner__team_id=f.team_id)
    if f.close_month:
        first, following = _month_range(f.close_month)
        qs = qs.filter(expected_close_date__gte=first, expected_close_date__lt=following)
    if f.stage_id:
        qs = qs.filter(stage_id=f.stage_id)
    if f.status:
        qs = qs.filter(stage__kind=f.status)
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    if f.search:
        qs = qs.filter(Q(title__icontains=f.search) | Q(customer__name__icontains=f.search))
    return qs


def deal_get(*, user: User, pk: int) -> Deal:
    deal = (
        visible_to(user, Deal.objects.select_related("customer", "stage", "owner", "created_by"))
        .filter(pk=pk)
        .first()
    )
    if deal is None:
        raise NotFoundError(_("Deal not found."))
    return deal


def stage_list(*, active_only: bool = True) -> list[DealStage]:
    """Pipeline stages in board order. Stages are configuration, not customer data."""
    qs = DealStage.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs.order_by("order", "id"))


def stage_overview(*, user: User) -> list[DealStage]:
    """Every stage with how many deals are in it (`n`), for the administrators' page."""
    require_perm(user, Perm.CONFIG_MANAGE)
    return list(DealStage.objects.annotate(n=Count("deals")).order_by("order", "id"))


def stage_get(*, pk: int, active_only: bool = False) -> DealStage:
    stage = DealStage.objects.filter(pk=pk).first()
    if stage is None or (active_only and not stage.is_active):
        raise NotFoundError(_("Stage not found."))
    return stage


# --- the board -------------------------------------------------------------------------


def _weighted() -> ExpressionWrapper:
    return ExpressionWrapper(F("amount") * F("probability") / 100, output_field=MONEY)


def column_order(stage: DealStage) -> list[Any]:
    """Open columns: soonest expected close first (no date last); won / lost: most recently
    closed first."""
    if stage.is_closed:
        return [F("closed_on").desc(nulls_last=True), "-id"]
    return [F("expected_close_date").asc(nulls_last=True), "id"]


@dataclass
class Column:
    stage: DealStage
    count: int = 0
    amount: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")
    cards: list[Deal] = field(default_factory=list)

    @property
    def has_more(self) -> bool:
        return len(self.cards) < self.count


def column_cards(
    *,
    user: User,
    stage: DealStage,
    filters: DealFilters,
    offset: int = 0,
    limit: int = CARDS_PER_COLUMN,
) -> list[Deal]:
    qs = deal_list(user=user, filters=filters).filter(stage=stage)
    qs = qs.select_related("customer", "owner").only(*CARD_FIELDS).order_by(*column_order(stage))
    return list(qs[offset : offset + limit])


def board(*, user: User, filters: DealFilters, per_column: int | None = None) -> list[Column]:
    """Every active stage with its totals over *all* matching deals (one GROUP BY) and its
    first `per_column` cards. 10,000 deals never become 10,000 cards: "load more" pages."""
    per_column = per_column or CARDS_PER_COLUMN
    stages = stage_list()
    if filters.stage_id or filters.status:
        filters = DealFilters(**{**filters.__dict__, "stage_id": None, "status": ""})
    totals = (
        deal_list(user=user, filters=filters)
        .order_by()
        .values("stage_id")
        .annotate(
            n=Count("id"),
            total=Coalesce(Sum("amount"), ZERO),
            weighted_total=Coalesce(Sum(_weighted()), ZERO),
        )
    )
    by_stage = {row["stage_id"]: row for row in totals}
    columns = []
    for stage in stages:
        row = by_stage.get(stage.pk)
        column = Column(stage=stage)
        if row:
            column.count, column.amount = row["n"], row["total"]
            column.weighted = row["weighted_total"].quantize(Decimal("0.01"))
            column.cards = column_cards(user=user, stage=stage, filters=filters, limit=per_column)
        columns.append(column)
    return columns


def board_totals(columns: list[Column]) -> dict[str, Any]:
    """The open pipeline in one line: deals, amount, weighted amount."""
    open_columns = [c for c in columns if c.stage.kind == StageKind.OPEN]
    return {
        "count": sum(c.count for c in open_columns),
        "amount": sum((c.amount for c in open_columns), Decimal("0.00")),
        "weighted": sum((c.weighted for c in open_columns), Decimal("0.00")),
    }


def customer_deals(*, user: User, customer_id: int, limit: int = 20) -> list[Deal]:
    """A customer's deals for its page: open ones by expected close, then closed ones."""
    qs = visible_to(user, Deal.objects.filter(customer_id=customer_id)).select_related(
        "stage", "owner"
    )
    return sorted(
        qs.order_by("-created_at", "-id")[:limit],
        key=lambda d: (d.stage.is_closed, d.expected_close_date or dt.date.max, d.pk),
    )


# --- orders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilters:
    customer_id: int | None = None
    source: str = ""
    status: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    search: str = ""  # order number or external id


def order_list(*, user: User, filters: OrderFilters | None = None) -> QuerySet[Order]:
    f = filters or OrderFilters()
    qs = visible_to(user, Order.objects.select_related("customer"))
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.since:
        qs = qs.filter(ordered_at__gte=f.since)
    if f.until:
        qs = qs.filter(ordered_at__lt=f.until)
    if f.search:
        qs = qs.filter(Q(number=f.search) | Q(external_id=f.search))
    return qs.order_by("-ordered_at", "-id")


def order_get(*, user: User, pk: int) -> Order:
    order = visible_to(user, Order.objects.select_related("customer")).filter(pk=pk).first()
    if order is None:
        raise NotFoundError(_("Order not found."))
    return order


@dataclass(frozen=True)
class PurchaseHistory:
    orders: list[Order]
    count: int  # orders that were not cancelled or refunded
    total: Decimal
    last_ordered_at: dt.datetime | None


def purchase_history(*, user: User, customer_id: int, limit: int = 10) -> PurchaseHistory:
    """The customer page's panel: latest orders, and count and total of real purchases."""
    qs = visible_to(user, Order.objects.filter(customer_id=customer_id))
    totals = qs.exclude(status__in=VOID_STATUSES).aggregate(
        n=Count("id"), total=Coalesce(Sum("amount"), ZERO)
    )
    orders = list(qs.order_by("-ordered_at", "-id")[:limit])
    return PurchaseHistory(
        orders=orders,
        count=totals["n"],
        total=totals["total"],
        last_ordered_at=orders[0].ordered_at if orders else None,
    )
