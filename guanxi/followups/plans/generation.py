"""Approved plans generate tasks: the next occurrence of each covered customer, once.

Set-based: for each plan a handful of statements, whatever the segment's size —
1. INSERT … SELECT the occurrences (plan, customer, date) from the segment query, for the
   customers without an open occurrence whose next date it is; the unique constraint
   (plan, customer, date) with ON CONFLICT DO NOTHING makes a repeated run create nothing;
2. INSERT … SELECT a task for each occurrence not yet linked to one (keyed
   "plan-occurrence:<id>", so even two runs at once cannot double a task);
3. INSERT … SELECT the audit rows of those tasks (the customers' timelines show them);
4. UPDATE the occurrences to point at their tasks.

A customer's next date is the first plan date after their last occurrence, and not before
today: a task done late does not produce a string of overdue tasks for the dates missed.
While a customer's occurrence is open (task neither done nor skipped), nothing new is made.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.activity.models import ActivityEvent, Source, Verb
from guanxi.core import clock
from guanxi.followups.models import Task, TaskPriority, TaskSource, TaskStatus
from guanxi.followups.plans.cycles import CycleSpec, first_after, first_on_or_after
from guanxi.followups.plans.models import MaintenancePlan, PlanOccurrence, PlanStatus
from guanxi.followups.plans.segments import assignee_expression, plan_customers
from guanxi.followups.services import DEFAULT_REMIND_MINUTES

# Plan tasks are due by the end of the working day of their date (as new tasks are).
DUE_TIME = dt.time(18, 0)
TASK_KEY_PREFIX = "plan-occurrence:"


def due_at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, DUE_TIME))


def _insert(table: str, columns: list[str], select: QuerySet, names: list[str]) -> int:
    """INSERT INTO table (columns) SELECT … FROM the queryset; conflicts are skipped."""
    sql, params = select.order_by().values_list(*names).query.sql_with_params()
    with connection.cursor() as cursor:
        # The wrapping SELECT … WHERE 1 = 1 keeps SQLite from reading ON CONFLICT as a join.
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names from metadata
            f"SELECT * FROM ({sql}) s WHERE 1 = 1 ON CONFLICT DO NOTHING",
            params,
        )
        return max(cursor.rowcount, 0)


def _occurrences(plan: MaintenancePlan, customers: QuerySet, day: dt.date, now) -> int:
    select = customers.annotate(
        gx_plan=Value(plan.pk, output_field=IntegerField()),
        gx_day=Value(day, output_field=DateField()),
        gx_now=Value(now, output_field=DateTimeField()),
    )
    return _insert(
        PlanOccurrence._meta.db_table,
        ["plan_id", "customer_id", "occurrence_date", "created_at"],
        select,
        ["gx_plan", "pk", "gx_day", "gx_now"],
    )


def _remind_expression(plan: MaintenancePlan, due: dt.datetime):
    """Each assignee's own reminder lead time (UserMessagingPreference), else an hour."""
    from guanxi.messaging.models import UserMessagingPreference

    default = Value(due - dt.timedelta(minutes=DEFAULT_REMIND_MINUTES), DateTimeField())
    prefs = UserMessagingPreference.objects.exclude(
        task_reminder_minutes=DEFAULT_REMIND_MINUTES
    ).values_list("user_id", "task_reminder_minutes")
    whens = [
        When(gx_assignee=user_id, then=Value(due - dt.timedelta(minutes=minutes)))
        for user_id, minutes in prefs
    ]
    return Case(*whens, default=default, output_field=DateTimeField()) if whens else default


