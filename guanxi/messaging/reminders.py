"""Reminder policies by intent (seed 003 跟进提醒规则): admins edit them, a daily run turns
them into tasks for the customers' owners and reminds the owners.

The run is set-based because one policy can cover 100,000 customers: one query finds the
customers due under a policy, and tasks, reminder occurrences and audit rows go in with
one multi-row statement (COPY on PostgreSQL) per few hundred rows. The unique
(customer, policy, due_on) key of ReminderOccurrence is what makes a second run on the
same day — a second scheduler, a retried job — create nothing.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm
from guanxi.activity.models import ActivityEvent, Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, NotFoundError
from guanxi.core.model_update import jsonable, model_update
from guanxi.customers.bulk import allocate_ids, rows_insert
from guanxi.customers.models import Customer, Intent, Kind
from guanxi.demo.bulk import RowWriter
from guanxi.followups.models import Task, TaskPriority, TaskStatus
from guanxi.followups.services import DEFAULT_REMIND_MINUTES
from guanxi.messaging.digest import literal
from guanxi.messaging.models import (
    Frequency,
    MessageChannel,
    ReminderMethod,
    ReminderOccurrence,
    ReminderPolicy,
    UserMessagingPreference,
)
from guanxi.messaging.sending import Content, message_queue
from guanxi.messaging.services import NewNotification, notifications_create_many

POLICY_FIELDS = [
    "name", "intent", "customer_kind", "frequency", "interval_days", "weekday", "method",
    "task_title", "is_active",
]  # fmt: skip
# Reminder tasks are due when the working day ends (as new tasks in the UI are).
END_OF_WORKING_DAY = dt.time(18, 0)
# Marks a task as made by a reminder policy (TaskSource has no choice for it yet).
REMINDER_SOURCE = "reminder"
MAX_INTERVAL_DAYS = 365


# --- policies (admins) -------------------------------------------------------------------


def reminder_policy_list(*, user: User):
    require_perm(user, Perm.CONFIG_MANAGE)
    return ReminderPolicy.objects.order_by("-is_active", "intent", "id")


def reminder_policy_get(*, user: User, pk: int) -> ReminderPolicy:
    require_perm(user, Perm.CONFIG_MANAGE)
    policy = ReminderPolicy.objects.filter(pk=pk).first()
    if policy is None:
        raise NotFoundError(_("Reminder policy not found."))
    return policy


def policy_rhythm(policy: ReminderPolicy) -> str:
    """The policy's rhythm in words, for lists and the API."""
    if policy.frequency == Frequency.EVERY_N_DAYS:
        n = policy.interval_days
        return ngettext("every day", "every %(n)d days", n) % {"n": n}
    if policy.frequency == Frequency.WEEKLY:
        return _("every %(weekday)s") % {"weekday": WEEKDAYS.get(policy.weekday, "?")}
    return _("on the last day of each month")


def _validate(data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if not str(data.get("name") or "").strip():
        errors["name"] = [_("Enter a name.")]
    if not str(data.get("task_title") or "").strip():
        errors["task_title"] = [_("Enter the task the owner gets.")]
    if data.get("intent") not in Intent.values:
        errors["intent"] = [_("Choose an intent level.")]
    if (data.get("customer_kind") or "") not in ["", *Kind.values]:
        errors["customer_kind"] = [_("Choose a customer type.")]
    if data.get("frequency") not in Frequency.values:
        errors["frequency"] = [_("Choose a frequency.")]
    if data.get("method") not in ReminderMethod.values:
        errors["method"] = [_("Choose how to remind.")]
    days = data.get("interval_days")
    if data.get("frequency") == Frequency.EVERY_N_DAYS and not (
        isinstance(days, int) and 1 <= days <= MAX_INTERVAL_DAYS
    ):
        errors["interval_days"] = [
            _("Enter a number of days from 1 to %(max)d.") % {"max": MAX_INTERVAL_DAYS}
        ]
    weekday = data.get("weekday")
    if data.get("frequency") == Frequency.WEEKLY and not (
        isinstance(weekday, int) and 0 <= weekday <= 6
    ):
        errors["weekday"] = [_("Choose a weekday.")]
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)


