"""Apply field changes to a model instance and report before -> after."""

from __future__ import annotations

from typing import Any

from django.db import models


def jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def model_update(
    *, instance: models.Model, fields: list[str], data: dict[str, Any]
) -> dict[str, list[Any]]:
    """Set the given fields from data; return {field: [before, after]} for real changes.

    Does not save: the caller saves inside its transaction, with its own update_fields.
    """
    changes: dict[str, list[Any]] = {}
    for name in fields:
        if name not in data:
            continue
        field = instance._meta.get_field(name)
        attname = field.attname
        new = data[name]
        new_raw = new.pk if isinstance(new, models.Model) else new
        old_raw = getattr(instance, attname)
        if old_raw != new_raw:
            changes[name] = [jsonable(old_raw), jsonable(new_raw)]
            setattr(instance, name, new)
    return changes
