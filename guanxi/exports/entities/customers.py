"""Customers (and their contacts): the customer list's filters, its scope, its masking."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import FilteredRelation, Q, QuerySet, StringAgg, TextField, Value
from django.db.models.functions import Cast
from django.http import QueryDict
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.forms import CustomerFilterForm
from guanxi.customers.models import (
    Customer,
    CustomerSource,
    CustomFieldDefinition,
    DecisionRole,
    Industry,
    Intent,
    Kind,
    Level,
    Stage,
    Tag,
)
from guanxi.exports.cells import email_cell, phone_cell
from guanxi.exports.entities.base import (
    TAG_JOINER,
    Chunk,
    Column,
    Context,
    ExportEntity,
    Values,
    choice,
    coded,
    fetch_raw,
    local_time,
    looked_up,
    raw,
    yes_no,
    yes_no_of,
)

# The primary contact is joined into the chunk's query: a unique partial index
# (contact_one_primary) makes it at most one row per customer, so the join adds no rows.
PRIMARY = "primary_contact"


def _labels(model: type[Industry] | type[Level]) -> dict[int, str]:
    return {obj.pk: str(obj) for obj in model.objects.all()}


def _of_customers(qs: QuerySet, ids: Sequence[int]) -> QuerySet:
    """Rows of these customers. A dense chunk (ids close together, as in an unfiltered export)
    reads an id range: binding 5,000 parameters costs more than the query itself. Extra rows
    of a range are ignored by the caller's lookups."""
    low, high = min(ids), max(ids)
    if high - low < 4 * len(ids):
        return qs.filter(customer_id__gte=low, customer_id__lte=high)
    return qs.filter(customer_id__in=list(ids))


def customer_queryset(*, user: User, query: QueryDict, ids: Sequence[int]) -> QuerySet[Customer]:
    """The customer list's rows for this query string (and ticked ids), in the viewer's scope."""
    filters = CustomerFilterForm(query or None, user=user).to_filters()
    qs = customer_selectors.customer_list(user=user, filters=filters)
    if ids:
        qs = qs.filter(pk__in=list(ids))
    return qs.order_by()


def _contact(field: str) -> Values:
    """A field of the primary contact (None when there is none: an empty cell)."""
    return raw(f"{PRIMARY}__{field}")


def _contact_role(chunk: Chunk, ctx: Context) -> list[str]:
    return list(map(ctx.extra["decision_role"].__getitem__, chunk.col(f"{PRIMARY}__decision_role")))


def _phones(values: Values) -> Values:
    def phones(chunk: Chunk, ctx: Context) -> list[str]:
        sees = ctx.sees
        return [phone_cell(v, sees=sees) for v in values(chunk, ctx)]

    return phones


def _emails(values: Values) -> Values:
    def emails(chunk: Chunk, ctx: Context) -> list[str]:
        sees = ctx.sees
        return [email_cell(v, sees=sees) for v in values(chunk, ctx)]

    return emails


_kind, _source, _intent, _stage, _role = (
    dict(Kind.choices), dict(CustomerSource.choices), dict(Intent.choices), dict(Stage.choices),
    dict(DecisionRole.choices),
)  # fmt: skip


def _plain(name: str, label: Any, *, default: bool = False) -> Column:
    return Column(name, label, raw(name), needs=(name,), default=default)


def _choice(name: str, label: Any, *, default: bool = False) -> Column:
    """A coded value by its label (ctx.extra[name] maps code → label)."""
    return Column(name, label, coded(name), needs=(name,), default=default)


def _time(name: str, label: Any, *, default: bool = False) -> Column:
    return Column(name, label, local_time(name), needs=(name,), default=default)


def _label(
    key: str, label: Any, *, table: Callable[[Context], dict], default: bool = False
) -> Column:
    """A foreign key by its label from a dict loaded once per export."""
    field = f"{key}_id"
    return Column(key, label, looked_up(field, table), needs=(field,), default=default)


