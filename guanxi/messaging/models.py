from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An in-app notice for one user (task due, customer assigned, …)."""

    # Indexes: every read is one user's inbox (notification_inbox), and the key is unique.
    # A user index of its own, a created_at index and the LIKE index PostgreSQL adds for a
    # unique text column were never read and cost a third of each insert (automation
    # writes notices 500 at a time).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    customer_id = models.BigIntegerField(_("customer"), null=True, blank=True)
    # One notice per cause: a scheduler that runs twice does not notify twice.
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox")
        ]
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="notification_once")]

    def __str__(self) -> str:
        return self.title


class CalendarFeed(models.Model):
    """A user's subscribed calendar (iCal) of their tasks and planned follow-ups.

    The URL carries a secret; only its SHA-256 is kept, so a database copy does not reveal
    feeds. A new URL replaces the old one (which stops working); deleting the row stops it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    key_hash = models.CharField(_("key fingerprint"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.user} calendar"


# --- email and SMS -----------------------------------------------------------------------


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Category(models.TextChoices):
    # Transactional messages (a receipt, a password, a ticket reply) go out whatever the
    # recipient's marketing consent; marketing ones respect unsubscribes, caps, quiet hours.
    TRANSACTIONAL = "transactional", _("Transactional")
    MARKETING = "marketing", _("Marketing")


class MessageTemplate(models.Model):
    """A named email or SMS template; its text lives in immutable versions."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.MARKETING
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    current_version = models.ForeignKey(
        "TemplateVersion",
        verbose_name=_("current version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["channel", "name"]

    def __str__(self) -> str:
        return self.name


class TemplateVersion(models.Model):
    """One saved text of a template. Never edited: a change saves a new version, and every
    message records the version it was rendered from."""

    template = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("template"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    html_body = models.TextField(_("HTML body"), blank=True)
    text_body = models.TextField(_("text body"), blank=True)
    # SMS only. Aliyun and Tencent send nothing but templates they approved: the code of
    # this version's own approved template (Aliyun TemplateCode, Tencent TemplateId), and
    # its variables as [name, expression] pairs — a list, because Tencent numbers them
    # ({1}, {2}, …) by position while Aliyun names them. Empty: the rendered text goes
    # through the one "carrier" template named in GUANXI_SMS_URL.
    provider_template_code = models.CharField(
        _("provider template code"), max_length=64, blank=True
    )
    provider_params = models.JSONField(_("provider template variables"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("template version")
        verbose_name_plural = _("template versions")
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="template_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    BOUNCED = "bounced", _("Bounced")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")
    CANCELLED = "cancelled", _("Cancelled")


class Message(models.Model):
    """One email or SMS to one recipient: what was rendered, and everything that happened to it.

    The rendered text is kept, so a retry sends exactly what was queued and the outbox shows
    what went out. `token` is random and names the message outside the database: its
    Message-ID, Reply-To, tracking and unsubscribe links."""

    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        db_index=False,  # leads the customer_messages index
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    recipient = models.CharField(_("recipient"), max_length=254)
    template_version = models.ForeignKey(
        TemplateVersion,
        verbose_name=_("template version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    # The targets of the tracked links, in order: a click URL names an index, so only these
    # addresses can be reached through it (no open redirect).
    links = models.JSONField(_("links"), default=list, blank=True)
    # An SMS through the provider's own template: {"code": …, "params": [[name, value], …]},
    # copied from the version and rendered when queued, so a retry sends exactly what was
    # queued and the worker renders nothing. Empty: the carrier template of GUANXI_SMS_URL.
    provider_template = models.JSONField(_("provider template"), default=dict, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    token = models.CharField(_("token"), max_length=32, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    reason = models.TextField(_("reason"), blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, default="ui")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("first opened"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("first clicked"), null=True, blank=True)
    replied_at = models.DateTimeField(_("first reply"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="customer_messages"),
            # Only rows a worker may pick up: stays small however many were sent.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["queued", "sending"]),
                name="message_due",
            ),
            models.Index(fields=["status", "-created_at"], name="message_status"),
            models.Index(fields=["recipient", "channel"], name="message_recipient"),
        ]

    def __str__(self) -> str:
        # No address: this text lands in the audit log and the customer timeline, which
        # people without the contact-details permission read.
        what = self.subject if self.channel == MessageChannel.EMAIL else self.body_text[:40]
        return f"{self.get_channel_display()}: {what}"


class EventKind(models.TextChoices):
    DELIVERED = "delivered", _("Delivered")
    OPENED = "opened", _("Opened")
    CLICKED = "clicked", _("Clicked")
    REPLIED = "replied", _("Replied")
    BOUNCED = "bounced", _("Bounced")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    # The recipient pressed "this is spam": their mailbox provider's feedback loop sent an
    # ARF report (RFC 5965).
    COMPLAINED = "complained", _("Marked as spam")


class MessageEvent(models.Model):
    """Something the recipient (or their server) did with a message."""

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    url = models.CharField(_("link"), max_length=2000, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    occurred_at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("message event")
        verbose_name_plural = _("message events")
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.kind}"


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Address bounced")
    COMPLAINED = "complained", _("Marked as spam")
    MANUAL = "manual", _("Opted out (recorded by staff)")


class Suppression(models.Model):
    """An address that must not get marketing (unsubscribed) or anything (bounced).

    Keyed by channel and address, not by contact: an address unsubscribes once, whichever
    customer or contact it is stored on, and a re-import cannot bring it back."""

    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    address = models.CharField(_("address"), max_length=254)
    reason = models.CharField(_("reason"), max_length=20, choices=SuppressionReason.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("since"))

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="suppression_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"


class MessagingSettings(models.Model):
    """The one row of pacing and tracking settings (pk=1), edited by admins."""

    quiet_start = models.TimeField(_("quiet hours start"), default=dt.time(21, 0))
    quiet_end = models.TimeField(_("quiet hours end"), default=dt.time(8, 0))
    quiet_for_sms = models.BooleanField(_("quiet hours apply to SMS"), default=True)
    quiet_for_marketing_email = models.BooleanField(
        _("quiet hours apply to marketing email"), default=True
    )
    marketing_cap = models.PositiveSmallIntegerField(
        _("marketing messages per customer and channel"), default=1
    )
    marketing_cap_hours = models.PositiveSmallIntegerField(_("… within hours"), default=24)
    email_per_minute = models.PositiveIntegerField(_("emails per minute (0 = no limit)"), default=0)
    sms_per_minute = models.PositiveIntegerField(_("SMS per minute (0 = no limit)"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts before failing"), default=5)
    interested_tag = models.CharField(
        _("tag for an open or click"), max_length=50, blank=True, default="感兴趣"
    )
    follow_up_tag = models.CharField(
        _("tag for a reply"), max_length=50, blank=True, default="需跟进"
    )
    company_name = models.CharField(_("company name"), max_length=100, blank=True)
    company_phone = models.CharField(_("company phone"), max_length=50, blank=True)
    company_website = models.CharField(_("company website"), max_length=200, blank=True)
    company_address = models.CharField(_("company address"), max_length=300, blank=True)
    email_signature = models.TextField(_("email signature"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("messaging settings")
        verbose_name_plural = _("messaging settings")

    def __str__(self) -> str:
        return "messaging settings"


class InboundEndpoint(models.Model):
    """The secret of an inbound webhook (replies by mail, SMS replies): only its SHA-256 kept."""

    class Kind(models.TextChoices):
        MAIL = "mail", _("Inbound mail")
        SMS = "sms", _("Inbound SMS")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, unique=True)
    key_hash = models.CharField(_("key fingerprint"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound endpoint")
        verbose_name_plural = _("inbound endpoints")

    def __str__(self) -> str:
        return self.kind


# --- reminders by intent ----------------------------------------------------------------


class Frequency(models.TextChoices):
    EVERY_N_DAYS = "every_n_days", _("Every N days")
    WEEKLY = "weekly", _("Weekly on a weekday")
    MONTH_END = "month_end", _("Last day of the month")


class ReminderMethod(models.TextChoices):
    IN_APP = "in_app", _("In-app")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class ReminderPolicy(models.Model):
    """Seed 003: remind owners to contact customers at a rhythm set by their intent."""

    name = models.CharField(_("name"), max_length=100)
    intent = models.CharField(_("intent"), max_length=10)
    customer_kind = models.CharField(_("customer type"), max_length=20, blank=True)
    frequency = models.CharField(_("frequency"), max_length=20, choices=Frequency.choices)
    interval_days = models.PositiveSmallIntegerField(_("every N days"), default=1)
    weekday = models.PositiveSmallIntegerField(_("weekday (0 = Monday)"), default=0)
    method = models.CharField(
        _("reminder by"), max_length=10, choices=ReminderMethod.choices, default="in_app"
    )
    task_title = models.CharField(_("task"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("reminder policy")
        verbose_name_plural = _("reminder policies")
        ordering = ["intent", "id"]

    def __str__(self) -> str:
        return self.name


class ReminderOccurrence(models.Model):
    """A policy's reminder for one customer on one day: the unique key is what keeps a
    scheduler that runs twice from creating two tasks."""

    policy = models.ForeignKey(
        ReminderPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    due_on = models.DateField(_("due on"))
    task = models.ForeignKey(
        "followups.Task",
        verbose_name=_("task"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "policy", "due_on"], name="reminder_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}:{self.customer_id}:{self.due_on}"


class UserMessagingPreference(models.Model):
    """Per-user choices about what Guanxi sends them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="messaging_preference",
    )
    daily_digest = models.BooleanField(_("daily digest email of my tasks"), default=True)
    task_reminder_minutes = models.PositiveSmallIntegerField(
        _("remind me of tasks (minutes before)"), default=60
    )

    class Meta:
        verbose_name = _("messaging preference")
        verbose_name_plural = _("messaging preferences")

    def __str__(self) -> str:
        return f"{self.user} preferences"
