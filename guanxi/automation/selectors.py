"""Reading rules and their runs. Rules are configuration (seen with automation.view);
enrollments and executions hang off customers, so they are scoped to the viewer's customers
like every other customer row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, has_perm, require_perm, visible_to
from guanxi.automation.models import (
    Enrollment,
    Execution,
    ExecutionStatus,
    Rule,
    RuleStatus,
    RuleVersion,
)
from guanxi.core.errors import NotFoundError


def can_manage(user: User | None) -> bool:
    return has_perm(user, Perm.AUTOMATION_MANAGE)


def rules_list(*, user: User, status: str = "", q: str = "") -> QuerySet[Rule]:
    require_perm(user, Perm.AUTOMATION_VIEW)
    qs = Rule.objects.select_related("owner", "current_version")
    if status in RuleStatus.values:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(description__icontains=q))
    return qs.order_by("is_system", "name", "pk")


def rule_get(*, user: User, pk: int) -> Rule:
    require_perm(user, Perm.AUTOMATION_VIEW)
    rule = Rule.objects.select_related("owner", "current_version").filter(pk=pk).first()
    if rule is None:
        raise NotFoundError(_("Rule not found."))
    return rule


def rule_versions(*, user: User, rule: Rule) -> QuerySet[RuleVersion]:
    require_perm(user, Perm.AUTOMATION_VIEW)
    return RuleVersion.objects.filter(rule=rule).select_related("created_by").order_by("-number")


def installed_templates() -> dict[str, int]:
    """Template key → id of the rule installed from it (the catalog, the CLI, the API)."""
    return dict(Rule.objects.exclude(template_key="").values_list("template_key", "pk"))


def executions_list(
    *,
    user: User,
    rule: Rule | None = None,
    status: str = "",
    step_id: str = "",
    customer_id: int | None = None,
    waiting: bool | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Execution]:
    require_perm(user, Perm.AUTOMATION_VIEW)
    qs = visible_to(user, Execution.objects.all()).select_related("customer", "rule")
    if rule is not None:
        qs = qs.filter(rule=rule)
    if status in ExecutionStatus.values:
        qs = qs.filter(status=status)
    if step_id:
        qs = qs.filter(step_id=step_id)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if waiting is not None and now is not None:
        pending = Q(status=ExecutionStatus.PENDING)
        qs = qs.filter(
            pending & Q(next_run_at__gt=now) if waiting else ~(pending & Q(next_run_at__gt=now))
        )
    return qs.order_by("-created_at", "-pk")


def execution_get(*, user: User, pk: int) -> Execution:
    found = executions_list(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(_("Step execution not found."))
    return found


def enrollments_list(
    *, user: User, rule: Rule | None = None, status: str = "", customer_id: int | None = None
) -> QuerySet[Enrollment]:
    require_perm(user, Perm.AUTOMATION_VIEW)
    qs = visible_to(user, Enrollment.objects.all()).select_related("customer", "rule", "version")
    if rule is not None:
        qs = qs.filter(rule=rule)
    if status:
        qs = qs.filter(status=status)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("-enrolled_at", "-pk")


@dataclass
class StepCounts:
    step_id: str
    action: str
    counts: dict[str, int] = field(default_factory=dict)
    waiting: int = 0


def step_board(*, user: User, rule: Rule, now: dt.datetime) -> list[StepCounts]:
    """Per step of the current version (and steps only older versions had): how many
    executions are in each status, and how many are waiting for a later time."""
    from guanxi.automation.steps import index

    rows = (
        executions_list(user=user, rule=rule)
        .order_by()
        .values("step_id", "action", "status")
        .annotate(
            n=Count("pk"),
            later=Count("pk", filter=Q(status=ExecutionStatus.PENDING, next_run_at__gt=now)),
        )
    )
    board: dict[str, StepCounts] = {}
    for step_id, position in index(rule.current_version.definition["steps"]).items():
        board[step_id] = StepCounts(step_id=step_id, action=position.step["action"])
    for row in rows:
        entry = board.setdefault(row["step_id"], StepCounts(row["step_id"], row["action"]))
        entry.counts[row["status"]] = entry.counts.get(row["status"], 0) + row["n"]
        entry.waiting += row["later"]
    return list(board.values())


def rule_summaries(*, user: User, rules: list[Rule]) -> dict[int, dict[str, Any]]:
    """Counts shown beside each rule in the list: journeys running, steps failed."""
    ids = [r.pk for r in rules]
    active = dict(
        visible_to(user, Enrollment.objects.filter(rule_id__in=ids, status="active"))
        .order_by()
        .values("rule_id")
        .annotate(n=Count("pk"))
        .values_list("rule_id", "n")
    )
    failed = dict(
        visible_to(user, Execution.objects.filter(rule_id__in=ids, status=ExecutionStatus.FAILED))
        .order_by()
        .values("rule_id")
        .annotate(n=Count("pk"))
        .values_list("rule_id", "n")
    )
    return {pk: {"active": active.get(pk, 0), "failed": failed.get(pk, 0)} for pk in ids}


def enrollable_rules(*, user: User) -> QuerySet[Rule]:
    """Active rules a person may enroll chosen customers into (the customer list's "enroll
    selected" control): not the system rules, which keep derived data and enroll by scan."""
    require_perm(user, Perm.AUTOMATION_MANAGE)
    return (
        Rule.objects.filter(status=RuleStatus.ACTIVE, is_system=False)
        .select_related("current_version")
        .order_by("name", "pk")
    )
