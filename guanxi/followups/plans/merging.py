"""Plan occurrences follow a customer merge to the survivor, except where the survivor already
has that plan's occurrence for the date, or already an open one for the plan: a plan still
makes one task per occurrence after a merge."""

from __future__ import annotations

from django.db import models

from guanxi.customers.merging import MergeContext
from guanxi.followups.plans.models import PlanOccurrence


def move_occurrences(ctx: MergeContext, fk: models.ForeignKey) -> int:
    survivor = PlanOccurrence.objects.filter(customer=ctx.survivor)
    dates = set(survivor.values_list("plan_id", "occurrence_date"))
    open_plans = set(survivor.filter(handled_at__isnull=True).values_list("plan_id", flat=True))
    moved = []
    rows = PlanOccurrence.objects.filter(customer_id__in=ctx.other_ids).order_by(
        "-occurrence_date", "pk"
    )
    for pk, plan_id, day, handled_at in rows.values_list(
        "pk", "plan_id", "occurrence_date", "handled_at"
    ):
        if (plan_id, day) in dates or (handled_at is None and plan_id in open_plans):
            continue  # deleted with the merged-away customer
        dates.add((plan_id, day))
        if handled_at is None:
            open_plans.add(plan_id)
        moved.append(pk)
    return PlanOccurrence.objects.filter(pk__in=moved).update(customer=ctx.survivor)
