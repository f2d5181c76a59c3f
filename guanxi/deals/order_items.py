"""One order as another system sends it (an API item or a spreadsheet row): its shape and
values checked, without the database. order_sync then finds its customer and writes it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import override

from guanxi.core import clock
from guanxi.core.phones import InvalidPhone, normalize_phone
from guanxi.deals.models import OrderStatus
from guanxi.deals.services import clean_amount

Errors = dict[str, list[str]]
CUSTOMER_REFERENCES = ("customer_code", "customer_external_id", "customer_phone")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_LIMITS = {"source": 50, "external_id": 100, "number": 100, "customer_code": 20,
           "customer_external_id": 100, "items_summary": 5000}  # fmt: skip


def _status_lookup() -> dict[str, str]:
    """Status codes and their Chinese and English labels (any case) → code."""
    lookup: dict[str, str] = {}
    for value, label in OrderStatus.choices:
        lookup[value] = value
        for language in ("zh-hans", "en"):
            with override(language):
                lookup.setdefault(str(label).strip().lower(), value)
    aliases = {
        "待付款": "pending", "待支付": "pending", "未付款": "pending", "已付款": "paid",
        "已支付": "paid", "已付": "paid", "已发货": "shipped", "已完成": "completed",
        "已签收": "completed", "交易成功": "completed", "已取消": "cancelled",
        "canceled": "cancelled", "已退款": "refunded", "done": "completed",
    }  # fmt: skip
    for alias, value in aliases.items():
        lookup.setdefault(alias, value)
    return lookup


_STATUSES: dict[str, str] = {}


def status_code(text: str) -> str | None:
    if not _STATUSES:
        _STATUSES.update(_status_lookup())
    return _STATUSES.get(text.strip().lower())


@dataclass
class OrderIn:
    """One item, checked: model values plus how to find its customer."""

    index: int
    source: str
    external_id: str
    number: str
    ordered_at: dt.datetime
    amount: Decimal
    currency: str
    status: str
    items_summary: str
    customer_code: str = ""
    customer_external_id: str = ""
    customer_phone: str = ""  # E.164
    customer_id: int | None = None
    errors: Errors = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.external_id)


def _text(raw: dict, key: str, errors: Errors, *, required: bool = False) -> str:
    value = raw.get(key)
    if value is None:
        value = ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        errors.setdefault(key, []).append(_("Give this as text."))
        return ""
    value = str(value).strip()
    if required and not value:
        errors.setdefault(key, []).append(_("This field is required."))
    elif len(value) > _LIMITS.get(key, 10_000):
        errors.setdefault(key, []).append(
            _("Longer than %(n)d characters.") % {"n": _LIMITS.get(key, 10_000)}
        )
    return value


def parse_ordered_at(value: Any, tz: dt.tzinfo | None = None) -> dt.datetime | None:
    """ISO date (2024-05-01: that day's start, local time) or date-time (a naive one is local
    time); a datetime or date object is taken as it is. None when it cannot be read."""
    tz = tz or timezone.get_current_timezone()
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time.min)
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = parse_datetime(text)
            if moment is None:
                day = parse_date(text)
                moment = dt.datetime.combine(day, dt.time.min) if day else None
        except ValueError:
            moment = None
    else:
        moment = None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, tz)
    return moment


def parse_item(index: int, raw: Any, *, tz: dt.tzinfo | None = None) -> OrderIn:
    """Check one item's shape and values (no database); problems land in `errors`."""
    errors: Errors = {}
    if not isinstance(raw, dict):
        item = OrderIn(index, "", "", "", clock.now(), Decimal(0), "CNY", "", "")
        item.errors = {"non_field_errors": [_("Each order must be a JSON object.")]}
        return item
    source = _text(raw, "source", errors, required=True)
    external_id = _text(raw, "external_id", errors, required=True)
    number = _text(raw, "number", errors) or external_id
    code = _text(raw, "customer_code", errors)
    external = _text(raw, "customer_external_id", errors)
    phone = _text(raw, "customer_phone", errors)
    if phone:
        try:
            phone = normalize_phone(phone)
        except InvalidPhone as exc:
            errors.setdefault("customer_phone", []).append(str(exc))
    if not (code or external or phone) and not errors.keys() & {
        "customer_code", "customer_external_id", "customer_phone"
    }:  # fmt: skip
        errors["customer"] = [
            _("Name the customer: customer_code, customer_external_id or customer_phone.")
        ]
    ordered_at = parse_ordered_at(raw.get("ordered_at"), tz)
    if ordered_at is None:
        errors["ordered_at"] = [
            _(
                "Give the order time as an ISO date or date-time (2024-05-01 or 2024-05-01T10:30:00+08:00)."
            )
        ]
    amount = clean_amount(raw.get("amount"), errors)
    if amount is None and "amount" not in errors:
        errors["amount"] = [_("This field is required.")]
    status = status_code(_text(raw, "status", errors, required=True))
    if status is None and "status" not in errors:
        errors["status"] = [
            _("Unknown status; use one of: %(values)s.") % {"values": ", ".join(OrderStatus.values)}
        ]
    currency = (_text(raw, "currency", errors) or "CNY").upper()
    if not _CURRENCY.match(currency):
        errors.setdefault("currency", []).append(_("Give a three-letter currency code (CNY)."))
    item = OrderIn(
        index=index, source=source, external_id=external_id, number=number,
        ordered_at=ordered_at or clock.now(), amount=amount or Decimal(0), currency=currency,
        status=status or "", items_summary=_text(raw, "items_summary", errors),
        customer_code=code, customer_external_id=external, customer_phone=phone,
    )  # fmt: skip
    item.errors = errors
    return item
