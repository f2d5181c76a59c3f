"""Orders from other systems (shop, ERP, POS): an idempotent, set-based upsert by
(source, external_id), shared by `POST /api/v1/orders/bulk/` and the spreadsheet import.

A batch of up to 1,000 items costs a fixed number of statements, not one per order: one
query per kind of customer reference used (code, external id, phone), one for the existing
orders, one INSERT (COPY on PostgreSQL) for the new orders and one for their audit rows, one
executemany UPDATE for the changed ones. Each item gets its own result; a bad item never
rejects the others. `order.created` goes to automation after commit, for new orders only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm, visible_to
from guanxi.activity.models import ActivityEvent, Source, Verb
from guanxi.core import clock
from guanxi.core.errors import ApplicationError
from guanxi.core.events import Event, publish
from guanxi.customers.bulk import allocate_ids, rows_insert
from guanxi.customers.models import Contact, Customer
from guanxi.deals.models import Order
from guanxi.deals.order_items import CUSTOMER_REFERENCES, Errors, OrderIn, parse_item
from guanxi.demo.bulk import RowWriter

MAX_BATCH = 1000
# Columns compared to tell "updated" from "unchanged", in the UPDATE's SET order.
_COMPARED = ("customer_id", "number", "ordered_at", "amount", "currency", "status", "items_summary")
_ORDER_COLUMNS = [
    "id", "created_at", "updated_at", "customer_id", "source", "external_id", "number",
    "ordered_at", "amount", "currency", "status", "items_summary",
]  # fmt: skip
_ACTIVITY_COLUMNS = [
    "occurred_at", "actor_id", "verb", "source", "target_type", "target_id", "target_repr",
    "customer_id", "changes", "summary",
]  # fmt: skip


# --- finding customers -------------------------------------------------------------------


def resolve_customers(actor: User | None, items: Sequence[OrderIn]) -> None:
    """Set each item's customer_id from its code, else external id, else phone — among the
    customers the actor may see. Unknown and out-of-scope customers read the same."""
    customers = visible_to(actor, Customer.objects.all()) if actor else Customer.objects.all()
    contacts = visible_to(actor, Contact.objects.all()) if actor else Contact.objects.all()
    codes = {i.customer_code for i in items if i.customer_code}
    externals = {
        i.customer_external_id for i in items if i.customer_external_id and not i.customer_code
    }
    phones = {
        i.customer_phone
        for i in items
        if i.customer_phone and not (i.customer_code or i.customer_external_id)
    }
    by_code = dict(customers.filter(code__in=codes).values_list("code", "pk")) if codes else {}
    by_external: dict[str, list[tuple[str, int]]] = {}
    if externals:
        rows = customers.filter(external_id__in=externals).values_list(
            "external_id", "external_source", "pk"
        )
        for external_id, system, pk in rows:
            by_external.setdefault(external_id, []).append((system, pk))
    by_phone: dict[str, set[int]] = {}
    if phones:
        # Written as the partial indexes' condition (NOT (phone = '')), so they serve it.
        for column in ("phone", "phone_alt"):
            rows = (
                contacts.filter(**{f"{column}__in": phones})
                .exclude(**{column: ""})
                .values_list(column, "customer_id")
            )
            for phone, customer_id in rows:
                by_phone.setdefault(phone, set()).add(customer_id)
    not_found = _("Customer not found.")
    for item in items:
        if item.customer_code:
            item.customer_id = by_code.get(item.customer_code)
            key = "customer_code"
        elif item.customer_external_id:
            key = "customer_external_id"
            matches = by_external.get(item.customer_external_id, [])
            same_system = [pk for system, pk in matches if system == item.source]
            if len(same_system) == 1 or len(matches) == 1:
                item.customer_id = (same_system or [matches[0][1]])[0]
            elif matches:
                item.errors[key] = [
                    _("Several customers have this external id; give customer_code.")
                ]
                continue
        else:
            key = "customer_phone"
            found = by_phone.get(item.customer_phone, set())
            if len(found) > 1:
                item.errors[key] = [_("Several customers have this phone; give customer_code.")]
                continue
            item.customer_id = next(iter(found), None)
        if item.customer_id is None:
            item.errors[key] = [not_found]


# --- writing -----------------------------------------------------------------------------


def _result(kind: str, pk: int | None = None, errors: Errors | None = None) -> dict[str, Any]:
    return {"result": kind, "id": pk, "errors": errors or {}}


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def orders_upsert(
    *, actor: User | None, items: Any, source: str = Source.API, tz: dt.tzinfo | None = None
) -> list[dict[str, Any]]:
    """Create or update each order by (source, external_id); one result per item, in order:
    {"result": "created" | "updated" | "unchanged" | "error", "id": …, "errors": {…}}.
    More than MAX_BATCH items, or not a list: ApplicationError and nothing is written."""
    if actor is not None:
        require_perm(actor, Perm.ORDER_SYNC)
    if not isinstance(items, list):
        message = _("Send a JSON list of orders.")
        raise ApplicationError(message, errors={"non_field_errors": [message]})
    if len(items) > MAX_BATCH:
        message = _(
            "At most %(max)d orders per request; this one has %(count)d. Send them in batches."
        ) % {"max": MAX_BATCH, "count": len(items)}
        raise ApplicationError(message, errors={"non_field_errors": [message]})
    parsed = prepare(actor=actor, raws=items, tz=tz)
    valid = [i for i in parsed if not i.errors]
    results = [_result("error", errors=i.errors) for i in parsed]
    for item, result in zip(valid, write(actor=actor, items=valid, source=source), strict=True):
        results[item.index] = result
    return results


def prepare(
    *, actor: User | None, raws: Sequence[Any], tz: dt.tzinfo | None = None
) -> list[OrderIn]:
    """Every item checked and its customer found (reads only); problems in `item.errors`.
    The same (source, external_id) twice: the later item is an error."""
    parsed = [parse_item(n, raw, tz=tz) for n, raw in enumerate(raws)]
    seen: dict[tuple[str, str], int] = {}
    for item in parsed:
        if item.errors:
            continue
        first = seen.setdefault(item.key, item.index)
        if first != item.index:
            item.errors["external_id"] = [
                _("The same order appears twice in this batch (item %(n)d).") % {"n": first + 1}
            ]
    # Customers are looked up for every item that names one readably, so a bad item's
    # report lists all its problems at once.
    unreadable = {"non_field_errors", "customer", *CUSTOMER_REFERENCES}
    for start in range(0, len(parsed), MAX_BATCH):
        chunk = [i for i in parsed[start : start + MAX_BATCH] if not i.errors.keys() & unreadable]
        resolve_customers(actor, chunk)
    return parsed


def write(*, actor: User | None, items: list[OrderIn], source: str) -> list[dict[str, Any]]:
    """Upsert checked items (no errors), MAX_BATCH at a time, in one transaction; one result
    per item. A concurrent writer that created some of the same orders first makes the
    insert fail: then everything is read and written once more (they are "existing" now)."""
    try:
        with transaction.atomic():
            return _write_batches(actor=actor, items=items, source=source)
    except IntegrityError:
        with transaction.atomic():
            return _write_batches(actor=actor, items=items, source=source)


def _write_batches(*, actor: User | None, items: list[OrderIn], source: str) -> list[dict]:
    results: list[dict[str, Any]] = []
    for start in range(0, len(items), MAX_BATCH):
        results += _write(actor=actor, items=items[start : start + MAX_BATCH], source=source)
    return results


def _write(*, actor: User | None, items: list[OrderIn], source: str) -> list[dict[str, Any]]:
    """The database half, in the caller's transaction: one result per item of `items`."""
    if not items:
        return []
    existing = _existing(items)
    foreign = {row[3] for row in existing.values()} - {i.customer_id for i in items}
    if foreign and actor is not None:
        seen = set(
            visible_to(actor, Customer.objects.filter(pk__in=foreign)).values_list("pk", flat=True)
        )
        hidden = foreign - seen
    else:
        hidden = set()
    writer = RowWriter()
    now = clock.now()
    stamp = writer.timestamp(now)
    actor_id = getattr(actor, "pk", None)
    results: list[dict[str, Any]] = []
    creating: list[OrderIn] = []
    updates: list[tuple] = []
    activity: list[tuple] = []
    for item in items:
        row = existing.get(item.key)
        if row is None:
            creating.append(item)
            results.append({})  # filled in once the ids are known
            continue
        pk, old = row[0], dict(zip(_COMPARED, row[3:], strict=True))
        if old["customer_id"] in hidden:
            message = _("This order belongs to a customer you cannot see.")
            results.append(_result("error", errors={"external_id": [message]}))
            continue
        new = {name: getattr(item, name) for name in _COMPARED}
        changes = {k: [old[k], new[k]] for k in _COMPARED if old[k] != new[k]}
        if not changes:
            results.append(_result("unchanged", pk))
            continue
        updates.append((*(_cell(writer, new[k]) for k in _COMPARED), stamp, pk))
        activity.append((
            stamp, actor_id, Verb.UPDATED, source, "deals.order", pk, item.number[:200],
            item.customer_id, _json(_renamed(changes)), "",
        ))  # fmt: skip
        results.append(_result("updated", pk))
    ids = allocate_ids(Order, len(creating))
    orders = []
    for pk, item in zip(ids, creating, strict=True):
        orders.append((
            pk, stamp, stamp, item.customer_id, item.source, item.external_id, item.number,
            writer.timestamp(item.ordered_at.astimezone(dt.UTC)), item.amount, item.currency,
            item.status, item.items_summary,
        ))  # fmt: skip
        changes = {
            "source": [None, item.source], "external_id": [None, item.external_id],
            "number": [None, item.number], "ordered_at": [None, item.ordered_at.isoformat()],
            "amount": [None, str(item.amount)], "currency": [None, item.currency],
            "status": [None, item.status],
        }  # fmt: skip
        activity.append((
            stamp, actor_id, Verb.CREATED, source, "deals.order", pk, item.number[:200],
            item.customer_id, _json(changes), "",
        ))  # fmt: skip
    created = iter(ids)
    results = [r or _result("created", next(created)) for r in results]
    rows_insert(Order._meta.db_table, _ORDER_COLUMNS, orders)
    if updates:
        _update_many(updates)
    rows_insert(ActivityEvent._meta.db_table, _ACTIVITY_COLUMNS, activity)
    for pk, item in zip(ids, creating, strict=True):
        publish(
            Event(
                name="order.created",
                customer_id=item.customer_id,
                actor_id=actor_id,
                source=source,
                payload={
                    "order_id": pk,
                    "customer_id": item.customer_id,
                    "amount": str(item.amount),
                    "source": item.source,
                },
            )
        )
    return results


def _renamed(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Audit changes by field name (customer, not customer_id), values as JSON text."""
    return {
        ("customer" if k == "customer_id" else k): [_plain(a), _plain(b)]
        for k, (a, b) in changes.items()
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _cell(writer: RowWriter, value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return writer.timestamp(value.astimezone(dt.UTC))
    return value


def _existing(items: Sequence[OrderIn]) -> dict[tuple[str, str], tuple]:
    """(source, external_id) → (id, source, external_id, *_COMPARED) of the stored orders."""
    sources = {i.source for i in items}
    external_ids = {i.external_id for i in items}
    wanted = {i.key for i in items}
    rows = Order.objects.filter(source__in=sources, external_id__in=external_ids).values_list(
        "id", "source", "external_id", *_COMPARED
    )
    return {(r[1], r[2]): r for r in rows if (r[1], r[2]) in wanted}


def _update_many(rows: list[tuple]) -> None:
    qn = connection.ops.quote_name
    sets = ", ".join(f"{qn(c)} = %s" for c in (*_COMPARED, "updated_at"))
    sql = f"UPDATE {qn(Order._meta.db_table)} SET {sets} WHERE id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
