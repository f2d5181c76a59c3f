"""Reads of the data-quality app, always through the viewer's scope.

A duplicate group shows only when the viewer sees at least two of its members, and only
those members: a sales user never learns that someone else's customer shares a phone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts.models import User
from guanxi.accounts.permissions import visible_to
from guanxi.core.errors import NotFoundError
from guanxi.customers.models import Contact, Customer
from guanxi.customers.selectors import with_list_relations
from guanxi.quality import finder
from guanxi.quality.models import (
    CheckHit,
    CheckScan,
    DuplicateDismissal,
    DuplicateGroup,
    DuplicateMember,
)

# --- duplicate groups ------------------------------------------------------------------


def duplicate_groups(*, user: User, min_score: int = 0) -> QuerySet[DuplicateGroup]:
    """Groups with two or more members in the viewer's scope, strongest first."""

    def members(group: OuterRef) -> QuerySet[DuplicateMember]:
        return visible_to(user, DuplicateMember.objects.filter(group_id=group))

    # "Two visible members" = a visible member besides the lowest visible one. Checked per
    # group while the database walks the score index for one page (or a capped count), instead
    # of grouping every member of every group first (~850,000 rows at 1M customers).
    lowest = members(OuterRef(OuterRef("pk"))).order_by("customer_id").values("customer_id")[:1]
    qs = DuplicateGroup.objects.filter(
        Exists(members(OuterRef("pk")).filter(customer_id__gt=Subquery(lowest)))
    )
    if min_score:
        qs = qs.filter(score__gte=min_score)
    return qs.order_by("-score", "id")


def duplicate_group_get(*, user: User, pk: int) -> DuplicateGroup:
    group = duplicate_groups(user=user).filter(pk=pk).first()
    if group is None:
        raise NotFoundError(_("Duplicate group not found."))
    return group


def group_members(*, user: User, groups: list[DuplicateGroup]) -> dict[int, list[Customer]]:
    """The visible members of a page of groups, with what a list row shows: two queries."""
    links = visible_to(
        user, DuplicateMember.objects.filter(group_id__in=[g.pk for g in groups])
    ).values_list("group_id", "customer_id")
    by_group: dict[int, list[int]] = {}
    for group_id, customer_id in links:
        by_group.setdefault(group_id, []).append(customer_id)
    ids = [pk for pks in by_group.values() for pk in pks]
    # Only what a member row shows (name, region, owner, primary contact): the list pages'
    # tags prefetch builds a manager per customer, and a page can hold ~300 members.
    rows = Customer.objects.filter(pk__in=ids).select_related("owner")
    primary = Prefetch(
        "contacts", queryset=Contact.objects.filter(is_primary=True), to_attr="primary_contacts"
    )
    customers = {c.pk: c for c in rows.prefetch_related(primary)}
    return {
        group_id: [customers[pk] for pk in sorted(pks) if pk in customers]
        for group_id, pks in by_group.items()
    }


def last_computed_at(*, user: User):
    """When the last duplicate scan finished (None before the first)."""
    return (
        CheckScan.objects.filter(check_slug="duplicates")
        .values_list("scanned_at", flat=True)
        .first()
    )


@dataclass(frozen=True)
class Candidate:
    customer: Customer
    score: int
    reasons: list[dict]


def duplicates_of(*, user: User, customer: Customer) -> list[Candidate]:
    """Live: the visible customers that look like this one, best first (not dismissed)."""
    pairs = finder.candidates_for(customer)
    if not pairs:
        return []
    dismissed = set(
        DuplicateDismissal.objects.filter(
            Q(customer_low=customer.pk) | Q(customer_high=customer.pk)
        ).values_list("customer_low_id", "customer_high_id")
    )
    visible = with_list_relations(visible_to(user, Customer.objects.filter(pk__in=list(pairs))))
    people = finder.profiles([customer.pk, *pairs])
    found = []
    for other in visible:
        if tuple(sorted((customer.pk, other.pk))) in dismissed:
            continue
        pair = pairs[other.pk]
        score, reasons = finder.pair_score(
            phones=pair.phones, emails=pair.emails, a=people[customer.pk], b=people[other.pk]
        )
        found.append(Candidate(other, score, reasons))
    return sorted(found, key=lambda c: (-c.score, c.customer.pk))


# --- data-quality checks -----------------------------------------------------------------

# Stored phones are E.164 (+ and 7–15 digits) whenever they went through the services; a value
# of another shape came from elsewhere (an old import, the database) and cannot be dialled.
_E164_PG = r"^\+[1-9][0-9]{6,14}$"
_EMAIL_PG = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _bad_phone_sql(column: str) -> str:
    col = f'"customers_contact"."{column}"'
    if connection.vendor == "postgresql":
        return f"({col} <> '' AND {col} !~ '{_E164_PG}')"
    # SQLite: GLOB is built in (REGEXP would call Python once per row).
    return (
        f"({col} <> '' AND NOT ({col} GLOB '+[1-9]*' AND {col} NOT GLOB '+*[^0-9]*' "
        f"AND length({col}) BETWEEN 8 AND 16))"
    )


