"""The worker side of the engine: claim due step executions, run them, record what happened,
and put the journey's next step in place.

Exactly once:
- Rows are claimed with a lease (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has
  one writer at a time). A worker that dies holding a lease loses nothing: the rows are due
  again when it expires.
- Steps whose effects stay in our database (tasks, notices, tags, queued messages …) run in
  one transaction per batch, each in a savepoint, together with their own status update and
  the next step's row. Either all of that commits or none of it: a killed worker leaves
  nothing half-done, and the rerun does the work once.
- A webhook leaves the database, so its row is marked `running` and committed before the
  call. A `running` row whose lease expired was in flight when its worker died: it fails
  with that reason instead of calling again, and a person decides (retry / skip).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from guanxi.accounts.models import Team, User
from guanxi.automation import actions, batch_steps
from guanxi.automation.conditions.tree import matches
from guanxi.automation.enrollment import TRIGGER_STEP
from guanxi.automation.models import (
    Enrollment,
    EnrollmentStatus,
    Execution,
    ExecutionStatus,
    Rule,
    RuleStatus,
    RuleVersion,
)
from guanxi.automation.steps import Position, branch_target, index
from guanxi.core import clock
from guanxi.core.errors import ApplicationError
from guanxi.core.events import depth_of
from guanxi.core.sql_lists import pk_in
from guanxi.customers.models import Customer, Industry, Level

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
BATCH = 500
BACKOFF_MINUTES = [1, 5, 30]
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1


@dataclass
class Report:
    executed: int = 0
    failed: int = 0
    skipped: int = 0
    waiting: int = 0
    retrying: int = 0

    def __iadd__(self, other: Report) -> Report:
        for name in ("executed", "failed", "skipped", "waiting", "retrying"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


def run_due(*, now: dt.datetime | None = None, limit: int = 100_000) -> Report:
    """Run what is due, batch after batch, until nothing is (or `limit` rows were handled)."""
    now = now or clock.now()
    report = Report(failed=recover_interrupted(now=now))
    handled = 0
    while handled < limit:
        batch = claim(now=now, size=min(BATCH, limit - handled))
        if not batch:
            break
        handled += len(batch)
        report += run_batch(ids=batch, now=now)
    return report


def recover_interrupted(*, now: dt.datetime) -> int:
    return Execution.objects.filter(status=ExecutionStatus.RUNNING, lease_until__lt=now).update(
        status=ExecutionStatus.FAILED,
        lease_until=None,
        finished_at=now,
        reason=_(
            "The worker stopped during this call, which may or may not have arrived; it was "
            "not repeated automatically. Check, then retry or skip it."
        ),
    )


def claim(*, now: dt.datetime, size: int = BATCH) -> list[int]:
    # The active rules are read first (a few dozen ids), not joined: with the join, a planner
    # whose statistics think the journey tables empty (a new installation's first large
    # enrollment) hashed every due row and sorted them for each batch of 500 — 50 ms a claim
    # at 100,000 due. Filtered by id, the claim walks the due index in its order and stops.
    active = list(Rule.objects.filter(status=RuleStatus.ACTIVE).values_list("pk", flat=True))
    if not active:
        return []
    due = Q(status=ExecutionStatus.PENDING, next_run_at__lte=now, rule_id__in=active) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    with transaction.atomic():
        qs = Execution.objects.filter(due).order_by("next_run_at", "id")
        if not connection.features.has_select_for_update_skip_locked:
            ids = list(qs.values_list("pk", flat=True)[:size])
            if ids:
                Execution.objects.filter(pk__in=ids).update(lease_until=now + LEASE)
            return ids
        # PostgreSQL: lock, lease and return the rows in one statement.
        chosen = qs.select_for_update(skip_locked=True, of=("self",)).values("pk")[:size]
        select_sql, select_params = chosen.query.sql_with_params()
        table = Execution._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                # The table name comes from model metadata, the SELECT from the ORM compiler.
                f"UPDATE {table} SET lease_until = %s WHERE id IN ({select_sql}) RETURNING id",  # noqa: S608
                [now + LEASE, *select_params],
            )
            return sorted(row[0] for row in cursor.fetchall())


_positions_cache: dict[tuple, dict[str, Position]] = {}


def _positions(enrollment: Enrollment) -> dict[str, Position]:
    # Versions never change, so their step index can be kept for the life of the process
    # (keyed with the creation time too: a restored database may reuse an id).
    version = enrollment.version
    key = (version.pk, version.created_at)
    if key not in _positions_cache:
        _positions_cache[key] = index(version.definition["steps"])
    return _positions_cache[key]


def _load(ids: list[int]) -> list[Execution]:
    """The batch's rows with their journey, rule, version and whole customer."""
    rows = _journeys(ids)
    _customers(rows)
    return rows


