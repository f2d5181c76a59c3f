"""Message template pages: list, detail with history, preview, test send, editor."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core.errors import ApplicationError, ConflictError
from guanxi.core.forms import apply_errors
from guanxi.messaging import template_selectors as selectors
from guanxi.messaging import template_services as services
from guanxi.messaging.forms_templates import PreviewForm, TemplateFilterForm, TemplateForm
from guanxi.messaging.models import Message, MessageChannel, MessageStatus

PER_PAGE = 30


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    filters = TemplateFilterForm(request.GET or None)
    templates = selectors.template_list(user=request.user, **filters.selector_kwargs())
    page = Paginator(templates, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "filters": filters, "can_manage": selectors.can_manage(request.user)}
    name = "messaging/template_list.html"
    return render(request, f"{name}#results" if request.htmx else name, context)


@login_required
def template_detail(request: HttpRequest, pk: int, number: int | None = None) -> HttpResponse:
    """The current text (or an older version's), the history, preview and test send."""
    template = selectors.template_get(user=request.user, pk=pk)
    versions = selectors.version_list(user=request.user, template=template)
    shown = (
        selectors.version_get(user=request.user, template=template, number=number)
        if number is not None
        else template.current_version
    )
    context = {
        "template": template,
        "shown": shown,
        "versions": versions,
        "preview_form": PreviewForm(user=request.user),
        "can_manage": selectors.can_manage(request.user),
    }
    return render(request, "messaging/template_detail.html", context)


@login_required
def template_preview(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The preview panel (HTMX): a saved version, or the editor's draft, for a customer."""
    template = selectors.template_get(user=request.user, pk=pk) if pk else None
    form = PreviewForm(request.POST or request.GET, user=request.user)
    context: dict = {"form": form, "template": template}
    if form.is_valid():
        data = form.cleaned_data
        channel = template.channel if template else data.get("channel") or MessageChannel.EMAIL
        version = None
        try:
            if template and data.get("version"):
                version = selectors.version_get(
                    user=request.user, template=template, number=data["version"]
                )
            context["preview"] = selectors.template_preview(
                user=request.user, template=template, channel=channel, version=version,
                draft=form.draft_text(), customer=data.get("customer"),
            )  # fmt: skip
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            context["problems"] = [m for ms in exc.errors.values() for m in ms] or [exc.message]
    return render(request, "messaging/template_preview.html", context)


def _where(message: Message) -> str:
    """Tell the author where the test went (the outbox folder when nothing is configured)."""
    if message.status == MessageStatus.SKIPPED:
        return _("The test was not sent: %(reason)s") % {"reason": message.reason}
    where = _("A test message to %(address)s is queued.") % {"address": message.recipient}
    configured = (
        settings.GUANXI_EMAIL_URL
        if message.channel == MessageChannel.EMAIL
        else settings.GUANXI_SMS_URL
    )
    if not configured:
        folder = Path(settings.GUANXI_OUTBOX_DIR) / message.channel
        where += " " + _(
            "No gateway is configured, so it is written to the outbox folder %(folder)s."
        ) % {"folder": folder}
    if message.next_attempt_at and message.next_attempt_at > message.created_at:
        local = timezone.localtime(message.next_attempt_at).strftime("%Y-%m-%d %H:%M")
        where += " " + _("Quiet hours: it goes at %(time)s.") % {"time": local}
    return where


@login_required
@require_POST
def template_send_test(request: HttpRequest, pk: int) -> HttpResponse:
    template = selectors.template_get(user=request.user, pk=pk)
    form = PreviewForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("message_templates:detail", pk=pk)
    data = form.cleaned_data
    try:
        version = (
            selectors.version_get(user=request.user, template=template, number=data["version"])
            if data.get("version")
            else None
        )
        message = services.template_send_test(
            actor=request.user, template=template, version=version, customer=data["customer"]
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        skipped = message.status == MessageStatus.SKIPPED
        (messages.warning if skipped else messages.success)(request, _where(message))
    return redirect("message_templates:detail", pk=pk)


def _editor(request: HttpRequest, form: TemplateForm, template=None, conflict=False):
    context = {
        "form": form,
        "template": template,
        "variables": selectors.variables(),
        "preview_form": PreviewForm(user=request.user),
        "conflict": conflict,
    }
    return render(request, "messaging/template_form.html", context)


@login_required
def template_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, Perm.CONFIG_MANAGE)
    form = TemplateForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            template = services.template_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Template “%(name)s” created.") % {"name": template.name})
            return redirect("message_templates:detail", pk=template.pk)
    return _editor(request, form)


@login_required
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, Perm.CONFIG_MANAGE)
    template = selectors.template_get(user=request.user, pk=pk)
    current = template.current_version
    initial = {
        "name": template.name, "category": template.category, "language": template.language,
        "description": template.description, "subject": current.subject if current else "",
        "html_body": current.html_body if current else "",
        "text_body": current.text_body if current else "",
        "provider_template_code": current.provider_template_code if current else "",
        "provider_params": current.provider_params if current else [],
        "expected_version": current.number if current else 0,
    }  # fmt: skip
    form = TemplateForm(
        request.POST if request.method == "POST" else None, initial=initial, editing=True
    )
    conflict = False
    if form.is_bound and form.is_valid():
        try:
            services.template_update(actor=request.user, template=template, **form.cleaned_data)
        except ApplicationError as exc:
            conflict = isinstance(exc, ConflictError)  # the author's text stays on the page
            apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("message_templates:detail", pk=template.pk)
    return _editor(request, form, template, conflict)


@login_required
@require_POST
def template_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, Perm.CONFIG_MANAGE)
    template = selectors.template_get(user=request.user, pk=pk)
    if request.POST.get("active") == "1":
        services.template_activate(actor=request.user, template=template)
        messages.success(request, _("The template is active again."))
    else:
        services.template_deactivate(actor=request.user, template=template)
        messages.success(request, _("The template is deactivated; it is no longer offered."))
    return redirect("message_templates:detail", pk=template.pk)
