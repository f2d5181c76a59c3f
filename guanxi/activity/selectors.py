"""Reading the audit trail and customer timelines, scoped to the viewer."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from guanxi.accounts.permissions import Perm, effective_scope, has_perm, scope_q
from guanxi.activity.models import ActivityEvent


def activity_visible(*, user) -> QuerySet[ActivityEvent]:
    """Rows about customers the viewer may see, plus the viewer's own actions.

    Auditors with an "all" scope see everything, including rows with no customer.
    """
    qs = ActivityEvent.objects.select_related("actor")
    if not user.is_authenticated:
        return qs.none()
    if effective_scope(user) == "all" and has_perm(user, Perm.AUDIT_VIEW):
        return qs
    own = Q(actor_id=user.pk)
    if not has_perm(user, Perm.CUSTOMER_VIEW):
        return qs.filter(own)
    customer_q = scope_q(user, prefix="customer__")
    return qs.filter((Q(customer_id__isnull=False) & customer_q) | own)


def activity_list(
    *,
    user,
    actor_id: int | None = None,
    verb: str = "",
    source: str = "",
    target_type: str = "",
    customer_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[ActivityEvent]:
    qs = activity_visible(user=user)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if verb:
        qs = qs.filter(verb=verb)
    if source:
        qs = qs.filter(source=source)
    if target_type:
        qs = qs.filter(target_type=target_type)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if since:
        qs = qs.filter(occurred_at__gte=since)
    if until:
        qs = qs.filter(occurred_at__lt=until)
    return qs.order_by("-occurred_at", "-id")


def customer_timeline(*, customer_id: int, limit: int = 50) -> list[ActivityEvent]:
    """Timeline of one customer; the caller has already fetched the customer through scope."""
    return list(
        ActivityEvent.objects.filter(customer_id=customer_id)
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:limit]
    )
