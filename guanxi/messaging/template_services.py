"""Writing message templates: create, edit (a new immutable version), activate, deactivate.

Managing templates is configuration (Perm.CONFIG_MANAGE); using them is open to everyone
with customer access (see template_selectors). Every text is checked by the sandbox before
it is stored, so a saved template always renders.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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
PROVIDER_CODE_MAX_LENGTH = 64
# Aliyun codes look like SMS_154950909, Tencent's are digits; nothing else can be a code.
PROVIDER_CODE = re.compile(r"[A-Za-z0-9_-]+")
PROVIDER_PARAM_NAME = re.compile(r"[A-Za-z0-9_]+")
METADATA_FIELDS = ("name", "category", "language", "description")
TEXT_FIELDS = ("subject", "html_body", "text_body")
PROVIDER_FIELDS = ("provider_template_code", "provider_params")
# Everything a version holds: changing any of it saves a new version.
VERSION_FIELDS = TEXT_FIELDS + PROVIDER_FIELDS

ProviderParams = tuple[tuple[str, ...], ...]


def provider_params_tuple(value: Sequence[Any] | None) -> ProviderParams:
    """[[name, expression], …] (as the JSON field, the form and the API give them) as
    comparable tuples. A malformed item keeps its wrong length for text_problems to name."""
    pairs = []
    for item in value or ():
        if isinstance(item, list | tuple):
            pairs.append(tuple(str(part) for part in item))
        else:
            pairs.append((str(item),))
    return tuple(pairs)


@dataclass(frozen=True, kw_only=True)
class TemplateText:
    """What a version holds: three texts (SMS uses only `text_body`) and, for SMS, the
    provider's own template code and its variables as (name, expression) pairs."""

    subject: str = ""
    html_body: str = ""
    text_body: str = ""
    provider_template_code: str = ""
    provider_params: ProviderParams = ()

    def __post_init__(self) -> None:
        # Lists from JSON and tuples compare unequal: normalise, so an unchanged mapping
        # does not look like a change that needs a new version.
        object.__setattr__(self, "provider_template_code", self.provider_template_code.strip())
        object.__setattr__(self, "provider_params", provider_params_tuple(self.provider_params))

    @classmethod
    def of(cls, version: TemplateVersion) -> TemplateText:
        return cls(**{field: getattr(version, field) for field in VERSION_FIELDS})

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "html_body": self.html_body,
            "text_body": self.text_body,
            "provider_template_code": self.provider_template_code,
            "provider_params": [list(pair) for pair in self.provider_params],
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
    if channel == MessageChannel.SMS:
        errors.update(_provider_problems(text=text))
    return errors


def _provider_problems(*, text: TemplateText) -> dict[str, list[str]]:
    """The provider template code and variables of an SMS: a code the providers could
    have issued, unique variable names, and values that render in the sandbox."""
    errors: dict[str, list[str]] = {}
    code = text.provider_template_code
    if len(code) > PROVIDER_CODE_MAX_LENGTH:
        errors["provider_template_code"] = [
            _("The template code can have at most %(max)s characters.")
            % {"max": PROVIDER_CODE_MAX_LENGTH}
        ]
    elif code and not PROVIDER_CODE.fullmatch(code):
        errors["provider_template_code"] = [
            _("Use letters, digits, underscores and hyphens only, as the provider shows it.")
        ]
    elif text.provider_params and not code:
        errors["provider_template_code"] = [
            _("Give the code of the provider's template these variables belong to.")
        ]
    problems: list[str] = []
    seen: set[str] = set()
    for number, pair in enumerate(text.provider_params, start=1):
        if len(pair) != 2:
            problems.append(_("Variable %(number)s: give a name and a value.") % {"number": number})
            continue
        name, expression = pair
        if not PROVIDER_PARAM_NAME.fullmatch(name):
            problems.append(
                _("“%(name)s” cannot be a variable name: use letters, digits and underscores.")
                % {"name": name}
            )
        elif name in seen:
            problems.append(_("The variable “%(name)s” is given twice.") % {"name": name})
        seen.add(name)
        problem = _value_problem(expression)
        if problem:
            problems.append(f"{name}: {problem}")
    if problems:
        errors["provider_params"] = problems
    return errors


def _value_problem(expression: str) -> str:
    """Why a variable's value (a template, like the SMS text) cannot be saved; "" if fine."""
    if not expression.strip():
        return _("Give its value, e.g. {{ contact.salutation }}.")
    if len(expression) > SMS_MAX_LENGTH:
        return _("At most %(max)s characters.") % {"max": SMS_MAX_LENGTH}
    if expression.strip() in rendering.VARIABLES:
        # "customer.name" would be sent as those very letters: surely not what was meant.
        return _("Write {{ %(name)s }} to insert the variable.") % {"name": expression.strip()}
    try:
        rendering.check(source=expression, html_mode=False)
    except rendering.TemplateProblem as problem:
        return str(problem)
    return ""


def _stored_text(*, channel: str, text: TemplateText) -> TemplateText:
    # An SMS has no subject or HTML, an email no provider template: drop them rather than
    # keep what nobody can see.
    if channel == MessageChannel.SMS:
        return TemplateText(
            text_body=text.text_body,
            provider_template_code=text.provider_template_code,
            provider_params=text.provider_params,
        )
    return TemplateText(subject=text.subject, html_body=text.html_body, text_body=text.text_body)


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
    provider_template_code: str = "",
    provider_params: Sequence[Sequence[str]] = (),
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
        text = TemplateText(
            subject=subject, html_body=html_body, text_body=text_body,
            provider_template_code=provider_template_code, provider_params=provider_params,
        )  # fmt: skip
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
        provider_template_code=stored.provider_template_code,
        provider_params=[list(pair) for pair in stored.provider_params],
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
    provider_template_code: str = "",
    provider_params: Sequence[Sequence[str]] = (),
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
        text=TemplateText(
            subject=subject, html_body=html_body, text_body=text_body,
            provider_template_code=provider_template_code, provider_params=provider_params,
        ),
    )  # fmt: skip
    errors = _metadata_problems(data=data)
    errors.update(text_problems(channel=template.channel, text=text))
    _raise(errors)
    changes: dict[str, Any] = {}
    for field, value in data.items():
        if getattr(template, field) != value:
            changes[field] = [getattr(template, field), value]
            setattr(template, field, value)
    old_text = TemplateText.of(current) if current else None
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
