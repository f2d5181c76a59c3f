"""Maintenance plans: the write path — create, change, submit, approve, reject, delete.

States: draft → submitted → approved / rejected. Changing an approved plan sends it back
to approval (and it generates nothing until approved again). Every step is audited; the
approver hears of a submission and the submitter of the decision (in-app notices).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, effective_scope, has_perm, require_perm, visible_to
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, PermissionDeniedError
from guanxi.core.model_update import model_update
from guanxi.customers.models import Customer, Stage
from guanxi.followups.plans.models import Assignment, Cycle, MaintenancePlan, PlanStatus

PLAN_FIELDS = [
    "name", "customer", "level", "stage", "tag", "cycle", "interval_days", "weekday",
    "day_of_month", "channel", "content", "assign_to", "owner", "start_date", "end_date",
]  # fmt: skip
# Only what changes what the plan does sends an approved plan back to approval.
_CYCLE_FIELDS = {"interval_days": Cycle.EVERY_N_DAYS, "weekday": Cycle.WEEKLY}


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    """Blank what the chosen target, cycle and assignment do not use."""
    data = dict(data)
    if data.get("customer") is not None:
        data.update(level=None, stage="", tag=None)
    cycle = data.get("cycle")
    if cycle:
        for name, wanted in _CYCLE_FIELDS.items():
            if cycle != wanted:
                data[name] = None
        if cycle not in (Cycle.MONTHLY, Cycle.QUARTERLY):
            data["day_of_month"] = None
    if "assign_to" in data and data["assign_to"] != Assignment.USER:
        data["owner"] = None
    data["name"] = (data.get("name") or "").strip()
    data["content"] = (data.get("content") or "").strip()
    data["stage"] = data.get("stage") or ""
    return data


def _validate(*, actor: User, data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if not data["name"]:
        errors["name"] = [_("Give the plan a name.")]
    target = (
        data.get("customer") is not None
        or data.get("level") is not None
        or data.get("stage")
        or data.get("tag") is not None
    )
    if not target:
        errors["customer"] = [_("Choose a customer, or a level, stage or tag for a segment.")]
    if data.get("stage") and data["stage"] not in Stage.values:
        errors["stage"] = [_("Choose a lifecycle stage.")]
    cycle = data.get("cycle")
    if cycle not in Cycle.values:
        errors["cycle"] = [_("Choose a cycle.")]
    elif cycle == Cycle.EVERY_N_DAYS and not 1 <= (data.get("interval_days") or 0) <= 365:
        errors["interval_days"] = [_("Give a number of days from 1 to 365.")]
    elif cycle == Cycle.WEEKLY and data.get("weekday") not in range(7):
        errors["weekday"] = [_("Choose a weekday.")]
    elif (
        cycle in (Cycle.MONTHLY, Cycle.QUARTERLY) and not 1 <= (data.get("day_of_month") or 0) <= 31
    ):
        errors["day_of_month"] = [_("Give a day of the month from 1 to 31.")]
    start, end = data.get("start_date"), data.get("end_date")
    if start is None:
        errors["start_date"] = [_("Give a start date.")]
    elif end is not None and end < start:
        errors["end_date"] = [_("The end must not be before the start.")]
    assign_to = data.get("assign_to")
    if assign_to not in Assignment.values:
        errors["assign_to"] = [_("Choose who gets the tasks.")]
    elif assign_to == Assignment.USER:
        owner = data.get("owner")
        if owner is None or not owner.is_active:
            errors["owner"] = [_("Choose the person responsible.")]
    customer = data.get("customer")
    if customer is not None and not visible_to(actor, Customer.objects.filter(pk=customer.pk)):
        errors["customer"] = [_("Customer not found.")]
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    # As for tasks: giving work to someone else is a supervisor's.
    others = assign_to == Assignment.TEAM_LEADER or (
        assign_to == Assignment.USER and data["owner"].pk != actor.pk
    )
    if others and not has_perm(actor, Perm.TASK_ASSIGN):
        raise PermissionDeniedError(_("Only a supervisor can give plan tasks to others."))


def approvers_of(plan: MaintenancePlan) -> list[User]:
    """Who may approve: the submitter's team leader (with the permission), and admins."""
    submitter = plan.submitted_by or plan.created_by
    leader = getattr(getattr(submitter, "team", None), "leader", None)
    if leader is not None and leader.is_active and has_perm(leader, Perm.PLAN_APPROVE):
        return [leader]
    return []


def can_decide(user: User, plan: MaintenancePlan) -> bool:
    if not has_perm(user, Perm.PLAN_APPROVE):
        return False
    if effective_scope(user) == "all":
        return True
    return any(approver.pk == user.pk for approver in approvers_of(plan))


def can_edit(user: User, plan: MaintenancePlan) -> bool:
    return user.pk in (plan.created_by_id, plan.owner_id) or can_decide(user, plan)


def _ensure_editable(actor: User, plan: MaintenancePlan) -> None:
    require_perm(actor, Perm.FOLLOWUP_RECORD)
    if not can_edit(actor, plan):
        raise PermissionDeniedError(
            _("Only the plan's author, its responsible person or an approver can change it.")
        )


def _notify(*, user_id: int | None, plan: MaintenancePlan, title: str, key: str) -> None:
    from guanxi.messaging.services import notification_create

    if user_id is None:
        return
    notification_create(
        user_id=user_id,
        kind="plan",
        title=title,
        body=plan.decision_comment if plan.status == PlanStatus.REJECTED else "",
        url=reverse("followups:plan_detail", args=[plan.pk]),
        customer_id=plan.customer_id,
        dedupe_key=f"plan:{plan.pk}:{key}:{clock.now().isoformat()}",
    )


