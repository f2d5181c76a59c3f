"""Writing message templates: create, edit (a new immutable version), activate, deactivate.

Managing templates is configuration (Perm.CONFIG_MANAGE); using them is open to everyone
with customer access (see template_selectors). Every text is checked by the sandbox before
it is stored, so a saved template always renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, ConflictError
from guanxi.customers.models import Customer
from guanxi.messaging import rendering, sending
from guanxi.messaging.models import (
    Category,
    Message,
    MessageChannel,
    MessageTemplate,
    TemplateVersion,
)

SMS_MAX_LENGTH = 500
SUBJECT_MAX_LENGTH = 200
METADATA_FIELDS = ("name", "category", "language", "description")
TEXT_FIELDS = ("subject", "html_body", "text_body")


@dataclass(frozen=True, kw_only=True)
class TemplateText:
    """The three texts of a version; SMS uses only `text_body`."""

    subject: str = ""
    html_body: str = ""
    text_body: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "subject": self.subject,
            "html_body": self.html_body,
            "text_body": self.text_body,
        }


def text_problems(*, channel: str, text: TemplateText) -> dict[str, list[str]]:
    """Field → author-facing messages for texts that cannot be saved (empty when fine)."""
    errors: dict[str, list[str]] = {}
    if channel == MessageChannel.SMS:
        if not text.text_body.strip():
            errors["text_body"] = [_("An SMS template needs its text.")]
        elif len(text.text_body) > SMS_MAX_LENGTH:
            errors["text_body"] = [
                _("An SMS template can have at most %(max)s characters (it has %(count)s).")
                % {"max": SMS_MAX_LENGTH, "count": len(text.text_body)}
            ]
    else:
        if not text.subject.strip():
            errors["subject"] = [_("An email needs a subject.")]
        elif len(text.subject) > SUBJECT_MAX_LENGTH:
            errors["subject"] = [
                _("The subject can have at most %(max)s characters.") % {"max": SUBJECT_MAX_LENGTH}
            ]
        if not text.html_body.strip() and not text.text_body.strip():
            errors["html_body"] = [_("An email needs an HTML body or a text body.")]
    checks = [("text_body", text.text_body, False)]
    if channel == MessageChannel.EMAIL:
        checks += [("subject", text.subject, False), ("html_body", text.html_body, True)]
    for field, source, html_mode in checks:
        if field in errors or not source:
            continue
        try:
            rendering.check(source=source, html_mode=html_mode)
        except rendering.TemplateProblem as problem:
            errors[field] = [str(problem)]
    return errors


def _stored_text(*, channel: str, text: TemplateText) -> TemplateText:
    # An SMS has no subject or HTML: drop them rather than keep text nobody can see.
    if channel == MessageChannel.SMS:
        return TemplateText(text_body=text.text_body)
    return text


def _metadata_problems(*, data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "name" in data and not str(data["name"]).strip():
        errors["name"] = [_("Give the template a name.")]
    if "category" in data and data["category"] not in Category.values:
        errors["category"] = [_("Choose transactional or marketing.")]
    if "language" in data and data["language"] not in dict(settings.LANGUAGES):
        errors["language"] = [_("Choose one of the languages Guanxi speaks.")]
    return errors


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ApplicationError(_("The template cannot be saved; see the fields."), errors=errors)


@transaction.atomic
def template_create(
    *,
    actor: User,
    key: str,
    name: str,
    channel: str,
    category: str,
    language: str,
    description: str = "",
    subject: str = "",
    html_body: str = "",
    text_body: str = "",
    source: str = Source.UI,
) -> MessageTemplate:
    """A new template with version 1 as its current text."""
    require_perm(actor, Perm.CONFIG_MANAGE)
    key = (key or "").strip()
    errors = _metadata_problems(data={"name": name, "category": category, "language": language})
    try:
        validate_slug(key)
    except Exception:  # noqa: BLE001 - Django's ValidationError; one message for the author
        errors["key"] = [_("Use letters, digits, hyphens and underscores only.")]
    else:
        if MessageTemplate.objects.filter(key=key).exists():
            errors["key"] = [_("Another template already has this key.")]
    if channel not in MessageChannel.values:
        errors["channel"] = [_("Choose email or SMS.")]
    else:
        text = TemplateText(subject=subject, html_body=html_body, text_body=text_body)
        errors.update(text_problems(channel=channel, text=text))
    _raise(errors)
    now = clock.now()
    template = MessageTemplate(
        key=key,
        name=name.strip(),
        channel=channel,
        category=category,
        language=language,
        description=(description or "").strip(),
        is_active=True,
        created_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:  # a concurrent create took the key between the check and the save
        raise ApplicationError(
            _("The template cannot be saved; see the fields."),
            errors={"key": [_("Another template already has this key.")]},
        ) from None
    version = _version_add(actor=actor, template=template, text=text, number=1)
    template.current_version = version
    template.save(update_fields=["current_version"])
    activity_record(
        actor=actor,
        verb=Verb.CREATED,
        target=template,
        changes={"key": key, "channel": channel, "version": 1},
        source=source,
    )
    return template


def _version_add(
    *, actor: User, template: MessageTemplate, text: TemplateText, number: int
) -> TemplateVersion:
    stored = _stored_text(channel=template.channel, text=text)
    return TemplateVersion.objects.create(
        template=template,
        number=number,
        subject=stored.subject,
        html_body=stored.html_body,
        text_body=stored.text_body,
        created_by=actor if actor.pk else None,
        created_at=clock.now(),
    )


@transaction.atomic
def template_update(
    *,
    actor: User,
    template: MessageTemplate,
    name: str | None = None,
    category: str | None = None,
    language: str | None = None,
    description: str | None = None,
    subject: str = "",
    html_body: str = "",
    text_body: str = "",
    expected_version: int | None = None,
    source: str = Source.UI,
) -> MessageTemplate:
    """Change the metadata in place; a changed text becomes a new current version.

    Key and channel stay: automation rules name templates by key, and every message already
    sent from a version was of this channel. `expected_version` (the version number the
    editor started from) turns a concurrent edit into a ConflictError instead of losing it."""
    require_perm(actor, Perm.CONFIG_MANAGE)
    # Lock the row: two saves at once must not both become "version N+1".
    template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
    current = template.current_version
    if expected_version is not None and (current.number if current else 0) != expected_version:
        raise ConflictError(
            _("Someone saved this template meanwhile (now version %(number)s); reload the page.")
            % {"number": current.number if current else 0}
        )
    data = {
        name_: value
        for name_, value in {
            "name": name.strip() if name is not None else None,
            "category": category,
            "language": language,
            "description": description.strip() if description is not None else None,
        }.items()
        if value is not None
    }
    text = _stored_text(
        channel=template.channel,
        text=TemplateText(subject=subject, html_body=html_body, text_body=text_body),
    )
    errors = _metadata_problems(data=data)
    errors.update(text_problems(channel=template.channel, text=text))
    _raise(errors)
    changes: dict[str, Any] = {}
    for field, value in data.items():
        if getattr(template, field) != value:
            changes[field] = [getattr(template, field), value]
            setattr(template, field, value)
    old_text = TemplateText(
        subject=current.subject, html_body=current.html_body, text_body=current.text_body
    ) if current else None  # fmt: skip
    if text != old_text:
        number = (current.number if current else 0) + 1
        template.current_version = _version_add(
            actor=actor, template=template, text=text, number=number
        )
        changes["version"] = [current.number if current else None, number]
    if not changes:
        return template
    template.updated_at = clock.now()
    template.save()
    activity_record(actor=actor, verb=Verb.UPDATED, target=template, changes=changes, source=source)
    return template


def _set_active(
    *, actor: User, template: MessageTemplate, active: bool, source: str
) -> MessageTemplate:
    require_perm(actor, Perm.CONFIG_MANAGE)
    with transaction.atomic():
        template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
        if template.is_active == active:
            return template
        template.is_active = active
        template.updated_at = clock.now()
        template.save(update_fields=["is_active", "updated_at"])
        activity_record(
            actor=actor,
            verb=Verb.UPDATED,
            target=template,
            changes={"is_active": [not active, active]},
            source=source,
        )
    return template


def template_deactivate(
    *, actor: User, template: MessageTemplate, source: str = Source.UI
) -> MessageTemplate:
    """Stop offering the template; messages already queued from it still go."""
    return _set_active(actor=actor, template=template, active=False, source=source)


def template_activate(
    *, actor: User, template: MessageTemplate, source: str = Source.UI
) -> MessageTemplate:
    return _set_active(actor=actor, template=template, active=True, source=source)


def template_send_test(
    *,
    actor: User,
    template: MessageTemplate,
    version: TemplateVersion | None = None,
    customer: Customer | None = None,
    source: str = Source.UI,
) -> Message:
    """Queue the template (as rendered for `customer`, if any) to the actor's own address.

    Always transactional: a test is asked for, so consent and caps do not apply. The caller
    has already found `template` and `customer` through the selectors (the viewer's scope);
    message_queue checks the customer's scope once more and records the activity."""
    channel = template.channel
    address = actor.email if channel == MessageChannel.EMAIL else actor.phone
    if not address:
        raise ApplicationError(
            _("Add an email address to your profile to receive test emails.")
            if channel == MessageChannel.EMAIL
            else _("Add a mobile number to your profile to receive test SMS.")
        )
    version = version or template.current_version
    if version is None or version.template_id != template.pk:
        raise ApplicationError(_("This template has no text yet."))
    found = sending.recipient_for(customer=customer, channel=channel) if customer else None
    return sending.message_queue(
        actor=actor,
        channel=channel,
        customer=customer,
        version=version,
        category=Category.TRANSACTIONAL,
        recipient=address,
        contact=found.contact if found else None,
        source=source,
    )
