"""One engine pass ("tick"): schedules that are due, condition scans that are due, then the
step executions that are due. `guanxi automation tick --now …` runs one in the foreground
"as of" any instant; the scheduler runs one a minute."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from guanxi.automation.conditions.tree import matching
from guanxi.automation.definition import effective_conditions, next_runs
from guanxi.automation.enrollment import enroll_set
from guanxi.automation.executor import run_due
from guanxi.automation.models import (
    Execution,
    ExecutionStatus,
    Rule,
    RuleMembership,
    RuleStatus,
    TriggerKind,
)
from guanxi.core import clock

# A schedule missed by more than this (the scheduler was down) is skipped, not run late:
# a "1st of the month 09:00" mail must not go out on the 3rd.
GRACE = dt.timedelta(hours=12)


@dataclass
class TickReport:
    enrolled: int = 0
    executed: int = 0
    failed: int = 0
    skipped: int = 0
    waiting: int = 0

    def as_json(self) -> dict[str, int]:
        return asdict(self)


def tick(*, now: dt.datetime | None = None) -> TickReport:
    now = now or clock.now()
    report = TickReport()
    with clock.frozen_at(now):
        for rule in _due(now, [TriggerKind.SCHEDULE, TriggerKind.ANNIVERSARY]):
            report.enrolled += run_schedule(rule=rule, now=now)
        for rule in _due(now, [TriggerKind.CONDITION]):
            report.enrolled += scan_condition(rule=rule, now=now)
        steps = run_due(now=now)
    report.executed = steps.executed
    report.failed = steps.failed
    report.skipped = steps.skipped
    report.waiting = Execution.objects.filter(
        status=ExecutionStatus.PENDING, next_run_at__gt=now
    ).count()
    return report


def _due(now: dt.datetime, kinds: list[str]) -> list[Rule]:
    return list(
        Rule.objects.filter(
            status=RuleStatus.ACTIVE, trigger_kind__in=kinds, next_run_at__lte=now
        ).select_related("current_version")
    )


def run_schedule(*, rule: Rule, now: dt.datetime) -> int:
    """Enroll everyone matching now in this run's rotation, and set the next run."""
    definition = rule.current_version.definition
    due_at = rule.next_run_at
    enrolled = 0
    with transaction.atomic():
        claimed = Rule.objects.filter(pk=rule.pk, next_run_at=due_at).update(
            next_run_at=next_runs(definition["trigger"], after=now)[0], last_run_at=now
        )
        if not claimed:
            return 0  # another tick took this run
        if now - due_at <= GRACE:
            rule.run_count += 1
            Rule.objects.filter(pk=rule.pk).update(run_count=rule.run_count)
            enrolled = enroll_set(
                rule=rule,
                customers=matching(effective_conditions(definition), now=now),
                rotation=rule.run_count,
                reason=f"schedule {due_at.isoformat()}",
                now=now,
            )
    return enrolled


def scan_condition(*, rule: Rule, now: dt.datetime) -> int:
    """Customers who came to match since the last scan enter the journey (as the rule's
    enrollment policy allows); customers who stopped matching leave the member set, so a
    later match is a new transition."""
    definition = rule.current_version.definition
    minutes = definition["trigger"].get("scan_minutes", 15)
    due_at = rule.next_run_at
    with transaction.atomic():
        claimed = Rule.objects.filter(pk=rule.pk, next_run_at=due_at).update(
            next_run_at=now + dt.timedelta(minutes=minutes), last_run_at=now
        )
        if not claimed:
            return 0
        current = matching(effective_conditions(definition), now=now)
        members = RuleMembership.objects.filter(rule=rule)
        entering = current.exclude(
            Exists(RuleMembership.objects.filter(rule=rule, customer_id=OuterRef("pk")))
        )
        enrolled = enroll_set(rule=rule, customers=entering, reason="condition", now=now)
        select_sql, params = entering.order_by().values("id").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {RuleMembership._meta.db_table} (rule_id, customer_id, since) "  # noqa: S608
                f"SELECT %s, c.id, %s FROM ({select_sql}) c",
                [rule.pk, connection.ops.adapt_datetimefield_value(now), *params],
            )
        members.exclude(Exists(current.filter(pk=OuterRef("customer_id")))).delete()
    return enrolled
