"""How audit rows read to a person: object types by name, changes as field: before → after.

Shared by the audit page, its CSV export, the home page and customer timelines, so masking
of contact details in changes is decided in one place.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import can_see_contact_details, mask_email, mask_phone
from guanxi.activity.models import ActivityEvent
from guanxi.core.phones import display_phone
from guanxi.customers.models import Contact, Industry, Level
from guanxi.deals.models import DealStage

EMPTY = "—"
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass(frozen=True)
class ChangeRow:
    field: str
    label: str
    before: str
    after: str


@lru_cache(maxsize=128)
def _model(target_type: str):
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def target_type_label(target_type: str) -> str:
    model = _model(target_type) if target_type else None
    return str(model._meta.verbose_name) if model else target_type


def target_type_choices() -> list[tuple[str, str]]:
    """Our own models, by their translated names, for the audit page's type filter."""
    choices = [
        (m._meta.label_lower, str(m._meta.verbose_name).capitalize())
        for m in apps.get_models()
        if m.__module__.startswith("guanxi.") and m is not ActivityEvent
    ]
    return sorted(choices, key=lambda c: c[1])


def _field_label(target_type: str, name: str) -> str:
    model = _model(target_type)
    if model is None:
        return name
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, str) and ISO_DATETIME.match(value):
        return local_time(value)
    return str(value)


def local_time(value: str) -> str:
    """Changes store instants as ISO text in UTC; people read them in local time."""
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_aware(instant):
        instant = timezone.localtime(instant)
    return instant.strftime("%Y-%m-%d %H:%M")


def _mask(name: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_mask(name, v) for v in value]
    if not isinstance(value, str):
        return value
    return mask_email(value) if "email" in name else mask_phone(value)


def change_rows(event: ActivityEvent, viewer) -> list[ChangeRow]:
    """Each changed field as label, before, after; phones and emails masked when the viewer
    may not see contact details."""
    changes = event.changes if isinstance(event.changes, dict) else {}
    reveal = can_see_contact_details(viewer)
    rows = []
    for name, pair in changes.items():
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        if (
            name == CUSTOM_FIELDS
            and isinstance(before or {}, dict)
            and isinstance(after or {}, dict)
        ):
            rows += _custom_field_rows(before or {}, after or {})
            continue
        if not reveal and ("phone" in name or "email" in name):
            before, after = _mask(name, before), _mask(name, after)
        rows.append(
            ChangeRow(
                field=name,
                label=_field_label(event.target_type, name),
                before=_text(before),
                after=_text(after),
            )
        )
    return rows


CUSTOM_FIELDS = "custom_fields"


def _custom_field_rows(before: dict, after: dict) -> list[ChangeRow]:
    """A customer's custom fields change as one dict: a row per changed key, named by the
    field's label in the reader's language (合作阶段, not cooperation_stage)."""
    from django.utils.translation import get_language

    from guanxi.customers.models import CustomFieldDefinition

    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    english = (get_language() or "").startswith("en")
    labels: dict[str, str] = {}
    for key, label, label_en in CustomFieldDefinition.objects.filter(key__in=keys).values_list(
        "key", "label", "label_en"
    ):
        labels.setdefault(key, (label_en if english and label_en else label))
    return [
        ChangeRow(
            field=f"{CUSTOM_FIELDS}.{key}",
            label=labels.get(key, key),
            before=_text(before.get(key)),
            after=_text(after.get(key)),
        )
        for key in keys
    ]


# Changed fields that hold ids, and where their names come from.
NAMED_BY = {
    "owner": User,
    "assignee": User,
    "completed_by": User,
    "industry": Industry,
    "level": Level,
    "contact": Contact,
    "stage": DealStage,  # a deal's stage (a customer's lifecycle stage is a code, not an id)
}
CONTACT_PREFIX = "contact."


def readable_change_rows(events: list[ActivityEvent], viewer) -> dict[int, list[ChangeRow]]:
    """change_rows for a page of events, with ids shown as names (owner, industry, level …),
    choice codes as labels, instants in local time: one query per kind of referenced thing."""
    names = _names(events)
    reveal = can_see_contact_details(viewer)
    return {
        event.pk: [_readable(row, event, names, reveal) for row in change_rows(event, viewer)]
        for event in events
    }


def _names(events: list[ActivityEvent]) -> dict[tuple[str, str], str]:
    """Names of every id-valued change across the page: one query per kind of thing."""
    wanted: dict[type, set[int]] = {}
    for event in events:
        for name, pair in (event.changes or {}).items():
            model = NAMED_BY.get(name)
            if model is None or not isinstance(pair, list):
                continue
            wanted.setdefault(model, set()).update(v for v in pair if isinstance(v, int))
    names: dict[tuple[str, str], str] = {}
    for model, ids in wanted.items():
        for obj in model.objects.filter(pk__in=ids):
            label = obj.label if isinstance(obj, User) else str(obj)
            for field, field_model in NAMED_BY.items():
                if field_model is model:
                    names[(field, str(obj.pk))] = label
    return names


def _model_field(event: ActivityEvent, name: str):
    try:
        model = Contact if name.startswith(CONTACT_PREFIX) else apps.get_model(event.target_type)
        return model._meta.get_field(name.removeprefix(CONTACT_PREFIX))
    except (LookupError, ValueError, FieldDoesNotExist):
        return None


def _readable(
    row: ChangeRow, event: ActivityEvent, names: dict[tuple[str, str], str], reveal: bool
) -> ChangeRow:
    field = _model_field(event, row.field)
    choices = {str(k): str(v) for k, v in (field.flatchoices if field is not None else [])}

    def value(text: str) -> str:
        if (row.field, text) in names:
            return names[(row.field, text)]
        if text in choices:
            return choices[text]
        if ISO_DATETIME.match(text):
            return local_time(text)
        if reveal and "phone" in row.field:
            return display_phone(text) or text
        return text

    label = row.label
    if row.field.startswith(CONTACT_PREFIX) and field is not None:
        label = _("Primary contact: %(field)s") % {"field": field.verbose_name}
    return dataclasses.replace(row, label=label, before=value(row.before), after=value(row.after))
