"""Write path for customer configuration: industries, levels, custom fields, tags (admins)."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core.errors import ApplicationError, ConflictError
from guanxi.core.model_update import model_update
from guanxi.customers.models import CustomFieldDefinition, FieldType, Industry, Level, Tag
from guanxi.customers.references import references_changed

CHOICE_FIELDS = ["code", "name", "name_en", "order", "is_active"]
CUSTOM_FIELD_FIELDS = [
    "industry",
    "key",
    "label",
    "label_en",
    "field_type",
    "choices",
    "required",
    "order",
]
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


def _save(*, actor: User, instance, fields: list[str], data: dict[str, Any], source: str) -> Any:
    creating = instance.pk is None
    with transaction.atomic():
        changes = model_update(instance=instance, fields=fields, data=data)
        if not changes and not creating:
            return instance
        try:
            with transaction.atomic():
                instance.save()
        except IntegrityError as exc:
            raise ConflictError(
                _("This code or key is already used."), errors={"code": [_("Already used.")]}
            ) from exc
        activity_record(
            actor=actor,
            verb=Verb.CREATED if creating else Verb.UPDATED,
            target=instance,
            changes=changes,
            source=source,
        )
        references_changed()  # industry and level labels are cached per process
    return instance


def choice_save(
    *,
    actor: User,
    model: type[Industry] | type[Level],
    instance=None,
    data: dict[str, Any],
    source: str = Source.UI,
):
    """Create or edit an industry or a level."""
    require_perm(actor, Perm.CONFIG_MANAGE)
    errors: dict[str, list[str]] = {}
    if not (data.get("name") or "").strip():
        errors["name"] = [_("Enter a name.")]
    if instance is None and not _KEY.match(data.get("code") or ""):
        errors["code"] = [
            _("Use lower-case letters, digits and underscores, starting with a letter.")
        ]
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    if instance is not None:
        data = {
            k: v for k, v in data.items() if k != "code"
        }  # codes are referenced by imports and rules
    return _save(
        actor=actor, instance=instance or model(), fields=CHOICE_FIELDS, data=data, source=source
    )


def custom_field_save(
    *,
    actor: User,
    instance: CustomFieldDefinition | None = None,
    data: dict[str, Any],
    source: str = Source.UI,
) -> CustomFieldDefinition:
    require_perm(actor, Perm.CONFIG_MANAGE)
    errors: dict[str, list[str]] = {}
    data = dict(data)
    if not _KEY.match(data.get("key") or (instance.key if instance else "")):
        errors["key"] = [
            _("Use lower-case letters, digits and underscores, starting with a letter.")
        ]
    if not (data.get("label") or "").strip():
        errors["label"] = [_("Enter a label.")]
    choices = data.get("choices")
    if isinstance(choices, str):
        choices = [c.strip() for c in re.split(r"[,，、;；\n]", choices) if c.strip()]
        data["choices"] = choices
    if data.get("field_type") == FieldType.CHOICE and not choices:
        errors["choices"] = [_("A choice field needs at least one choice.")]
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    return _save(
        actor=actor,
        instance=instance or CustomFieldDefinition(),
        fields=CUSTOM_FIELD_FIELDS,
        data=data,
        source=source,
    )


def custom_field_delete(
    *, actor: User, instance: CustomFieldDefinition, source: str = Source.UI
) -> None:
    """Removes the definition; values already stored on customers stay in their JSON."""
    require_perm(actor, Perm.CONFIG_MANAGE)
    with transaction.atomic():
        activity_record(actor=actor, verb=Verb.DELETED, target=instance, source=source)
        instance.delete()


def choice_delete(*, actor: User, instance: Industry | Level, source: str = Source.UI) -> None:
    """Delete an unused industry/level; one in use can only be deactivated."""
    require_perm(actor, Perm.CONFIG_MANAGE)
    try:
        with transaction.atomic():
            activity_record(actor=actor, verb=Verb.DELETED, target=instance, source=source)
            instance.delete()
    except ProtectedError as exc:
        raise ApplicationError(
            _("“%(name)s” is used by customers; deactivate it instead.") % {"name": instance}
        ) from exc


def tag_rename(*, actor: User, tag: Tag, name: str, source: str = Source.UI) -> Tag:
    require_perm(actor, Perm.CONFIG_MANAGE)
    name = (name or "").strip()[:50]
    if not name:
        raise ApplicationError(
            _("Please correct the errors below."), errors={"name": [_("Enter a name.")]}
        )
    return _save(actor=actor, instance=tag, fields=["name"], data={"name": name}, source=source)


def tag_delete(*, actor: User, tag: Tag, source: str = Source.UI) -> None:
    require_perm(actor, Perm.CONFIG_MANAGE)
    n = tag.customers.count()
    with transaction.atomic():
        activity_record(
            actor=actor,
            verb=Verb.DELETED,
            target=tag,
            source=source,
            summary=ngettext("removed from %(n)d customer", "removed from %(n)d customers", n)
            % {"n": n},
        )
        tag.delete()