def _tasks(plan: MaintenancePlan, day: dt.date, now, customer_ids: list[int] | None) -> int:
    due = due_at(day)
    # "电话：客户名" — the channel, then the customer (in the language of the run).
    title_prefix = _("%(channel)s: ") % {"channel": plan.get_channel_display()}
    unlinked = PlanOccurrence.objects.filter(
        plan=plan, task__isnull=True, handled_at__isnull=True, occurrence_date=day
    )
    if customer_ids is not None:
        # A few customers moving on: found through (plan, customer), not through the
        # "unlinked" index, which after a big run holds dead entries until VACUUM.
        unlinked = unlinked.filter(customer_id__in=customer_ids)
    unlinked = unlinked.annotate(gx_assignee=assignee_expression(plan, prefix="customer__"))
    select = unlinked.filter(gx_assignee__isnull=False).annotate(
        gx_title=Substr(Concat(Value(title_prefix), F("customer__name")), 1, 200),
        gx_description=Value(_task_description(plan), output_field=CharField()),
        gx_due=Value(due, output_field=DateTimeField()),
        gx_priority=Value(TaskPriority.NORMAL, output_field=IntegerField()),
        gx_status=Value(TaskStatus.OPEN, output_field=CharField()),
        gx_source=Value(TaskSource.PLAN, output_field=CharField()),
        gx_key=Concat(Value(TASK_KEY_PREFIX), Cast("pk", CharField())),
        gx_remind=_remind_expression(plan, due),
        gx_now=Value(now, output_field=DateTimeField()),
    )
    columns = ["title", "description", "customer_id", "assignee_id", "due_at", "priority",
               "status", "source", "idempotency_key", "remind_at", "created_at", "updated_at"]  # fmt: skip
    names = ["gx_title", "gx_description", "customer_id", "gx_assignee", "gx_due",
             "gx_priority", "gx_status", "gx_source", "gx_key", "gx_remind", "gx_now", "gx_now"]  # fmt: skip
    return _insert(Task._meta.db_table, columns, select, names)


def _task_description(plan: MaintenancePlan) -> str:
    return "\n".join(part for part in [plan.content.strip(), f"— {plan.name}"] if part)


def _task_key_sql(occurrence_id: str) -> str:
    """The SQL of an occurrence's task key, as gx_key builds it."""
    return f"'{TASK_KEY_PREFIX}' || CAST({occurrence_id} AS VARCHAR(20))"


def _audit_and_link(plan: MaintenancePlan, now, customer_ids: list[int] | None) -> None:
    """Audit rows for the new tasks (the customers' timelines), then link the occurrences."""
    occurrence_table = PlanOccurrence._meta.db_table
    unlinked, only_params = "task_id IS NULL", []
    if customer_ids is not None:
        # Through (plan, customer): COALESCE keeps the planner off the "unlinked" partial
        # index, whose dead entries after a big run make it slow until VACUUM.
        marks = ", ".join(["%s"] * len(customer_ids))
        unlinked = f"COALESCE(task_id, 0) = 0 AND customer_id IN ({marks})"
        only_params = list(customer_ids)
    task_table = Task._meta.db_table
    empty = "CAST('{}' AS jsonb)" if connection.vendor == "postgresql" else "'{}'"
    summary = _("From the maintenance plan “%(plan)s”") % {"plan": plan.name}
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ActivityEvent._meta.db_table} (occurred_at, actor_id, verb, source, "  # noqa: S608
            "target_type, target_id, target_repr, customer_id, changes, summary) "
            f"SELECT %s, NULL, %s, %s, %s, t.id, t.title, t.customer_id, {empty}, %s "
            f"FROM {occurrence_table} o JOIN {task_table} t "
            f"ON t.idempotency_key = {_task_key_sql('o.id')} "
            "WHERE o.plan_id = %s AND "
            + unlinked.replace("task_id", "o.task_id").replace("customer_id", "o.customer_id"),
            [
                connection.ops.adapt_datetimefield_value(now),
                Verb.CREATED,
                Source.SYSTEM,
                Task._meta.label_lower,
                summary[:500],
                plan.pk,
                *only_params,
            ],
        )
        cursor.execute(
            # UPDATE … FROM (PostgreSQL; SQLite ≥ 3.33): one join, not a lookup per row.
            f"UPDATE {occurrence_table} SET task_id = t.id FROM {task_table} t "  # noqa: S608
            f"WHERE t.idempotency_key = {_task_key_sql(f'{occurrence_table}.id')} "
            f"AND {occurrence_table}.plan_id = %s AND "
            + unlinked.replace("task_id", f"{occurrence_table}.task_id").replace(
                "customer_id", f"{occurrence_table}.customer_id"
            ),
            [plan.pk, *only_params],
        )


