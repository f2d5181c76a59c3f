"""The three default plans of seed 001 (步骤三：制定个性化维护计划), as templates a supervisor
applies: each creates draft plans for a segment of their customers, to submit for approval.

- 高价值客户: monthly deep visit + quarterly business review, by the account manager (the
  customer's owner — Guanxi has no "senior account manager" role of its own);
- 潜力客户 (level 潜在客户): every two weeks a call with a product push, by the salesperson;
- 流失风险客户 (stage 流失预警): weekly contact and a needs survey, by the team leader.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts.models import User
from guanxi.activity.models import Source
from guanxi.core import clock
from guanxi.core.errors import NotFoundError
from guanxi.customers.models import Level, Stage
from guanxi.followups.plans.models import (
    Assignment,
    Cycle,
    MaintenancePlan,
    PlanChannel,
    Weekday,
)


@dataclass(frozen=True)
class PlanTemplate:
    key: str
    name: Promise
    description: Promise
    segment: Promise
    plans: list[dict[str, Any]] = field(default_factory=list)


TEMPLATES: list[PlanTemplate] = [
    PlanTemplate(
        key="high_value",
        name=gettext_lazy("High-value customers"),
        description=gettext_lazy(
            "A deep visit every month and a business review every quarter, by the account "
            "manager who owns the customer."
        ),
        segment=gettext_lazy("Level: high value"),
        plans=[
            {
                "name": gettext_lazy("High-value customers: monthly deep visit"),
                "level": "high_value",
                "cycle": Cycle.MONTHLY,
                "day_of_month": 10,
                "channel": PlanChannel.VISIT,
                "content": gettext_lazy(
                    "Visit in person; review how the product is used; find new needs; "
                    "meet the decision makers."
                ),
                "assign_to": Assignment.CUSTOMER_OWNER,
            },
            {
                "name": gettext_lazy("High-value customers: quarterly business review"),
                "level": "high_value",
                "cycle": Cycle.QUARTERLY,
                "day_of_month": 20,
                "channel": PlanChannel.BUSINESS_REVIEW,
                "content": gettext_lazy(
                    "Review the quarter's cooperation, results and open issues; agree the "
                    "next quarter's goals."
                ),
                "assign_to": Assignment.CUSTOMER_OWNER,
            },
        ],
    ),
    PlanTemplate(
        key="potential",
        name=gettext_lazy("Potential customers"),
        description=gettext_lazy(
            "A phone call with a product push every two weeks, by the salesperson."
        ),
        segment=gettext_lazy("Level: potential"),
        plans=[
            {
                "name": gettext_lazy("Potential customers: call every two weeks"),
                "level": "potential",
                "cycle": Cycle.EVERY_N_DAYS,
                "interval_days": 14,
                "channel": PlanChannel.PHONE,
                "content": gettext_lazy(
                    "Call to follow up on their needs; send the latest product material."
                ),
                "assign_to": Assignment.CUSTOMER_OWNER,
            }
        ],
    ),
    PlanTemplate(
        key="churn_risk",
        name=gettext_lazy("Churn-risk customers"),
        description=gettext_lazy(
            "Contact every week and a needs survey, handled with the team leader."
        ),
        segment=gettext_lazy("Lifecycle stage: churn risk"),
        plans=[
            {
                "name": gettext_lazy("Churn-risk customers: weekly contact"),
                "stage": Stage.CHURN_RISK,
                "cycle": Cycle.WEEKLY,
                "weekday": Weekday.MONDAY,
                "channel": PlanChannel.PHONE,
                "content": gettext_lazy(
                    "Reach out actively; survey their needs and what is not working; agree "
                    "a remedy."
                ),
                "assign_to": Assignment.TEAM_LEADER,
            }
        ],
    ),
]
BY_KEY = {t.key: t for t in TEMPLATES}


def template_get(key: str) -> PlanTemplate:
    template = BY_KEY.get(key)
    if template is None:
        raise NotFoundError(_("Plan template not found."))
    return template


def template_apply(
    *, actor: User, key: str, start_date: dt.date | None = None, source: str = Source.UI
) -> list[MaintenancePlan]:
    """Create the template's plans as drafts of the actor (all or none)."""
    from guanxi.followups.plans.services import plan_create

    template = template_get(key)
    start = start_date or clock.today()
    plans = []
    with transaction.atomic():
        for spec in template.plans:
            data = {k: str(v) if isinstance(v, Promise) else v for k, v in spec.items()}
            if "level" in data:
                data["level"] = Level.objects.filter(code=data["level"]).first()
            data["start_date"] = start
            plans.append(plan_create(actor=actor, data=data, template_key=key, source=source))
    return plans
