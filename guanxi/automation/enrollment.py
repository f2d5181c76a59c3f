"""Putting customers into a rule's journey: one at a time (an event) or as a set (a schedule,
a condition scan, a manual selection) with INSERT … SELECT, so enrolling 100,000 customers
is two statements and no customer row passes through Python.

The database's unique (rule, customer, rotation) is the guard: once per customer is
rotation 1; re-enrollment takes the customer's next rotation and is refused while a journey
of the rule is still running for them or the minimum interval has not passed.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from guanxi.automation.models import (
    Enrollment,
    EnrollmentStatus,
    Execution,
    ExecutionStatus,
    Rule,
    RuleVersion,
    TriggerKind,
)
from guanxi.core import clock

TRIGGER_STEP = "trigger"  # the wait of a "nothing happened within N hours" trigger


def first_step(version: RuleVersion, *, now: dt.datetime) -> tuple[str, str, dt.datetime]:
    """(step id, action, due) of a new journey's first execution."""
    definition = version.definition
    trigger = definition["trigger"]
    if trigger["kind"] == TriggerKind.NO_ACTION:
        return TRIGGER_STEP, "wait", now + dt.timedelta(hours=float(trigger["hours"]))
    step = definition["steps"][0]
    return step["id"], step["action"], now


def _blocked(rule: Rule, version: RuleVersion, customer_id: int, now: dt.datetime) -> int | None:
    """The rotation to enroll with, or None when the rule's enrollment policy says no."""
    policy = version.definition.get("enrollment") or {}
    last = (
        Enrollment.objects.filter(rule=rule, customer_id=customer_id)
        .order_by("-rotation")
        .values("rotation", "status", "enrolled_at")
        .first()
    )
    if last is None:
        return 1
    if not policy.get("reenroll"):
        return None
    if last["status"] == EnrollmentStatus.ACTIVE:
        return None
    interval = dt.timedelta(days=policy.get("min_interval_days") or 0)
    if last["enrolled_at"] + interval > now:
        return None
    return last["rotation"] + 1


def enroll_one(
    *,
    rule: Rule,
    customer_id: int,
    depth: int = 0,
    reason: str = "",
    rotation: int | None = None,
    now: dt.datetime | None = None,
) -> Enrollment | None:
    """Enroll one customer (None when the policy or a concurrent enrollment says no)."""
    now = now or clock.now()
    version = rule.current_version
    if version is None:
        return None
    if rotation is None:
        rotation = _blocked(rule, version, customer_id, now)
        if rotation is None:
            return None
    step_id, action, due = first_step(version, now=now)
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                rule=rule,
                version=version,
                customer_id=customer_id,
                rotation=rotation,
                depth=depth,
                reason=reason[:300],
                enrolled_at=now,
            )
            Execution.objects.create(
                enrollment=enrollment,
                rule=rule,
                customer_id=customer_id,
                step_id=step_id,
                action=action,
                next_run_at=due,
                created_at=now,
            )
    except IntegrityError:
        return None  # enrolled by someone else in the meantime: once is once
    return enrollment


