"""The batch write path for many customers at once (imports).

`customer_create` costs a few milliseconds per customer (a code allocation, several ORM
saves, an audit row, each its own statement). An import writes thousands per second, so
here one call writes a whole batch with one statement per table: ids allocated up front,
rows as tuples (COPY on PostgreSQL, executemany on SQLite via demo.bulk.RowWriter). The
rules are the same as the single-customer services: the caller has validated each row
with customers.validation, every customer gets an audit row with its source, codes come
from `customer_codes_allocate`, and events go to automation after commit when asked.

The caller owns the transaction: one batch, one `transaction.atomic`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.utils import timezone

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.activity.services import ACTIVITY_COLUMNS, activity_changes_json, activity_record
from guanxi.core import clock
from guanxi.core.events import Event, publish
from guanxi.core.model_update import model_update
from guanxi.core.names import company_name_key
from guanxi.core.pinyin import pinyin_keys
from guanxi.customers.models import Contact, Customer
from guanxi.customers.services import customer_codes_allocate, tags_get_or_create
from guanxi.demo.bulk import RowWriter

# Customer fields a batch row may set (model attnames), besides name/contact/tags/owner.
BULK_FIELDS = [
    "kind", "industry_id", "province", "city", "district", "address", "source", "level_id",
    "intent", "stage", "demand", "expected_close_date", "birthday", "anniversary", "remarks",
    "custom_fields", "external_source", "external_id", "last_contact_at",
]  # fmt: skip
_CONTACT_FIELDS = {"name", "title", "phone", "email", "wechat"}


@dataclass
class NewCustomer:
    """One validated row: model values by attname, the primary contact, tag names."""

    name: str
    values: dict[str, Any] = field(default_factory=dict)
    contact: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    owner_id: int | None = None
    code: str = ""  # keep a code the file brings (an older system's), when it is free


@dataclass
class OrgOf:
    """Owner → (team, department), looked up once per batch."""

    rows: dict[int, tuple[int | None, int | None]] = field(default_factory=dict)

    def load(self, owner_ids: set[int]) -> None:
        missing = owner_ids - set(self.rows)
        for pk, team, dept, team_dept in User.objects.filter(pk__in=missing).values_list(
            "pk", "team_id", "department_id", "team__department_id"
        ):
            self.rows[pk] = (team, dept or team_dept)

    def __call__(self, owner_id: int | None) -> tuple[int | None, int | None]:
        return self.rows.get(owner_id, (None, None)) if owner_id else (None, None)


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys, inside the caller's transaction.

    PostgreSQL hands them out from the table's sequence (safe with concurrent writers).
    SQLite writes under one lock (IMMEDIATE transactions), so the next ids follow the
    larger of the highest id and the AUTOINCREMENT counter — never a deleted customer's id,
    whose timeline rows still point at it.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return sorted(r[0] for r in cursor.fetchall())
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
        top = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(top, row[0] if row else 0) + 1
    return list(range(start, start + count))


def rows_insert(table: str, cols: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert tuples in the caller's transaction: COPY on PostgreSQL; on SQLite multi-row
    INSERT statements of a few hundred rows.

    Why not executemany on SQLite: it runs one statement per row, and customers_customer has
    an AFTER INSERT trigger feeding the FTS5 trigram index (customers migration 0005). FTS5
    flushes its pending terms to a new on-disk segment at every statement boundary inside a
    transaction, so one statement per row costs a segment write (and merge work) per row:
    ~250 µs/row measured on the 1M-customer base, against ~60 µs/row for 500-row statements
    with the same trigger and indexes (same rows in the FTS index either way).
    """
    if not rows:
        return
    if connection.vendor != "sqlite":
        RowWriter().insert(table, cols, rows)
        return
    qn = connection.ops.quote_name
    width = len(cols)
    per = max(1, min(500, connection.features.max_query_params // width))
    one = "(" + ", ".join(["%s"] * width) + ")"
    # Table and column names come from model metadata, never from input.
    head = f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in cols)}) VALUES "  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            cursor.execute(head + ", ".join([one] * len(chunk)), [v for r in chunk for v in r])


class _Cells:
    """Model values → what both databases accept in a raw insert."""

    def __init__(self, writer: RowWriter) -> None:
        self.writer = writer

    def when(self, value: dt.datetime | None) -> str | None:
        if value is None:
            return None
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return self.writer.timestamp(value.astimezone(dt.UTC))

    @staticmethod
    def day(value: dt.date | None) -> str | None:
        return value.isoformat() if value else None

    @staticmethod
    def json(value: Any) -> str:
        return activity_changes_json(value)


_CUSTOMER_COLUMNS = [
    "id", "created_at", "updated_at", "code", "kind", "name", "name_pinyin", "name_initials",
    "name_key", "industry_id", "province", "city", "district", "address", "source", "level_id",
    "intent", "stage", "demand", "expected_close_date", "owner_id", "team_id", "department_id",
    "birthday", "anniversary", "remarks", "last_contact_at", "custom_fields", "external_source",
    "external_id", "version", "created_by_id",
]  # fmt: skip
_CONTACT_COLUMNS = [
    "created_at", "updated_at", "customer_id", "name", "title", "phone", "phone_alt", "email",
    "wechat", "birthday", "decision_role", "is_primary", "remarks",
]  # fmt: skip


