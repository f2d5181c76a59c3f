"""Money and stage display for the deal and order pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template

from guanxi.core import clock
from guanxi.deals.models import OrderStatus, StageKind

register = template.Library()

_STAGE_BADGES = {StageKind.WON: "text-bg-success", StageKind.LOST: "text-bg-secondary"}
_STATUS_BADGES = {
    OrderStatus.PENDING: "text-bg-warning",
    OrderStatus.PAID: "text-bg-primary",
    OrderStatus.SHIPPED: "text-bg-info",
    OrderStatus.COMPLETED: "text-bg-success",
    OrderStatus.CANCELLED: "text-bg-secondary",
    OrderStatus.REFUNDED: "text-bg-secondary",
}


@register.filter
def money(value, currency: str = "CNY") -> str:
    """1234.5 → ¥1,234.50 (another currency: "USD 1,234.50")."""
    if value in (None, ""):
        return "—"
    amount = Decimal(value)
    prefix = "¥" if currency in ("CNY", "", None) else f"{currency} "
    return f"{prefix}{amount:,.2f}"


@register.filter
def money_round(value) -> str:
    """Column totals: whole yuan, ¥1,234,568."""
    if value in (None, ""):
        return "—"
    return f"¥{Decimal(value):,.0f}"


@register.filter
def deal_stage_badge(stage) -> str:
    return _STAGE_BADGES.get(getattr(stage, "kind", ""), "text-bg-primary")


@register.filter
def order_status_badge(status: str) -> str:
    return _STATUS_BADGES.get(status, "text-bg-light")


@register.filter
def close_overdue(deal) -> bool:
    """An open deal whose expected close date has passed."""
    day: dt.date | None = deal.expected_close_date
    return bool(day and not deal.stage.is_closed and day < clock.today())
