"""Reading maintenance plans through the viewer's scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, effective_scope, has_perm, scope_q
from guanxi.core.errors import NotFoundError
from guanxi.followups.plans.models import MaintenancePlan, PlanOccurrence, PlanStatus


def plans_visible(*, user: User) -> QuerySet[MaintenancePlan]:
    """Plans I wrote, submitted or am responsible for, or whose tasks I was given; those of
    my team (department) as my scope allows, or of teams I lead; plans for customers I may
    see; all with scope "all"."""
    qs = MaintenancePlan.objects.select_related(
        "customer", "level", "tag", "owner", "created_by", "submitted_by", "decided_by"
    )
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    scope = effective_scope(user)
    if scope == "all":
        return qs
    q = Q(created_by=user) | Q(owner=user) | Q(submitted_by=user) | Q(created_by__team__leader=user)
    if scope == "team" and user.team_id:
        q |= Q(created_by__team_id=user.team_id)
    if scope == "department" and user.department_id:
        q |= Q(created_by__department_id=user.department_id)
    if has_perm(user, Perm.CUSTOMER_VIEW):
        q |= Q(customer__isnull=False) & scope_q(user, prefix="customer__")
    # Plans whose tasks I do (a supervisor's segment plan for my customers).
    q |= Q(Exists(PlanOccurrence.objects.filter(plan=OuterRef("pk"), task__assignee=user)))
    return qs.filter(q).distinct()


def plan_list(
    *, user: User, status: str = "", mine: bool = False, customer_id: int | None = None
) -> QuerySet[MaintenancePlan]:
    qs = plans_visible(user=user)
    if status:
        qs = qs.filter(status=status)
    if mine:
        qs = qs.filter(Q(created_by=user) | Q(owner=user))
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("-updated_at", "-id")


def plans_awaiting(*, user: User) -> list[MaintenancePlan]:
    """Submitted plans this user may approve or reject."""
    from guanxi.followups.plans.services import can_decide

    if not has_perm(user, Perm.PLAN_APPROVE):
        return []
    submitted = plans_visible(user=user).filter(status=PlanStatus.SUBMITTED)
    return [p for p in submitted.order_by("submitted_at")[:200] if can_decide(user, p)]


def plan_get(*, user: User, pk: int) -> MaintenancePlan:
    plan = plans_visible(user=user).filter(pk=pk).first()
    if plan is None:
        raise NotFoundError(_("Plan not found."))
    return plan


def plan_stats(*, user: User, plan: MaintenancePlan) -> dict[str, int]:
    """How many occurrences the plan made, and how many are still open — for the customers
    the viewer may see (a segment plan spans other people's customers too)."""
    from guanxi.accounts.permissions import visible_to

    return visible_to(user, PlanOccurrence.objects.filter(plan=plan)).aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(handled_at__isnull=True)),
        customers=Count("customer_id", distinct=True),
    )


def plan_matching_count(*, user: User, plan: MaintenancePlan) -> int | None:
    """How many customers a segment plan applies to today, of those the viewer may see: what
    an approver weighs (one task each per cycle). None for a one-customer plan."""
    from guanxi.accounts.permissions import visible_to
    from guanxi.followups.plans.segments import plan_customers

    if plan.customer_id:
        return None
    return visible_to(user, plan_customers(plan)).count()


def plan_upcoming_date(plan: MaintenancePlan) -> tuple[dt.date | None, bool]:
    """(date, predicted): the plan's next date once generation has set it, else the date
    its cycle gives from today or its start; predicted while the plan awaits approval."""
    from guanxi.core import clock
    from guanxi.followups.plans.cycles import CycleSpec, first_on_or_after

    if plan.next_date is not None or plan.status == PlanStatus.REJECTED:
        return plan.next_date, False
    upcoming = first_on_or_after(CycleSpec.of(plan), max(clock.today(), plan.start_date))
    return upcoming, plan.status != PlanStatus.APPROVED


def plan_recent_occurrences(*, user: User, plan: MaintenancePlan, limit: int = 50):
    """The plan's latest occurrences on customers the viewer may see."""
    from guanxi.accounts.permissions import visible_to

    qs = PlanOccurrence.objects.filter(plan=plan).select_related(
        "customer", "task", "task__assignee"
    )
    return visible_to(user, qs).order_by("-occurrence_date", "-id")[:limit]


def last_generated_dates(plan_ids: list[int]) -> dict[int, object]:
    rows = (
        PlanOccurrence.objects.filter(plan_id__in=plan_ids)
        .values("plan_id")
        .annotate(last=Max("occurrence_date"))
    )
    return {r["plan_id"]: r["last"] for r in rows}
