"""How a duplicate reason reads: 同一手机号 138****5678, 名称相似 92%."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from guanxi.customers.templatetags.customer_tags import email_for, phone_for

register = template.Library()


@register.filter
def reason_text(reason: dict, user) -> str:
    kind = reason.get("kind")
    if kind == "phone":
        return _("Same phone %(phone)s") % {"phone": phone_for(reason.get("value", ""), user)}
    if kind == "email":
        return _("Same email %(email)s") % {"email": email_for(reason.get("value", ""), user)}
    if kind == "name":
        return _("Names alike %(similarity)s%%") % {"similarity": reason.get("similarity", 0)}
    if kind == "region":
        return _("Same region %(region)s") % {"region": reason.get("value", "")}
    return str(kind)


@register.filter
def score_badge(score: int) -> str:
    if score >= 90:
        return "text-bg-danger"
    if score >= 75:
        return "text-bg-warning"
    return "text-bg-secondary"
