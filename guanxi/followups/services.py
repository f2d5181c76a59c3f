"""Follow-up records and tasks: the write path."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, has_perm, require_perm, visible_to
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from guanxi.core.events import Event, publish
from guanxi.core.model_update import model_update
from guanxi.customers.models import Customer
from guanxi.customers.services import attachment_add, customer_mark_contacted
from guanxi.followups.models import Channel, FollowUp, Task, TaskPriority, TaskSource, TaskStatus
from guanxi.followups.suggestions.services import suggestions_for_followup

DEFAULT_REMIND_MINUTES = 60


class _AssigneePreference:
    """Sentinel: the caller gave no reminder lead time, so the assignee's own choice
    (UserMessagingPreference.task_reminder_minutes) applies. None still means "no reminder"."""

    def __repr__(self) -> str:
        return "ASSIGNEE_PREFERENCE"


ASSIGNEE_PREFERENCE = _AssigneePreference()


def remind_minutes_for(assignee: User) -> int:
    """How long before a task's due time its assignee wants to be reminded."""
    from guanxi.messaging.models import UserMessagingPreference

    minutes = (
        UserMessagingPreference.objects.filter(user_id=assignee.pk)
        .values_list("task_reminder_minutes", flat=True)
        .first()
    )
    return DEFAULT_REMIND_MINUTES if minutes is None else minutes


TASK_FIELDS = ["title", "description", "due_at", "priority", "assignee", "remind_at"]


def _ensure_customer_visible(actor: User | None, customer: Customer) -> None:
    if (
        actor is not None
        and not visible_to(actor, Customer.objects.filter(pk=customer.pk)).exists()
    ):
        raise NotFoundError(_("Customer not found."))


def followup_record(
    *,
    actor: User,
    customer: Customer,
    content: str,
    channel: str = Channel.PHONE,
    occurred_at: dt.datetime | None = None,
    feedback: str = "",
    next_step: str = "",
    next_followup_at: dt.datetime | None = None,
    contact=None,
    source: str = Source.UI,
) -> FollowUp:
    """Record a follow-up; updates last contact and, with a next date, creates the follow-up task."""
    require_perm(actor, Perm.FOLLOWUP_RECORD)
    _ensure_customer_visible(actor, customer)
    errors: dict[str, list[str]] = {}
    content = (content or "").strip()
    if not content:
        errors["content"] = [_("Describe what was discussed.")]
    if channel not in Channel.values:
        errors["channel"] = [_("Choose a channel.")]
    now = clock.now()
    occurred_at = occurred_at or now
    if occurred_at > now + dt.timedelta(minutes=5):
        errors["occurred_at"] = [_("A follow-up cannot be recorded in the future.")]
    if next_followup_at is not None and next_followup_at <= occurred_at:
        errors["next_followup_at"] = [_("The next follow-up must be after this one.")]
    if contact is not None and contact.customer_id != customer.pk:
        errors["contact"] = [_("This contact belongs to another customer.")]
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)

    with transaction.atomic():
        followup = FollowUp.objects.create(
            customer=customer,
            contact=contact,
            author=actor,
            occurred_at=occurred_at,
            channel=channel,
            content=content,
            feedback=feedback or "",
            next_step=next_step or "",
            next_followup_at=next_followup_at,
        )
        customer_mark_contacted(customer_id=customer.pk, at=occurred_at)
        activity_record(
            actor=actor,
            verb=Verb.FOLLOWED_UP,
            target=followup,
            customer_id=customer.pk,
            source=source,
            summary=f"[{Channel(channel).label}] {content}"[:500],
        )
        if next_followup_at is not None:
            task_create(
                actor=actor,
                title=next_step or _("Follow up with %(customer)s") % {"customer": customer.name},
                customer=customer,
                assignee=customer.owner or actor,
                due_at=next_followup_at,
                source=TaskSource.FOLLOWUP,
                followup=followup,
                idempotency_key=f"followup:{followup.pk}:next",
                event_source=source,
            )
        suggestions_for_followup(followup=followup)
        publish(
            Event(
                name="followup.recorded",
                customer_id=customer.pk,
                actor_id=actor.pk,
                source=source,
                payload={"followup_id": followup.pk, "channel": channel},
            )
        )
    return followup