def _journeys(ids: list[int]) -> list[Execution]:
    """The rows with their journey, its rule (and the rule's owner) and version, in one query
    per kind of row; customers come separately (_customers).

    Related rows are read once each and attached, neither joined nor prefetched: a batch's
    rows share a few versions, rules, owners and teams, and a join builds (and decodes the
    definition JSON of) a copy per row, while prefetch_related walks all 500 rows once per
    level of each path — together a third of a notice step's time."""
    rows = list(
        Execution.objects.filter(pk_in(ids))
        .select_related("enrollment")
        .order_by("next_run_at", "id")
    )
    journeys = [row.enrollment for row in rows]
    versions = _by_pk(RuleVersion.objects, {j.version_id for j in journeys})
    rules = _by_pk(Rule.objects.select_related("owner"), {j.rule_id for j in journeys})
    for journey in journeys:
        _attach(journey, "version", versions)
        _attach(journey, "rule", rules)
    return rows


def _customers(rows: list[Execution], *, only: tuple[str, ...] = ()) -> None:
    """Attach each row's customer with its owner (and the owner's team and its leader), team
    (and leader), level and industry. `only`: read just these customer columns (the batch
    path's notices and tasks need a name, a code, an owner and a team; building the whole
    customer of each row cost more than the rest of its step)."""
    if not rows:
        return
    queryset = Customer.objects.only(*only) if only else Customer.objects
    customers = _by_pk(queryset, {row.customer_id for row in rows})
    loaded = list(customers.values())
    related = [("owner", User.objects.select_related("team__leader")),
               ("team", Team.objects.select_related("leader"))]  # fmt: skip
    if not only:
        related += [("level", Level.objects), ("industry", Industry.objects)]
    for name, queryset in related:
        attname = Customer._meta.get_field(name).attname
        by_pk = _by_pk(queryset, {getattr(c, attname) for c in loaded} - {None})
        for customer in loaded:
            _attach(customer, name, by_pk)
    for row in rows:
        _attach(row, "customer", customers)
        _attach(row.enrollment, "customer", customers)


def _by_pk(queryset, ids: set[int]) -> dict[int, object]:
    return {obj.pk: obj for obj in queryset.filter(pk_in(ids))} if ids else {}


def _attach(instance, name: str, by_pk: dict[int, object]) -> None:
    """Set the related object `name` (read earlier) as if the ORM had loaded it."""
    field = instance._meta.get_field(name)
    field.set_cached_value(instance, by_pk.get(getattr(instance, field.attname)))


def run_batch(*, ids: list[int], now: dt.datetime) -> Report:
    report = Report()
    rows = _journeys(ids)
    inside = [r for r in rows if r.action not in actions.EXTERNAL]
    outside = [r for r in rows if r.action in actions.EXTERNAL]
    batched = [r for r in inside if batch_steps.batchable(r, _positions(r.enrollment))]
    if len(batched) < 2:
        batched = []
    chosen = {r.pk for r in batched}
    _customers(batched, only=batch_steps.CUSTOMER_FIELDS)
    _customers([r for r in rows if r.pk not in chosen])
    failed_rules: set[int] = set()
    with transaction.atomic():
        rest = [r for r in inside if r.pk not in chosen]
        for execution in _run_batched(batched, now=now, report=report) + rest:
            _run_one(execution, now=now, report=report, failed_rules=failed_rules)
    for execution in outside:
        updated = Execution.objects.filter(pk=execution.pk, status=ExecutionStatus.PENDING).update(
            status=ExecutionStatus.RUNNING
        )
        if not updated:
            continue
        execution.status = ExecutionStatus.RUNNING
        with transaction.atomic():
            _run_one(execution, now=now, report=report, failed_rules=failed_rules)
    if failed_rules:
        from guanxi.automation.services import rules_pause_failing

        rules_pause_failing(rule_ids=failed_rules, now=now)
    return report


