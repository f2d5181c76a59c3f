"""The customer list's "enroll the selected customers in a rule" control, rendered by the
automation app so the customers app does not read automation's tables."""

from __future__ import annotations

from django import template

from guanxi.accounts.permissions import Perm, has_perm
from guanxi.automation import selectors

register = template.Library()


@register.inclusion_tag("automation/_enroll_selected.html", takes_context=True)
def enroll_selected_control(context: template.Context) -> dict:
    user = context["request"].user
    rules = (
        list(selectors.enrollable_rules(user=user))
        if has_perm(user, Perm.AUTOMATION_MANAGE)
        else []
    )
    return {"rules": rules}
