"""Which customers a plan covers, and who gets each customer's task: as SQL, never a list
of customers in Python."""

from __future__ import annotations

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When

from guanxi.accounts.permissions import visible_to
from guanxi.customers.models import Customer
from guanxi.followups.plans.models import Assignment, MaintenancePlan


def segment_q(plan: MaintenancePlan, *, prefix: str = "") -> Q:
    """The plan's own customer, or every given criterion of its segment together."""
    if plan.customer_id:
        return Q(**{f"{prefix}pk": plan.customer_id})
    q = Q()
    if plan.level_id:
        q &= Q(**{f"{prefix}level_id": plan.level_id})
    if plan.stage:
        q &= Q(**{f"{prefix}stage": plan.stage})
    if plan.tag_id:
        tagged = Customer.tags.through.objects.filter(
            customer_id=OuterRef(f"{prefix.removesuffix('__')}_id" if prefix else "pk"),
            tag_id=plan.tag_id,
        )
        q &= Q(Exists(tagged))
    return q


def plan_customers(plan: MaintenancePlan) -> QuerySet[Customer]:
    """The customers the plan applies to: its target, within its author's data scope (a
    salesperson's plan covers their own customers, a supervisor's their team's)."""
    author = plan.created_by
    if author is None or not author.is_active:
        return Customer.objects.none()
    return visible_to(author, Customer.objects.filter(segment_q(plan)))


def assignee_expression(plan: MaintenancePlan, *, prefix: str = ""):
    """Who gets the task of a customer (reached through `prefix`): the plan's named person,
    the owner's team leader (else the owner), or the owner — active users only."""
    if plan.assign_to == Assignment.USER:
        owner = plan.owner
        active = owner is not None and owner.is_active
        return Value(owner.pk if active else None, output_field=IntegerField())
    owner = When(**{f"{prefix}owner__is_active": True}, then=F(f"{prefix}owner_id"))
    if plan.assign_to == Assignment.TEAM_LEADER:
        leader = When(
            **{f"{prefix}owner__team__leader__is_active": True},
            then=F(f"{prefix}owner__team__leader_id"),
        )
        return Case(leader, owner, default=None, output_field=IntegerField())
    return Case(owner, default=None, output_field=IntegerField())
