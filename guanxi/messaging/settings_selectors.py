"""Reading what the messaging settings page shows. Suppressions belong to addresses, not to
a customer's owner: only administrators (config.manage) see them, and they see them all."""

from __future__ import annotations

from django.db.models import QuerySet

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, has_perm
from guanxi.messaging.models import InboundEndpoint, Suppression


def suppression_list(*, user: User, query: str = "") -> QuerySet[Suppression]:
    if not has_perm(user, Perm.CONFIG_MANAGE):
        return Suppression.objects.none()
    rows = Suppression.objects.select_related("customer").order_by("-created_at", "-id")
    return rows.filter(address__icontains=query) if query else rows


def suppression_get(*, user: User, pk: int) -> Suppression | None:
    return suppression_list(user=user).filter(pk=pk).first()


def inbound_endpoints(*, user: User) -> dict[str, InboundEndpoint]:
    if not has_perm(user, Perm.CONFIG_MANAGE):
        return {}
    return {e.kind: e for e in InboundEndpoint.objects.all()}