CUSTOMER_COLUMNS: tuple[Column, ...] = (
    _plain("code", _("Code"), default=True),
    _plain("name", _("Customer name"), default=True),
    _choice("kind", _("Type")),
    Column(
        "contact_name",
        _("Contact name"),
        _contact("name"),
        needs=(f"{PRIMARY}__name",),
        default=True,
    ),
    Column("contact_title", _("Job title"), _contact("title"), needs=(f"{PRIMARY}__title",)),
    Column(
        "phone", _("Phone"), _phones(_contact("phone")), needs=(f"{PRIMARY}__phone",), default=True
    ),
    Column(
        "email",
        _("Email address"),
        _emails(_contact("email")),
        needs=(f"{PRIMARY}__email",),
        default=True,
    ),
    Column("wechat", _("WeChat ID"), _contact("wechat"), needs=(f"{PRIMARY}__wechat",)),
    Column(
        "decision_role",
        _("Role in decision chain"),
        _contact_role,
        needs=(f"{PRIMARY}__decision_role",),
    ),
    _label("industry", _("Industry"), table=lambda ctx: ctx.extra["industries"], default=True),
    _label("level", _("Level"), table=lambda ctx: ctx.extra["levels"], default=True),
    _choice("intent", _("Intent"), default=True),
    _choice("stage", _("Lifecycle stage"), default=True),
    _choice("source", _("Source")),
    _plain("province", _("Province"), default=True),
    _plain("city", _("City"), default=True),
    _plain("district", _("District")),
    _plain("address", _("Address")),
    _label("owner", _("Owner"), table=lambda ctx: ctx.users, default=True),
    _label("team", _("Team"), table=lambda ctx: ctx.teams),
    _label("department", _("Department"), table=lambda ctx: ctx.departments),
    Column("tags", _("Tags"), lambda chunk, ctx: chunk.extra["tags"], default=True),
    _plain("demand", _("Demand description")),
    _plain("expected_close_date", _("Expected close date")),
    _plain("birthday", _("Birthday")),
    _plain("anniversary", _("Cooperation anniversary")),
    _plain("remarks", _("Remarks")),
    _time("last_contact_at", _("Last contact"), default=True),
    _time("created_at", _("Created at"), default=True),
    _time("updated_at", _("Updated at")),
    _plain("external_id", _("External id")),
)


CUSTOM_PREFIX = "custom."


def _custom_fields(chunk: Chunk) -> list[dict[str, Any]]:
    """The chunk's custom_fields JSON, parsed once for all custom columns (raw reads give
    the stored text on both databases)."""
    parsed = chunk.extra.get("custom_fields")
    if parsed is None:
        parsed = chunk.extra["custom_fields"] = [
            (json.loads(v) if isinstance(v, str) else v) or {} for v in chunk.col("custom_fields")
        ]
    return parsed


def _custom_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, list):  # a multiple choice
        return TAG_JOINER.join(map(str, value))
    return value


def _custom(key: str) -> Values:
    return lambda chunk, ctx: [_custom_cell(d.get(key)) for d in _custom_fields(chunk)]


