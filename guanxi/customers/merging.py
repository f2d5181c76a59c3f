"""Merging duplicate customers into one (合并客户).

`customers_merge` keeps one customer (the survivor), takes per field the value the user chose,
moves everything that hangs off the others onto it, records the others as aliases
(quality.MergedCustomer: old code, name and external id lead to the survivor), and deletes them.

Things that hang off a customer are found from the model graph: every foreign key to Customer
is moved by a plain UPDATE unless its model registered its own mover with `register_mover`
(contacts merge twins; rows that must not move — duplicate-finder rows — are left to cascade).
Later apps (deals, tickets, …) need nothing for a plain foreign key; a model with a unique
constraint that includes the customer must register a mover (tests/test_merging.py checks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, has_perm, require_perm, visible_to
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, ConflictError, NotFoundError
from guanxi.core.events import Event, publish
from guanxi.core.model_update import jsonable
from guanxi.core.names import company_name_key
from guanxi.core.pinyin import pinyin_keys
from guanxi.customers.models import Contact, Customer
from guanxi.customers.services import customer_version_claim

# Choosable fields → the model fields each choice carries. A region or an external id is
# taken as a whole: 上海市 with 杭州市's district, or one system's id with another's, is nonsense.
FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "kind": ("kind",),
    "industry": ("industry",),
    "region": ("province", "city", "district"),
    "address": ("address",),
    "source": ("source",),
    "level": ("level",),
    "intent": ("intent",),
    "stage": ("stage",),
    "demand": ("demand",),
    "expected_close_date": ("expected_close_date",),
    "birthday": ("birthday",),
    "anniversary": ("anniversary",),
    "remarks": ("remarks",),
    "owner": ("owner",),
    "external": ("external_source", "external_id"),
}
PRIMARY_CONTACT = "primary_contact"
CUSTOM_PREFIX = "custom_fields."
CONTACT_MERGE_FIELDS = ("name", "title", "phone", "phone_alt", "email", "wechat", "birthday")
CONTACT_MERGE_FIELDS += ("decision_role", "remarks")


@dataclass
class MergeContext:
    actor: User | None
    survivor: Customer
    others: list[Customer]
    choices: dict[str, int]
    moved: dict[str, int] = field(default_factory=dict)

    @property
    def other_ids(self) -> list[int]:
        return [c.pk for c in self.others]

    @property
    def all_ids(self) -> list[int]:
        return [self.survivor.pk, *self.other_ids]


Mover = Callable[[MergeContext, models.ForeignKey], int]
_MOVERS: dict[str, Mover] = {}


def register_mover(model_label: str, mover: Mover) -> None:
    """Let an app decide how its rows follow a merge (`"app_label.modelname"`)."""
    _MOVERS[model_label.lower()] = mover


def leave_for_cascade(ctx: MergeContext, fk: models.ForeignKey) -> int:
    """For rows that describe the merged-away customer itself: deleted with it."""
    return 0


def move_rows(ctx: MergeContext, fk: models.ForeignKey) -> int:
    """The default: re-point the foreign key from the others to the survivor."""
    model = fk.model
    return model._base_manager.filter(**{f"{fk.name}__in": ctx.other_ids}).update(
        **{fk.name: ctx.survivor.pk}
    )


def customer_dependents() -> list[models.ForeignKey]:
    """Every foreign key (hidden ones too) that points at Customer, except M2M link tables."""
    keys = []
    for rel in Customer._meta.get_fields(include_hidden=True):
        if not (rel.one_to_many and rel.auto_created and not rel.concrete):
            continue
        if rel.related_model._meta.auto_created:  # the tags link table: united separately
            continue
        keys.append(rel.remote_field)
    return keys


# --- choosing values ---------------------------------------------------------------------


def _group_value(customer: Customer, group: str) -> tuple[Any, ...]:
    return tuple(
        getattr(customer, customer._meta.get_field(name).attname) for name in FIELD_GROUPS[group]
    )


def _empty(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_empty(v) for v in value)
    return value in (None, "", [], {})


def _primary_of(customer_id: int) -> Contact | None:
    return Contact.objects.filter(customer_id=customer_id, is_primary=True).first()


def default_choices(*, survivor: Customer, others: list[Customer]) -> dict[str, int]:
    """Per field: the survivor's value, or where it is empty the first other's non-empty one."""
    everyone = [survivor, *others]
    choices: dict[str, int] = {}
    for group in FIELD_GROUPS:
        choices[group] = next(
            (c.pk for c in everyone if not _empty(_group_value(c, group))), survivor.pk
        )
    for key in sorted({k for c in everyone for k in (c.custom_fields or {})}):
        choices[CUSTOM_PREFIX + key] = next(
            (c.pk for c in everyone if not _empty((c.custom_fields or {}).get(key))), survivor.pk
        )
    with_primary = set(
        Contact.objects.filter(
            customer_id__in=[c.pk for c in everyone], is_primary=True
        ).values_list("customer_id", flat=True)
    )
    choices[PRIMARY_CONTACT] = next((c.pk for c in everyone if c.pk in with_primary), survivor.pk)
    return choices


def _resolve_choices(
    *, survivor: Customer, others: list[Customer], requested: dict[str, Any] | None
) -> dict[str, int]:
    choices = default_choices(survivor=survivor, others=others)
    ids = {survivor.pk, *(c.pk for c in others)}
    errors: dict[str, list[str]] = {}
    for key, raw in (requested or {}).items():
        if key not in choices and key not in FIELD_GROUPS:
            errors.setdefault(f"field_choices.{key}", []).append(_("Unknown field."))
            continue
        try:
            chosen = int(raw)
        except (TypeError, ValueError):
            chosen = None
        if chosen not in ids:
            errors.setdefault(f"field_choices.{key}", []).append(
                _("Choose one of the customers being merged.")
            )
            continue
        choices[key] = chosen
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    return choices


# --- the service -------------------------------------------------------------------------


def customers_merge(
    *,
    actor: User,
    survivor: Customer,
    others: Iterable[Customer],
    field_choices: dict[str, Any] | None = None,
    expected_version: int | None = None,
    source: str = Source.UI,
) -> Customer:
    """Merge `others` into `survivor` in one transaction; returns the survivor, re-read.

    `field_choices` maps a field of FIELD_GROUPS, "primary_contact" or "custom_fields.<key>"
    to the id of the customer whose value survives; fields left out keep the survivor's value
    unless it is empty. With `expected_version`, a survivor changed meanwhile → ConflictError.
    """
    require_perm(actor, Perm.CUSTOMER_MERGE)
    other_ids = list(dict.fromkeys(c.pk for c in others if c.pk != survivor.pk))
    if not other_ids:
        message = _("Choose at least two customers to merge.")
        raise ApplicationError(message, errors={"others": [message]})
    all_ids = [survivor.pk, *other_ids]
    # Every customer of the merge must be in the actor's scope; "not yours" reads as not found.
    if visible_to(actor, Customer.objects.filter(pk__in=all_ids)).count() != len(all_ids):
        raise NotFoundError(_("Customer not found."))
    with transaction.atomic():
        customer_version_claim(customer_id=survivor.pk, expected_version=expected_version)
        rows = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=all_ids)}
        if len(rows) != len(all_ids):  # one was deleted or merged a moment ago
            raise NotFoundError(_("Customer not found."))
        ctx = MergeContext(
            actor=actor,
            survivor=rows[survivor.pk],
            others=[rows[pk] for pk in other_ids],
            choices={},
        )
        ctx.choices = _resolve_choices(
            survivor=ctx.survivor, others=ctx.others, requested=field_choices
        )
        changes = _apply_choices(ctx)
        _unite_tags(ctx, changes)
        _move_dependents(ctx)
        _record_aliases(ctx)
        for other in ctx.others:
            _audit_removed(ctx, other, source)
        snapshot = [(o.pk, o.code) for o in ctx.others]
        Customer.objects.filter(pk__in=ctx.other_ids).delete()
        try:
            with transaction.atomic():
                ctx.survivor.save()
        except IntegrityError as exc:
            raise ConflictError(
                _("A customer with this external id already exists."),
                errors={"external": [_("Already used by another customer.")]},
            ) from exc
        codes = [code for _pk, code in snapshot]
        # The summary names the merged codes (the same in every language); the changes are
        # the survivor's fields before → after, shown like any edit.
        activity_record(
            actor=actor,
            verb=Verb.MERGED,
            target=ctx.survivor,
            customer_id=ctx.survivor.pk,
            changes=changes,
            summary=", ".join(codes),
            source=source,
        )
        publish(
            Event(
                name="customer.merged",
                customer_id=ctx.survivor.pk,
                actor_id=actor.pk,
                source=source,
                payload={
                    "merged_ids": [pk for pk, _c in snapshot],
                    "merged_codes": codes,
                    "moved": ctx.moved,
                },
            )
        )
    ctx.survivor.refresh_from_db()
    return ctx.survivor


def _apply_choices(ctx: MergeContext) -> dict[str, list[Any]]:
    survivor, rows = ctx.survivor, {c.pk: c for c in [ctx.survivor, *ctx.others]}
    changes: dict[str, list[Any]] = {}
    for group, names in FIELD_GROUPS.items():
        chosen = rows[ctx.choices[group]]
        if chosen.pk == survivor.pk:
            continue
        for name in names:
            attname = survivor._meta.get_field(name).attname
            before, after = getattr(survivor, attname), getattr(chosen, attname)
            if before != after:
                setattr(survivor, attname, after)
                changes[name] = [before, after]
    if "owner" in changes:
        if not has_perm(ctx.actor, Perm.CUSTOMER_REASSIGN):
            message = _("Only a supervisor can reassign a customer.")
            raise ApplicationError(message, errors={"field_choices.owner": [message]})
        owner = User.objects.select_related("team").filter(pk=survivor.owner_id).first()
        from guanxi.customers.services import _assign_org  # one rule for team + department

        _assign_org(survivor, owner)
    if "name" in changes:
        survivor.name_pinyin, survivor.name_initials = pinyin_keys(survivor.name)
        survivor.name_key = company_name_key(survivor.name)
    if "external_id" in changes or "external_source" in changes:
        # The pair moves to the survivor; the unique constraint must not see it twice.
        Customer.objects.filter(pk__in=ctx.other_ids).update(external_source="", external_id="")
    custom = dict(survivor.custom_fields or {})
    for key, chosen_id in ctx.choices.items():
        if key.startswith(CUSTOM_PREFIX):
            name = key.removeprefix(CUSTOM_PREFIX)
            value = (rows[chosen_id].custom_fields or {}).get(name)
            if value in (None, ""):
                custom.pop(name, None)
            else:
                custom[name] = value
    if custom != (survivor.custom_fields or {}):
        changes["custom_fields"] = [survivor.custom_fields, custom]
        survivor.custom_fields = custom
    latest = max(
        (c.last_contact_at for c in rows.values() if c.last_contact_at is not None), default=None
    )
    if latest != survivor.last_contact_at:
        changes["last_contact_at"] = [survivor.last_contact_at, latest]
        survivor.last_contact_at = latest
    return changes


def _unite_tags(ctx: MergeContext, changes: dict[str, list[Any]]) -> None:
    through = Customer.tags.through
    before = set(ctx.survivor.tags.values_list("name", flat=True))
    incoming = set(
        through.objects.filter(customer_id__in=ctx.other_ids).values_list("tag_id", flat=True)
    )
    ctx.survivor.tags.add(*incoming)
    after = set(ctx.survivor.tags.values_list("name", flat=True))
    if after != before:
        changes["tags"] = [sorted(before), sorted(after)]


def _move_dependents(ctx: MergeContext) -> None:
    for fk in customer_dependents():
        label = fk.model._meta.label_lower
        mover = _MOVERS.get(label, move_rows)
        count = mover(ctx, fk)
        if count:
            ctx.moved[label] = ctx.moved.get(label, 0) + count


def _record_aliases(ctx: MergeContext) -> None:
    from guanxi.quality.models import MergedCustomer  # the table lives with the finder

    now = clock.now()
    MergedCustomer.objects.bulk_create(
        [
            MergedCustomer(
                survivor=ctx.survivor,
                merged_id=other.pk,
                code=other.code,
                name=other.name[:200],
                # Read before _apply_choices cleared it when the survivor took the pair over.
                external_source=other.external_source,
                external_id=other.external_id,
                merged_at=now,
                merged_by=ctx.actor if getattr(ctx.actor, "pk", None) else None,
            )
            for other in ctx.others
        ]
    )


def _audit_removed(ctx: MergeContext, other: Customer, source: str) -> None:
    """A row about each removed customer, on the survivor's timeline, with all it held."""
    snapshot = {
        name: [getattr(other, other._meta.get_field(name).attname), None]
        for names in FIELD_GROUPS.values()
        for name in names
        if not _empty(getattr(other, other._meta.get_field(name).attname))
    }
    snapshot["code"] = [other.code, None]
    if other.custom_fields:
        snapshot["custom_fields"] = [other.custom_fields, None]
    activity_record(
        actor=ctx.actor,
        verb=Verb.MERGED,
        target=other,
        customer_id=ctx.survivor.pk,
        changes=jsonable(snapshot),
        summary=f"→ {ctx.survivor.code}",  # read in any language, like a code
        source=source,
    )


