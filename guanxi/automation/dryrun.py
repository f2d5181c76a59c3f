"""Dry-run: what a rule (saved or not) would do now, without doing any of it.

How many customers match, a sample with the explanation per customer, what the first step
would send each of them (rendered), and for schedules the next five run times."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm, visible_to
from guanxi.automation.conditions.tree import evaluate, matching
from guanxi.automation.definition import (
    DefinitionError,
    effective_conditions,
    next_runs,
    validate_definition,
)
from guanxi.automation.models import TriggerKind
from guanxi.automation.steps import ACTIONS
from guanxi.core import clock
from guanxi.core.errors import ApplicationError
from guanxi.customers.models import Customer


@dataclass
class SampleRow:
    customer_id: int
    customer: str
    code: str
    matched: bool
    explanation: dict
    first_step: dict[str, Any] = field(default_factory=dict)


@dataclass
class DryRun:
    matching: int
    sample: list[SampleRow]
    next_runs: list[dt.datetime]
    first_step: str
    notes: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "matching": self.matching,
            "sample": [row.__dict__ for row in self.sample],
            "next_runs": [t.isoformat() for t in self.next_runs],
            "first_step": self.first_step,
            "notes": self.notes,
        }


def dry_run(
    *,
    user: User,
    definition: dict,
    sample: int = 10,
    customer_ids: list[int] | None = None,
    now: dt.datetime | None = None,
) -> DryRun:
    """`customer_ids` explain those customers (matching or not) instead of a sample."""
    require_perm(user, Perm.AUTOMATION_VIEW)
    try:
        clean = validate_definition(definition)
    except DefinitionError as exc:
        raise ApplicationError(_("The rule has errors."), errors=exc.errors) from exc
    now = now or clock.now()
    tree = effective_conditions(clean)
    scoped = visible_to(user, Customer.objects.all())
    matched = matching(tree, now=now, base=scoped)
    if customer_ids:
        chosen = list(scoped.filter(pk__in=customer_ids).select_related("level", "industry"))
    else:
        chosen = list(matched.select_related("level", "industry").order_by("pk")[: max(1, sample)])
    step = clean["steps"][0]
    rows = []
    for customer in chosen:
        explanation = evaluate(tree, customer=customer, now=now)
        rows.append(
            SampleRow(
                customer_id=customer.pk,
                customer=customer.name,
                code=customer.code,
                matched=explanation.matched,
                explanation=explanation.as_json(),
                first_step=_preview(user, step, customer),
            )
        )
    trigger = clean["trigger"]
    runs = (
        next_runs(trigger, after=now, count=5)
        if trigger["kind"] in (TriggerKind.SCHEDULE, TriggerKind.ANNIVERSARY)
        else []
    )
    notes = []
    if trigger["kind"] in (TriggerKind.EVENT, TriggerKind.NO_ACTION):
        notes.append(
            _("Customers enroll when the event happens; the count is who would qualify now.")
        )
    return DryRun(
        matching=matched.count(),
        sample=rows,
        next_runs=runs,
        first_step=str(ACTIONS[step["action"]]),
        notes=notes,
    )


def _preview(user: User, step: dict, customer: Customer) -> dict[str, Any]:
    if step["action"] not in ("send_email", "send_sms"):
        return {"action": step["action"]}
    from guanxi.messaging.models import MessageTemplate
    from guanxi.messaging.template_selectors import template_preview

    channel = "email" if step["action"] == "send_email" else "sms"
    template = MessageTemplate.objects.filter(key=step.get("template")).first()
    if template is None:
        return {"action": step["action"], "error": _("The template does not exist.")}
    try:
        preview = template_preview(user=user, template=template, channel=channel, customer=customer)
    except ApplicationError as exc:
        return {"action": step["action"], "error": str(exc.message)}
    return {
        "action": step["action"],
        "subject": preview.subject,
        "text": preview.text[:2000],
    }
