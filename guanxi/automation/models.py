"""Rules, their immutable versions, enrollments and step executions.

A rule's definition (trigger, condition tree, steps) lives in `RuleVersion` rows that are
never changed: editing an active rule writes a new version, and running journeys keep the
version they started with. Every step that runs is an `Execution` row; a wait is such a row
with a future `next_run_at`, never a sleeping worker.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TriggerKind(models.TextChoices):
    EVENT = "event", _("When something happens")
    NO_ACTION = "no_action", _("When nothing happens within a time")
    SCHEDULE = "schedule", _("On a schedule")
    CONDITION = "condition", _("When the conditions become true")
    ANNIVERSARY = "anniversary", _("On an anniversary")
    MANUAL = "manual", _("Manual or API enrollment")


class RuleStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("rule", "Draft")
    ACTIVE = "active", pgettext_lazy("rule", "Active")
    PAUSED = "paused", pgettext_lazy("rule", "Paused")


class Rule(models.Model):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RuleStatus.choices, default=RuleStatus.DRAFT
    )
    # Denormalised from the current version: what the event listener and the tick filter on.
    trigger_kind = models.CharField(
        _("trigger"), max_length=20, choices=TriggerKind.choices, default=TriggerKind.EVENT
    )
    trigger_event = models.CharField(_("event"), max_length=50, blank=True, db_index=True)
    current_version = models.ForeignKey(
        "RuleVersion",
        verbose_name=_("current version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    template_key = models.SlugField(_("template"), max_length=50, blank=True)
    is_system = models.BooleanField(_("system rule"), default=False)
    # Schedules and condition scans: the next instant the tick looks at this rule.
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    run_count = models.PositiveIntegerField(_("runs"), default=0)
    paused_reason = models.TextField(_("why paused"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["template_key"],
                condition=~models.Q(template_key=""),
                name="automation_rule_template_once",
            )
        ]

    def __str__(self) -> str:
        return self.name


class RuleVersion(models.Model):
    """One immutable definition of a rule. `definition` is the JSON a rule is exported as:
    {"trigger": {...}, "conditions": {...}, "steps": [...], "enrollment": {...}, "goal": {...}}."""

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="automation_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.number}"


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("enrollment", "In progress")
    COMPLETED = "completed", pgettext_lazy("enrollment", "Completed")
    EXITED = "exited", pgettext_lazy("enrollment", "Exited")
    FAILED = "failed", pgettext_lazy("enrollment", "Stopped on a failure")


class Enrollment(models.Model):
    """One customer's journey through one rule. Unique on (rule, customer, rotation): the
    database, not the code, makes "once per customer" (rotation 1) impossible to break."""

    SCOPE_PATH = "customer__"

    # Single-column indexes on rule and customer would repeat the leading column of
    # automation_enrollment_once / automation_enr_customer: every journey written (100,000 in
    # one set enrollment) would pay for them.
    # No database constraint on rule and version (nor on an execution's rule and customer):
    # PostgreSQL checks each foreign key row by row, and for a set enrollment those checks
    # cost more than writing the rows (100,000 journeys: 2.9 s of checks, 0.85 s without
    # these four). Rules and versions are few and deleted only through the ORM, which still
    # cascades / protects (docs/decisions.md, "Journey rows check their customer only").
    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="enrollments",
        db_index=False, db_constraint=False,
    )  # fmt: skip
    version = models.ForeignKey(
        RuleVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="+",
        db_constraint=False,
    )  # fmt: skip
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    rotation = models.PositiveIntegerField(_("rotation"), default=1)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=EnrollmentStatus.choices,
        default=EnrollmentStatus.ACTIVE,
    )
    depth = models.PositiveSmallIntegerField(_("event depth"), default=0)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    goal_reached_at = models.DateTimeField(_("goal reached at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "customer", "rotation"], name="automation_enrollment_once"
            )
        ]
        indexes = [
            models.Index(fields=["customer", "status"], name="automation_enr_customer"),
            models.Index(fields=["rule", "status"], name="automation_enr_rule_status"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.customer_id}#{self.rotation}"


class RuleMembership(models.Model):
    """Customers that matched a condition-triggered rule at its last scan. Entering the set
    (not matching → matching) is what enrolls; a customer who stays matching is not enrolled
    again, which is what makes re-enrollment a transition and not a repetition."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "customer"], name="automation_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.customer_id}"


class ExecutionStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("execution", "Pending")
    RUNNING = "running", pgettext_lazy("execution", "Running")
    DONE = "done", pgettext_lazy("execution", "Sent")
    FAILED = "failed", pgettext_lazy("execution", "Failed")
    SKIPPED = "skipped", pgettext_lazy("execution", "Skipped")


class Execution(models.Model):
    """One step of one enrollment: what runs, when, what happened, and what it produced."""

    SCOPE_PATH = "customer__"

    enrollment = models.ForeignKey(
        Enrollment,
        verbose_name=_("enrollment"),
        on_delete=models.CASCADE,
        related_name="executions",
        db_index=False,  # led by automation_execution_once (enrollment, step_id)
    )
    # The journey's rule and customer, copied for the status board and the viewer's scope;
    # the enrollment's constraints stand for them (see Enrollment.rule).
    rule = models.ForeignKey(
        Rule,
        verbose_name=_("rule"),
        on_delete=models.CASCADE,
        related_name="executions",
        db_index=False,  # led by automation_exe_rule_status
        db_constraint=False,
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    step_id = models.CharField(_("step"), max_length=40)
    action = models.CharField(_("action"), max_length=30)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ExecutionStatus.choices,
        default=ExecutionStatus.PENDING,
    )
    reason = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    lease_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("step execution")
        verbose_name_plural = _("step executions")
        constraints = [
            # A step runs at most once per journey, whatever the workers do.
            models.UniqueConstraint(
                fields=["enrollment", "step_id"], name="automation_execution_once"
            )
        ]
        indexes = [
            # In the claim's order (next_run_at, id): a claim reads its batch off the index
            # instead of sorting every due row (100,000 at once after a set enrollment).
            models.Index(
                fields=["next_run_at", "id"],
                name="automation_exe_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["rule", "status"], name="automation_exe_rule_status"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}:{self.step_id} {self.status}"


class CouponCode(models.Model):
    """A pool of single-use coupon codes; a step issues each code to one customer, once."""

    pool = models.SlugField(_("pool"), max_length=50)
    code = models.CharField(_("code"), max_length=100)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_key = models.CharField(
        _("issued for"), max_length=100, null=True, blank=True, unique=True
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("coupon code")
        verbose_name_plural = _("coupon codes")
        constraints = [
            models.UniqueConstraint(fields=["pool", "code"], name="automation_coupon_unique")
        ]
        indexes = [models.Index(fields=["pool", "issued_at"], name="automation_coupon_free")]

    def __str__(self) -> str:
        return f"{self.pool}:{self.code}"


class AutomationSettings(models.Model):
    """One row (pk=1): engine-wide thresholds an admin can change."""

    failure_pause_ratio = models.PositiveSmallIntegerField(
        _("pause a rule above this failure percentage"), default=10
    )
    failure_pause_minimum = models.PositiveIntegerField(
        _("…once it has at least this many executions"), default=20
    )
    max_depth = models.PositiveSmallIntegerField(_("rules triggering rules, at most"), default=3)
    webhook_allow_private = models.BooleanField(
        _("webhooks may call private and loopback addresses"), default=False
    )
    low_response_ratio = models.PositiveSmallIntegerField(
        _("flag rules whose response rate is below (%)"), default=5
    )

    class Meta:
        verbose_name = _("automation settings")
        verbose_name_plural = _("automation settings")

    def __str__(self) -> str:
        return "automation settings"
