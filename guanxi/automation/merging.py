"""Journeys follow a customer merge to the survivor, except where the survivor already has
the same rule and rotation: "once per customer" stays once after a merge."""

from __future__ import annotations

from django.db import models

from guanxi.automation.models import Enrollment
from guanxi.customers.merging import MergeContext


def move_enrollments(ctx: MergeContext, fk: models.ForeignKey) -> int:
    taken = set(Enrollment.objects.filter(customer=ctx.survivor).values_list("rule_id", "rotation"))
    moved = []
    for pk, rule_id, rotation in Enrollment.objects.filter(
        customer_id__in=ctx.other_ids
    ).values_list("pk", "rule_id", "rotation"):
        if (rule_id, rotation) in taken:
            continue  # deleted with the merged-away customer, its steps with it
        taken.add((rule_id, rotation))
        moved.append(pk)
    return Enrollment.objects.filter(pk__in=moved).update(customer=ctx.survivor)
