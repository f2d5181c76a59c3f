"""The single write path for activity rows."""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from guanxi.activity.models import ActivityEvent, Source
from guanxi.core import clock
from guanxi.core.model_update import jsonable


def activity_record(
    *,
    actor: Any,
    verb: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: int | None = None,
    customer_id: int | None = None,
    changes: dict[str, Any] | None = None,
    summary: str = "",
    source: str = Source.UI,
) -> ActivityEvent:
    row = activity_row(
        actor=actor, verb=verb, target=target, target_type=target_type, target_id=target_id,
        customer_id=customer_id, changes=changes, summary=summary, source=source,
    )  # fmt: skip
    row.save(force_insert=True)
    return row


def activity_row(
    *,
    actor: Any,
    verb: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: int | None = None,
    customer_id: int | None = None,
    changes: dict[str, Any] | None = None,
    summary: str = "",
    source: str = Source.UI,
) -> ActivityEvent:
    """The unsaved row activity_record writes: bulk writers collect these for
    activity_record_many, so a bulk path audits exactly as the single one does."""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = target.pk
    return ActivityEvent(
        occurred_at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        verb=verb,
        source=source,
        target_type=target_type,
        target_id=target_id,
        target_repr=str(target)[:200] if target is not None else "",
        customer_id=customer_id,
        changes=jsonable(changes or {}),
        summary=summary[:500],
    )


def activity_record_many(rows: list[ActivityEvent]) -> None:
    """Bulk path for imports and demo data: rows built by the caller."""
    ActivityEvent.objects.bulk_create(rows, batch_size=2000)


# The columns of an audit row as tuples for rows_insert (COPY on PostgreSQL), for the
# writers of thousands of rows a second, where building and saving model instances cost
# more than the rows they audit.
ACTIVITY_COLUMNS = [
    "occurred_at", "actor_id", "verb", "source", "target_type", "target_id", "target_repr",
    "customer_id", "changes", "summary",
]  # fmt: skip


def activity_changes_json(changes: dict[str, Any]) -> str:
    """`changes` as the JSON text an audit row holds (dates as ISO 8601, as activity_row)."""
    # json's C encoder with a fallback for dates: jsonable() walks every value in Python.
    return json.dumps(changes, ensure_ascii=False, default=jsonable)