def plan_generate(
    *, plan: MaintenancePlan, now: dt.datetime | None = None, customer_ids: list[int] | None = None
) -> int:
    """Create the next occurrence's task for every covered customer who has none open.
    Returns how many tasks were created. Only approved plans generate."""
    now = now or clock.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        # One run per plan at a time (PostgreSQL; SQLite writes one at a time anyway).
        plan = (
            MaintenancePlan.objects.select_for_update(of=("self",))
            .select_related("created_by", "owner")
            .get(pk=plan.pk)
        )
        if plan.status != PlanStatus.APPROVED:
            return 0
        spec = CycleSpec.of(plan)
        first = first_on_or_after(spec, today)
        created = 0
        if first is not None:
            customers = plan_customers(plan)
            if customer_ids is not None:
                customers = customers.filter(pk__in=customer_ids)
            mine = PlanOccurrence.objects.filter(plan=plan, customer_id=OuterRef("pk"))
            free = customers.exclude(Exists(mine.filter(handled_at__isnull=True))).annotate(
                gx_assignee=assignee_expression(plan)
            )
            free = free.filter(gx_assignee__isnull=False)
            # Customers with an occurrence on or after `first` already: their next date is
            # the one after their last (few distinct dates: the plan's recent ones).
            recent = PlanOccurrence.objects.filter(plan=plan, occurrence_date__gte=first)
            if customer_ids is not None:  # one customer moving on: their rows, not the plan's
                recent = recent.filter(customer_id__in=customer_ids)
            # order_by(): the model's ordering would otherwise join the DISTINCT (one row each).
            dates = recent.order_by().values_list("occurrence_date", flat=True).distinct()
            later = sorted(dates)
            groups: list[tuple[QuerySet, dt.date]] = [
                (free.exclude(Exists(mine.filter(occurrence_date__gte=first))), first)
            ]
            for last in later:
                following = first_after(spec, last)
                if following is None:
                    continue
                group = free.filter(Exists(mine.filter(occurrence_date=last))).exclude(
                    Exists(mine.filter(occurrence_date__gt=last))
                )
                groups.append((group, following))
            for group, day in groups:
                if _occurrences(plan, group, day, now):
                    created += _tasks(plan, day, now, customer_ids)
                    _audit_and_link(plan, now, customer_ids)
        plan.next_date = _next_date(plan, first)
        plan.last_generated_at = now
        plan.save(update_fields=["next_date", "last_generated_at"])
    return created


def _next_date(plan: MaintenancePlan, first: dt.date | None) -> dt.date | None:
    """A customer's plan: the date of its open occurrence; a segment's: its next date."""
    if plan.customer_id:
        open_date = (
            PlanOccurrence.objects.filter(plan=plan, handled_at__isnull=True)
            .order_by("-occurrence_date")
            .values_list("occurrence_date", flat=True)
            .first()
        )
        if open_date is not None:
            return open_date
    return first


def plans_generate(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every approved plan, each in its own transaction: the scheduler's and the CLI's run."""
    now = now or clock.now()
    results = []
    for plan_id, name in MaintenancePlan.objects.filter(status=PlanStatus.APPROVED).values_list(
        "pk", "name"
    ):
        plan = MaintenancePlan(pk=plan_id)
        results.append({"plan": plan_id, "name": name, "tasks": plan_generate(plan=plan, now=now)})
    return {
        "now": now.isoformat(),
        "plans": len(results),
        "tasks": sum(r["tasks"] for r in results),
        "results": results,
    }


def occurrence_handled(*, task: Task, now: dt.datetime | None = None) -> None:
    """The task of an occurrence was done or skipped: the occurrence is closed and the
    customer's next one is generated at once (same transaction as the task's change)."""
    now = now or clock.now()
    occurrence = (
        PlanOccurrence.objects.filter(task_id=task.pk, handled_at__isnull=True)
        .only("pk", "plan_id", "customer_id")
        .first()
    )
    if occurrence is None:
        return
    PlanOccurrence.objects.filter(pk=occurrence.pk).update(handled_at=now)
    plan_generate(
        plan=MaintenancePlan(pk=occurrence.plan_id), now=now, customer_ids=[occurrence.customer_id]
    )
