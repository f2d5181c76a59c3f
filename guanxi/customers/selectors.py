"""Reading customers, always through the viewer's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower, StrIndex
from django.utils.translation import gettext as _

from guanxi.accounts.models import Team, User
from guanxi.accounts.permissions import effective_scope, scope_signature, visible_to
from guanxi.core.errors import NotFoundError
from guanxi.core.phones import try_normalize_phone
from guanxi.core.pinyin import search_key
from guanxi.core.prepared import prepared_values, prepared_values_in
from guanxi.core.sql_lists import pk_in
from guanxi.customers.models import (
    Attachment,
    Contact,
    Customer,
    CustomFieldDefinition,
    SavedView,
    Tag,
)

SORTS = {
    "newest": ("-id",),
    "oldest": ("id",),
    "name": ("name_pinyin", "id"),
    "-name": ("-name_pinyin", "-id"),
    "last_contact": ("last_contact_at", "id"),
    "-last_contact": ("-last_contact_at", "-id"),
    "expected_close": ("expected_close_date", "id"),
    "updated": ("-updated_at", "-id"),
}


@dataclass
class CustomerFilters:
    search: str = ""
    industry: list[int] = field(default_factory=list)
    province: str = ""
    city: str = ""
    level: list[int] = field(default_factory=list)
    intent: list[str] = field(default_factory=list)
    stage: list[str] = field(default_factory=list)
    tag: list[str] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)
    team: list[int] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    last_contact_from: dt.date | None = None
    last_contact_to: dt.date | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    no_owner: bool = False
    sort: str = "newest"


def _day_start(day: dt.date) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def search_q(term: str) -> Q:
    """Name, code, phone (any format), email, contact name and pinyin (full or initials)."""
    ids = search_ids(term)
    return Q() if ids is None else Q(pk__in=ids)


# Up to this many matches a search runs its id query once and hands the page and the count the
# id list; past it, each runs the subquery itself. 50,000 ids are ~0.4 MB and ~20 ms to fetch.
SEARCH_IDS_INLINE = 50_000


def search_ids(term: str) -> QuerySet | None:
    """Ids of customers matching `term` in any search field (not yet scoped); None for "".

    Shape: `pk IN (ids by name UNION ids by code UNION ids by pinyin …)`. Each branch is one
    index search (or, for the name substring, one scan of the narrow name index), and the
    outer query fetches rows by primary key. An OR of the same conditions makes both
    databases scan the whole customer table for every search — ~1 s at a million rows.
    """
    term = term.strip()
    if not term:
        return None
    ids = Customer.objects.order_by()
    contacts = Contact.objects.order_by()
    branches = [
        _name_contains(ids, term).values_list("pk", flat=True),
        ids.filter(code=term.upper()).values_list("pk", flat=True),
    ]
    phone = try_normalize_phone(term) if sum(c.isdigit() for c in term) >= 7 else None
    if phone:
        branches.append(
            contact_lookup(contacts, "phone", phone).values_list("customer_id", flat=True)
        )
        branches.append(
            contact_lookup(contacts, "phone_alt", phone).values_list("customer_id", flat=True)
        )
    if "@" in term:
        email = term.lower()
        branches.append(
            contact_lookup(contacts, "email", email).values_list("customer_id", flat=True)
        )
    key = search_key(term)
    if key and term.isascii() and any(c.isalpha() for c in key):
        # Range scans on indexed columns: a prefix match that uses the index on both databases.
        upper = key + "{"
        branches.append(
            ids.filter(name_pinyin__gte=key, name_pinyin__lt=upper).values_list("pk", flat=True)
        )
        branches.append(
            ids.filter(name_initials__gte=key, name_initials__lt=upper).values_list("pk", flat=True)
        )
    if not term.isascii() or not phone:
        branches.append(contacts.filter(name=term).values_list("customer_id", flat=True))
    first, *rest = branches
    return first.union(*rest)


def contact_lookup(qs: QuerySet[Contact], field: str, value: str) -> QuerySet[Contact]:
    """Contacts whose phone / phone_alt / email equals `value`, phrased so the partial index
    on non-empty values applies (its condition must appear in the query)."""
    return qs.filter(**{field: value}).exclude(**{field: ""})


NAME_FTS = "customers_customer_name_fts"  # SQLite trigram index (migration 0005)


def _name_contains(ids: QuerySet[Customer], term: str) -> QuerySet[Customer]:
    """Customers whose name contains `term`, ignoring case, through a trigram index where one
    can answer (3+ characters); shorter terms scan the narrow name index."""
    if connection.vendor == "postgresql":
        if len(term) >= 3:
            # customer_name_trgm indexes UPPER(name), the expression icontains compares.
            return ids.filter(name__icontains=term)
        # Under three characters a trigram index has nothing to look up, and PostgreSQL would
        # read all of it (~1 s at 1M names): compare expressions it does not cover, so the
        # planner scans the table instead — plain LIKE (~80 ms at 1M) when case cannot matter.
        if term.lower() == term.upper():
            return ids.filter(name__contains=term)
        return ids.alias(lower_name=Lower("name")).filter(lower_name__contains=term.lower())
    if len(term) >= 3 and _has_name_fts():
        # A quoted FTS5 phrase of trigrams matches exactly the names containing the term,
        # folding case as icontains does, from the index alone (LIKE would re-read names).
        phrase = '"' + term.replace('"', '""') + '"'
        fts = RawSQL(
            "SELECT rowid FROM customers_customer_name_fts WHERE customers_customer_name_fts "
            "MATCH %s",
            [phrase],
        )
        return ids.filter(pk__in=fts)
    if term.lower() != term.upper():
        return ids.filter(name__icontains=term)
    # No cased letters (Chinese, digits): instr() finds the same rows as LIKE, ~1.5× faster.
    return ids.alias(at=StrIndex("name", Value(term))).filter(at__gt=0)


_fts_checked: dict[tuple[str, str], bool] = {}


def _has_name_fts() -> bool:
    key = (connection.alias, str(connection.settings_dict["NAME"]))
    if key not in _fts_checked:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [NAME_FTS]
            )
            _fts_checked[key] = cursor.fetchone() is not None
    return _fts_checked[key]


def customer_list(*, user: User, filters: CustomerFilters | None = None) -> QuerySet[Customer]:
    f = filters or CustomerFilters()
    qs = visible_to(user, Customer.objects.all())
    ids = search_ids(f.search) if f.search else None
    if ids is not None:
        # A list page runs the query twice (rows, capped count): fetch the matching ids once
        # when they are few, instead of repeating the name search in both.
        found = list(ids[: SEARCH_IDS_INLINE + 1])
        qs = qs.filter(pk_in(found) if len(found) <= SEARCH_IDS_INLINE else Q(pk__in=ids))
    if f.industry:
        qs = qs.filter(industry_id__in=f.industry)
    if f.province:
        qs = qs.filter(province=f.province)
    if f.city:
        qs = qs.filter(city=f.city)
    if f.level:
        qs = qs.filter(level_id__in=f.level)
    if f.intent:
        qs = qs.filter(intent__in=f.intent)
    if f.stage:
        qs = qs.filter(stage__in=f.stage)
    if f.source:
        qs = qs.filter(source__in=f.source)
    if f.tag:
        qs = qs.filter(
            pk__in=Customer.tags.through.objects.filter(tag__name__in=f.tag).values("customer_id")
        )
    if f.owner:
        qs = qs.filter(owner_id__in=f.owner)
    if f.no_owner:
        qs = qs.filter(owner__isnull=True)
    if f.team:
        qs = qs.filter(team_id__in=f.team)
    if f.last_contact_from:
        qs = qs.filter(last_contact_at__gte=_day_start(f.last_contact_from))
    if f.last_contact_to:
        qs = qs.filter(last_contact_at__lt=_day_start(f.last_contact_to + dt.timedelta(days=1)))
    if f.created_from:
        qs = qs.filter(created_at__gte=_day_start(f.created_from))
    if f.created_to:
        qs = qs.filter(created_at__lt=_day_start(f.created_to + dt.timedelta(days=1)))
    return qs.order_by(*SORTS.get(f.sort, SORTS["newest"]))


def with_list_relations(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """What a list page or API list shows for each row, fetched in a fixed number of queries."""
    return qs.select_related("industry", "level", "owner", "team").prefetch_related(
        "tags",
        Prefetch(
            "contacts", queryset=Contact.objects.filter(is_primary=True), to_attr="primary_contacts"
        ),
    )


def customer_get(*, user: User, pk: int) -> Customer:
    """One customer the viewer may see; otherwise NotFoundError (the same for "not yours")."""
    customer = (
        visible_to(user, Customer.objects.all())
        .select_related("industry", "level", "owner", "team", "department", "created_by")
        .filter(pk=pk)
        .first()
    )
    if customer is None:
        raise NotFoundError(_("Customer not found."))
    return customer


def customer_get_by_code(*, user: User, code: str) -> Customer:
    customer = visible_to(user, Customer.objects.all()).filter(code=code).first()
    if customer is None:
        raise NotFoundError(_("Customer not found."))
    return customer


def primary_contact(customer: Customer) -> Contact | None:
    cached = getattr(customer, "primary_contacts", None)
    if cached is not None:
        return cached[0] if cached else None
    cached_one = getattr(customer, "_primary_contact_cache", None)
    if cached_one is not None:
        return cached_one
    return customer.contacts.filter(is_primary=True).first()


def contact_list(
    *, user: User, customer_id: int | None = None, search: str = ""
) -> QuerySet[Contact]:
    qs = visible_to(user, Contact.objects.select_related("customer"))
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if search:
        phone = try_normalize_phone(search)
        q = Q(name__icontains=search) | Q(email__iexact=search)
        if phone:
            q |= (Q(phone=phone) & ~Q(phone="")) | (Q(phone_alt=phone) & ~Q(phone_alt=""))
        qs = qs.filter(q)
    return qs.order_by("customer_id", "-is_primary", "id")


def contact_get(*, user: User, pk: int) -> Contact:
    contact = visible_to(user, Contact.objects.select_related("customer")).filter(pk=pk).first()
    if contact is None:
        raise NotFoundError(_("Contact not found."))
    return contact


def attachment_get(*, user: User, pk: int) -> Attachment:
    attachment = (
        visible_to(user, Attachment.objects.select_related("customer")).filter(pk=pk).first()
    )
    if attachment is None:
        raise NotFoundError(_("Attachment not found."))
    return attachment


def tag_list(*, user: User) -> QuerySet[Tag]:
    # Tag names are not customer data; every signed-in user may pick from them.
    return Tag.objects.all() if user.is_authenticated else Tag.objects.none()


def saved_views(*, user: User) -> QuerySet[SavedView]:
    return SavedView.objects.filter(user=user)


def capped_count(qs: QuerySet, *, cap: int) -> int:
    """How many rows, counting no further than cap + 1.

    A page shows "10,000+" rather than scanning a million-row scope for an exact COUNT(*):
    the database stops after cap + 1 rows of the (index-backed) subquery.
    """
    # The page's own order stays: the database then walks the index the page walks (search
    # results by id, level + intent by customer_level_intent) instead of starting from the
    # whole scope and probing every row of it.
    return qs.values("pk")[: cap + 1].count()


def attachment_list(*, user: User, customer_id: int) -> QuerySet[Attachment]:
    return visible_to(
        user, Attachment.objects.filter(customer_id=customer_id).select_related("uploaded_by")
    ).order_by("-created_at", "-id")


def custom_field_definitions(*, industry_id: int | None) -> QuerySet[CustomFieldDefinition]:
    """The fields that apply to every customer plus those of one industry."""
    q = Q(industry__isnull=True)
    if industry_id:
        q |= Q(industry_id=industry_id)
    return CustomFieldDefinition.objects.filter(q).order_by("order", "id")


def owner_choices(*, user: User) -> QuerySet[User]:
    """Active users the viewer may pick as an owner or assignee, or filter by: the people of
    their own data scope (a team supervisor sees the team, an admin everyone)."""
    qs = User.objects.filter(is_active=True).select_related("team")
    scope = effective_scope(user)
    if scope == "all":
        pass
    elif scope == "department" and user.department_id:
        qs = qs.filter(Q(department_id=user.department_id) | Q(pk=user.pk))
    elif scope == "team" and user.team_id:
        qs = qs.filter(Q(team_id=user.team_id) | Q(pk=user.pk))
    else:
        qs = qs.filter(pk=user.pk)
    return qs.order_by("team__name", "username")


def team_choices(*, user: User) -> QuerySet[Team]:
    qs = Team.objects.all()
    scope = effective_scope(user)
    if scope == "department" and user.department_id:
        qs = qs.filter(department_id=user.department_id)
    elif scope in ("team", "own"):
        qs = qs.filter(pk=user.team_id) if user.team_id else qs.none()
    return qs.order_by("name")


# --- rows: the API's hot path ----------------------------------------------------------
# A list page of 50 customers built as model instances creates ~400 objects (each customer
# with its industry, level, owner, team and department); building plain rows from one joined
# `values()` query costs a fraction of that. Same scope, same filters, same order.

ROW_FIELDS = (
    "id", "code", "kind", "name", "name_pinyin", "province", "city", "district", "address",
    "source", "intent", "stage", "demand", "expected_close_date", "birthday", "anniversary",
    "remarks", "last_contact_at", "custom_fields", "external_source", "external_id", "version",
    "created_at", "updated_at",
    # Ids only: their labels come from customers.references (no joins in the hot query).
    "industry_id", "level_id", "owner_id", "team_id", "department_id",
)  # fmt: skip
CONTACT_ROW_FIELDS = ("customer_id", "name", "title", "phone", "email", "wechat", "decision_role")


def customer_rows(qs: QuerySet[Customer]) -> QuerySet:
    """The customers of `qs` (already scoped by a selector) as plain dict rows."""
    return qs.values(*ROW_FIELDS)


def rows_with_contacts_and_tags(rows: list[dict]) -> list[dict]:
    """Add each row's primary contact and sorted tag names: two queries for the whole page,
    each compiled once per page size (core.prepared)."""
    ids = list(dict.fromkeys(row["id"] for row in rows))
    if not ids:
        return rows
    contacts = {
        c["customer_id"]: c
        for c in prepared_values_in(
            key="page_primary_contacts",
            build=lambda values: (
                Contact.objects.filter(customer_id__in=values, is_primary=True)
                .order_by()
                .values(*CONTACT_ROW_FIELDS)
            ),
            values=ids,
        )
    }
    tags: dict[int, list[str]] = {}
    pairs = prepared_values_in(
        key="page_tag_names",
        build=lambda values: (
            Customer.tags.through.objects.filter(customer_id__in=values)
            .order_by()
            .values("customer_id", "tag__name")
        ),
        values=ids,
    )
    for pair in pairs:
        tags.setdefault(pair["customer_id"], []).append(pair["tag__name"])
    for row in rows:
        row["primary_contact"] = contacts.get(row["id"])
        row["tag_names"] = sorted(tags.get(row["id"], []))
    return rows


def customer_row_get(*, user: User, pk: int) -> dict:
    """One customer as a row with its primary contact and tags, through the viewer's scope;
    NotFoundError otherwise.

    The API detail's hot path: three small queries, each compiled once per viewer scope
    (core.prepared). Folding them into one query (a filtered join and a string aggregate)
    measured slower: compiling it cost more than the round trips it saved."""
    rows = prepared_values(
        key=("customer_row", scope_signature(user)),
        build=lambda value: customer_rows(
            visible_to(user, Customer.objects.order_by()).filter(pk=value)
        ),
        value=pk,
    )
    if not rows:
        raise NotFoundError(_("Customer not found."))
    row = rows[0]
    contacts = prepared_values(
        key="customer_primary_contact",
        build=lambda value: (
            Contact.objects.filter(customer_id=value, is_primary=True)
            .order_by()
            .values(*CONTACT_ROW_FIELDS)
        ),
        value=pk,
    )
    row["primary_contact"] = contacts[0] if contacts else None
    tags = prepared_values(
        key="customer_tag_names",
        build=lambda value: Tag.objects.filter(customers__id=value).order_by().values("name"),
        value=pk,
    )
    row["tag_names"] = sorted(tag["name"] for tag in tags)
    return row