def _record(actor: User | None, plan: MaintenancePlan, verb: str, changes, source: str, summary=""):
    activity_record(
        actor=actor,
        verb=verb,
        target=plan,
        customer_id=plan.customer_id,
        changes=changes,
        summary=summary,
        source=source,
    )


def plan_create(
    *, actor: User, data: dict[str, Any], template_key: str = "", source: str = Source.UI
) -> MaintenancePlan:
    require_perm(actor, Perm.FOLLOWUP_RECORD)
    data = _normalise(data)
    _validate(actor=actor, data=data)
    with transaction.atomic():
        plan = MaintenancePlan(created_by=actor, template_key=template_key)
        for name in PLAN_FIELDS:
            if name in data:
                setattr(plan, name, data[name])
        plan.save()
        changes = {n: [None, data[n]] for n in PLAN_FIELDS if data.get(n) not in (None, "")}
        _record(actor, plan, Verb.CREATED, changes, source)
    return plan


def plan_update(
    *, actor: User, plan: MaintenancePlan, data: dict[str, Any], source: str = Source.UI
) -> MaintenancePlan:
    """Change a plan. An approved plan goes back to approval; a rejected one to draft."""
    _ensure_editable(actor, plan)
    merged = _normalise({**{n: getattr(plan, n) for n in PLAN_FIELDS}, **data})
    _validate(actor=actor, data=merged)
    with transaction.atomic():
        changes = model_update(instance=plan, fields=PLAN_FIELDS, data=merged)
        if not changes:
            return plan
        before = plan.status
        if before == PlanStatus.APPROVED:
            _to_submitted(actor, plan)
        elif before == PlanStatus.REJECTED:
            plan.status = PlanStatus.DRAFT
        if plan.status != before:
            changes["status"] = [before, plan.status]
        plan.save()
        _record(actor, plan, Verb.UPDATED, changes, source)
        if before == PlanStatus.APPROVED:
            _tell_approvers(plan)
    return plan


def _to_submitted(actor: User, plan: MaintenancePlan) -> None:
    plan.status = PlanStatus.SUBMITTED
    plan.submitted_by = actor
    plan.submitted_at = clock.now()
    plan.decided_by = None
    plan.decided_at = None
    plan.decision_comment = ""


def _tell_approvers(plan: MaintenancePlan) -> None:
    submitter = plan.submitted_by
    for approver in approvers_of(plan):
        if approver.pk != getattr(submitter, "pk", None):
            title = _("Plan to approve: %(plan)s (from %(user)s)") % {
                "plan": plan.name,
                "user": submitter.label if submitter else "—",
            }
            _notify(user_id=approver.pk, plan=plan, title=title, key="submitted")


def plan_submit(*, actor: User, plan: MaintenancePlan, source: str = Source.UI) -> MaintenancePlan:
    _ensure_editable(actor, plan)
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.REJECTED):
        raise ApplicationError(_("Only a draft or rejected plan can be submitted."))
    with transaction.atomic():
        before = plan.status
        _to_submitted(actor, plan)
        plan.save()
        _record(actor, plan, Verb.UPDATED, {"status": [before, plan.status]}, source)
        _tell_approvers(plan)
    return plan


def _decide(
    *, actor: User, plan: MaintenancePlan, approve: bool, comment: str, source: str
) -> MaintenancePlan:
    require_perm(actor, Perm.PLAN_APPROVE)
    if not can_decide(actor, plan):
        raise PermissionDeniedError(
            _("Only the submitter's team leader or an administrator can decide on this plan.")
        )
    if plan.status != PlanStatus.SUBMITTED:
        raise ApplicationError(_("This plan is not awaiting approval."))
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ApplicationError(
            _("Please correct the errors below."),
            errors={"comment": [_("Say why the plan is rejected.")]},
        )
    with transaction.atomic():
        plan.status = PlanStatus.APPROVED if approve else PlanStatus.REJECTED
        plan.decided_by = actor
        plan.decided_at = clock.now()
        plan.decision_comment = comment
        plan.save()
        _record(
            actor,
            plan,
            Verb.UPDATED,
            {"status": [PlanStatus.SUBMITTED, plan.status], "decision_comment": [None, comment]},
            source,
            summary=comment,
        )
        if approve:
            title = _("Plan approved: %(plan)s") % {"plan": plan.name}
        else:
            title = _("Plan rejected: %(plan)s") % {"plan": plan.name}
        submitter = plan.submitted_by_id or plan.created_by_id
        if submitter != actor.pk:
            _notify(user_id=submitter, plan=plan, title=title, key=plan.status)
        if approve:
            from guanxi.followups.tasks import generate_plan_tasks

            plan_id = plan.pk
            transaction.on_commit(lambda: generate_plan_tasks.enqueue(plan_id=plan_id))
    return plan


def plan_approve(
    *, actor: User, plan: MaintenancePlan, comment: str = "", source: str = Source.UI
) -> MaintenancePlan:
    return _decide(actor=actor, plan=plan, approve=True, comment=comment, source=source)


def plan_reject(
    *, actor: User, plan: MaintenancePlan, comment: str, source: str = Source.UI
) -> MaintenancePlan:
    return _decide(actor=actor, plan=plan, approve=False, comment=comment, source=source)


def plan_delete(*, actor: User, plan: MaintenancePlan, source: str = Source.UI) -> None:
    """Delete a plan that is not approved (an approved one is ended by giving an end date).
    Tasks it generated stay: they are real work already given to someone."""
    _ensure_editable(actor, plan)
    if plan.status == PlanStatus.APPROVED:
        raise ApplicationError(_("An approved plan cannot be deleted; give it an end date."))
    with transaction.atomic():
        _record(actor, plan, Verb.DELETED, {"name": [plan.name, None]}, source)
        plan.delete()