@dataclass(slots=True)
class PreparedCustomer:
    """The parts of a new customer's rows that need no database: computed ahead, possibly
    in another thread while the previous batch is being written (imports/running.py)."""

    middle: tuple  # customer columns from kind to expected_close_date
    tail: tuple  # customer columns from birthday to external_id
    contact: tuple | None  # contact columns after customer_id, or None: no contact
    changes: str  # the audit row's changes as a JSON object, without the code


def customers_prepare(rows: Sequence[NewCustomer]) -> list[PreparedCustomer]:
    """Pure computation (pinyin, cell conversions, audit JSON) for customers_create_many."""
    cells = _Cells(RowWriter())
    prepared = []
    for row in rows:
        v = row.values
        full, initials = pinyin_keys(row.name)
        middle = (
            v.get("kind") or "company", row.name, full, initials, v.get("name_key", ""),
            v.get("industry_id"), v.get("province", ""), v.get("city", ""),
            v.get("district", ""), v.get("address", ""), v.get("source", ""), v.get("level_id"),
            v.get("intent", ""), v.get("stage") or "new", v.get("demand", ""),
            cells.day(v.get("expected_close_date")),
        )  # fmt: skip
        tail = (
            cells.day(v.get("birthday")), cells.day(v.get("anniversary")), v.get("remarks", ""),
            cells.when(v.get("last_contact_at")), cells.json(v.get("custom_fields") or {}),
            v.get("external_source", ""), v.get("external_id", ""),
        )  # fmt: skip
        c = row.contact
        contact = (
            (
                c.get("name", ""), c.get("title", ""), c.get("phone", ""), "", c.get("email", ""),
                c.get("wechat", ""), None, "", True, "",
            )
            if any(c.values())
            else None
        )  # fmt: skip
        changes = {
            k: [None, val] for k, val in v.items() if k in _AUDITED and val not in (None, "")
        }
        changes["name"] = [None, row.name]
        changes.update({f"contact.{k}": [None, val] for k, val in c.items() if val})
        if row.tags:
            changes["tags"] = [[], sorted(row.tags)]
        if row.owner_id:
            changes["owner"] = [None, row.owner_id]
        prepared.append(PreparedCustomer(middle, tail, contact, cells.json(changes)))
    return prepared


def customers_create_many(
    *,
    actor: User | None,
    rows: Sequence[NewCustomer],
    source: str,
    publish_events: bool,
    prepared: Sequence[PreparedCustomer] | None = None,
) -> list[int]:
    """Insert a batch of new customers with their primary contacts, tags and audit rows.
    Returns the new ids in row order. Must run inside the caller's transaction.
    `prepared`: customers_prepare(rows), when the caller computed it ahead."""
    if actor is not None:
        require_perm(actor, Perm.CUSTOMER_CREATE)
    if not rows:
        return []
    assert connection.in_atomic_block, "customers_create_many needs the caller's transaction"
    if prepared is None:
        prepared = customers_prepare(rows)
    cells = _Cells(RowWriter())
    now = clock.now()
    stamp = cells.when(now)
    ids = allocate_ids(Customer, len(rows))
    fresh = iter(customer_codes_allocate(day=clock.today(), count=sum(not r.code for r in rows)))
    org = OrgOf()
    org.load({r.owner_id for r in rows if r.owner_id})
    actor_id = getattr(actor, "pk", None)
    customers, contacts, activity, tag_pairs = [], [], [], []
    tags = {t.name: t.pk for t in tags_get_or_create(names={n for r in rows for n in r.tags})}
    for pk, row, p in zip(ids, rows, prepared, strict=True):
        team, department = org(row.owner_id)
        code = row.code or next(fresh)
        customers.append(
            (
                pk,
                stamp,
                stamp,
                code,
                *p.middle,
                row.owner_id,
                team,
                department,
                *p.tail,
                1,
                actor_id,
            )
        )
        if p.contact is not None:
            contacts.append((stamp, stamp, pk, *p.contact))
        tag_pairs.extend((pk, tags[n]) for n in row.tags if n in tags)
        # The code is only known now: put it in front of the prepared JSON object.
        changes = '{"code": [null, ' + json.dumps(code, ensure_ascii=False) + "], " + p.changes[1:]
        activity.append((
            stamp, actor_id, Verb.CREATED, source, "customers.customer", pk, row.name[:200], pk,
            changes, "",
        ))  # fmt: skip
    rows_insert(Customer._meta.db_table, _CUSTOMER_COLUMNS, customers)
    rows_insert(Contact._meta.db_table, _CONTACT_COLUMNS, contacts)
    rows_insert(Customer.tags.through._meta.db_table, ["customer_id", "tag_id"], tag_pairs)
    rows_insert(ActivityEvent._meta.db_table, ACTIVITY_COLUMNS, activity)
    if publish_events:
        for pk in ids:
            publish(
                Event(name="customer.created", customer_id=pk, actor_id=actor_id, source=source)
            )
    return ids