def task_create(
    *,
    actor: User | None,
    title: str,
    assignee: User,
    due_at: dt.datetime,
    customer: Customer | None = None,
    description: str = "",
    priority: int = TaskPriority.NORMAL,
    source: str = TaskSource.MANUAL,
    followup: FollowUp | None = None,
    idempotency_key: str | None = None,
    remind_minutes: int | None | _AssigneePreference = ASSIGNEE_PREFERENCE,
    event_source: str = Source.UI,
) -> Task:
    """Create a task. With an idempotency key, a repeat call returns the existing task."""
    # Anyone may give a task to the customer's owner; other assignments are a supervisor's.
    assigning_other = actor is not None and assignee.pk != actor.pk
    if (
        assigning_other
        and not has_perm(actor, Perm.TASK_ASSIGN)
        and getattr(customer, "owner_id", None) != assignee.pk
    ):
        raise PermissionDeniedError(_("Only a supervisor can assign tasks to others."))
    if customer is not None:
        _ensure_customer_visible(actor, customer)
    title = (title or "").strip()
    if not title:
        raise ApplicationError(
            _("Please correct the errors below."), errors={"title": [_("Give the task a title.")]}
        )
    if idempotency_key:
        existing = Task.objects.filter(idempotency_key=idempotency_key).first()
        if existing:
            return existing
    if isinstance(remind_minutes, _AssigneePreference):
        remind_minutes = remind_minutes_for(assignee)
    remind_at = (
        due_at - dt.timedelta(minutes=remind_minutes) if remind_minutes is not None else None
    )
    try:
        with transaction.atomic():
            task = Task.objects.create(
                title=title[:200],
                description=description,
                customer=customer,
                assignee=assignee,
                created_by=actor if getattr(actor, "pk", None) else None,
                due_at=due_at,
                priority=priority,
                source=source,
                followup=followup,
                idempotency_key=idempotency_key,
                remind_at=remind_at,
            )
            activity_record(
                actor=actor,
                verb=Verb.CREATED,
                target=task,
                customer_id=getattr(customer, "pk", None),
                source=event_source,
                changes={
                    "title": [None, task.title],
                    "due_at": [None, due_at],
                    "assignee": [None, assignee.pk],
                },
            )
    except IntegrityError:
        existing = (
            Task.objects.filter(idempotency_key=idempotency_key).first()
            if idempotency_key
            else None
        )
        if existing is None:
            raise
        return existing
    return task


def _ensure_task_editable(actor: User, task: Task) -> None:
    if (
        task.assignee_id == actor.pk
        or task.created_by_id == actor.pk
        or has_perm(actor, Perm.TASK_ASSIGN)
    ):
        return
    raise PermissionDeniedError(_("Only the assignee or a supervisor can change this task."))


def task_update(*, actor: User, task: Task, data: dict[str, Any], source: str = Source.UI) -> Task:
    _ensure_task_editable(actor, task)
    if (
        "assignee" in data
        and data["assignee"] is not None
        and data["assignee"].pk != task.assignee_id
    ) and not has_perm(actor, Perm.TASK_ASSIGN):
        raise PermissionDeniedError(_("Only a supervisor can assign tasks to others."))
    with transaction.atomic():
        if "due_at" in data and "remind_at" not in data and data["due_at"] != task.due_at:
            data = {
                **data,
                "remind_at": data["due_at"] - dt.timedelta(minutes=DEFAULT_REMIND_MINUTES),
            }
        changes = model_update(instance=task, fields=TASK_FIELDS, data=data)
        if "remind_at" in changes:
            task.reminded_at = None
        if changes:
            task.save()
            activity_record(
                actor=actor,
                verb=Verb.UPDATED,
                target=task,
                customer_id=task.customer_id,
                changes=changes,
                source=source,
            )
    return task


