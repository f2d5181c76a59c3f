"""维护计划: maintenance plans, their approval state, and the occurrences they generated.

Imported by guanxi/followups/models.py, so the app's migrations see these models.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.customers.models import Stage


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Cycle(models.TextChoices):
    EVERY_N_DAYS = "days", _("Every N days")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class PlanChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
    BUSINESS_REVIEW = "business_review", _("Business review")


class Assignment(models.TextChoices):
    CUSTOMER_OWNER = "owner", _("The customer's owner")
    TEAM_LEADER = "team_leader", _("The owner's team leader")
    USER = "user", _("A named person")


class MaintenancePlan(models.Model):
    """One plan definition, for one customer or for every customer of a segment (level /
    lifecycle stage / tag, all given criteria together) within its author's data scope."""

    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="maintenance_plans",
    )
    level = models.ForeignKey(
        "customers.Level",
        verbose_name=_("level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    stage = models.CharField(_("lifecycle stage"), max_length=20, choices=Stage.choices, blank=True)
    tag = models.ForeignKey(
        "customers.Tag",
        verbose_name=_("tag"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cycle = models.CharField(_("cycle"), max_length=20, choices=Cycle.choices)
    interval_days = models.PositiveSmallIntegerField(_("every N days"), null=True, blank=True)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), choices=Weekday.choices, null=True, blank=True
    )
    day_of_month = models.PositiveSmallIntegerField(_("day of month"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=PlanChannel.choices)
    content = models.TextField(_("content points"), blank=True)
    assign_to = models.CharField(
        _("tasks go to"),
        max_length=20,
        choices=Assignment.choices,
        default=Assignment.CUSTOMER_OWNER,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_plans",
    )
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    next_date = models.DateField(_("next date"), null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    template_key = models.CharField(_("template"), max_length=50, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="authored_plans",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("approved or rejected at"), null=True, blank=True)
    decision_comment = models.TextField(_("approval comment"), blank=True)
    last_generated_at = models.DateTimeField(_("tasks last generated"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False)
                | Q(level__isnull=False)
                | ~Q(stage="")
                | Q(tag__isnull=False),
                name="plan_has_target",
            )
        ]
        indexes = [models.Index(fields=["status", "cycle"], name="plan_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_segment(self) -> bool:
        return self.customer_id is None


class PlanOccurrence(models.Model):
    """One occurrence of a plan for one customer, and the task generated for it.

    Unique on (plan, customer, occurrence date): a generation run that repeats, or two runs
    at once, never create a second task for the same occurrence."""

    SCOPE_PATH = "customer__"

    plan = models.ForeignKey(
        MaintenancePlan,
        verbose_name=_("maintenance plan"),
        on_delete=models.CASCADE,
        related_name="occurrences",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="plan_occurrences",
        db_index=False,  # served by customer_plan_occurrence
    )
    occurrence_date = models.DateField(_("date"))
    task = models.OneToOneField(
        "followups.Task",
        verbose_name=_("task"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_occurrence",
    )
    # When its task was done or skipped; empty while the task is open.
    handled_at = models.DateTimeField(_("done or skipped at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("plan occurrence")
        verbose_name_plural = _("plan occurrences")
        ordering = ["-occurrence_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "customer", "occurrence_date"], name="plan_occurrence_once"
            )
        ]
        indexes = [
            # "Has an open occurrence": the few open rows per plan, not its whole history.
            models.Index(
                fields=["plan", "customer"],
                condition=Q(handled_at__isnull=True),
                name="plan_occurrence_open",
            ),
            # Rows a generation run has inserted and not yet linked to their task.
            models.Index(
                fields=["plan"], condition=Q(task__isnull=True), name="plan_occurrence_unlinked"
            ),
            models.Index(fields=["customer", "-occurrence_date"], name="customer_plan_occurrence"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.occurrence_date:%Y-%m-%d}"