def reminder_policy_save(
    *,
    actor: User,
    policy: ReminderPolicy | None = None,
    data: dict[str, Any],
    source: str = Source.UI,
) -> ReminderPolicy:
    """Create a policy, or change one (the fields not in `data` keep their values)."""
    require_perm(actor, Perm.CONFIG_MANAGE)
    creating = policy is None
    current = {f: getattr(policy, f) for f in POLICY_FIELDS} if policy else {}
    merged = {**current, **{k: v for k, v in data.items() if k in POLICY_FIELDS}}
    merged.setdefault("customer_kind", "")
    merged.setdefault("interval_days", 1)
    merged.setdefault("weekday", 0)
    merged.setdefault("is_active", True)
    merged.setdefault("method", ReminderMethod.IN_APP)
    for text in ("name", "task_title"):
        merged[text] = str(merged.get(text) or "").strip()
    _validate(merged)
    instance = policy or ReminderPolicy(created_at=clock.now())
    with transaction.atomic():
        changes = model_update(instance=instance, fields=POLICY_FIELDS, data=merged)
        if not changes and not creating:
            return instance
        instance.updated_at = clock.now()
        instance.save()
        activity_record(
            actor=actor,
            verb=Verb.CREATED if creating else Verb.UPDATED,
            target=instance,
            changes=changes,
            source=source,
        )
    return instance


def reminder_policy_deactivate(
    *, actor: User, policy: ReminderPolicy, source: str = Source.UI
) -> ReminderPolicy:
    """Stop a policy; its past reminders and tasks stay. Deactivating twice changes nothing."""
    return reminder_policy_save(
        actor=actor, policy=policy, data={"is_active": False}, source=source
    )


# --- the daily run ------------------------------------------------------------------------


def policy_due_today(policy: ReminderPolicy, today: dt.date) -> bool:
    """Whether the policy's calendar rule fires today at all (every-N-days always may:
    which customers are due depends on their last reminder)."""
    if policy.frequency == Frequency.WEEKLY:
        return today.weekday() == policy.weekday
    if policy.frequency == Frequency.MONTH_END:
        return today.day == calendar.monthrange(today.year, today.month)[1]
    return True


def _due_customers(policy: ReminderPolicy, today: dt.date) -> list[tuple[int, int, int | None]]:
    """(customer id, owner id, still-open reminder task id or None) for every customer due
    under the policy today — one query, nothing filtered in Python."""
    window_start = today
    if policy.frequency == Frequency.EVERY_N_DAYS:
        # Due when the last reminder was N or more days ago: none in the last N-1 days.
        window_start = today - dt.timedelta(days=max(policy.interval_days, 1) - 1)
    recent = ReminderOccurrence.objects.filter(
        policy=policy, customer=OuterRef("pk"), due_on__gte=window_start
    )
    open_task = (
        ReminderOccurrence.objects.filter(
            policy=policy, customer=OuterRef("pk"), task__status=TaskStatus.OPEN
        )
        .order_by("-due_on")
        .values("task_id")[:1]
    )
    qs = Customer.objects.filter(
        intent=policy.intent, owner__isnull=False, owner__is_active=True
    ).filter(~Exists(recent))
    if policy.customer_kind:
        qs = qs.filter(kind=policy.customer_kind)
    return list(
        qs.annotate(open_task=Subquery(open_task))
        .order_by("pk")
        .values_list("pk", "owner_id", "open_task")
    )


@dataclass
class OwnerReminders:
    """What one owner got today, across policies, by reminder method."""

    new: Counter = field(default_factory=Counter)  # task title → new tasks
    still_open: int = 0


