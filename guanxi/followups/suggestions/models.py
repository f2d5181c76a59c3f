"""Status suggestions (seed 003): keyword rules an admin edits, and the suggestions they
make after a follow-up is saved. Imported by guanxi/followups/models.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SuggestionKind(models.TextChoices):
    SET_INTENT = "set_intent", _("Set the intent")
    SET_LEVEL = "set_level", _("Set the level")
    ADD_TAG = "add_tag", _("Add a tag")
    DEAL_STAGE = "deal_stage", _("Move the open deal to a stage")


def value_label(kind: str, value: str) -> str:
    """The value as a person reads it: 高 for intent "high", the level's or stage's name."""
    from guanxi.customers.models import Intent, Level

    if kind == SuggestionKind.SET_INTENT and value in Intent.values:
        return str(Intent(value).label)
    if kind == SuggestionKind.SET_LEVEL:
        level = Level.objects.filter(code=value).first()
        return str(level) if level else value
    if kind == SuggestionKind.DEAL_STAGE:
        from guanxi.followups.suggestions.deals_bridge import stage_label

        return stage_label(value)
    return value


class KeywordRule(models.Model):
    """If a follow-up mentions any of the keywords (and, when given, the expected close date
    is within N days), suggest one change."""

    name = models.CharField(_("name"), max_length=100)
    keywords = models.JSONField(_("keywords (any of)"), default=list)
    close_within_days = models.PositiveSmallIntegerField(
        _("expected close within (days)"), null=True, blank=True
    )
    kind = models.CharField(_("suggested change"), max_length=20, choices=SuggestionKind.choices)
    value = models.CharField(
        _("value"),
        max_length=100,
        help_text=_("Intent code, level code, tag name or deal stage, by the kind."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("suggestion rule")
        verbose_name_plural = _("suggestion rules")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def value_label(self) -> str:
        return value_label(self.kind, self.value)


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("suggestion status", "Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class Suggestion(models.Model):
    SCOPE_PATH = "customer__"

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="suggestions",
    )
    followup = models.ForeignKey(
        "followups.FollowUp",
        verbose_name=_("follow-up"),
        on_delete=models.CASCADE,
        related_name="suggestions",
    )
    rule = models.ForeignKey(
        KeywordRule,
        verbose_name=_("rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
    )
    kind = models.CharField(_("suggested change"), max_length=20, choices=SuggestionKind.choices)
    value = models.CharField(_("value"), max_length=100)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SuggestionStatus.choices,
        default=SuggestionStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["followup", "kind", "value"], name="suggestion_once_per_followup"
            )
        ]
        indexes = [
            models.Index(fields=["customer", "status"], name="suggestion_customer_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value_label}"

    @property
    def value_label(self) -> str:
        return value_label(self.kind, self.value)
