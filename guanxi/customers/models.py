from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import TimeStamped


class LabelledChoice(models.Model):
    """A configurable list entry with a Chinese and an English label."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["order", "id"]

    def __str__(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Industry(LabelledChoice):
    class Meta(LabelledChoice.Meta):
        verbose_name = _("industry")
        verbose_name_plural = _("industries")


class Level(LabelledChoice):
    class Meta(LabelledChoice.Meta):
        verbose_name = _("customer level")
        verbose_name_plural = _("customer levels")


class Kind(models.TextChoices):
    COMPANY = "company", _("Company")
    INDIVIDUAL = "individual", _("Individual")


class Intent(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Stage(models.TextChoices):
    NEW = "new", pgettext_lazy("lifecycle stage", "New customer")
    REPEAT = "repeat", _("Repeat customer")
    CHURN_RISK = "churn_risk", _("Churn risk")


class CustomerSource(models.TextChoices):
    EXHIBITION = "exhibition", _("Exhibition")
    ONLINE = "online", _("Online promotion")
    REFERRAL = "referral", _("Referral by a customer")
    COLD_CALL = "cold_call", _("Cold call")
    INBOUND = "inbound", _("Inbound inquiry")
    OTHER = "other", _("Other")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    color = models.CharField(_("colour"), max_length=20, default="secondary")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerCodeSequence(models.Model):
    """Last number handed out per day; codes are never reused, even after a delete."""

    day = models.DateField(_("day"), unique=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("customer code sequence")
        verbose_name_plural = _("customer code sequences")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Customer(TimeStamped):
    code = models.CharField(_("customer code"), max_length=20, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.COMPANY)
    name = models.CharField(_("customer name"), max_length=200, db_index=True)
    # Kept in step with `name` by the services: prefix search without computing per query.
    name_pinyin = models.CharField(_("name in pinyin"), max_length=400, blank=True, editable=False)
    name_initials = models.CharField(
        _("pinyin initials"), max_length=200, blank=True, editable=False
    )
    # core.names.company_name_key(name), kept in step by the services: likely duplicates
    # (import de-duplication, the duplicate finder) meet in one index lookup.
    name_key = models.CharField(_("name key"), max_length=200, blank=True, editable=False)
    # The five foreign keys below lead composite indexes (Meta.indexes), which serve their
    # lookups: no single-column index of their own (each one costs every insert).
    industry = models.ForeignKey(
        Industry,
        verbose_name=_("industry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    source = models.CharField(
        _("source"), max_length=20, choices=CustomerSource.choices, blank=True
    )
    level = models.ForeignKey(
        Level,
        verbose_name=_("level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )
    intent = models.CharField(_("intent"), max_length=10, choices=Intent.choices, blank=True)
    stage = models.CharField(
        _("lifecycle stage"), max_length=20, choices=Stage.choices, default=Stage.NEW
    )
    demand = models.TextField(_("demand description"), blank=True)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_customers",
        db_index=False,
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        db_index=False,
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        db_index=False,
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    anniversary = models.DateField(_("cooperation anniversary"), null=True, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True, editable=False)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    external_source = models.CharField(_("external system"), max_length=50, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_source", "external_id"],
                condition=~Q(external_id=""),
                name="customer_external_unique",
            )
        ]
        indexes = [
            models.Index(fields=["team", "level", "intent"], name="customer_team_level"),
            # Level + intent filters with the default newest-first order: the index hands
            # out matching rows already in id order, so the first page stops after 50 rows
            # in scope instead of sorting every high-value customer (benchmarks/customers.py).
            models.Index(fields=["level", "intent", "-id"], name="customer_level_intent"),
            models.Index(fields=["owner", "level"], name="customer_owner_level"),
            models.Index(fields=["department", "level"], name="customer_dept_level"),
            models.Index(fields=["name_pinyin"], name="customer_pinyin"),
            models.Index(fields=["name_initials"], name="customer_initials"),
            models.Index(fields=["name_key"], name="customer_name_key"),
            models.Index(fields=["last_contact_at"], name="customer_last_contact"),
            models.Index(fields=["province", "city"], name="customer_region"),
            models.Index(fields=["industry", "level"], name="customer_industry"),
        ]

    def __str__(self) -> str:
        return self.name


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    PURCHASING = "purchasing", _("Purchasing")
    TECHNICAL = "technical", _("Technical")
    USER_DEPARTMENT = "user_department", _("User department")
    OTHER = "other", _("Other")


class Contact(TimeStamped):
    SCOPE_PATH = "customer__"

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("contact name"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    phone_alt = models.CharField(_("other phone"), max_length=32, blank=True)
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=100, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    decision_role = models.CharField(
        _("role in decision chain"), max_length=20, choices=DecisionRole.choices, blank=True
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)
    remarks = models.TextField(_("remarks"), blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_primary=True), name="contact_one_primary"
            )
        ]
        # Partial: most contacts have no second phone (and many no email). Indexing only
        # real values keeps the planner's statistics honest — with '' counted, SQLite's
        # ANALYZE judges the index useless and scans every contact. Lookups repeat the
        # condition (selectors.contact_lookup) so the index is usable.
        indexes = [
            models.Index(fields=["name"], name="contact_name"),
            models.Index(fields=["phone"], condition=~Q(phone=""), name="contact_phone"),
            models.Index(
                fields=["phone_alt"], condition=~Q(phone_alt=""), name="contact_phone_alt"
            ),
            models.Index(fields=["email"], condition=~Q(email=""), name="contact_email"),
        ]

    def __str__(self) -> str:
        return self.name or self.phone or self.email


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


class CustomFieldDefinition(models.Model):
    """An admin-defined field, for all customers or for one industry's."""

    industry = models.ForeignKey(
        Industry,
        verbose_name=_("industry"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty: applies to every industry."),
    )
    key = models.SlugField(_("key"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    field_type = models.CharField(
        _("type"), max_length=10, choices=FieldType.choices, default=FieldType.TEXT
    )
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["industry", "key"], name="custom_field_key")]

    def __str__(self) -> str:
        if self.label_en and (get_language() or "").startswith("en"):
            return self.label_en
        return self.label


class Attachment(models.Model):
    SCOPE_PATH = "customer__"

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="attachments"
    )
    followup = models.ForeignKey(
        "followups.FollowUp",
        verbose_name=_("follow-up"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name


class SavedView(models.Model):
    """A user's named customer-list filter ("my views")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filter"), max_length=2000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_view_name")]

    def __str__(self) -> str:
        return self.name
