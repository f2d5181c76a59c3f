"""Reading message templates and previewing them.

Everyone with customer access may use the active templates; those who manage templates
(Perm.CONFIG_MANAGE) also see inactive ones and may preview unsaved drafts. A preview
renders exactly as a message would (sending.render), for a customer in the viewer's scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, has_perm, require_perm
from guanxi.core.errors import ApplicationError, NotFoundError
from guanxi.customers.models import Customer
from guanxi.customers.selectors import primary_contact
from guanxi.messaging import rendering, sending, tokens
from guanxi.messaging.models import MessageChannel, MessageTemplate, TemplateVersion
from guanxi.messaging.template_services import TemplateText, text_problems


def can_manage(user: User | None) -> bool:
    return has_perm(user, Perm.CONFIG_MANAGE)


def template_list(
    *,
    user: User,
    search: str = "",
    channel: str = "",
    category: str = "",
    language: str = "",
    active: bool | None = None,
) -> QuerySet[MessageTemplate]:
    """Templates the user may use (all of them for those who manage templates)."""
    require_perm(user, Perm.CUSTOMER_VIEW)
    qs = MessageTemplate.objects.select_related("current_version")
    if not can_manage(user):
        qs = qs.filter(is_active=True)
    if search := search.strip():
        qs = qs.filter(Q(name__icontains=search) | Q(key__icontains=search))
    if channel:
        qs = qs.filter(channel=channel)
    if category:
        qs = qs.filter(category=category)
    if language:
        qs = qs.filter(language=language)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("channel", "name", "id")


def template_get(*, user: User, pk: int) -> MessageTemplate:
    """One template the user may see; otherwise NotFoundError (inactive looks like absent)."""
    template = template_list(user=user).filter(pk=pk).first()
    if template is None:
        raise NotFoundError(_("Template not found."))
    return template


def version_list(*, user: User, template: MessageTemplate) -> QuerySet[TemplateVersion]:
    """The template's versions, newest first (the template came from template_get)."""
    require_perm(user, Perm.CUSTOMER_VIEW)
    return template.versions.select_related("created_by").order_by("-number")


def version_get(*, user: User, template: MessageTemplate, number: int) -> TemplateVersion:
    version = version_list(user=user, template=template).filter(number=number).first()
    if version is None:
        raise NotFoundError(_("Version not found."))
    return version


@dataclass(frozen=True, kw_only=True)
class Preview:
    channel: str
    subject: str
    html: str
    text: str
    characters: int  # SMS only: what the carrier counts
    segments: int
    # SMS only: the provider's own template and its variables as they would be sent.
    provider_template_code: str = ""
    provider_params: list[list[str]] = field(default_factory=list)


def template_preview(
    *,
    user: User,
    template: MessageTemplate | None,
    channel: str,
    version: TemplateVersion | None = None,
    draft: TemplateText | None = None,
    customer: Customer | None = None,
) -> Preview:
    """Render a version (or an unsaved draft) as it would go to `customer`'s contact.

    Without a customer the whitelist's example values fill the variables. A draft that does
    not pass the sandbox check raises ApplicationError with field errors, as saving would."""
    require_perm(user, Perm.CUSTOMER_VIEW)
    if draft is not None:
        # Unsaved text is the editor's business; everyone else previews saved versions.
        require_perm(user, Perm.CONFIG_MANAGE)
        if channel not in MessageChannel.values:
            raise ApplicationError(
                _("Choose email or SMS."), errors={"channel": [_("Choose email or SMS.")]}
            )
        errors = text_problems(channel=channel, text=draft)
        if errors:
            raise ApplicationError(_("The template has errors; see the fields."), errors=errors)
        content = sending.Content(
            subject=draft.subject, html=draft.html_body, text=draft.text_body,
            provider_template_code=draft.provider_template_code,
            provider_params=draft.provider_params,
        )  # fmt: skip
    else:
        version = version or (template.current_version if template else None)
        if version is None:
            raise ApplicationError(_("This template has no text yet."))
        content = sending.content_of(version)
    token = tokens.new_token()
    if customer is not None:
        found = sending.recipient_for(customer=customer, channel=channel)
        contact = found.contact if found else primary_contact(customer)
        context = sending.context_for(customer=customer, contact=contact, token=token)
    else:
        context = rendering.example_context()
        context["unsubscribe_url"] = tokens.unsubscribe_url(token)
    try:
        rendered = sending.render(channel=channel, content=content, context=context, token=token)
    except rendering.TemplateProblem as problem:
        raise ApplicationError(
            _("The template cannot be rendered: %(error)s") % {"error": problem}
        ) from None
    sms = channel == MessageChannel.SMS
    return Preview(
        channel=channel,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        characters=len(rendered.text) if sms else 0,
        segments=rendering.sms_segments(rendered.text) if sms else 0,
        provider_template_code=rendered.provider_template.get("code", ""),
        provider_params=rendered.provider_template.get("params", []),
    )


def variables() -> list[tuple[str, str, str]]:
    """(name, label, example) of every variable a template may use, for the editor's panel."""
    return [(name, str(label), example) for name, (label, example) in rendering.VARIABLES.items()]
