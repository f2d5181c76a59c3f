"""Reading suggestions through the viewer's scope, and the rules (for admins)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import visible_to
from guanxi.core.errors import NotFoundError
from guanxi.followups.suggestions.models import KeywordRule, Suggestion, SuggestionStatus


def suggestion_list(
    *, user: User, status: str = SuggestionStatus.PENDING, customer_id: int | None = None
) -> QuerySet[Suggestion]:
    qs = visible_to(
        user,
        Suggestion.objects.select_related("customer", "followup", "followup__author", "decided_by"),
    )
    if status:
        qs = qs.filter(status=status)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("-created_at", "-id")


def suggestion_get(*, user: User, pk: int) -> Suggestion:
    suggestion = suggestion_list(user=user, status="").filter(pk=pk).first()
    if suggestion is None:
        raise NotFoundError(_("Suggestion not found."))
    return suggestion


def rule_list() -> QuerySet[KeywordRule]:
    return KeywordRule.objects.order_by("order", "id")


def rule_get(*, pk: int) -> KeywordRule:
    rule = KeywordRule.objects.filter(pk=pk).first()
    if rule is None:
        raise NotFoundError(_("Rule not found."))
    return rule
