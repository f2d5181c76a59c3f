"""Domain validation of customer and contact data, shared by every write path.

Forms and serializers parse types; these functions enforce the rules and normalise
values (phones to E.164, emails lower-cased), returning errors keyed by field name so
the UI shows them in place and the API returns them as {"errors": {field: [...]}}.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import gettext as _

from guanxi.core.errors import ApplicationError
from guanxi.core.phones import InvalidPhone, normalize_phone
from guanxi.customers.models import CustomFieldDefinition, FieldType

Errors = dict[str, list[str]]


def required_message() -> str:
    return _("Please fill in the customer name and contact phone.")


def raise_if(errors: Errors) -> None:
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)


def clean_phone(data: dict[str, Any], key: str, errors: Errors) -> None:
    raw = data.get(key)
    if raw in (None, ""):
        if key in data:
            data[key] = ""
        return
    try:
        data[key] = normalize_phone(str(raw))
    except InvalidPhone as exc:
        errors.setdefault(key, []).append(str(exc))


def clean_email(data: dict[str, Any], key: str, errors: Errors) -> None:
    raw = data.get(key)
    if raw in (None, ""):
        if key in data:
            data[key] = ""
        return
    value = str(raw).strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        errors.setdefault(key, []).append(
            _("“%(value)s” is not a valid email address.") % {"value": raw}
        )
        return
    data[key] = value


def clean_custom_fields(
    *, values: dict[str, Any] | None, industry_id: int | None, creating: bool, errors: Errors
) -> dict[str, Any]:
    """Check values against the definitions for this industry (and the global ones)."""
    definitions = CustomFieldDefinition.objects.filter(
        Q(industry__isnull=True) | Q(industry_id=industry_id)
    )
    return clean_custom_values(
        values=values, definitions=list(definitions), creating=creating, errors=errors
    )


def clean_custom_values(
    *,
    values: dict[str, Any] | None,
    definitions: list[CustomFieldDefinition],
    creating: bool,
    errors: Errors,
) -> dict[str, Any]:
    """clean_custom_fields with the definitions already loaded: batch writers (imports) load
    them once instead of once per row."""
    values = dict(values or {})
    known = {d.key: d for d in definitions}
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        definition = known.get(key)
        if definition is None:
            errors.setdefault(f"custom_fields.{key}", []).append(_("Unknown custom field."))
            continue
        if value in (None, ""):
            cleaned[key] = None
            continue
        try:
            cleaned[key] = _coerce(definition, value)
        except (ValueError, InvalidOperation):
            errors.setdefault(f"custom_fields.{key}", []).append(
                _("“%(value)s” is not a valid value for %(field)s.")
                % {"value": value, "field": definition}
            )
    if creating:
        for key, definition in known.items():
            if definition.required and cleaned.get(key) in (None, ""):
                errors.setdefault(f"custom_fields.{key}", []).append(
                    _("%(field)s is required.") % {"field": definition}
                )
    return cleaned


def _coerce(definition: CustomFieldDefinition, value: Any) -> Any:
    if definition.field_type == FieldType.NUMBER:
        number = Decimal(str(value))
        return int(number) if number == number.to_integral_value() else float(number)
    if definition.field_type == FieldType.DATE:
        if isinstance(value, dt.date):
            return value.isoformat()
        return dt.date.fromisoformat(str(value)).isoformat()
    if definition.field_type == FieldType.CHOICE:
        if str(value) not in [str(c) for c in definition.choices]:
            raise ValueError(value)
        return str(value)
    return str(value)[:1000]