_AUDITED = set(BULK_FIELDS)


def customer_update_from_import(
    *,
    actor: User | None,
    customer: Customer,
    values: dict[str, Any],
    contact: dict[str, Any],  # primary-contact field values (name, title, phone, …)
    tags: list[str],
    owner_id: int | None,
    source: str,
    publish_events: bool,
) -> dict[str, Any] | None:
    """Apply a row's non-empty values to an existing customer (locked by the caller).

    Tags are added, never removed. Returns the `before` snapshot undo needs to restore the
    customer, or None when nothing changed. Audited like customer_update.
    """
    if actor is not None:
        require_perm(actor, Perm.CUSTOMER_EDIT)
    data = {k: v for k, v in values.items() if k in BULK_FIELDS and v not in (None, "", {})}
    if "name" in values and values["name"]:
        data["name"] = values["name"]
    if data.get("custom_fields"):
        data["custom_fields"] = {**customer.custom_fields, **data["custom_fields"]}
    fields = ["name", *BULK_FIELDS]
    changes = model_update(instance=customer, fields=fields, data=data)
    if "name" in changes:
        customer.name_pinyin, customer.name_initials = pinyin_keys(customer.name)
        customer.name_key = company_name_key(customer.name)
    if owner_id and owner_id != customer.owner_id:
        org = OrgOf()
        org.load({owner_id})
        changes["owner_id"] = [customer.owner_id, owner_id]
        changes["team_id"] = [customer.team_id, org(owner_id)[0]]
        changes["department_id"] = [customer.department_id, org(owner_id)[1]]
        customer.owner_id = owner_id
        customer.team_id, customer.department_id = org(owner_id)
    contact_before: dict[str, Any] | None = None
    contact_values = {k: v for k, v in contact.items() if k in _CONTACT_FIELDS and v}
    primary = customer.contacts.filter(is_primary=True).first()
    if contact_values:
        if primary is None:
            primary = Contact.objects.create(customer=customer, is_primary=True, **contact_values)
            contact_before = {"created": primary.pk}
            changes.update({f"contact.{k}": [None, v] for k, v in contact_values.items()})
        else:
            contact_changes = model_update(
                instance=primary, fields=list(contact_values), data=contact_values
            )
            if contact_changes:
                primary.save()
                contact_before = {"id": primary.pk, **{k: c[0] for k, c in contact_changes.items()}}
                changes.update({f"contact.{k}": c for k, c in contact_changes.items()})
    before_tags = sorted(customer.tags.values_list("name", flat=True))
    added = [t for t in tags_get_or_create(names=tags) if t.name not in before_tags]
    if added:
        customer.tags.add(*added)
        changes["tags"] = [before_tags, sorted([*before_tags, *(t.name for t in added)])]
    if not changes:
        return None
    customer.version += 1
    customer.save()
    activity_record(
        actor=actor,
        verb=Verb.UPDATED,
        target=customer,
        customer_id=customer.pk,
        changes=changes,
        source=source,
    )
    if publish_events:
        publish(
            Event(
                name="customer.updated",
                customer_id=customer.pk,
                actor_id=getattr(actor, "pk", None),
                source=source,
                payload={"changed": sorted(changes)},
            )
        )
    return {
        "fields": {k: c[0] for k, c in changes.items() if "." not in k and k != "tags"},
        "contact": contact_before,
        "tags": before_tags if added else None,
    }


def customer_restore(
    *, actor: User | None, customer: Customer, before: dict[str, Any], source: str
) -> None:
    """Put back what customer_update_from_import changed (undo of an import)."""
    fields = before.get("fields") or {}
    data: dict[str, Any] = {}
    for name, old in fields.items():
        model_field = Customer._meta.get_field(name.removesuffix("_id"))
        attname = model_field.attname
        if isinstance(model_field, models.DateTimeField) and old:
            old = dt.datetime.fromisoformat(old)
        elif isinstance(model_field, models.DateField) and old:
            old = dt.date.fromisoformat(old)
        data[attname] = old
    changes = model_update(instance=customer, fields=list(data), data=data)
    if "name" in changes:
        customer.name_pinyin, customer.name_initials = pinyin_keys(customer.name)
        customer.name_key = company_name_key(customer.name)
    contact = before.get("contact") or {}
    if "created" in contact:
        Contact.objects.filter(pk=contact["created"]).delete()
        changes["contact"] = ["", None]
    elif contact.get("id"):
        restore = {k: v for k, v in contact.items() if k != "id"}
        Contact.objects.filter(pk=contact["id"]).update(**restore)
        changes.update({f"contact.{k}": [None, v] for k, v in restore.items()})
    if before.get("tags") is not None:
        current = sorted(customer.tags.values_list("name", flat=True))
        customer.tags.set(tags_get_or_create(names=before["tags"]))
        changes["tags"] = [current, sorted(before["tags"])]
    customer.version += 1
    customer.save()
    activity_record(
        actor=actor,
        verb=Verb.UPDATED,
        target=customer,
        customer_id=customer.pk,
        changes=changes,
        source=source,
        summary="undo import",
    )
