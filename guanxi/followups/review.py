"""跟进审核: a supervisor reviews the team's follow-ups, and sees the plan occurrences that
passed with nothing recorded (seed 001: a follow-up is recorded within 2 hours).

A plan occurrence misses its follow-up when its task's due time plus 2 hours has passed,
the task was not skipped, and no follow-up for that customer was recorded (created)
between the plan generating the task and that deadline.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, has_perm, require_perm, visible_to
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, NotFoundError
from guanxi.core.events import Event, publish
from guanxi.followups.models import FollowUp, PlanOccurrence, TaskStatus

RECORD_WITHIN = dt.timedelta(hours=2)
REVIEW_DAYS = 14
MISSING_DAYS = 30


def review_list(
    *, user: User, reviewed: bool | None = None, days: int = REVIEW_DAYS, author_id=None
) -> QuerySet[FollowUp]:
    """Recent follow-ups in the reviewer's scope, newest first."""
    if not has_perm(user, Perm.FOLLOWUP_REVIEW):
        return FollowUp.objects.none()
    since = clock.now() - dt.timedelta(days=days)
    qs = visible_to(
        user,
        FollowUp.objects.select_related("customer", "author", "contact", "reviewed_by"),
    ).filter(occurred_at__gte=since)
    if reviewed is not None:
        qs = qs.filter(reviewed_at__isnull=not reviewed)
    if author_id:
        qs = qs.filter(author_id=author_id)
    return qs.order_by("-occurred_at", "-id")


def missing_followups(
    *, user: User, days: int = MISSING_DAYS, now: dt.datetime | None = None
) -> QuerySet[PlanOccurrence]:
    """Plan occurrences in the viewer's scope whose follow-up is missing, latest first."""
    if not has_perm(user, Perm.FOLLOWUP_REVIEW):
        return PlanOccurrence.objects.none()
    now = now or clock.now()
    recorded = FollowUp.objects.filter(
        customer_id=OuterRef("customer_id"),
        created_at__gte=OuterRef("created_at"),
        created_at__lte=OuterRef("gx_deadline"),
    )
    qs = (
        visible_to(user, PlanOccurrence.objects.all())
        .filter(
            task__isnull=False,
            occurrence_date__gte=timezone.localdate(now) - dt.timedelta(days=days),
        )
        .exclude(task__status=TaskStatus.CANCELLED)
        .annotate(
            gx_deadline=ExpressionWrapper(
                F("task__due_at") + RECORD_WITHIN, output_field=DateTimeField()
            )
        )
        .filter(gx_deadline__lt=now)
        .exclude(Exists(recorded))
    )
    return qs.select_related("plan", "customer", "task", "task__assignee").order_by(
        "-occurrence_date", "-id"
    )


def followup_review(
    *, actor: User, followup: FollowUp, comment: str = "", source: str = Source.UI
) -> FollowUp:
    """Mark a follow-up reviewed, with an optional comment (a second review replaces it)."""
    require_perm(actor, Perm.FOLLOWUP_REVIEW)
    if not visible_to(actor, FollowUp.objects.filter(pk=followup.pk)).exists():
        raise NotFoundError(_("Follow-up not found."))
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ApplicationError(
            _("Please correct the errors below."),
            errors={"comment": [_("Keep the comment under 2,000 characters.")]},
        )
    with transaction.atomic():
        before = [followup.reviewed_at, followup.review_comment]
        followup.reviewed_at = clock.now()
        followup.reviewed_by = actor
        followup.review_comment = comment
        followup.save(update_fields=["reviewed_at", "reviewed_by", "review_comment"])
        activity_record(
            actor=actor,
            verb=Verb.UPDATED,
            target=followup,
            customer_id=followup.customer_id,
            changes={
                "reviewed_at": [before[0], followup.reviewed_at],
                "review_comment": [before[1] or None, comment or None],
            },
            summary=_("Reviewed: %(comment)s") % {"comment": comment} if comment else "",
            source=source,
        )
        publish(
            Event(
                name="followup.reviewed",
                customer_id=followup.customer_id,
                actor_id=actor.pk,
                source=source,
                payload={"followup_id": followup.pk, "author_id": followup.author_id},
            )
        )
    return followup
