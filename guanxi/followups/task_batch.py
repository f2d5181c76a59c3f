"""Many tasks at once, for the system's own writers (an automation batch, a plan's
occurrences): what `services.task_create` does for one task, in a few statements for all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record_many, activity_row
from guanxi.core.errors import ApplicationError
from guanxi.followups.models import Task, TaskPriority, TaskSource
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
    ids = dict(Task.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", "pk"))
    from guanxi.messaging.models import UserMessagingPreference

    minutes = dict(
        UserMessagingPreference.objects.filter(
            user_id__in={t.assignee_id for t in tasks}
        ).values_list("user_id", "task_reminder_minutes")
    )
    rows: list[Task] = []
    for task in tasks:
        if task.idempotency_key and task.idempotency_key in ids:
            continue
        if task.idempotency_key:
            ids[task.idempotency_key] = 0  # a repeat within the batch makes one task
        remind = minutes.get(task.assignee_id, DEFAULT_REMIND_MINUTES)
        rows.append(
            Task(
                title=task.title.strip()[:200], description=task.description,
                customer_id=task.customer_id, assignee_id=task.assignee_id,
                due_at=task.due_at, priority=task.priority, source=task.source,
                idempotency_key=task.idempotency_key,
                remind_at=task.due_at - dt.timedelta(minutes=remind) if remind is not None else None,
            )
        )  # fmt: skip
    try:
        with transaction.atomic():
            made = Task.objects.bulk_create(rows)
    except IntegrityError:
        # Another writer used one of the keys in between: one at a time, skipping those.
        made = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
            except IntegrityError:
                row.pk = None
                continue
            made.append(row)
        ids.update(
            Task.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", "pk")
        )
    activity_record_many(
        [
            activity_row(
                actor=None, verb=Verb.CREATED, target=row, customer_id=row.customer_id,
                source=event_source,
                changes={"title": [None, row.title], "due_at": [None, row.due_at],
                         "assignee": [None, row.assignee_id]},
            )
            for row in made
        ]
    )  # fmt: skip
    ids.update({row.idempotency_key: row.pk for row in made if row.idempotency_key})
    return ids
