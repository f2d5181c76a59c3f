"""Deals and orders: the deal list's and the order list's filters and scope (a deal or an order
is exported exactly when its customer is visible to the requester). Neither holds contact
details, so nothing needs masking beyond what the scope already hides."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.deals import selectors as deal_selectors
from guanxi.deals.forms import DealFilterForm, OrderFilterForm
from guanxi.deals.models import DealStage, OrderStatus
from guanxi.exports.entities.base import (
    Chunk,
    Column,
    Context,
    ExportEntity,
    choice,
    coded,
    local_time,
    looked_up,
    raw,
    text,
)


def _value(name: str, label: Any, *, default: bool = False) -> Column:
    return Column(name, label, raw(name), needs=(name,), default=default)


def _time(name: str, label: Any, *, default: bool = False) -> Column:
    return Column(name, label, local_time(name), needs=(name,), default=default)


def _money(name: str, label: Any, *, default: bool = True) -> Column:
    """A number cell (the drivers return Decimal, int or float)."""

    def values(chunk: Chunk, ctx: Context) -> list[float | None]:
        return [None if v is None else float(v) for v in chunk.col(name)]

    return Column(name, label, values, needs=(name,), default=default)


_CUSTOMER_CODE = Column(
    "customer_code",
    _("Customer code"),
    text("customer__code"),
    needs=("customer__code",),
    default=True,
)
_CUSTOMER_NAME = Column(
    "customer_name",
    _("Customer name"),
    text("customer__name"),
    needs=("customer__name",),
    default=True,
)


def _weighted(chunk: Chunk, ctx: Context) -> list[float | None]:
    return [
        None if a is None else round(float(a) * (p or 0) / 100, 2)
        for a, p in zip(chunk.col("amount"), chunk.col("probability"), strict=True)
    ]


class DealsExport(ExportEntity):
    name = "deals"
    title = _("Deals")
    columns = (
        _value("title", _("Title"), default=True),
        _CUSTOMER_CODE,
        _CUSTOMER_NAME,
        Column("stage", _("Stage"), looked_up("stage_id", lambda ctx: ctx.extra["stages"]),
               needs=("stage_id",), default=True),
        _money("amount", _("Amount (CNY)")),
        _value("probability", _("Probability (%)"), default=True),
        Column("weighted", _("Weighted amount"), _weighted, needs=("amount", "probability"),
               default=True),
        _value("expected_close_date", _("Expected close date"), default=True),
        Column("owner", _("Owner"), looked_up("owner_id", lambda ctx: ctx.users),
               needs=("owner_id",), default=True),
        Column("team", _("Team"), looked_up("owner__team_id", lambda ctx: ctx.teams),
               needs=("owner__team_id",)),
        _value("next_step", _("Next step"), default=True),
        _value("next_step_date", _("Next step date")),
        _value("notes", _("Products and notes")),
        _value("closed_on", _("Won or lost on"), default=True),
        _value("close_reason", _("Reason won or lost"), default=True),
        _time("created_at", _("Created at")),
        _time("updated_at", _("Updated at")),
    )  # fmt: skip

    def filter_form(self, *, user: User, query: QueryDict) -> DealFilterForm:
        return DealFilterForm(query or None, user=user)

    def queryset(self, *, user: User, query: QueryDict, ids: Sequence[int]) -> QuerySet:
        filters = self.filter_form(user=user, query=query).filters()
        qs = deal_selectors.deal_list(user=user, filters=filters)
        if ids:
            qs = qs.filter(pk__in=list(ids))
        return qs.order_by()

    def prepare(self, ctx: Context) -> None:
        ctx.extra["stages"] = {s.pk: str(s) for s in DealStage.objects.all()}


class OrdersExport(ExportEntity):
    name = "orders"
    title = _("Orders")
    columns = (
        _time("ordered_at", _("Ordered at"), default=True),
        _value("number", _("Order number"), default=True),
        _CUSTOMER_CODE,
        _CUSTOMER_NAME,
        _money("amount", _("Amount")),
        _value("currency", _("Currency"), default=True),
        Column("status", _("Status"), coded("status"), needs=("status",), default=True),
        _value("items_summary", _("Items"), default=True),
        _value("source", _("Source system"), default=True),
        _value("external_id", _("External id")),
        _time("created_at", _("Created at")),
        _time("updated_at", _("Updated at")),
    )

    def filter_form(self, *, user: User, query: QueryDict) -> OrderFilterForm:
        return OrderFilterForm(query or None)

    def queryset(self, *, user: User, query: QueryDict, ids: Sequence[int]) -> QuerySet:
        filters = self.filter_form(user=user, query=query).filters()
        qs = deal_selectors.order_list(user=user, filters=filters)
        if ids:
            qs = qs.filter(pk__in=list(ids))
        return qs.order_by().select_related(None)

    def prepare(self, ctx: Context) -> None:
        ctx.extra["status"] = choice(dict(OrderStatus.choices))