def enroll_set(
    *,
    rule: Rule,
    customers: QuerySet,
    rotation: int | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> int:
    """Enroll every customer of `customers` the policy allows, in two statements.

    With `rotation` (a schedule's run number) everyone not yet enrolled in that rotation
    joins it; without, each customer gets rotation 1, or their next one when the rule
    re-enrolls and their last journey has ended long enough ago."""
    now = now or clock.now()
    version = rule.current_version
    if version is None:
        return 0
    policy = version.definition.get("enrollment") or {}
    ids = customers.order_by().values("id")
    # NOT EXISTS, not NOT IN: PostgreSQL plans NOT IN over a large set as a per-row scan
    # once the set outgrows work_mem (100,000 enrollments took minutes).
    previous = Enrollment.objects.filter(rule=rule, customer_id=OuterRef("pk"))
    if rotation is not None:
        ids = ids.exclude(Exists(previous.filter(rotation=rotation)))
    elif not policy.get("reenroll"):
        ids = ids.exclude(Exists(previous))
    else:
        interval = dt.timedelta(days=policy.get("min_interval_days") or 0)
        recent = previous.filter(
            Q(status=EnrollmentStatus.ACTIVE) | Q(enrolled_at__gt=now - interval)
        )
        ids = ids.exclude(Exists(recent))
    select_sql, select_params = ids.query.sql_with_params()
    enrollment_table = Enrollment._meta.db_table
    execution_table = Execution._meta.db_table
    stamp = connection.ops.adapt_datetimefield_value(now)
    # The rotation: a schedule's run number, 1 for once-per-customer rules, else one more than
    # the customer's last — from a join computed once, not a subquery per row (PostgreSQL,
    # planning with the statistics of an empty journey table, rescanned it for every row).
    join_sql, join_params = "", []
    if rotation is not None:
        rotation_sql, rotation_params = "%s", [rotation]
    elif not policy.get("reenroll"):
        rotation_sql, rotation_params = "1", []
    else:
        rotation_sql, rotation_params = "COALESCE(m.last, 0) + 1", []
        join_sql = (
            f" LEFT JOIN (SELECT customer_id, MAX(rotation) AS last FROM {enrollment_table} "  # noqa: S608
            "WHERE rule_id = %s GROUP BY customer_id) m ON m.customer_id = c.id"
        )
        join_params = [rule.pk]
    step_id, action, due = first_step(version, now=now)
    first = [step_id, action, ExecutionStatus.PENDING, connection.ops.adapt_datetimefield_value(due),
             stamp]  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            who = f"SELECT c.id, {rotation_sql} FROM ({select_sql}) c{join_sql}"  # noqa: S608
            return _enroll_set_postgresql(
                cursor, rule=rule, version=version, reason=reason, stamp=stamp, first=first,
                select=(who, [*rotation_params, *select_params, *join_params]),
            )  # fmt: skip
        cursor.execute(
            # Table names come from model metadata, the SELECT from the ORM compiler.
            f"INSERT INTO {enrollment_table} "  # noqa: S608
            "(rule_id, version_id, customer_id, rotation, status, depth, reason, enrolled_at) "
            f"SELECT %s, %s, c.id, {rotation_sql}, %s, 0, %s, %s FROM ({select_sql}) c{join_sql}",
            [
                rule.pk,
                version.pk,
                *rotation_params,
                EnrollmentStatus.ACTIVE,
                reason[:300],
                stamp,
                *select_params,
                *join_params,
            ],
        )
        created = cursor.rowcount
        if created:
            cursor.execute(
                f"INSERT INTO {execution_table} (enrollment_id, rule_id, customer_id, step_id, "  # noqa: S608
                "action, status, reason, attempts, next_run_at, result, created_at) "
                "SELECT e.id, e.rule_id, e.customer_id, %s, %s, %s, '', 0, %s, '{}', %s "
                f"FROM {enrollment_table} e WHERE e.rule_id = %s AND e.enrolled_at = %s "
                f"AND NOT EXISTS (SELECT 1 FROM {execution_table} x WHERE x.enrollment_id = e.id)",
                [*first, rule.pk, stamp],
            )
    return max(created, 0)


def _enroll_set_postgresql(
    cursor, *, rule: Rule, version: RuleVersion, reason: str, stamp: object, first: list,
    select: tuple[str, list],
) -> int:  # fmt: skip
    """PostgreSQL: who joins (and with which rotation) is read first, then the journeys and
    their first steps are written in one statement from that list. An INSERT … SELECT that
    reads the journey tables while writing them is planned with statistics that do not know
    the new rule yet, and PostgreSQL then walks, for every customer, the index entries the
    same statement has just added: 86 s for 100,000 on a fresh installation, 3–7 s this way.
    """
    cursor.execute(*select)
    rows = cursor.fetchall()
    if not rows:
        return 0
    # Array literals as text: the driver quotes a Python list of 100,000 ints element by
    # element (0.6 s); one string is escaped at once.
    ids = "{" + ",".join(str(row[0]) for row in rows) + "}"
    rotations = "{" + ",".join(str(row[1]) for row in rows) + "}"
    cursor.execute(
        # Table names come from model metadata.
        f"WITH new AS (INSERT INTO {Enrollment._meta.db_table} "  # noqa: S608
        "(rule_id, version_id, customer_id, rotation, status, depth, reason, enrolled_at) "
        "SELECT %s, %s, t.id, t.rotation, %s, 0, %s, %s "
        "FROM unnest(%s::bigint[], %s::integer[]) AS t(id, rotation) "
        "RETURNING id, rule_id, customer_id) "
        f"INSERT INTO {Execution._meta.db_table} (enrollment_id, rule_id, customer_id, step_id, "
        "action, status, reason, attempts, next_run_at, result, created_at) "
        "SELECT new.id, new.rule_id, new.customer_id, %s, %s, %s, '', 0, %s, '{}', %s FROM new",
        [rule.pk, version.pk, EnrollmentStatus.ACTIVE, reason[:300], stamp, ids, rotations,
         *first],
    )  # fmt: skip
    return cursor.rowcount