class CustomersExport(ExportEntity):
    name = "customers"
    title = _("Customers")
    columns = CUSTOMER_COLUMNS

    def all_columns(self) -> tuple[Column, ...]:
        """The fixed columns, then one per custom field key (a key several industries define
        is one column, labelled by its first definition)."""
        by_key: dict[str, CustomFieldDefinition] = {}
        for definition in CustomFieldDefinition.objects.order_by("order", "pk"):
            by_key.setdefault(definition.key, definition)
        custom = tuple(
            Column(
                f"{CUSTOM_PREFIX}{key}",
                lazy(definition.__str__, str)(),  # in the language of whoever reads it
                _custom(key),
                needs=("custom_fields",),
            )
            for key, definition in by_key.items()
        )
        return (*self.columns, *custom)

    def filter_form(self, *, user: User, query: QueryDict) -> CustomerFilterForm:
        return CustomerFilterForm(query or None, user=user)

    def queryset(self, *, user: User, query: QueryDict, ids: Sequence[int]) -> QuerySet:
        return customer_queryset(user=user, query=query, ids=ids)

    def prepare(self, ctx: Context) -> None:
        ctx.extra.update(
            industries=_labels(Industry),
            levels=_labels(Level),
            tags=dict(Tag.objects.values_list("pk", "name")),
            kind=choice(_kind),
            source=choice(_source),
            intent=choice(_intent),
            stage=choice(_stage),
            decision_role=choice(_role),
        )

    def reading(self, qs: QuerySet) -> QuerySet:
        primary = FilteredRelation("contacts", condition=Q(contacts__is_primary=True))
        return qs.annotate(**{PRIMARY: primary})

    def enrich(self, chunk: Chunk, ctx: Context, keys: set[str]) -> None:
        """The chunk's tags: one query giving each customer's tag ids as one string ("3,7");
        a customer base has few distinct combinations, so each is named, sorted and joined
        once per export and every row is a dict lookup."""
        if "tags" not in keys:
            return
        pairs = Customer.tags.through.objects.order_by()
        by_customer = dict(
            fetch_raw(
                _of_customers(pairs, chunk.ids)
                .values("customer_id")
                .annotate(ids=StringAgg(Cast("tag_id", TextField()), Value(",")))
                .values_list("customer_id", "ids")
            )
        )
        shown: dict[str | None, str] = ctx.extra.setdefault("tag_sets", {None: ""})
        names = ctx.extra["tags"]
        for combination in set(by_customer.values()) - shown.keys():
            found = (names.get(int(pk), "") for pk in combination.split(","))
            shown[combination] = TAG_JOINER.join(sorted(found))
        chunk.extra["tags"] = list(map(shown.__getitem__, map(by_customer.get, chunk.ids)))


class ContactsExport(ExportEntity):
    """The contacts of the customers the customer list's filter selects."""

    name = "contacts"
    title = _("Contacts")
    columns = (
        Column(
            "customer_code",
            _("Customer code"),
            raw("customer__code"),
            needs=("customer__code",),
            default=True,
        ),
        Column(
            "customer_name",
            _("Customer name"),
            raw("customer__name"),
            needs=("customer__name",),
            default=True,
        ),
        _plain("name", _("Contact name"), default=True),
        _plain("title", _("Job title"), default=True),
        Column("phone", _("Phone"), _phones(raw("phone")), needs=("phone",), default=True),
        Column("phone_alt", _("Other phone"), _phones(raw("phone_alt")), needs=("phone_alt",)),
        Column("email", _("Email address"), _emails(raw("email")), needs=("email",), default=True),
        _plain("wechat", _("WeChat ID"), default=True),
        _choice("decision_role", _("Role in decision chain"), default=True),
        Column(
            "is_primary",
            _("Primary contact"),
            yes_no_of("is_primary"),
            needs=("is_primary",),
            default=True,
        ),
        _plain("birthday", _("Birthday")),
        _plain("remarks", _("Remarks")),
        _time("created_at", _("Created at")),
    )

    def filter_form(self, *, user: User, query: QueryDict) -> CustomerFilterForm:
        return CustomerFilterForm(query or None, user=user)

    def queryset(self, *, user: User, query: QueryDict, ids: Sequence[int]) -> QuerySet:
        qs = customer_selectors.contact_list(user=user)
        if ids or any(v for k, v in query.items() if k != "sort"):
            # Only a real filter needs the customer subquery; "all I may see" is the scope.
            customers = customer_queryset(user=user, query=query, ids=ids)
            qs = qs.filter(customer_id__in=customers.values("pk"))
        return qs.order_by().select_related(None)

    def prepare(self, ctx: Context) -> None:
        ctx.extra["decision_role"] = choice(_role)
