"""Deals (opportunities) moving through configurable pipeline stages, and orders synced from
sales, e-commerce and ERP systems — both hang off a customer and are scoped through it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.core.models import TimeStamped
from guanxi.customers.models import LabelledChoice


class StageKind(models.TextChoices):
    OPEN = "open", pgettext_lazy("deal stage kind", "Open")
    WON = "won", pgettext_lazy("deal stage kind", "Won")
    LOST = "lost", pgettext_lazy("deal stage kind", "Lost")


class DealStage(LabelledChoice):
    """A pipeline column: 初步接触 → 需求确认 → 方案报价 → 意向洽谈中 → 已成交 / 已流失 by default,
    configurable by administrators (deals/0002 seeds the defaults)."""

    probability = models.PositiveSmallIntegerField(
        _("default probability (%)"),
        default=0,
        help_text=_("A deal moved into this stage takes this probability; it can be changed."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=StageKind.choices, default="open")

    class Meta(LabelledChoice.Meta):
        verbose_name = _("deal stage")
        verbose_name_plural = _("deal stages")
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="deal_stage_probability_range"
            )
        ]

    @property
    def is_closed(self) -> bool:
        return self.kind != StageKind.OPEN


class Deal(TimeStamped):
    """商机: a sale being worked on with one customer."""

    SCOPE_PATH = "customer__"

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="deals",
        db_index=False,  # leads deal_customer
    )
    title = models.CharField(_("title"), max_length=200)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2, default=0)
    stage = models.ForeignKey(
        DealStage,
        verbose_name=_("stage"),
        on_delete=models.PROTECT,
        related_name="deals",
        db_index=False,  # leads deal_stage_close
    )
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=0)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deals",
        db_index=False,  # leads deal_owner_stage
    )
    next_step = models.CharField(_("next step"), max_length=500, blank=True)
    next_step_date = models.DateField(_("next step date"), null=True, blank=True)
    notes = models.TextField(_("products and notes"), blank=True)
    closed_on = models.DateField(_("won or lost on"), null=True, blank=True)
    close_reason = models.CharField(_("reason won or lost"), max_length=500, blank=True)
    stage_changed_at = models.DateTimeField(_("in this stage since"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["expected_close_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="deal_probability_range"
            ),
        ]
        indexes = [
            # A board column: one stage's deals by expected close (the first cards), and its
            # GROUP BY totals read the stage's rows through the same index.
            models.Index(fields=["stage", "expected_close_date", "id"], name="deal_stage_close"),
            models.Index(fields=["owner", "stage"], name="deal_owner_stage"),
            models.Index(fields=["customer", "-created_at"], name="deal_customer"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def weighted_amount(self):
        return self.amount * self.probability / 100


class OrderStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("order status", "Awaiting payment")
    PAID = "paid", pgettext_lazy("order status", "Paid")
    SHIPPED = "shipped", pgettext_lazy("order status", "Shipped")
    COMPLETED = "completed", pgettext_lazy("order status", "Completed")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")
    REFUNDED = "refunded", pgettext_lazy("order status", "Refunded")


# Orders that did not turn into a purchase: left out of counts and totals.
VOID_STATUSES = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)


class Order(TimeStamped):
    """One purchase, as another system (shop, ERP, POS) reported it; unique per
    (source, external_id), so syncing the same order again updates it."""

    SCOPE_PATH = "customer__"

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="orders",
        db_index=False,  # leads order_customer_time
    )
    source = models.CharField(_("source system"), max_length=50)
    external_id = models.CharField(_("external id"), max_length=100)
    number = models.CharField(_("order number"), max_length=100)
    ordered_at = models.DateTimeField(_("ordered at"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices)
    items_summary = models.TextField(_("items"), blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="order_source_external"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["customer", "ordered_at"], name="order_customer_time"),
            models.Index(fields=["ordered_at"], name="order_time"),
        ]

    def __str__(self) -> str:
        return self.number
