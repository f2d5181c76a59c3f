"""Import jobs, saved column mappings and what each job wrote (for reports, resume and undo)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Entity(models.TextChoices):
    CUSTOMERS = "customers", _("Customers with their primary contact")
    CONTACTS = "contacts", _("Contacts of existing customers")
    FOLLOWUPS = "followups", _("Follow-up history")


class Mode(models.TextChoices):
    SKIP = "skip", _("Skip duplicates")
    UPDATE = "update", _("Update existing customers")
    CREATE = "create", _("Create anyway")


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting for the check")
    CHECKING = "checking", _("Checking")
    VALIDATED = "validated", _("Checked, ready to import")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    UNDONE = "undone", _("Undone")


class ImportJob(models.Model):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    entity = models.CharField(
        _("what"), max_length=20, choices=Entity.choices, default=Entity.CUSTOMERS
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    # Relative to the data dir's imports/ folder; the upload is kept until the job is deleted.
    stored_path = models.CharField(_("stored file"), max_length=500)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    headers = models.JSONField(_("headers"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    mode = models.CharField(_("duplicates"), max_length=10, choices=Mode.choices, default=Mode.SKIP)
    automation = models.BooleanField(_("automation rules react"), default=False)
    # Set by "import without stopping at the check" (API, dry_run=false): the check task
    # starts the import itself when it finishes.
    start_after_check = models.BooleanField(_("start after the check"), default=False)
    default_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    message = models.CharField(_("message"), max_length=500, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    done_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("new"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0)
    likely_count = models.PositiveIntegerField(_("likely duplicates"), default=0)
    invalid_count = models.PositiveIntegerField(_("invalid"), default=0)
    # Dry-run figures, kept beside the real ones so the result page can show both.
    check_counts = models.JSONField(_("check result"), default=dict, blank=True)
    # The last data row (1-based, header excluded) whose batch committed: resume starts after it.
    last_committed_row = models.PositiveIntegerField(_("last committed row"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Written with every batch: a running job whose heartbeat is old lost its worker.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    duration = models.FloatField(_("duration (s)"), null=True, blank=True)
    error_report = models.CharField(_("error report"), max_length=500, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @property
    def progress(self) -> int:
        if not self.total_rows:
            return 100 if self.status == Status.DONE else 0
        return min(100, round(100 * self.done_rows / self.total_rows))

    @property
    def counts_dict(self) -> dict[str, int]:
        return {
            "created": self.created_count,
            "updated": self.updated_count,
            "duplicates": self.duplicate_count,
            "likely": self.likely_count,
            "invalid": self.invalid_count,
        }

    @property
    def is_checked_only(self) -> bool:
        """Checked but not imported: the list shows what the check expects, marked as such."""
        return self.status == Status.VALIDATED

    @property
    def list_counts(self) -> dict[str, int]:
        if self.is_checked_only:
            return {key: self.check_counts.get(key, 0) for key in self.counts_dict}
        return self.counts_dict

    @property
    def is_active(self) -> bool:
        return self.status in (Status.CHECKING, Status.QUEUED, Status.RUNNING)


class ImportTemplate(models.Model):
    """A named column mapping, reused for files of the same shape."""

    name = models.CharField(_("name"), max_length=100)
    entity = models.CharField(
        _("what"), max_length=20, choices=Entity.choices, default=Entity.CUSTOMERS
    )
    mapping = models.JSONField(_("column mapping"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("import template")
        verbose_name_plural = _("import templates")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "name"], name="import_template_name")
        ]

    def __str__(self) -> str:
        return self.name


class Action(models.TextChoices):
    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")


class ImportRecord(models.Model):
    """One row the job wrote: undo deletes what was created and restores `before` snapshots."""

    job = models.ForeignKey(
        ImportJob, verbose_name=_("import job"), on_delete=models.CASCADE, related_name="records"
    )
    row = models.PositiveIntegerField(_("row"))
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    customer_id = models.BigIntegerField(_("customer"), null=True, blank=True)
    contact_id = models.BigIntegerField(_("contact"), null=True, blank=True)
    followup_id = models.BigIntegerField(_("follow-up"), null=True, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)

    class Meta:
        verbose_name = _("import record")
        verbose_name_plural = _("import records")
        indexes = [models.Index(fields=["job", "row"], name="import_record_job_row")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row} {self.action}"


class ProblemKind(models.TextChoices):
    INVALID = "invalid", _("invalid")
    DUPLICATE = "duplicate", _("duplicate")
    LIKELY = "likely", _("likely duplicate")


class ImportProblem(models.Model):
    """A row that was not imported (or imported with a warning), with the reason shown."""

    job = models.ForeignKey(
        ImportJob, verbose_name=_("import job"), on_delete=models.CASCADE, related_name="problems"
    )
    row = models.PositiveIntegerField(_("row"))
    kind = models.CharField(_("kind"), max_length=10, choices=ProblemKind.choices)
    reason = models.CharField(_("reason"), max_length=1000)
    # For duplicates: the existing customer the row matched (only ever shown if visible).
    customer_id = models.BigIntegerField(_("customer"), null=True, blank=True)
    dry_run = models.BooleanField(_("from the check"), default=False)

    class Meta:
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["job", "dry_run", "row"], name="import_problem_job_row")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row} {self.reason}"
