"""Template filters for customer pages: masked contact details, badges, icons."""

from __future__ import annotations

from django import template

from guanxi.accounts.permissions import (
    Perm,
    can_see_contact_details,
    has_perm,
    shown_email,
    shown_phone,
)
from guanxi.core import clock
from guanxi.core.phones import display_phone
from guanxi.customers import selectors, timeline
from guanxi.customers.models import Contact, Customer

register = template.Library()

INTENT_BADGES = {"high": "text-bg-danger", "medium": "text-bg-warning", "low": "text-bg-secondary"}
STAGE_BADGES = {"new": "text-bg-info", "repeat": "text-bg-success", "churn_risk": "text-bg-dark"}
PRIORITY_BADGES = {
    4: "text-bg-danger",
    3: "text-bg-warning",
    2: "text-bg-light",
    1: "text-bg-light",
}


@register.filter
def phone_for(value: str, user) -> str:
    """`{{ contact.phone|phone_for:user }}`: 138 1234 5678, or 138****5678 for a viewer who may
    not see contact details."""
    if not value:
        return ""
    return display_phone(value) if can_see_contact_details(user) else shown_phone(user, value)


@register.filter
def email_for(value: str, user) -> str:
    return shown_email(user, value) if value else ""


@register.filter
def primary_contact(customer: Customer) -> Contact | None:
    return selectors.primary_contact(customer)


@register.filter
def intent_badge(intent: str) -> str:
    return INTENT_BADGES.get(intent, "text-bg-light")


@register.filter
def stage_badge(stage: str) -> str:
    return STAGE_BADGES.get(stage, "text-bg-light")


@register.filter
def priority_badge(priority: int) -> str:
    return PRIORITY_BADGES.get(priority, "text-bg-light")


@register.filter
def channel_icon(channel: str) -> str:
    return timeline.channel_icon(channel)


@register.filter
def is_overdue(task) -> bool:
    return task.status == "open" and task.due_at < clock.now()


@register.filter
def phone_display(value: str) -> str:
    """Unmasked, formatted: only for a value the viewer may see (e.g. just revealed)."""
    return display_phone(value) if value else ""


@register.filter
def changeable_by(task, user) -> bool:
    """Whether to offer done / cancel on a task row; the service decides for real."""
    return task.status == "open" and (
        user.pk in (task.assignee_id, task.created_by_id) or has_perm(user, Perm.TASK_ASSIGN)
    )
