"""Duplicate groups found by the finder, pairs people dismissed, and merged-away customers.

The finder's scan of the whole customer base runs in the background (quality.tasks) and
stores its result here; pages and the API read these rows through the viewer's scope.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DuplicateGroup(models.Model):
    """Customers that are probably one: linked by a shared phone, email or name in one region."""

    score = models.PositiveSmallIntegerField(_("score"))
    # Codes of why they match: [{"kind": "phone"|"email"|"name", "value": …, "similarity": n}].
    reasons = models.JSONField(_("reasons"), default=list)
    # Sorted member ids joined by commas: a rebuild recognises a group it found before.
    key = models.CharField(_("members key"), max_length=500, unique=True)
    # When this group was found or last changed; the last scan's time is CheckScan "duplicates".
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("duplicate group")
        verbose_name_plural = _("duplicate groups")
        ordering = ["-score", "id"]
        indexes = [models.Index(fields=["-score", "id"], name="duplicate_group_score")]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.score})"


class DuplicateMember(models.Model):
    SCOPE_PATH = "customer__"

    group = models.ForeignKey(
        DuplicateGroup,
        verbose_name=_("duplicate group"),
        on_delete=models.CASCADE,
        related_name="members",
    )
    # Deleting (or merging away) a customer drops it from its group at once.
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta:
        verbose_name = _("duplicate group member")
        verbose_name_plural = _("duplicate group members")
        constraints = [
            models.UniqueConstraint(fields=["group", "customer"], name="duplicate_member_unique")
        ]
        indexes = [models.Index(fields=["customer"], name="duplicate_member_customer")]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.customer_id}"


class DuplicateDismissal(models.Model):
    """ "Not duplicates": the finder never links this pair again. Stored low id first."""

    SCOPE_PATH = "customer_low__"

    customer_low = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    customer_high = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("other customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dismissed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    dismissed_at = models.DateTimeField(_("dismissed at"))

    class Meta:
        verbose_name = _("dismissed duplicate pair")
        verbose_name_plural = _("dismissed duplicate pairs")
        constraints = [
            models.UniqueConstraint(
                fields=["customer_low", "customer_high"], name="duplicate_dismissal_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(customer_low__lt=models.F("customer_high")),
                name="duplicate_dismissal_ordered",
            ),
        ]
        indexes = [models.Index(fields=["customer_high"], name="duplicate_dismissal_high")]

    def __str__(self) -> str:
        return f"{self.customer_low_id} ≠ {self.customer_high_id}"


class MergedCustomer(models.Model):
    """A customer merged into another: its code, name and external id lead to the survivor.

    Upserts by (external_source, external_id) look here when no customer has the pair, so an
    integration that still sends a merged-away id updates the survivor instead of recreating
    the duplicate.
    """

    SCOPE_PATH = "survivor__"

    survivor = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("merged into"),
        on_delete=models.CASCADE,
        related_name="merged_aliases",
    )
    merged_id = models.BigIntegerField(_("former id"), unique=True)
    code = models.CharField(_("customer code"), max_length=20, unique=True)
    name = models.CharField(_("customer name"), max_length=200)
    external_source = models.CharField(_("external system"), max_length=50, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    merged_at = models.DateTimeField(_("merged at"))
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("merged customer")
        verbose_name_plural = _("merged customers")
        ordering = ["-merged_at", "-id"]
        indexes = [
            models.Index(
                fields=["external_source", "external_id"],
                condition=~models.Q(external_id=""),
                name="merged_customer_external",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} → {self.survivor_id}"


class CheckScan(models.Model):
    """When the nightly scan last ran a data-quality check (or the duplicate scan, slug
    "duplicates"), and how far it read.

    Checks like "invalid phones" match few rows that no index can find: counting them live
    reads every contact (seconds at a million). The scan records the matching rows
    (`CheckHit`); pages re-check those rows plus every row added since (id above
    `scanned_to`) live, so a fixed row disappears at once and a new one shows at once."""

    check_slug = models.CharField(_("check"), max_length=30, unique=True)
    scanned_to = models.BigIntegerField(_("highest id read"))
    scanned_at = models.DateTimeField(_("scanned at"))

    class Meta:
        verbose_name = _("data-quality check scan")
        verbose_name_plural = _("data-quality check scans")

    def __str__(self) -> str:
        return f"{self.check_slug} ≤ {self.scanned_to}"


class CheckHit(models.Model):
    """A row (contact or customer, by the check) that failed a check at the last scan."""

    check_slug = models.CharField(_("check"), max_length=30)
    row_id = models.BigIntegerField(_("row id"))

    class Meta:
        verbose_name = _("data-quality check hit")
        verbose_name_plural = _("data-quality check hits")
        constraints = [
            models.UniqueConstraint(fields=["check_slug", "row_id"], name="check_hit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.check_slug}: {self.row_id}"
