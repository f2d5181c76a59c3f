from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
    OTHER = "other", _("Other")


class FollowUp(models.Model):
    """跟进记录: one contact with a customer, by a person."""

    SCOPE_PATH = "customer__"

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="followups",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followups",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="followups",
    )
    occurred_at = models.DateTimeField(_("time"))
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.PHONE
    )
    content = models.TextField(_("content"))
    feedback = models.TextField(_("customer feedback"), blank=True)
    next_step = models.CharField(_("next step"), max_length=500, blank=True)
    next_followup_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # 跟进审核: a supervisor's review of the record (Perm.FOLLOWUP_REVIEW).
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A database default too: bulk loaders (the demo) write follow-ups as plain rows.
    review_comment = models.TextField(_("review comment"), blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="followup_customer_time"),
            models.Index(fields=["author", "-occurred_at"], name="followup_author_time"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.occurred_at:%Y-%m-%d}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class TaskPriority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class TaskSource(models.TextChoices):
    MANUAL = "manual", _("Manual")
    FOLLOWUP = "followup", _("Follow-up")
    AUTOMATION = "automation", _("Automation")
    PLAN = "plan", _("Maintenance plan")
    REMINDER = "reminder", _("Reminder policy")


class Task(models.Model):
    """待办. Plans and automation create tasks too; `idempotency_key` keeps them from doubling."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due"))
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    source = models.CharField(
        _("source"), max_length=20, choices=TaskSource.choices, default=TaskSource.MANUAL
    )
    followup = models.ForeignKey(
        FollowUp,
        verbose_name=_("from follow-up"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=200, null=True, blank=True, unique=True
    )
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee_due"),
            models.Index(
                fields=["remind_at"],
                condition=Q(status="open", reminded_at__isnull=True),
                name="task_reminder_due",
            ),
        ]

    def __str__(self) -> str:
        return self.title


# Maintenance plans and status suggestions live in their own modules; importing them here
# registers their models with this app (and its migrations).
from guanxi.followups.plans.models import (  # noqa: E402
    Assignment,
    Cycle,
    MaintenancePlan,
    PlanChannel,
    PlanOccurrence,
    PlanStatus,
    Weekday,
)
from guanxi.followups.suggestions.models import (  # noqa: E402
    KeywordRule,
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
)

__all__ = [
    "Assignment",
    "Channel",
    "Cycle",
    "FollowUp",
    "KeywordRule",
    "MaintenancePlan",
    "PlanChannel",
    "PlanOccurrence",
    "PlanStatus",
    "Suggestion",
    "SuggestionKind",
    "SuggestionStatus",
    "Task",
    "TaskPriority",
    "TaskSource",
    "TaskStatus",
    "Weekday",
]