def task_reschedule(*, actor: User, task: Task, day: dt.date, source: str = Source.UI) -> Task:
    """Move an open task to another day at the same local time (the calendar's drag and
    drop and its date input); audited as a change of the due time."""
    from django.utils import timezone

    if task.status != TaskStatus.OPEN:
        raise ApplicationError(
            _("Only an open task can be moved."), errors={"date": [_("This task is closed.")]}
        )
    local = timezone.localtime(task.due_at)
    due_at = timezone.make_aware(dt.datetime.combine(day, local.time().replace(tzinfo=None)))
    return task_update(actor=actor, task=task, data={"due_at": due_at}, source=source)


def task_complete(*, actor: User, task: Task, source: str = Source.UI) -> Task:
    _ensure_task_editable(actor, task)
    if task.status != TaskStatus.OPEN:
        return task
    with transaction.atomic():
        task.status = TaskStatus.DONE
        task.completed_at = clock.now()
        task.completed_by = actor
        task.save(update_fields=["status", "completed_at", "completed_by", "updated_at"])
        activity_record(
            actor=actor,
            verb=Verb.COMPLETED,
            target=task,
            customer_id=task.customer_id,
            changes={"status": [TaskStatus.OPEN, TaskStatus.DONE]},
            source=source,
        )
        _plan_moves_on(task)
        publish(
            Event(
                name="task.done",
                customer_id=task.customer_id,
                actor_id=actor.pk,
                source=source,
                payload={"task_id": task.pk},
            )
        )
    return task


def task_cancel(*, actor: User, task: Task, source: str = Source.UI) -> Task:
    _ensure_task_editable(actor, task)
    if task.status != TaskStatus.OPEN:
        return task
    with transaction.atomic():
        task.status = TaskStatus.CANCELLED
        task.save(update_fields=["status", "updated_at"])
        activity_record(
            actor=actor,
            verb=Verb.CANCELLED,
            target=task,
            customer_id=task.customer_id,
            changes={"status": [TaskStatus.OPEN, TaskStatus.CANCELLED]},
            source=source,
        )
        _plan_moves_on(task)
    return task


def _plan_moves_on(task: Task) -> None:
    """A maintenance plan's task done or skipped (cancelled): its next occurrence is due."""
    if task.source == TaskSource.PLAN:
        from guanxi.followups.plans.generation import occurrence_handled

        occurrence_handled(task=task)


def task_reminders_send(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Notify assignees of tasks whose reminder time has come. Safe to run twice: each task
    is claimed by a conditional UPDATE before its notice is written."""
    from guanxi.messaging.services import notification_create

    now = now or clock.now()
    sent = 0
    due = list(
        Task.objects.filter(status=TaskStatus.OPEN, reminded_at__isnull=True, remind_at__lte=now)
        .select_related("customer")
        .order_by("remind_at")[:limit]
    )
    for task in due:
        with transaction.atomic():
            if not Task.objects.filter(pk=task.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            customer = f" — {task.customer.name}" if task.customer else ""
            notification_create(
                user_id=task.assignee_id,
                kind="task_due",
                title=_("Task due %(time)s: %(title)s%(customer)s")
                % {"time": clock_local(task.due_at), "title": task.title, "customer": customer},
                url=reverse("followups:task_detail", args=[task.pk]),
                customer_id=task.customer_id,
                dedupe_key=f"task:{task.pk}:reminder:{task.remind_at.isoformat()}",
            )
            sent += 1
    return sent


def clock_local(value: dt.datetime) -> str:
    from django.utils import timezone

    return timezone.localtime(value).strftime("%m-%d %H:%M")


def followup_record_with_files(
    *, actor: User, customer: Customer, files: list | tuple = (), **fields: Any
) -> FollowUp:
    """Record a follow-up with its attachments in one transaction: a rejected file (type,
    size) leaves no follow-up, task or audit row behind."""
    with transaction.atomic():
        followup = followup_record(actor=actor, customer=customer, **fields)
        for upload in files:
            attachment_add(actor=actor, customer=customer, upload=upload, followup=followup)
    return followup
