"""Many tasks at once, for the system's own writers (an automation batch, a plan's
occurrences): what `services.task_create` does for one task, in a few statements for all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.activity.models import ActivityEvent, Source, Verb
from guanxi.activity.services import ACTIVITY_COLUMNS, activity_changes_json
from guanxi.core import clock
from guanxi.core.errors import ApplicationError
from guanxi.core.sql_lists import insert_rows
from guanxi.customers.bulk import rows_insert
from guanxi.demo.bulk import RowWriter
from guanxi.followups.models import Task, TaskPriority, TaskSource, TaskStatus
from guanxi.followups.services import DEFAULT_REMIND_MINUTES


@dataclass(frozen=True, kw_only=True)
class NewTask:
    title: str
    assignee_id: int
    due_at: dt.datetime
    customer_id: int | None = None
    description: str = ""
    priority: int = TaskPriority.NORMAL
    source: str = TaskSource.MANUAL
    idempotency_key: str | None = None


def tasks_create_many(*, tasks: Sequence[NewTask], event_source: str = Source.UI) -> dict[str, int]:
    """The system's path for many tasks (an automation batch, a plan's occurrences): what
    task_create does for one — reminder time from the assignee's preference, an audit row,
    idempotency keys — in a few statements for the lot. Callers are the system, so there is
    no actor and no permission check. Returns {idempotency key: task id} for every keyed
    task, created now or earlier."""
    for task in tasks:
        if not (task.title or "").strip():
            raise ApplicationError(
                _("Please correct the errors below."),
                errors={"title": [_("Give the task a title.")]},
            )
    keys = [t.idempotency_key for t in tasks if t.idempotency_key]
    from guanxi.messaging.models import UserMessagingPreference

    minutes = dict(
        UserMessagingPreference.objects.filter(
            user_id__in={t.assignee_id for t in tasks}
        ).values_list("user_id", "task_reminder_minutes")
    )
    adapt = connection.ops.adapt_datetimefield_value
    rows: dict[str | None, tuple] = {}
    unkeyed: list[tuple] = []
    for task in tasks:
        if task.idempotency_key in rows:
            continue  # a repeat within the batch makes one task
        remind = minutes.get(task.assignee_id, DEFAULT_REMIND_MINUTES)
        row = (
            task.title.strip()[:200], task.description, task.customer_id, task.assignee_id,
            adapt(task.due_at), int(task.priority), task.source, task.idempotency_key,
            adapt(task.due_at - dt.timedelta(minutes=remind)) if remind is not None else None,
        )  # fmt: skip
        if task.idempotency_key:
            rows[task.idempotency_key] = row
        else:
            unkeyed.append(row)
    made = _insert([*rows.values(), *unkeyed])
    now = clock.now()
    stamp = RowWriter().timestamp(now.astimezone(dt.UTC))
    given: dict[str | None, NewTask] = {}
    for task in tasks:
        given.setdefault(task.idempotency_key, task)  # the first of repeats, as inserted
    plain = iter([task for task in tasks if not task.idempotency_key])
    audit = []
    for pk, key in made:
        # Unkeyed rows never conflict, so they come back all, in the order they went in.
        task = given[key] if key else next(plain)
        title = task.title.strip()[:200]
        changes = {"title": [None, title], "due_at": [None, task.due_at],
                   "assignee": [None, task.assignee_id]}  # fmt: skip
        audit.append((stamp, None, Verb.CREATED, event_source, "followups.task", pk, title,
                      task.customer_id, activity_changes_json(changes), ""))  # fmt: skip
    rows_insert(ActivityEvent._meta.db_table, ACTIVITY_COLUMNS, audit)
    ids = {key: pk for pk, key in made if key}
    missing = [key for key in keys if key not in ids]  # made earlier (or by another writer)
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        ids.update(
            Task.objects.filter(idempotency_key__in=chunk).values_list("idempotency_key", "pk")
        )
    return ids


_FIELDS = ["title", "description", "customer", "assignee", "due_at", "priority", "source",
           "idempotency_key", "remind_at"]  # fmt: skip


def _insert(rows: list[tuple]) -> list[tuple]:
    """Insert the rows (values of _FIELDS); a key taken already, or by another writer
    meanwhile, makes nothing. Returns (id, key) of each task made, in the order of `rows`."""
    if not rows:
        return []
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())  # as auto_now
    return insert_rows(
        model=Task,
        fields=_FIELDS,
        rows=rows,
        constants={"status": TaskStatus.OPEN, "created_at": stamp, "updated_at": stamp},
        conflict="idempotency_key",
        returning=["id", "idempotency_key"],
    )
