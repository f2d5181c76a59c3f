"""The daily digest: one email per user listing their open tasks due today or overdue;
and each user's own notification preferences (digest on/off, task reminder minutes).

Sent through message_queue like every other email, with the idempotency key
`digest:<user>:<date>`, so a second run on the same day (a retried job, a second
scheduler) sends nothing. Users who opted out, have no email or nothing due get nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.accounts.models import User
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError
from guanxi.core.model_update import model_update
from guanxi.followups.models import Task, TaskStatus
from guanxi.messaging.models import Message, MessageChannel, UserMessagingPreference
from guanxi.messaging.sending import Content, message_queue

# A digest lists at most this many tasks; the rest are one link away.
MAX_TASKS = 100
_OPEN_BRACE = re.compile(r"\{")


def literal(text: str) -> str:
    """Text that message_queue's template engine (Jinja) prints as it is: task titles and
    customer names are data, and a "{{" in them must not be read as a variable."""
    return _OPEN_BRACE.sub("{{ '{' }}", text)


@dataclass(frozen=True, kw_only=True)
class DigestLine:
    title: str
    customer: str
    due: str
    overdue: bool
    url: str


def _day_bounds(now: dt.datetime) -> dt.datetime:
    today = timezone.localdate(now)
    return timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min))


def digest_recipients(*, now: dt.datetime):
    """Active users with an email, the digest not switched off, and an open task due by the
    end of today — one query."""
    due = Task.objects.filter(
        assignee=OuterRef("pk"), status=TaskStatus.OPEN, due_at__lt=_day_bounds(now)
    )
    opted_out = UserMessagingPreference.objects.filter(daily_digest=False).values("user_id")
    return (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .exclude(pk__in=opted_out)
        .filter(Exists(due))
        .order_by("pk")
    )


def _lines(*, user: User, now: dt.datetime) -> tuple[list[DigestLine], int]:
    qs = Task.objects.filter(
        assignee=user, status=TaskStatus.OPEN, due_at__lt=_day_bounds(now)
    ).select_related("customer")
    total = qs.count()
    base = settings.GUANXI_PUBLIC_URL.rstrip("/")
    lines = [
        DigestLine(
            title=task.title,
            customer=task.customer.name if task.customer else "",
            due=timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M"),
            overdue=task.due_at < now,
            url=f"{base}{reverse('followups:task_detail', args=[task.pk])}",
        )
        for task in qs.order_by("due_at", "pk")[:MAX_TASKS]
    ]
    return lines, total


def _text(*, heading: str, lines: list[DigestLine], total: int, more_url: str) -> str:
    out = [heading, ""]
    for line in lines:
        mark = f"[{_('overdue')}] " if line.overdue else ""
        customer = f" — {line.customer}" if line.customer else ""
        out.append(f"- {mark}{line.due} {line.title}{customer}\n  {line.url}")
    if total > len(lines):
        out.append(_("… and %(n)d more: %(url)s") % {"n": total - len(lines), "url": more_url})
    return "\n".join(out) + "\n"


def digest_send(*, user: User, now: dt.datetime) -> bool:
    """Queue the user's digest for the day of `now`. False when it was already queued or
    there is nothing to list."""
    key = f"digest:{user.pk}:{timezone.localdate(now).isoformat()}"
    if Message.objects.filter(idempotency_key=key).exists():
        return False
    with translation.override(user.language or settings.LANGUAGE_CODE):
        lines, total = _lines(user=user, now=now)
        if not lines:
            return False
        overdue = sum(line.overdue for line in lines)
        heading = ngettext(
            "%(n)d open task due today or overdue", "%(n)d open tasks due today or overdue", total
        ) % {"n": total}
        subject = _("Your tasks for %(date)s: %(heading)s") % {
            "date": timezone.localdate(now).isoformat(),
            "heading": heading,
        }
        more_url = f"{settings.GUANXI_PUBLIC_URL.rstrip('/')}{reverse('followups:tasks')}"
        context = {
            "heading": heading, "lines": lines, "total": total, "overdue": overdue,
            "more": total - len(lines), "more_url": more_url, "user": user,
            "preferences_url": settings.GUANXI_PUBLIC_URL.rstrip("/")
            + reverse("reminders:preferences"),
        }  # fmt: skip
        html = render_to_string("messaging/reminder_digest_email.html", context)
        text = _text(heading=heading, lines=lines, total=total, more_url=more_url)
    message_queue(
        actor=None,
        channel=MessageChannel.EMAIL,
        content=Content(subject=literal(subject), html=literal(html), text=literal(text)),
        category="transactional",
        recipient=user.email,
        idempotency_key=key,
        source=Source.SYSTEM,
    )
    return True


# --- preferences (every user, for themselves) ---------------------------------------------


def preference_get(*, user: User) -> UserMessagingPreference:
    """The user's preferences; defaults (unsaved) when they never changed them."""
    found = UserMessagingPreference.objects.filter(user=user).first()
    return found or UserMessagingPreference(user=user)


def preference_update(
    *, actor: User, daily_digest: bool, task_reminder_minutes: int, source: str = Source.UI
) -> UserMessagingPreference:
    if not 0 <= task_reminder_minutes <= 1440:
        raise ApplicationError(
            _("Please correct the errors below."),
            errors={"task_reminder_minutes": [_("Enter minutes from 0 to 1440 (one day).")]},
        )
    with transaction.atomic():
        pref, created = UserMessagingPreference.objects.select_for_update().get_or_create(
            user=actor
        )
        data = {"daily_digest": daily_digest, "task_reminder_minutes": task_reminder_minutes}
        changes = model_update(
            instance=pref, fields=["daily_digest", "task_reminder_minutes"], data=data
        )
        if changes:
            pref.save()
            activity_record(
                actor=actor,
                verb=Verb.UPDATED,
                target=pref,
                changes=changes,
                source=source,
            )
    return pref


# --- the digest job ---------------------------------------------------------------------


def digests_send(*, now: dt.datetime | None = None) -> int:
    """The 08:00 job: every recipient's digest. Returns how many were queued."""
    now = now or clock.now()
    return sum(digest_send(user=user, now=now) for user in digest_recipients(now=now).iterator())