def _bad_email_sql() -> str:
    col = '"customers_contact"."email"'
    if connection.vendor == "postgresql":
        return f"({col} <> '' AND ({col} !~ '{_EMAIL_PG}' OR {col} <> lower({col})))"
    return (
        f"({col} <> '' AND (NOT {col} GLOB '?*@?*.?*' OR {col} GLOB '*@*@*' "
        f"OR {col} GLOB '*[ \t]*' OR {col} <> lower({col})))"
    )


def _raw_bool(sql: str) -> RawSQL:
    return RawSQL(sql, [], output_field=BooleanField())  # noqa: S611 - constant SQL


def _invalid_phone_rows() -> QuerySet[Contact]:
    return Contact.objects.filter(
        _raw_bool(f"({_bad_phone_sql('phone')} OR {_bad_phone_sql('phone_alt')})")
    )


def _invalid_email_rows() -> QuerySet[Contact]:
    return Contact.objects.filter(_raw_bool(_bad_email_sql()))


def _missing_required_rows() -> QuerySet[Customer]:
    """No name, or no phone and no email on the primary contact (the rule of new customers)."""
    reachable = Contact.objects.filter(customer_id=OuterRef("pk"), is_primary=True).filter(
        ~Q(phone="") | ~Q(email="")
    )
    return Customer.objects.filter(Q(name="") | ~Exists(reachable))


# Checks whose matches no index finds: the nightly scan records them (quality.CheckHit).
SCANNED_CHECKS = {
    "invalid-phones": _invalid_phone_rows,
    "invalid-emails": _invalid_email_rows,
    "missing-required": _missing_required_rows,
}


def check_scan_rows(slug: str) -> QuerySet:
    """Every row failing a scanned check, unscoped: what the nightly scan reads."""
    return SCANNED_CHECKS[slug]()


def _flagged(slug: str) -> QuerySet:
    """The rows of a scanned check: those the last scan found, plus every row added since,
    each re-checked now (a fixed row drops out at once). Never scanned: every row."""
    rows = SCANNED_CHECKS[slug]()
    scanned_to = (
        CheckScan.objects.filter(check_slug=slug).values_list("scanned_to", flat=True).first()
    )
    if scanned_to is None:
        return rows
    hits = CheckHit.objects.filter(check_slug=slug).values_list("row_id", flat=True)
    newer = rows.model.objects.filter(pk__gt=scanned_to).values_list("pk", flat=True)
    # One IN list (a handful of ids) the database looks up by primary key, instead of testing
    # the condition on every row of the table.
    return rows.filter(pk__in=hits.union(newer, all=True))


def invalid_phone_contacts(*, user: User) -> QuerySet[Contact]:
    return (
        visible_to(user, _flagged("invalid-phones"))
        .select_related("customer", "customer__owner")
        .order_by("-id")
    )


def invalid_email_contacts(*, user: User) -> QuerySet[Contact]:
    return (
        visible_to(user, _flagged("invalid-emails"))
        .select_related("customer", "customer__owner")
        .order_by("-id")
    )


def missing_required_customers(*, user: User) -> QuerySet[Customer]:
    return visible_to(user, _flagged("missing-required")).order_by("-id")


def ownerless_customers(*, user: User) -> QuerySet[Customer]:
    return visible_to(user, Customer.objects.filter(owner__isnull=True)).order_by("-id")


@dataclass(frozen=True)
class Check:
    slug: str
    title: object
    description: object
    icon: str
    rows: str  # "contacts" or "customers"


CHECKS: dict[str, Check] = {
    c.slug: c
    for c in [
        Check(
            "invalid-phones",
            gettext_lazy("Invalid phones"),
            gettext_lazy("Stored phone numbers that are not valid numbers."),
            "bi-telephone-x",
            "contacts",
        ),
        Check(
            "invalid-emails",
            gettext_lazy("Invalid emails"),
            gettext_lazy("Stored email addresses that are malformed."),
            "bi-envelope-x",
            "contacts",
        ),
        Check(
            "missing-required",
            gettext_lazy("Missing required fields"),
            gettext_lazy("No customer name, or neither phone nor email on the primary contact."),
            "bi-exclamation-triangle",
            "customers",
        ),
        Check(
            "no-owner",
            gettext_lazy("Customers without owner"),
            gettext_lazy("Nobody is responsible for following them up."),
            "bi-person-x",
            "customers",
        ),
    ]
}


def check_rows(*, user: User, slug: str) -> QuerySet:
    if slug == "invalid-phones":
        return invalid_phone_contacts(user=user)
    if slug == "invalid-emails":
        return invalid_email_contacts(user=user)
    if slug == "missing-required":
        return missing_required_customers(user=user)
    if slug == "no-owner":
        return ownerless_customers(user=user)
    raise NotFoundError(_("No such check."))


def merge_customers(*, user: User, ids: list[int]) -> list[Customer]:
    """The customers of a merge, in the order given; NotFoundError when one is not visible."""
    rows = visible_to(user, Customer.objects.select_related("industry", "level", "owner"))
    found = {c.pk: c for c in rows.filter(pk__in=ids)}
    if len(found) != len(set(ids)):
        raise NotFoundError(_("Customer not found."))
    return [found[pk] for pk in ids]