def _run_batched(rows: list[Execution], *, now: dt.datetime, report: Report) -> list[Execution]:
    """Runs the rows the batch path covers (batch_steps) together. Returns nothing, or, when
    the batch failed and was rolled back, all of them again to be run one at a time."""
    if not rows:
        return []
    try:
        with transaction.atomic():
            executed, skipped = batch_steps.run(rows, positions_of=_positions, now=now)
    except Exception:
        # Rolled back: one at a time, so each row's error lands on that row. The rows are
        # read again because the batch path changed them in memory (and read customers
        # only in part).
        log.exception("automation batch of %s steps failed; running them one by one", len(rows))
        return _load([r.pk for r in rows])
    report.executed += executed
    report.skipped += skipped
    return []


def _step_of(execution: Execution, positions: dict[str, Position]) -> dict | None:
    if execution.step_id == TRIGGER_STEP:
        return {"id": TRIGGER_STEP, "action": "wait"}
    position = positions.get(execution.step_id)
    return position.step if position else None


def _run_one(execution: Execution, *, now: dt.datetime, report: Report, failed_rules: set) -> None:
    enrollment = execution.enrollment
    if enrollment.status != EnrollmentStatus.ACTIVE:
        _finish(execution, status=ExecutionStatus.SKIPPED, now=now,
                reason=_("The journey had already ended."))  # fmt: skip
        report.skipped += 1
        return
    positions = _positions(enrollment)
    step = _step_of(execution, positions)
    if step is None:
        _finish(execution, status=ExecutionStatus.FAILED, now=now,
                reason=_("This step is not in the rule's version any more."))  # fmt: skip
        report.failed += 1
        return
    definition = enrollment.version.definition
    if _left(execution, definition=definition, now=now, report=report):
        return
    run = actions.Run(
        execution=execution, enrollment=enrollment, customer=execution.customer, step=step, now=now
    )
    try:
        with transaction.atomic(), depth_of(enrollment.depth + 1):
            outcome = actions.ACTIONS[step["action"]](run)
            _apply(execution, outcome, positions=positions, definition=definition, now=now)
    except actions.Transient as exc:
        _retry_or_fail(
            execution, reason=str(exc), now=now, report=report, failed_rules=failed_rules
        )
        return
    except ApplicationError as exc:
        execution.attempts += 1
        _finish(execution, status=ExecutionStatus.FAILED, now=now, reason=str(exc.message))
        report.failed += 1
        failed_rules.add(execution.rule_id)
        return
    except Exception as exc:  # a bug or an outage: keep the batch going, retry this one
        log.exception("automation step %s failed", execution.pk)
        _retry_or_fail(execution, reason=repr(exc)[:500], now=now, report=report,
                       failed_rules=failed_rules)  # fmt: skip
        return
    if outcome.status == "wait":
        report.waiting += 1
    elif outcome.status == ExecutionStatus.SKIPPED:
        report.skipped += 1
    else:
        report.executed += 1


def _left(execution: Execution, *, definition: dict, now: dt.datetime, report: Report) -> bool:
    """Ends the journey when the customer reached the goal or, if the rule says so, no longer
    matches its conditions. Only evaluated for rules that ask for it."""
    enrollment = execution.enrollment
    goal = definition.get("goal")
    if goal and matches(goal, customer=execution.customer, now=now):
        _end(enrollment, status=EnrollmentStatus.COMPLETED, now=now, goal=True,
             reason=_("The customer reached the goal."))  # fmt: skip
        _finish(execution, status=ExecutionStatus.SKIPPED, now=now,
                reason=_("The customer reached the goal."))  # fmt: skip
        report.skipped += 1
        return True
    policy = definition.get("enrollment") or {}
    if policy.get("exit_when_unmatched") and not matches(
        definition.get("conditions") or {"all": []}, customer=execution.customer, now=now
    ):
        _end(enrollment, status=EnrollmentStatus.EXITED, now=now,
             reason=_("The customer no longer meets the conditions."))  # fmt: skip
        _finish(execution, status=ExecutionStatus.SKIPPED, now=now,
                reason=_("The customer no longer meets the conditions."))  # fmt: skip
        report.skipped += 1
        return True
    return False


