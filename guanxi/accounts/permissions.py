"""Permissions, data scopes and masking: the one place that decides who sees what.

Every list, search, detail, API, export and count starts from `visible_to(user, qs)`.
Models that hang off a customer declare `SCOPE_PATH = "customer__"` so the same rule
applies to them without a second implementation.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.errors import PermissionDeniedError

if TYPE_CHECKING:
    from guanxi.accounts.models import User

M = TypeVar("M", bound=models.Model)


class Perm(StrEnum):
    CUSTOMER_VIEW = "customer.view"
    CUSTOMER_CREATE = "customer.create"
    CUSTOMER_EDIT = "customer.edit"
    CUSTOMER_DELETE = "customer.delete"
    CUSTOMER_REASSIGN = "customer.reassign"
    CUSTOMER_BULK = "customer.bulk"
    CUSTOMER_IMPORT = "customer.import"
    CUSTOMER_MERGE = "customer.merge"
    DATA_EXPORT = "data.export"
    CONTACT_VIEW_DETAILS = "contact.view_details"
    CONTACT_REVEAL = "contact.reveal"
    FOLLOWUP_RECORD = "followup.record"
    FOLLOWUP_REVIEW = "followup.review"
    TASK_ASSIGN = "task.assign"
    AUDIT_VIEW = "audit.view"
    REPORT_VIEW = "report.view"
    USER_MANAGE = "user.manage"
    ROLE_MANAGE = "role.manage"
    CONFIG_MANAGE = "config.manage"
    AUTOMATION_VIEW = "automation.view"
    AUTOMATION_MANAGE = "automation.manage"
    DEAL_EDIT = "deal.edit"
    ORDER_SYNC = "order.sync"
    PLAN_APPROVE = "plan.approve"


PERM_LABELS: dict[Perm, object] = {
    Perm.CUSTOMER_VIEW: gettext_lazy("View customers"),
    Perm.CUSTOMER_CREATE: gettext_lazy("Create customers"),
    Perm.CUSTOMER_EDIT: gettext_lazy("Edit customers"),
    Perm.CUSTOMER_DELETE: gettext_lazy("Delete customers"),
    Perm.CUSTOMER_REASSIGN: gettext_lazy("Reassign customers"),
    Perm.CUSTOMER_BULK: gettext_lazy("Bulk actions on customers"),
    Perm.CUSTOMER_IMPORT: gettext_lazy("Import customers from spreadsheets"),
    Perm.CUSTOMER_MERGE: gettext_lazy("Merge duplicate customers"),
    Perm.DATA_EXPORT: gettext_lazy("Export data (masked as on screen)"),
    Perm.CONTACT_VIEW_DETAILS: gettext_lazy("View contact details (unmasked phones and emails)"),
    Perm.CONTACT_REVEAL: gettext_lazy("Reveal a masked phone or email (audited)"),
    Perm.FOLLOWUP_RECORD: gettext_lazy("Record follow-ups"),
    Perm.FOLLOWUP_REVIEW: gettext_lazy("Review follow-ups"),
    Perm.TASK_ASSIGN: gettext_lazy("Assign tasks to others"),
    Perm.AUDIT_VIEW: gettext_lazy("Browse the audit log"),
    Perm.REPORT_VIEW: gettext_lazy("View reports"),
    Perm.USER_MANAGE: gettext_lazy("Manage users"),
    Perm.ROLE_MANAGE: gettext_lazy("Manage roles"),
    Perm.CONFIG_MANAGE: gettext_lazy("Manage configuration"),
    Perm.AUTOMATION_VIEW: gettext_lazy("View automation rules and their results"),
    Perm.AUTOMATION_MANAGE: gettext_lazy("Create, change and run automation rules"),
    Perm.DEAL_EDIT: gettext_lazy("Create deals and move them through the pipeline"),
    Perm.ORDER_SYNC: gettext_lazy("Import and sync orders from other systems"),
    Perm.PLAN_APPROVE: gettext_lazy("Approve or reject maintenance plans"),
}

_SALES = [
    Perm.CUSTOMER_VIEW, Perm.CUSTOMER_CREATE, Perm.CUSTOMER_EDIT,
    Perm.CONTACT_VIEW_DETAILS, Perm.FOLLOWUP_RECORD, Perm.DEAL_EDIT,
]  # fmt: skip
BUILTIN_ROLES: dict[str, dict] = {
    "sales": {"name": "销售专员", "name_en": "Sales", "scope": "own", "perms": _SALES},
    "supervisor": {
        "name": "销售主管", "name_en": "Supervisor", "scope": "team",
        "perms": [*_SALES, Perm.CUSTOMER_DELETE, Perm.CUSTOMER_REASSIGN, Perm.CUSTOMER_BULK,
                  Perm.CUSTOMER_IMPORT, Perm.CUSTOMER_MERGE, Perm.DATA_EXPORT, Perm.CONTACT_REVEAL,
                  Perm.FOLLOWUP_REVIEW, Perm.TASK_ASSIGN, Perm.AUDIT_VIEW, Perm.REPORT_VIEW,
                  Perm.AUTOMATION_VIEW, Perm.ORDER_SYNC, Perm.PLAN_APPROVE],
    },
    "service": {
        "name": "客服", "name_en": "Customer service", "scope": "own",
        "perms": [Perm.CUSTOMER_VIEW, Perm.CONTACT_VIEW_DETAILS, Perm.FOLLOWUP_RECORD],
    },
    "marketing": {
        "name": "市场", "name_en": "Marketing", "scope": "all",
        "perms": [Perm.CUSTOMER_VIEW, Perm.REPORT_VIEW, Perm.DATA_EXPORT, Perm.AUTOMATION_VIEW,
                  Perm.AUTOMATION_MANAGE],
    },
    "finance": {
        "name": "财务", "name_en": "Finance", "scope": "all",
        "perms": [Perm.CUSTOMER_VIEW, Perm.REPORT_VIEW, Perm.DATA_EXPORT, Perm.ORDER_SYNC],
    },
    "admin": {"name": "管理员", "name_en": "Admin", "scope": "all", "perms": list(Perm)},
}  # fmt: skip


def has_perm(user: User | None, perm: Perm | str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    role = user.role
    return role is not None and str(perm) in role.permissions


def require_perm(user: User | None, perm: Perm) -> None:
    if not has_perm(user, perm):
        raise PermissionDeniedError(
            _("You do not have permission to do this (%(perm)s).") % {"perm": PERM_LABELS[perm]}
        )


def effective_scope(user: User) -> str:
    return "all" if user.is_superuser else user.data_scope


def scope_signature(user: User | None) -> tuple:
    """Everything `visible_to` reads from the viewer: equal signatures give the same SQL with
    the same parameters (core.prepared caches compiled queries by it). Keep in step with
    scope_q and visible_to."""
    if user is None or not user.is_authenticated:
        return ("anonymous",)
    return (
        user.pk, user.is_superuser, user.is_active, effective_scope(user), user.team_id,
        user.department_id, tuple(user.scope_provinces or ()),
        tuple(user.scope_industries or ()), has_perm(user, Perm.CUSTOMER_VIEW),
    )  # fmt: skip


def scope_q(user: User, *, prefix: str = "") -> Q:
    """The Q that keeps only customers (reached through `prefix`) this user may see."""
    scope = effective_scope(user)
    owner = Q(**{f"{prefix}owner_id": user.pk})
    if scope == "all":
        q = Q()
    elif scope == "department":
        q = (
            owner | Q(**{f"{prefix}department_id": user.department_id})
            if user.department_id
            else owner
        )
    elif scope == "team":
        q = owner | Q(**{f"{prefix}team_id": user.team_id}) if user.team_id else owner
    else:
        q = owner
    if not user.is_superuser:
        if user.scope_provinces:
            q &= Q(**{f"{prefix}province__in": user.scope_provinces})
        if user.scope_industries:
            q &= Q(**{f"{prefix}industry__code__in": user.scope_industries})
    return q


def visible_to[M: models.Model](user: User | None, qs: models.QuerySet[M]) -> models.QuerySet[M]:
    """Restrict a queryset of customers, or of rows hanging off a customer, to the viewer."""
    if user is None or not user.is_authenticated or not has_perm(user, Perm.CUSTOMER_VIEW):
        return qs.none()
    prefix = getattr(qs.model, "SCOPE_PATH", "")
    q = scope_q(user, prefix=prefix)
    return qs.filter(q) if q else qs


def can_see_contact_details(user: User | None) -> bool:
    return has_perm(user, Perm.CONTACT_VIEW_DETAILS)


def mask_phone(value: str) -> str:
    """+8613812345678 -> 138****5678; keeps the first 3 and last 4 national digits."""
    if not value:
        return value
    digits = value[3:] if value.startswith("+86") else value.lstrip("+")
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_email(value: str) -> str:
    """zhang.san@example.com -> z***@example.com."""
    if not value or "@" not in value:
        return value
    local, _sep, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def shown_phone(user: User | None, value: str) -> str:
    return value if can_see_contact_details(user) else mask_phone(value)


def shown_email(user: User | None, value: str) -> str:
    return value if can_see_contact_details(user) else mask_email(value)