# --- contacts ----------------------------------------------------------------------------


def _same_person(a: Contact, b: Contact) -> bool:
    phones_a = {p for p in (a.phone, a.phone_alt) if p}
    phones_b = {p for p in (b.phone, b.phone_alt) if p}
    return bool(phones_a & phones_b) or bool(a.email and a.email == b.email)


def _contact_dependents() -> list[models.ForeignKey]:
    return [
        rel.remote_field
        for rel in Contact._meta.get_fields(include_hidden=True)
        if rel.one_to_many and rel.auto_created and not rel.concrete
    ]


def merge_contacts(ctx: MergeContext, fk: models.ForeignKey) -> int:
    """Move the others' contacts; a contact sharing a phone or email with one already on the
    survivor is folded into it (its empty fields filled, its follow-ups re-pointed)."""
    chosen_primary = _primary_of(ctx.choices.get(PRIMARY_CONTACT, ctx.survivor.pk))
    kept = list(Contact.objects.filter(customer=ctx.survivor).order_by("-is_primary", "id"))
    incoming = list(Contact.objects.filter(customer_id__in=ctx.other_ids).order_by("id"))
    # Only one primary per customer (a partial unique index): none while moving.
    Contact.objects.filter(customer_id__in=ctx.all_ids).update(is_primary=False)
    moved = 0
    for contact in incoming:
        twin = next((k for k in kept if _same_person(k, contact)), None)
        if twin is None:
            Contact.objects.filter(pk=contact.pk).update(customer=ctx.survivor)
            contact.customer_id = ctx.survivor.pk
            kept.append(contact)
            moved += 1
            continue
        filled = {
            name: getattr(contact, name)
            for name in CONTACT_MERGE_FIELDS
            if _empty(getattr(twin, name)) and not _empty(getattr(contact, name))
        }
        if contact.phone and contact.phone != twin.phone and not twin.phone_alt:
            filled.setdefault("phone_alt", contact.phone)
        if filled:
            Contact.objects.filter(pk=twin.pk).update(**filled)
        for dep in _contact_dependents():
            dep.model._base_manager.filter(**{dep.name: contact.pk}).update(**{dep.name: twin.pk})
        if chosen_primary is not None and chosen_primary.pk == contact.pk:
            chosen_primary = twin
        Contact.objects.filter(pk=contact.pk).delete()
        moved += 1
    primary = chosen_primary or (kept[0] if kept else None)
    if primary is not None:
        Contact.objects.filter(pk=primary.pk).update(is_primary=True)
    return moved


register_mover("customers.contact", merge_contacts)


def merged_survivor_id(*, external_source: str, external_id: str) -> int | None:
    """The customer that absorbed a merged-away customer holding this external id, if any."""
    if not external_id:
        return None
    from guanxi.quality.models import MergedCustomer

    return (
        MergedCustomer.objects.filter(external_source=external_source, external_id=external_id)
        .exclude(external_id="")
        .order_by("-merged_at", "-id")
        .values_list("survivor_id", flat=True)
        .first()
    )
