"""The loop metrics of a rule and of each of its steps over a period (seed 000 三、执行与监控):
reach rate (触达率: sent / attempted), response rate (响应率: opened, clicked or replied /
sent), conversion (customers enrolled in the period who reached the rule's goal)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm, visible_to
from guanxi.automation.conditions.tree import matching
from guanxi.automation.models import Enrollment, Execution, ExecutionStatus, Rule
from guanxi.automation.services import current_settings
from guanxi.customers.models import Customer
from guanxi.messaging.models import Message, MessageStatus

MESSAGE_ACTIONS = ("send_email", "send_sms")
SENT = [MessageStatus.SENT, MessageStatus.DELIVERED]
FLAG_MINIMUM_SENT = 20


def _ratio(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


@dataclass
class StepMetrics:
    step_id: str
    action: str
    attempted: int = 0
    sent: int = 0
    responded: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def reach_rate(self) -> float | None:
        return _ratio(self.sent, self.attempted)

    @property
    def response_rate(self) -> float | None:
        return _ratio(self.responded, self.sent)

    def as_json(self) -> dict:
        return {**self.__dict__, "reach_rate": self.reach_rate, "response_rate": self.response_rate}


@dataclass
class RuleMetrics:
    since: dt.datetime
    until: dt.datetime
    enrolled: int = 0
    converted: int | None = None
    steps: list[StepMetrics] = field(default_factory=list)
    low_response: bool = False

    def _messages(self) -> list[StepMetrics]:
        return [s for s in self.steps if s.action in MESSAGE_ACTIONS]

    @property
    def attempted(self) -> int:
        return sum(s.attempted for s in self._messages())

    @property
    def sent(self) -> int:
        return sum(s.sent for s in self._messages())

    @property
    def responded(self) -> int:
        return sum(s.responded for s in self._messages())

    @property
    def reach_rate(self) -> float | None:
        return _ratio(self.sent, self.attempted)

    @property
    def response_rate(self) -> float | None:
        return _ratio(self.responded, self.sent)

    @property
    def conversion_rate(self) -> float | None:
        return None if self.converted is None else _ratio(self.converted, self.enrolled)

    def as_json(self) -> dict:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "enrolled": self.enrolled,
            "converted": self.converted,
            "conversion_rate": self.conversion_rate,
            "attempted": self.attempted,
            "sent": self.sent,
            "responded": self.responded,
            "reach_rate": self.reach_rate,
            "response_rate": self.response_rate,
            "low_response": self.low_response,
            "steps": [s.as_json() for s in self.steps],
        }


def rule_metrics(*, user: User, rule: Rule, since: dt.datetime, until: dt.datetime) -> RuleMetrics:
    require_perm(user, Perm.AUTOMATION_VIEW)
    result = RuleMetrics(since=since, until=until)
    finished = visible_to(
        user,
        Execution.objects.filter(rule=rule, finished_at__gte=since, finished_at__lt=until),
    )
    by_step: dict[str, StepMetrics] = {}
    rows = (
        finished.order_by()
        .values("step_id", "action")
        .annotate(
            done=Count("pk", filter=Q(status=ExecutionStatus.DONE)),
            failed=Count("pk", filter=Q(status=ExecutionStatus.FAILED)),
            skipped=Count("pk", filter=Q(status=ExecutionStatus.SKIPPED)),
        )
    )
    for row in rows:
        step = by_step.setdefault(row["step_id"], StepMetrics(row["step_id"], row["action"]))
        step.done += row["done"]
        step.failed += row["failed"]
        step.skipped += row["skipped"]
        if row["action"] in MESSAGE_ACTIONS:
            step.attempted += row["done"] + row["failed"] + row["skipped"]
    scoped = visible_to(user, Customer.objects.all()).values("pk")
    messages = Message.objects.filter(
        idempotency_key__startswith=f"automation:{rule.pk}:",
        created_at__gte=since,
        created_at__lt=until,
        customer_id__in=scoped,
    )
    for step in by_step.values():
        if step.action not in MESSAGE_ACTIONS:
            continue
        counts = messages.filter(idempotency_key__endswith=f":{step.step_id}").aggregate(
            sent=Count("pk", filter=Q(status__in=SENT) | Q(sent_at__isnull=False)),
            responded=Count(
                "pk",
                filter=Q(opened_at__isnull=False)
                | Q(clicked_at__isnull=False)
                | Q(replied_at__isnull=False),
            ),
        )
        step.sent, step.responded = counts["sent"], counts["responded"]
    result.steps = sorted(by_step.values(), key=lambda s: s.step_id)
    enrolled = visible_to(
        user, Enrollment.objects.filter(rule=rule, enrolled_at__gte=since, enrolled_at__lt=until)
    )
    result.enrolled = enrolled.count()
    goal = rule.current_version.definition.get("goal")
    if goal:
        reached = enrolled.filter(goal_reached_at__isnull=False).values("customer_id")
        now_matching = matching(goal, base=Customer.objects.filter(
            pk__in=enrolled.values("customer_id")
        ))  # fmt: skip
        result.converted = (
            Customer.objects.filter(Q(pk__in=reached) | Q(pk__in=now_matching.values("pk")))
            .distinct()
            .count()
        )
    threshold = current_settings().low_response_ratio
    result.low_response = (
        result.sent >= FLAG_MINIMUM_SENT
        and result.response_rate is not None
        and result.response_rate < threshold
    )
    return result
