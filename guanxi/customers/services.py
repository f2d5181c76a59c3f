"""The write path for customers, contacts, tags and attachments.

Every caller — web views, the API, imports, automation, the admin — comes through here,
so permission checks, validation, audit rows and automation events always apply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, has_perm, require_perm, visible_to
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from guanxi.core.events import Event, publish
from guanxi.core.model_update import model_update
from guanxi.core.names import company_name_key
from guanxi.core.pinyin import pinyin_keys
from guanxi.customers.models import (
    Attachment,
    Contact,
    Customer,
    CustomerCodeSequence,
    SavedView,
    Tag,
)
from guanxi.customers.validation import (
    Errors,
    clean_custom_fields,
    clean_email,
    clean_phone,
    raise_if,
    required_message,
)

CUSTOMER_FIELDS = [
    "kind", "name", "industry", "province", "city", "district", "address", "source", "level",
    "intent", "stage", "demand", "expected_close_date", "birthday", "anniversary", "remarks",
    "external_source", "external_id",
]  # fmt: skip
# Keys of customer data that belong to the primary contact, and the contact field each sets.
PRIMARY_CONTACT_KEYS = {
    "contact_name": "name",
    "phone": "phone",
    "email": "email",
    "contact_title": "title",
    "wechat": "wechat",
    "decision_role": "decision_role",
}
CONTACT_FIELDS = [
    "name",
    "title",
    "phone",
    "phone_alt",
    "email",
    "wechat",
    "birthday",
    "decision_role",
    "remarks",
]


# --- codes -----------------------------------------------------------------------------


def customer_codes_allocate(*, day: dt.date, count: int = 1) -> list[str]:
    """Hand out `count` new codes for a day: C + yyyymmdd + sequence (≥ 3 digits), never reused."""
    with transaction.atomic():
        if not CustomerCodeSequence.objects.filter(day=day).update(last=F("last") + count):
            try:
                with transaction.atomic():
                    CustomerCodeSequence.objects.create(day=day, last=count)
            except IntegrityError:
                CustomerCodeSequence.objects.filter(day=day).update(last=F("last") + count)
        last = CustomerCodeSequence.objects.values_list("last", flat=True).get(day=day)
    return [f"C{day:%Y%m%d}{n:03d}" for n in range(last - count + 1, last + 1)]


# --- helpers ---------------------------------------------------------------------------


def _ensure_visible(actor: User | None, customer: Customer) -> None:
    if actor is None:  # system and automation act on any customer
        return
    if not visible_to(actor, Customer.objects.filter(pk=customer.pk)).exists():
        raise NotFoundError(_("Customer not found."))


def _split_contact_data(data: dict[str, Any]) -> dict[str, Any]:
    return {PRIMARY_CONTACT_KEYS[k]: data.pop(k) for k in list(data) if k in PRIMARY_CONTACT_KEYS}


def _validate_customer(
    *, data: dict[str, Any], contact: dict[str, Any], creating: bool, industry_id
) -> Errors:
    errors: Errors = {}
    if "name" in data or creating:
        data["name"] = (data.get("name") or "").strip()
        if not data["name"]:
            errors["name"] = [required_message()]
    clean_phone(contact, "phone", errors)
    clean_email(contact, "email", errors)
    if creating and not contact.get("phone") and not contact.get("email") and "phone" not in errors:
        errors["phone"] = [required_message()]
    for key in ("phone", "email"):  # report under the customer-level names the caller used
        if key in errors:
            errors[key] = errors.pop(key)
    if "custom_fields" in data:
        data["custom_fields"] = clean_custom_fields(
            values=data["custom_fields"], industry_id=industry_id, creating=creating, errors=errors
        )
    elif creating:
        data["custom_fields"] = clean_custom_fields(
            values={}, industry_id=industry_id, creating=True, errors=errors
        )
    if data.get("external_id") and not data.get("external_source"):
        errors.setdefault("external_source", []).append(
            _("Name the system the external id comes from.")
        )
    return errors


def tags_get_or_create(*, names: Iterable[str]) -> list[Tag]:
    cleaned = []
    for name in names:
        name = (name or "").strip()[:50]
        if name and name not in cleaned:
            cleaned.append(name)
    if not cleaned:
        return []
    Tag.objects.bulk_create([Tag(name=n) for n in cleaned], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=cleaned))


def tag_create(*, actor: User, name: str, source: str = Source.UI) -> tuple[Tag, bool]:
    """Create one tag by name, or return the existing one; only a new tag is audited."""
    require_perm(actor, Perm.CUSTOMER_EDIT)
    name = (name or "").strip()[:50]
    if not name:
        raise_if({"name": [_("Enter a tag name.")]})
    with transaction.atomic():
        tag, created = Tag.objects.get_or_create(name=name)
        if created:
            activity_record(
                actor=actor,
                verb=Verb.CREATED,
                target=tag,
                changes={"name": [None, name]},
                source=source,
            )
    return tag, created


def _assign_org(customer: Customer, owner: User | None) -> None:
    customer.owner = owner
    if owner is not None:
        customer.team_id = owner.team_id
        customer.department_id = owner.department_id or (
            owner.team.department_id if owner.team else None
        )


def _publish(
    name: str, customer: Customer, actor: User | None, source: str, **payload: Any
) -> None:
    publish(
        Event(
            name=name,
            customer_id=customer.pk,
            actor_id=getattr(actor, "pk", None),
            source=source,
            payload=payload,
        )
    )


# --- customers -------------------------------------------------------------------------


def customer_create(
    *, actor: User | None, data: dict[str, Any], source: str = Source.UI
) -> Customer:
    """Create a customer and its primary contact. `data` holds model values (instances, dates)
    plus the primary-contact keys contact_name / phone / email / contact_title / wechat."""
    if actor is not None:
        require_perm(actor, Perm.CUSTOMER_CREATE)
    data = dict(data)
    contact = _split_contact_data(data)
    tag_names = data.pop("tags", None) or []
    owner = data.pop("owner", None) or actor
    industry = data.get("industry")
    errors = _validate_customer(
        data=data, contact=contact, creating=True, industry_id=getattr(industry, "pk", industry)
    )
    if (
        actor is not None
        and owner is not None
        and owner.pk != actor.pk
        and not has_perm(actor, Perm.CUSTOMER_REASSIGN)
    ):
        errors.setdefault("owner", []).append(
            _("Only a supervisor can assign a customer to someone else.")
        )
    raise_if(errors)
    # An empty custom field is no value at all (as customer_update stores it), not a null.
    data["custom_fields"] = {
        k: v for k, v in (data.get("custom_fields") or {}).items() if v not in (None, "")
    }

    with transaction.atomic():
        customer = Customer(created_by=actor if getattr(actor, "pk", None) else None)
        for name in [*CUSTOMER_FIELDS, "custom_fields"]:
            if name in data and data[name] is not None:
                setattr(customer, name, data[name])
        customer.name_pinyin, customer.name_initials = pinyin_keys(customer.name)
        customer.name_key = company_name_key(customer.name)
        _assign_org(customer, owner)
        customer.code = customer_codes_allocate(day=clock.today())[0]
        try:
            with transaction.atomic():
                customer.save()
        except IntegrityError as exc:
            raise ConflictError(
                _("A customer with this external id already exists."),
                errors={"external_id": [_("Already used by another customer.")]},
            ) from exc
        primary = None
        if any(contact.values()):
            primary = Contact.objects.create(customer=customer, is_primary=True, **contact)
        tags = tags_get_or_create(names=tag_names)
        if tags:
            customer.tags.add(*tags)
        activity_record(
            actor=actor,
            verb=Verb.CREATED,
            target=customer,
            customer_id=customer.pk,
            source=source,
            changes={
                **{
                    k: [None, getattr(customer, Customer._meta.get_field(k).attname)]
                    for k in CUSTOMER_FIELDS
                    if data.get(k) not in (None, "")
                },
                **({f"contact.{k}": [None, v] for k, v in contact.items() if v}),
                **({"tags": [[], sorted(t.name for t in tags)]} if tags else {}),
                **({"owner": [None, owner.pk]} if owner else {}),
            },
        )
        _publish("customer.created", customer, actor, source)
    customer._primary_contact_cache = primary  # type: ignore[attr-defined]
    return customer


def customer_version_claim(*, customer_id: int, expected_version: int | None) -> None:
    """Bump the version inside the caller's transaction; a stale `expected_version` (someone
    saved in between) raises ConflictError (HTTP 409) and nothing is written."""
    locked = Customer.objects.filter(pk=customer_id)
    if expected_version is not None:
        locked = locked.filter(version=expected_version)
    if not locked.update(version=F("version") + 1):
        raise ConflictError(
            _(
                "This customer was changed by someone else since you opened it. "
                "Reload to see their changes, then apply yours again."
            )
        )


def customer_update(
    *,
    actor: User | None,
    customer: Customer,
    data: dict[str, Any],
    expected_version: int | None = None,
    source: str = Source.UI,
) -> Customer:
    """Apply changes. With `expected_version`, a stale write raises ConflictError (HTTP 409)."""
    if actor is not None:
        require_perm(actor, Perm.CUSTOMER_EDIT)
    _ensure_visible(actor, customer)
    data = dict(data)
    contact = _split_contact_data(data)
    tag_names = data.pop("tags", None)
    new_owner = data.pop("owner", customer.owner) if "owner" in data else customer.owner
    industry = data.get("industry", customer.industry_id)
    errors = _validate_customer(
        data=data, contact=contact, creating=False, industry_id=getattr(industry, "pk", industry)
    )
    owner_changed = getattr(new_owner, "pk", None) != customer.owner_id
    if owner_changed and actor is not None and not has_perm(actor, Perm.CUSTOMER_REASSIGN):
        errors.setdefault("owner", []).append(_("Only a supervisor can reassign a customer."))
    raise_if(errors)

    with transaction.atomic():
        customer_version_claim(customer_id=customer.pk, expected_version=expected_version)
        customer.refresh_from_db()
        changes = model_update(
            instance=customer, fields=[*CUSTOMER_FIELDS, "custom_fields"], data=data
        )
        if "custom_fields" in changes:
            merged = {**(changes["custom_fields"][0] or {}), **data["custom_fields"]}
            customer.custom_fields = {k: v for k, v in merged.items() if v not in (None, "")}
            changes["custom_fields"][1] = customer.custom_fields
        if "name" in changes:
            customer.name_pinyin, customer.name_initials = pinyin_keys(customer.name)
            customer.name_key = company_name_key(customer.name)
        if owner_changed:
            before = customer.owner_id
            _assign_org(customer, new_owner)
            changes["owner"] = [before, getattr(new_owner, "pk", None)]
        if contact:
            changes.update(_primary_contact_apply(customer=customer, values=contact))
        if tag_names is not None:
            changes.update(_tags_replace(customer=customer, names=tag_names))
        try:
            with transaction.atomic():
                customer.save()
        except IntegrityError as exc:
            raise ConflictError(
                _("A customer with this external id already exists."),
                errors={"external_id": [_("Already used by another customer.")]},
            ) from exc
        if changes:
            verb = Verb.REASSIGNED if set(changes) == {"owner"} else Verb.UPDATED
            activity_record(
                actor=actor,
                verb=verb,
                target=customer,
                customer_id=customer.pk,
                changes=changes,
                source=source,
            )
            _publish("customer.updated", customer, actor, source, changed=sorted(changes))
            if owner_changed:
                _publish("customer.reassigned", customer, actor, source, owner_id=customer.owner_id)
    return customer


def _primary_contact_apply(*, customer: Customer, values: dict[str, Any]) -> dict[str, list[Any]]:
    primary = customer.contacts.filter(is_primary=True).first()
    if primary is None:
        if not any(values.values()):
            return {}
        primary = Contact.objects.create(customer=customer, is_primary=True, **values)
        return {f"contact.{k}": [None, v] for k, v in values.items() if v}
    changes = model_update(instance=primary, fields=list(values), data=values)
    if changes:
        primary.save()
    return {f"contact.{k}": v for k, v in changes.items()}


def _tags_replace(*, customer: Customer, names: Iterable[str]) -> dict[str, list[Any]]:
    before = sorted(customer.tags.values_list("name", flat=True))
    tags = tags_get_or_create(names=names)
    after = sorted(t.name for t in tags)
    if before == after:
        return {}
    customer.tags.set(tags)
    return {"tags": [before, after]}


def customer_delete(*, actor: User | None, customer: Customer, source: str = Source.UI) -> None:
    if actor is not None:
        require_perm(actor, Perm.CUSTOMER_DELETE)
    _ensure_visible(actor, customer)
    with transaction.atomic():
        snapshot = {
            "code": [customer.code, None],
            "name": [customer.name, None],
            "owner": [customer.owner_id, None],
        }
        customer_id = customer.pk
        activity_record(
            actor=actor,
            verb=Verb.DELETED,
            target=customer,
            customer_id=customer_id,
            changes=snapshot,
            source=source,
        )
        for attachment in customer.attachments.all():
            transaction.on_commit(lambda f=attachment.file.name: _remove_file(f))
        customer.delete()
        publish(
            Event(
                name="customer.deleted",
                customer_id=customer_id,
                actor_id=getattr(actor, "pk", None),
                source=source,
            )
        )


def customer_reassign(
    *, actor: User, customer_ids: Iterable[int], owner: User, source: str = Source.UI
) -> int:
    """Bulk reassignment (supervisor/admin). Returns how many customers changed owner."""
    require_perm(actor, Perm.CUSTOMER_REASSIGN)
    if not owner.is_active:
        raise ApplicationError(_("The new owner’s account is disabled."))
    changed = 0
    with transaction.atomic():
        customers = visible_to(
            actor, Customer.objects.filter(pk__in=list(customer_ids))
        ).select_for_update()
        for customer in customers:
            if customer.owner_id == owner.pk:
                continue
            before = customer.owner_id
            _assign_org(customer, owner)
            customer.version += 1
            customer.save(update_fields=["owner", "team", "department", "version", "updated_at"])
            activity_record(
                actor=actor,
                verb=Verb.REASSIGNED,
                target=customer,
                customer_id=customer.pk,
                changes={"owner": [before, owner.pk]},
                source=source,
            )
            _publish("customer.reassigned", customer, actor, source, owner_id=owner.pk)
            changed += 1
    return changed


def customer_tags_add(
    *, actor: User, customer_ids: Iterable[int], names: Iterable[str], source: str = Source.UI
) -> int:
    require_perm(actor, Perm.CUSTOMER_EDIT)
    tags = tags_get_or_create(names=names)
    if not tags:
        raise ApplicationError(
            _("Enter at least one tag."), errors={"tags": [_("Enter at least one tag.")]}
        )
    changed = 0
    with transaction.atomic():
        for customer in visible_to(actor, Customer.objects.filter(pk__in=list(customer_ids))):
            existing = set(customer.tags.values_list("name", flat=True))
            new = [t for t in tags if t.name not in existing]
            if not new:
                continue
            customer.tags.add(*new)
            activity_record(
                actor=actor,
                verb=Verb.TAGGED,
                target=customer,
                customer_id=customer.pk,
                source=source,
                changes={"tags": [sorted(existing), sorted(existing | {t.name for t in new})]},
            )
            for tag in new:
                _publish("customer.tag_added", customer, actor, source, tag=tag.name)
            changed += 1
    return changed


def customer_tag_by_system(*, customer: Customer, name: str, source: str = Source.SYSTEM) -> bool:
    """Tag a customer because of something Guanxi saw (a click, a reply), not a person:
    no permission check, audited with no actor. False when the tag was already there."""
    tag = tags_get_or_create(names=[name])[0]
    with transaction.atomic():
        existing = set(customer.tags.values_list("name", flat=True))
        if tag.name in existing:
            return False
        customer.tags.add(tag)
        activity_record(
            actor=None,
            verb=Verb.TAGGED,
            target=customer,
            customer_id=customer.pk,
            source=source,
            changes={"tags": [sorted(existing), sorted(existing | {tag.name})]},
        )
        _publish("customer.tag_added", customer, None, source, tag=tag.name)
    return True


def customer_untag_by_system(
    *, customer: Customer, names: Iterable[str], source: str = Source.SYSTEM
) -> list[str]:
    """Remove tags because a rule said so, not a person: no permission check, audited with
    no actor. Returns the names that were there and are gone."""
    names = {n.strip() for n in names if n and n.strip()}
    with transaction.atomic():
        existing = set(customer.tags.values_list("name", flat=True))
        gone = existing & names
        if not gone:
            return []
        customer.tags.remove(*Tag.objects.filter(name__in=gone))
        activity_record(
            actor=None,
            verb=Verb.UNTAGGED,
            target=customer,
            customer_id=customer.pk,
            source=source,
            changes={"tags": [sorted(existing), sorted(existing - gone)]},
        )
        for name in sorted(gone):
            _publish("customer.tag_removed", customer, None, source, tag=name)
    return sorted(gone)


def customer_tags_remove(
    *, actor: User, customer_ids: Iterable[int], names: Iterable[str], source: str = Source.UI
) -> int:
    require_perm(actor, Perm.CUSTOMER_EDIT)
    names = {n.strip() for n in names if n and n.strip()}
    changed = 0
    with transaction.atomic():
        for customer in visible_to(actor, Customer.objects.filter(pk__in=list(customer_ids))):
            existing = set(customer.tags.values_list("name", flat=True))
            gone = existing & names
            if not gone:
                continue
            customer.tags.remove(*Tag.objects.filter(name__in=gone))
            activity_record(
                actor=actor,
                verb=Verb.UNTAGGED,
                target=customer,
                customer_id=customer.pk,
                source=source,
                changes={"tags": [sorted(existing), sorted(existing - gone)]},
            )
            for name in gone:
                _publish("customer.tag_removed", customer, actor, source, tag=name)
            changed += 1
    return changed


def customer_mark_contacted(*, customer_id: int, at: dt.datetime) -> None:
    """Keep last_contact_at current; an older back-dated record never moves it backwards."""
    Customer.objects.filter(pk=customer_id).exclude(last_contact_at__gte=at).update(
        last_contact_at=at
    )


# --- contacts --------------------------------------------------------------------------


def _clean_contact(values: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in values.items() if k in CONTACT_FIELDS or k == "is_primary"}
    errors: Errors = {}
    clean_phone(values, "phone", errors)
    clean_phone(values, "phone_alt", errors)
    clean_email(values, "email", errors)
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
    raise_if(errors)
    return values


def contact_create(
    *, actor: User | None, customer: Customer, data: dict[str, Any], source: str = Source.UI
) -> Contact:
    if actor is not None:
        require_perm(actor, Perm.CUSTOMER_EDIT)
    _ensure_visible(actor, customer)
    values = _clean_contact(data)
    if not (values.get("name") or values.get("phone") or values.get("email")):
        raise_if({"name": [_("Enter the contact’s name, phone or email.")]})
    with transaction.atomic():
        make_primary = bool(values.pop("is_primary", False)) or not customer.contacts.exists()
        if make_primary:
            customer.contacts.filter(is_primary=True).update(is_primary=False)
        contact = Contact.objects.create(customer=customer, is_primary=make_primary, **values)
        activity_record(
            actor=actor,
            verb=Verb.CREATED,
            target=contact,
            customer_id=customer.pk,
            source=source,
            changes={k: [None, v] for k, v in values.items() if v not in (None, "")},
        )
        _publish("contact.created", customer, actor, source, contact_id=contact.pk)
    return contact


def contact_update(
    *, actor: User | None, contact: Contact, data: dict[str, Any], source: str = Source.UI
) -> Contact:
    if actor is not None:
        require_perm(actor, Perm.CUSTOMER_EDIT)
    _ensure_visible(actor, contact.customer)
    values = _clean_contact(data)
    make_primary = values.pop("is_primary", None)
    with transaction.atomic():
        changes = model_update(instance=contact, fields=CONTACT_FIELDS, data=values)
        if make_primary and not contact.is_primary:
            Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).update(
                is_primary=False
            )
            contact.is_primary = True
            changes["is_primary"] = [False, True]
        if changes:
            contact.save()
            activity_record(
                actor=actor,
                verb=Verb.UPDATED,
                target=contact,
                customer_id=contact.customer_id,
                changes=changes,
                source=source,
            )
            _publish(
                "contact.updated",
                contact.customer,
                actor,
                source,
                contact_id=contact.pk,
                changed=sorted(changes),
            )
    return contact


def contact_delete(*, actor: User | None, contact: Contact, source: str = Source.UI) -> None:
    if actor is not None:
        require_perm(actor, Perm.CUSTOMER_EDIT)
    _ensure_visible(actor, contact.customer)
    with transaction.atomic():
        activity_record(
            actor=actor,
            verb=Verb.DELETED,
            target=contact,
            customer_id=contact.customer_id,
            source=source,
            changes={"name": [contact.name, None]},
        )
        was_primary, customer_id = contact.is_primary, contact.customer_id
        contact.delete()
        if was_primary:  # the oldest remaining contact becomes primary
            successor = Contact.objects.filter(customer_id=customer_id).order_by("id").first()
            if successor:
                Contact.objects.filter(pk=successor.pk).update(is_primary=True)


def contact_reveal(*, actor: User, contact: Contact, field: str, source: str = Source.UI) -> str:
    """Show one masked value in full; the reveal is audited."""
    if field not in ("phone", "phone_alt", "email"):
        raise ApplicationError(_("Only phones and emails can be revealed."))
    if not has_perm(actor, Perm.CONTACT_REVEAL) and not has_perm(actor, Perm.CONTACT_VIEW_DETAILS):
        raise PermissionDeniedError(_("You do not have permission to see this contact’s details."))
    _ensure_visible(actor, contact.customer)
    with transaction.atomic():
        activity_record(
            actor=actor,
            verb=Verb.REVEALED,
            target=contact,
            customer_id=contact.customer_id,
            summary=field,
            source=source,
        )
    return getattr(contact, field)


# --- attachments -----------------------------------------------------------------------


def attachment_add(
    *, actor: User, customer: Customer, upload: UploadedFile, followup=None, source: str = Source.UI
) -> Attachment:
    require_perm(actor, Perm.CUSTOMER_EDIT if followup is None else Perm.FOLLOWUP_RECORD)
    _ensure_visible(actor, customer)
    name = Path(upload.name or "file").name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in settings.GUANXI_ATTACHMENT_EXTENSIONS:
        raise_if(
            {"file": [_("Files of type “.%(ext)s” are not allowed.") % {"ext": extension or "?"}]}
        )
    if upload.size > settings.GUANXI_ATTACHMENT_MAX_BYTES:
        raise_if(
            {
                "file": [
                    _("The file is larger than %(mb)d MB.")
                    % {"mb": settings.GUANXI_ATTACHMENT_MAX_BYTES // (1024 * 1024)}
                ]
            }
        )
    with transaction.atomic():
        attachment = Attachment(
            customer=customer,
            followup=followup,
            original_name=name[:255],
            size=upload.size,
            content_type=(upload.content_type or "")[:100],
            uploaded_by=actor,
        )
        attachment.file.save(name, upload, save=False)
        try:
            attachment.save()
        except Exception:
            _remove_file(attachment.file.name)
            raise
        activity_record(
            actor=actor,
            verb=Verb.ATTACHED,
            target=attachment,
            customer_id=customer.pk,
            source=source,
            summary=name,
        )
    return attachment


def attachment_delete(*, actor: User, attachment: Attachment, source: str = Source.UI) -> None:
    require_perm(actor, Perm.CUSTOMER_EDIT)
    _ensure_visible(actor, attachment.customer)
    with transaction.atomic():
        activity_record(
            actor=actor,
            verb=Verb.DELETED,
            target=attachment,
            customer_id=attachment.customer_id,
            source=source,
            summary=attachment.original_name,
        )
        name = attachment.file.name
        attachment.delete()
        transaction.on_commit(lambda: _remove_file(name))


def _remove_file(name: str) -> None:
    from django.core.files.storage import default_storage

    if name and default_storage.exists(name):
        default_storage.delete(name)


# --- saved views -----------------------------------------------------------------------


def saved_view_save(*, user: User, name: str, query: str) -> SavedView:
    name = (name or "").strip()[:100]
    if not name:
        raise_if({"name": [_("Give the view a name.")]})
    view, _created = SavedView.objects.update_or_create(
        user=user, name=name, defaults={"query": query[:2000]}
    )
    return view


def saved_view_delete(*, user: User, view_id: int) -> None:
    SavedView.objects.filter(user=user, pk=view_id).delete()
