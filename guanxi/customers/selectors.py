"""Reading customers, always through the viewer's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from guanxi.accounts.models import User
from guanxi.accounts.permissions import visible_to
from guanxi.core.errors import NotFoundError
from guanxi.core.phones import try_normalize_phone
from guanxi.core.pinyin import search_key
from guanxi.customers.models import Attachment, Contact, Customer, SavedView, Tag

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
    term = term.strip()
    if not term:
        return Q()
    q = Q(code=term.upper()) | Q(name__icontains=term)
    phone = try_normalize_phone(term) if sum(c.isdigit() for c in term) >= 7 else None
    if phone:
        q |= Q(
            pk__in=Contact.objects.filter(Q(phone=phone) | Q(phone_alt=phone)).values("customer_id")
        )
    if "@" in term:
        q |= Q(pk__in=Contact.objects.filter(email=term.lower()).values("customer_id"))
    key = search_key(term)
    if key and term.isascii() and any(c.isalpha() for c in key):
        # Range scans on indexed columns: a prefix match that uses the index on both databases.
        upper = key + "{"
        q |= Q(name_pinyin__gte=key, name_pinyin__lt=upper) | Q(
            name_initials__gte=key, name_initials__lt=upper
        )
    if not term.isascii() or not phone:
        q |= Q(pk__in=Contact.objects.filter(name=term).values("customer_id"))
    return q


def customer_list(*, user: User, filters: CustomerFilters | None = None) -> QuerySet[Customer]:
    f = filters or CustomerFilters()
    qs = visible_to(user, Customer.objects.all())
    if f.search:
        qs = qs.filter(search_q(f.search))
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
        raise NotFoundError("Customer not found.")
    return customer


def customer_get_by_code(*, user: User, code: str) -> Customer:
    customer = visible_to(user, Customer.objects.all()).filter(code=code).first()
    if customer is None:
        raise NotFoundError("Customer not found.")
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
            q |= Q(phone=phone) | Q(phone_alt=phone)
        qs = qs.filter(q)
    return qs.order_by("customer_id", "-is_primary", "id")


def contact_get(*, user: User, pk: int) -> Contact:
    contact = visible_to(user, Contact.objects.select_related("customer")).filter(pk=pk).first()
    if contact is None:
        raise NotFoundError("Contact not found.")
    return contact


def attachment_get(*, user: User, pk: int) -> Attachment:
    attachment = (
        visible_to(user, Attachment.objects.select_related("customer")).filter(pk=pk).first()
    )
    if attachment is None:
        raise NotFoundError("Attachment not found.")
    return attachment


def tag_list(*, user: User) -> QuerySet[Tag]:
    # Tag names are not customer data; every signed-in user may pick from them.
    return Tag.objects.all() if user.is_authenticated else Tag.objects.none()


def saved_views(*, user: User) -> QuerySet[SavedView]:
    return SavedView.objects.filter(user=user)