@dataclass
class RunReport:
    created: int = 0
    still_open: int = 0
    by_method: dict[str, dict[int, OwnerReminders]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(OwnerReminders))
    )


_TASK_COLUMNS = [
    "id", "title", "description", "customer_id", "assignee_id", "created_by_id", "due_at",
    "priority", "status", "source", "followup_id", "idempotency_key", "remind_at",
    "reminded_at", "completed_at", "completed_by_id", "created_at", "updated_at",
]  # fmt: skip
_OCCURRENCE_COLUMNS = ["policy_id", "customer_id", "due_on", "task_id"]
_ACTIVITY_COLUMNS = [
    "occurred_at", "actor_id", "verb", "source", "target_type", "target_id", "target_repr",
    "customer_id", "changes", "summary",
]  # fmt: skip


def _remind_minutes(owner_ids: set[int]) -> dict[int, int]:
    chosen = dict(
        UserMessagingPreference.objects.filter(user_id__in=owner_ids).values_list(
            "user_id", "task_reminder_minutes"
        )
    )
    return {pk: chosen.get(pk, DEFAULT_REMIND_MINUTES) for pk in owner_ids}


def _policy_apply(*, policy: ReminderPolicy, today: dt.date, report: RunReport) -> None:
    """One policy's reminders for today, all or nothing. A concurrent run that got there
    first makes our insert hit the unique key: roll back and look again (it then finds
    those customers already reminded)."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                due = _policy_write(policy=policy, today=today)
        except IntegrityError:
            if attempt:
                raise
            continue
        # Counted only once the rows are in: a rolled-back attempt leaves the report as it was.
        _count(policy=policy, due=due, report=report)
        return


def _policy_write(*, policy: ReminderPolicy, today: dt.date) -> list[tuple[int, int, int | None]]:
    due = _due_customers(policy, today)
    if not due:
        return due
    fresh = [(c, o) for c, o, t in due if t is None]
    writer = RowWriter()
    now = clock.now()
    stamp = writer.timestamp(now.astimezone(dt.UTC))
    due_at = timezone.make_aware(dt.datetime.combine(today, END_OF_WORKING_DAY))
    due_stamp = writer.timestamp(due_at.astimezone(dt.UTC))
    minutes = _remind_minutes({o for _c, o in fresh})
    task_ids = allocate_ids(Task, len(fresh)) if fresh else []
    title = policy.task_title[:200]
    tasks, activity = [], []
    for pk, (customer_id, owner_id) in zip(task_ids, fresh, strict=True):
        remind_at = due_at - dt.timedelta(minutes=minutes[owner_id])
        tasks.append(
            (
                pk, title, "", customer_id, owner_id, None, due_stamp, TaskPriority.NORMAL.value,
                TaskStatus.OPEN.value, REMINDER_SOURCE, None,
                f"reminder:{policy.pk}:{customer_id}:{today.isoformat()}",
                writer.timestamp(remind_at.astimezone(dt.UTC)), None, None, None, stamp, stamp,
            )
        )  # fmt: skip
        changes = {"title": [None, title], "due_at": [None, due_at], "assignee": [None, owner_id]}
        activity.append(
            (
                stamp, None, Verb.CREATED.value, Source.SYSTEM.value, Task._meta.label_lower, pk, title,
                customer_id, json.dumps(jsonable(changes), ensure_ascii=False),
                policy.name[:500],
            )
        )  # fmt: skip
    new_task = dict(zip((c for c, _o in fresh), task_ids, strict=True))
    occurrences = [(policy.pk, c, today.isoformat(), new_task.get(c, t)) for c, _o, t in due]
    rows_insert(Task._meta.db_table, _TASK_COLUMNS, tasks)
    rows_insert(ReminderOccurrence._meta.db_table, _OCCURRENCE_COLUMNS, occurrences)
    rows_insert(ActivityEvent._meta.db_table, _ACTIVITY_COLUMNS, activity)
    return due


def _count(*, policy: ReminderPolicy, due: list, report: RunReport) -> None:
    owners = report.by_method[policy.method]
    for _c, owner_id, open_task in due:
        if open_task is None:
            owners[owner_id].new[policy.task_title] += 1
            report.created += 1
        else:
            owners[owner_id].still_open += 1
            report.still_open += 1


def reminders_run(*, today: dt.date | None = None) -> int:
    """Create today's reminder tasks for every active policy and remind their owners.
    Returns how many tasks it created; a second run on the same day creates none."""
    today = today or clock.today()
    report = RunReport()
    for policy in ReminderPolicy.objects.filter(is_active=True).order_by("pk"):
        if policy_due_today(policy, today):
            _policy_apply(policy=policy, today=today, report=report)
    _remind_owners(report=report, today=today)
    return report.created


# --- reminding the owners -----------------------------------------------------------------


def _summary(got: OwnerReminders) -> tuple[str, list[str]]:
    """(headline, one line per task title) in the active language."""
    total = sum(got.new.values())
    headline = ngettext(
        "%(n)d new follow-up task today", "%(n)d new follow-up tasks today", total
    ) % {"n": total}
    lines = [f"{title} × {n}" for title, n in sorted(got.new.items())]
    if got.still_open:
        lines.append(
            ngettext(
                "%(n)d earlier reminder task is still open",
                "%(n)d earlier reminder tasks are still open",
                got.still_open,
            )
            % {"n": got.still_open}
        )
    return headline, lines


def _remind_owners(*, report: RunReport, today: dt.date) -> None:
    """One reminder per owner per day and method, for owners who got new tasks."""
    owner_ids = {pk for owners in report.by_method.values() for pk, g in owners.items() if g.new}
    users = {u.pk: u for u in User.objects.filter(pk__in=owner_ids)}
    tasks_url = reverse("followups:tasks")
    notices: list[NewNotification] = []
    for method, owners in report.by_method.items():
        for owner_id, got in owners.items():
            user = users.get(owner_id)
            if user is None or not got.new:
                continue
            with translation.override(user.language or settings.LANGUAGE_CODE):
                headline, lines = _summary(got)
                address = user.email if method == ReminderMethod.EMAIL else user.phone
                if method != ReminderMethod.IN_APP and address:
                    _send(user=user, method=method, address=address, today=today,
                          headline=headline, lines=lines, url=tasks_url)  # fmt: skip
                    continue
                # In-app — also when the owner has no address for the chosen channel, so a
                # reminder is never silently lost.
                notices.append(
                    NewNotification(
                        user_id=owner_id,
                        kind="reminder",
                        title=headline,
                        body="\n".join(lines),
                        url=tasks_url,
                        dedupe_key=f"reminders:{owner_id}:{today.isoformat()}:{method}",
                    )
                )
    notifications_create_many(notifications=notices)


def _send(
    *, user: User, method: str, address: str, today: dt.date, headline: str, lines: list[str],
    url: str,
) -> None:  # fmt: skip
    link = f"{settings.GUANXI_PUBLIC_URL.rstrip('/')}{url}"
    text = "\n".join([headline, *lines, link])
    if method == ReminderMethod.SMS:
        content = Content(text=literal(text))
    else:
        items = "".join(f"<li>{escape(line)}</li>" for line in lines)
        html = (
            f"<p>{escape(headline)}</p><ul>{items}</ul>"
            f'<p><a href="{escape(link)}">{escape(_("Open my tasks"))}</a></p>'
        )
        content = Content(subject=literal(headline), html=literal(html), text=literal(text))
    message_queue(
        actor=None,
        channel=MessageChannel.SMS if method == ReminderMethod.SMS else MessageChannel.EMAIL,
        content=content,
        category="transactional",
        recipient=address,
        idempotency_key=f"reminders:{user.pk}:{today.isoformat()}:{method}",
        source=Source.SYSTEM,
    )
