"""Export jobs: who asked for which rows, in which file, and until when it can be fetched."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Entity(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    CONTACTS = "contacts", _("Contacts")
    FOLLOWUPS = "followups", _("Follow-ups")
    TASKS = "tasks", _("Tasks")
    DEALS = "deals", _("Deals")
    ORDERS = "orders", _("Orders")


class FileFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel (.xlsx)")
    CSV = "csv", _("CSV (UTF-8)")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class ExportJob(models.Model):
    """One export. The file lives under the data dir until `expires_at`; only its owner may
    download it. Field names double as the audit row's change labels."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="export_jobs",
    )
    entity = models.CharField(_("data"), max_length=20, choices=Entity.choices)
    query = models.CharField(_("filter"), max_length=2000, blank=True)
    selected_ids = models.JSONField(_("selected records"), default=list, blank=True)
    description = models.CharField(_("filter description"), max_length=500, blank=True)
    fields = models.JSONField(_("fields"), default=list)
    file_format = models.CharField(_("format"), max_length=10, choices=FileFormat.choices)
    # The worker writes headers and labels in the language of the person who asked.
    language = models.CharField(_("language"), max_length=10, blank=True)
    source = models.CharField(_("source"), max_length=20, default="ui")
    status = models.CharField(
        _("status"), max_length=20, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows expected"), null=True, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_path = models.CharField(_("file path"), max_length=500, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    # Moved on with every chunk; a running job whose heartbeat stops lost its worker.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="export_owner_time"),
            models.Index(
                fields=["expires_at"], condition=models.Q(status="done"), name="export_expiry"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_entity_display()} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in (ExportStatus.PENDING, ExportStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.row_count * 100 // self.total_rows)
