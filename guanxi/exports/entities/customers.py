"""Customers (and their contacts): the customer list's filters, its scope, its masking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.forms import CustomerFilterForm
from guanxi.customers.models import (
    Contact,
    Customer,
    CustomerSource,
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
    Column,
    Context,
    ExportEntity,
    choice,
    yes_no,
)

CONTACT_KEYS = {"contact_name", "contact_title", "phone", "email", "wechat", "decision_role"}


def _labels(model: type[Industry] | type[Level]) -> dict[int, str]:
    return {obj.pk: str(obj) for obj in model.objects.all()}


def _of_customers(qs: QuerySet, ids: list[int]) -> QuerySet:
    """Rows of these customers. A dense chunk (ids close together, as in an unfiltered export)
    reads an id range: binding 5,000 parameters costs more than the query itself. Extra rows
    of a range are ignored by the caller's lookups."""
    low, high = min(ids), max(ids)
    if high - low < 4 * len(ids):
        return qs.filter(customer_id__gte=low, customer_id__lte=high)
    return qs.filter(customer_id__in=ids)


def customer_queryset(*, user: User, query: QueryDict, ids: Sequence[int]) -> QuerySet[Customer]:
    """The customer list's rows for this query string (and ticked ids), in the viewer's scope."""
    filters = CustomerFilterForm(query or None, user=user).to_filters()
    qs = customer_selectors.customer_list(user=user, filters=filters)
    if ids:
        qs = qs.filter(pk__in=list(ids))
    return qs.order_by()


def _contact(key: str) -> Any:
    return lambda row, ctx: (row["_contact"] or {}).get(key, "")


def _phone(row: dict, ctx: Context) -> str:
    return phone_cell((row["_contact"] or {}).get("phone", ""), sees=ctx.sees)


def _email(row: dict, ctx: Context) -> str:
    return email_cell((row["_contact"] or {}).get("email", ""), sees=ctx.sees)


_kind, _source, _intent, _stage, _role = (
    dict(Kind.choices), dict(CustomerSource.choices), dict(Intent.choices), dict(Stage.choices),
    dict(DecisionRole.choices),
)  # fmt: skip


def _plain(name: str, label: Any, *, default: bool = False) -> Column:
    return Column(name, label, lambda row, ctx: row[name], needs=(name,), default=default)


def _choice(name: str, label: Any, *, default: bool = False) -> Column:
    """A coded value by its label (ctx.extra[name] maps code → label)."""

    def get(row: dict, ctx: Context) -> str:
        return ctx.extra[name](row[name])

    return Column(name, label, get, needs=(name,), default=default)


CUSTOMER_COLUMNS: tuple[Column, ...] = (
    _plain("code", _("Code"), default=True),
    _plain("name", _("Customer name"), default=True),
    _choice("kind", _("Type")),
    Column("contact_name", _("Contact name"), _contact("name"), default=True),
    Column("contact_title", _("Job title"), _contact("title")),
    Column("phone", _("Phone"), _phone, default=True),
    Column("email", _("Email address"), _email, default=True),
    Column("wechat", _("WeChat ID"), _contact("wechat")),
    Column(
        "decision_role",
        _("Role in decision chain"),
        lambda row, ctx: ctx.extra["decision_role"]((row["_contact"] or {}).get("decision_role")),
    ),
    Column(
        "industry",
        _("Industry"),
        lambda row, ctx: ctx.extra["industries"].get(row["industry_id"], ""),
        needs=("industry_id",),
        default=True,
    ),
    Column(
        "level",
        _("Level"),
        lambda row, ctx: ctx.extra["levels"].get(row["level_id"], ""),
        needs=("level_id",),
        default=True,
    ),
    _choice("intent", _("Intent"), default=True),
    _choice("stage", _("Lifecycle stage"), default=True),
    _choice("source", _("Source")),
    _plain("province", _("Province"), default=True),
    _plain("city", _("City"), default=True),
    _plain("district", _("District")),
    _plain("address", _("Address")),
    Column(
        "owner",
        _("Owner"),
        lambda row, ctx: ctx.users.get(row["owner_id"], ""),
        needs=("owner_id",),
        default=True,
    ),
    Column(
        "team", _("Team"), lambda row, ctx: ctx.teams.get(row["team_id"], ""), needs=("team_id",)
    ),
    Column(
        "department",
        _("Department"),
        lambda row, ctx: ctx.departments.get(row["department_id"], ""),
        needs=("department_id",),
    ),
    Column("tags", _("Tags"), lambda row, ctx: TAG_JOINER.join(row["_tags"]), default=True),
    _plain("demand", _("Demand description")),
    _plain("expected_close_date", _("Expected close date")),
    _plain("birthday", _("Birthday")),
    _plain("anniversary", _("Cooperation anniversary")),
    _plain("remarks", _("Remarks")),
    Column(
        "last_contact_at",
        _("Last contact"),
        lambda row, ctx: ctx.local(row["last_contact_at"]),
        needs=("last_contact_at",),
        default=True,
    ),
    Column(
        "created_at",
        _("Created at"),
        lambda row, ctx: ctx.local(row["created_at"]),
        needs=("created_at",),
        default=True,
    ),
    Column(
        "updated_at",
        _("Updated at"),
        lambda row, ctx: ctx.local(row["updated_at"]),
        needs=("updated_at",),
    ),
    _plain("external_id", _("External id")),
)