def _apply(
    execution: Execution,
    outcome: actions.Outcome,
    *,
    positions: dict[str, Position],
    definition: dict,
    now: dt.datetime,
) -> None:
    if outcome.status == "wait":
        execution.next_run_at = outcome.until
        execution.result = {**execution.result, **outcome.result}
        execution.lease_until = None
        execution.save(update_fields=["next_run_at", "result", "lease_until"])
        return
    execution.attempts += 1
    execution.result = {**execution.result, **outcome.result}
    _finish(execution, status=outcome.status, now=now, reason=outcome.reason)
    _advance(execution, outcome=outcome, positions=positions, definition=definition, now=now)


def _advance(
    execution: Execution,
    *,
    outcome: actions.Outcome | None,
    positions: dict[str, Position],
    definition: dict,
    now: dt.datetime,
) -> None:
    """Put the next step in place, or end the journey after its last step."""
    if execution.step_id == TRIGGER_STEP:
        next_id = definition["steps"][0]["id"]
    elif outcome is not None and outcome.branched:
        next_id = branch_target(positions, execution.step_id, outcome.goto == "then")
    else:
        next_id = positions[execution.step_id].next_id
    if next_id is None:
        _end(execution.enrollment, status=EnrollmentStatus.COMPLETED, now=now)
        return
    Execution.objects.create(
        enrollment_id=execution.enrollment_id,
        rule_id=execution.rule_id,
        customer_id=execution.customer_id,
        step_id=next_id,
        action=positions[next_id].step["action"],
        next_run_at=now,
        created_at=now,
    )


def _finish(execution: Execution, *, status: str, now: dt.datetime, reason: str = "") -> None:
    execution.status = status
    execution.reason = reason[:2000]
    execution.finished_at = now
    execution.lease_until = None
    execution.next_run_at = None
    execution.save(
        update_fields=["status", "reason", "finished_at", "lease_until", "next_run_at",
                       "attempts", "result"]
    )  # fmt: skip


def _end(
    enrollment: Enrollment, *, status: str, now: dt.datetime, reason: str = "", goal: bool = False
) -> None:
    enrollment.status = status
    enrollment.finished_at = now
    enrollment.reason = reason[:300]
    if goal:
        enrollment.goal_reached_at = now
    enrollment.save(update_fields=["status", "finished_at", "reason", "goal_reached_at"])


def _retry_or_fail(
    execution: Execution, *, reason: str, now: dt.datetime, report: Report, failed_rules: set
) -> None:
    execution.attempts += 1
    if execution.attempts < MAX_ATTEMPTS:
        minutes = BACKOFF_MINUTES[min(execution.attempts - 1, len(BACKOFF_MINUTES) - 1)]
        Execution.objects.filter(pk=execution.pk).update(
            status=ExecutionStatus.PENDING,
            attempts=execution.attempts,
            reason=reason[:2000],
            next_run_at=now + dt.timedelta(minutes=minutes),
            lease_until=None,
        )
        report.retrying += 1
        return
    _finish(execution, status=ExecutionStatus.FAILED, now=now, reason=reason)
    report.failed += 1
    failed_rules.add(execution.rule_id)


def advance_after_skip(*, execution: Execution, now: dt.datetime) -> None:
    """A person skipped a failed step: the journey goes on with the step after it."""
    enrollment = execution.enrollment
    positions = _positions(enrollment)
    _advance(execution, outcome=None, positions=positions,
             definition=enrollment.version.definition, now=now)  # fmt: skip
