from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    UI = "ui", _("Web UI")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    AUTOMATION = "automation", _("Automation")
    SYSTEM = "system", _("System")


class Verb(models.TextChoices):
    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")
    DELETED = "deleted", _("deleted")
    REASSIGNED = "reassigned", _("reassigned")
    REVEALED = "revealed", _("revealed contact details")
    TAGGED = "tagged", _("tagged")
    UNTAGGED = "untagged", _("untagged")
    FOLLOWED_UP = "followed_up", _("recorded a follow-up")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")
    ATTACHED = "attached", _("attached a file")
    LOGIN_FAILED = "login_failed", _("failed to log in")
    LOCKED = "locked", _("locked")
    MERGED = "merged", _("merged")
    DISMISSED = "dismissed", _("marked as not duplicates")
    MESSAGED = "messaged", _("sent a message")


class ActivityEvent(models.Model):
    """One row per write: the audit log and, where it names a customer, their timeline.

    Rows are never updated or deleted by the application. `customer` does not cascade
    and has no database constraint, so a deleted customer's history stays readable.
    """

    SCOPE_PATH = "customer__"

    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # leads activity_actor_time
    )
    verb = models.CharField(_("action"), max_length=30, choices=Verb.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.UI)
    target_type = models.CharField(_("object type"), max_length=50)
    target_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    target_repr = models.CharField(_("object"), max_length=200, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="activity",
        db_index=False,  # leads activity_customer_time
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("activity event")
        verbose_name_plural = _("activity events")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="activity_customer_time"),
            models.Index(fields=["target_type", "target_id"], name="activity_target"),
            models.Index(fields=["actor", "-occurred_at"], name="activity_actor_time"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor} {self.verb} {self.target_repr}"