class CustomersExport(ExportEntity):
    name = "customers"
    title = _("Customers")
    columns = CUSTOMER_COLUMNS

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

    def enrich(self, rows: list[dict], ctx: Context, keys: set[str]) -> None:
        ids = [row["pk"] for row in rows]
        contacts: dict[int, dict] = {}
        if keys & CONTACT_KEYS:
            contacts = {
                c["customer_id"]: c
                for c in _of_customers(Contact.objects.filter(is_primary=True), ids).values(
                    "customer_id", "name", "title", "phone", "email", "wechat", "decision_role"
                )
            }
        tags: dict[int, list[str]] = {}
        if "tags" in keys:
            names = ctx.extra["tags"]
            pairs = _of_customers(Customer.tags.through.objects.all(), ids).values_list(
                "customer_id", "tag_id"
            )
            for customer_id, tag_id in pairs:
                tags.setdefault(customer_id, []).append(names.get(tag_id, ""))
        for row in rows:
            row["_contact"] = contacts.get(row["pk"])
            row["_tags"] = sorted(tags.get(row["pk"], ()))


class ContactsExport(ExportEntity):
    """The contacts of the customers the customer list's filter selects."""

    name = "contacts"
    title = _("Contacts")
    columns = (
        Column(
            "customer_code",
            _("Customer code"),
            lambda row, ctx: row["customer__code"],
            needs=("customer__code",),
            default=True,
        ),
        Column(
            "customer_name",
            _("Customer name"),
            lambda row, ctx: row["customer__name"],
            needs=("customer__name",),
            default=True,
        ),
        _plain("name", _("Contact name"), default=True),
        _plain("title", _("Job title"), default=True),
        Column(
            "phone",
            _("Phone"),
            lambda row, ctx: phone_cell(row["phone"], sees=ctx.sees),
            needs=("phone",),
            default=True,
        ),
        Column(
            "phone_alt",
            _("Other phone"),
            lambda row, ctx: phone_cell(row["phone_alt"], sees=ctx.sees),
            needs=("phone_alt",),
        ),
        Column(
            "email",
            _("Email address"),
            lambda row, ctx: email_cell(row["email"], sees=ctx.sees),
            needs=("email",),
            default=True,
        ),
        _plain("wechat", _("WeChat ID"), default=True),
        _choice("decision_role", _("Role in decision chain"), default=True),
        Column(
            "is_primary",
            _("Primary contact"),
            lambda row, ctx: yes_no(row["is_primary"]),
            needs=("is_primary",),
            default=True,
        ),
        _plain("birthday", _("Birthday")),
        _plain("remarks", _("Remarks")),
        Column(
            "created_at",
            _("Created at"),
            lambda row, ctx: ctx.local(row["created_at"]),
            needs=("created_at",),
        ),
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
