"""The outbox (every email and SMS the viewer may see) and "send email / SMS" to a customer."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guanxi.accounts.permissions import (
    Perm,
    can_see_contact_details,
    has_perm,
    require_perm,
)
from guanxi.activity.models import Source
from guanxi.core.errors import ApplicationError, PermissionDeniedError
from guanxi.customers.selectors import customer_get
from guanxi.messaging import message_selectors as ms
from guanxi.messaging import rendering, sending, tokens
from guanxi.messaging.channels.email import mime
from guanxi.messaging.forms_send import OutboxFilterForm, SendForm
from guanxi.messaging.models import Message, MessageChannel, MessageStatus

PAGE_SIZE = 50


def display_html(html: str, *, token: str, links: list[str]) -> str:
    """HTML to show staff, without side effects: the open pixel removed, tracked links back
    to their targets (looking at a message must not count as the customer opening it), and
    links opening nowhere (the sandbox blocks new windows)."""
    pixel = f'<img src="{tokens.open_url(token)}" width="1" height="1" alt="" style="display:none">'
    html = html.replace(pixel, "")
    for index, url in enumerate(links):
        html = html.replace(tokens.click_url(token, index), url)
    return '<base target="_blank">' + html


def _channel_notes(user) -> list[str]:
    notes = []
    if not settings.GUANXI_EMAIL_URL:
        notes.append(_("No mail server is configured (GUANXI_EMAIL_URL): emails are written as .eml files to the outbox folder and shown here, not sent."))  # fmt: skip
    if not settings.GUANXI_SMS_URL:
        notes.append(_("No SMS gateway is configured (GUANXI_SMS_URL): text messages are written to the outbox folder and shown here, not sent."))  # fmt: skip
    if notes and has_perm(user, Perm.CONFIG_MANAGE):
        notes.append(_("Outbox folder: %(path)s") % {"path": settings.GUANXI_OUTBOX_DIR})
    return notes


@login_required
@require_GET
def outbox_list(request: HttpRequest) -> HttpResponse:
    form = OutboxFilterForm(request.GET)
    filters = form.filters()
    messages_qs = ms.message_list(user=request.user, **filters)
    page = Paginator(messages_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for message in page:
        message.shown_recipient = ms.shown_recipient(request.user, message)
    counts = ms.message_status_counts(user=request.user, **filters)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "statuses": [(value, label, counts[value]) for value, label in MessageStatus.choices],
        "total": sum(counts.values()),
        "notes": _channel_notes(request.user),
    }
    return render(request, "messaging/outbox.html", context)


@login_required
@require_GET
def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = ms.message_get(user=request.user, pk=pk)
    version = message.template_version
    context = {
        "message": message,
        "recipient": ms.shown_recipient(request.user, message),
        "template": version.template if version else None,
        "version": version,
        "events": ms.message_events(message=message),
        "source_label": Source(message.source).label
        if message.source in Source.values
        else message.source,
        "html": display_html(message.body_html, token=message.token, links=message.links)
        if message.body_html
        else "",
        "segments": rendering.sms_segments(message.body_text)
        if message.channel == MessageChannel.SMS
        else 0,
        "can_act": has_perm(request.user, Perm.FOLLOWUP_RECORD),
        "can_download": message.channel == MessageChannel.EMAIL
        and can_see_contact_details(request.user),
    }
    return render(request, "messaging/outbox_detail.html", context)


def _act(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    """Retry or cancel: the permission first (a refusal tells nothing), then the lookup."""
    require_perm(request.user, Perm.FOLLOWUP_RECORD)
    message = ms.message_get(user=request.user, pk=pk)
    try:
        service(actor=request.user, message=message)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("outbox:detail", pk=message.pk)


@login_required
@require_POST
def outbox_retry(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, sending.message_retry, _("The message is queued to be sent again."))


@login_required
@require_POST
def outbox_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, sending.message_cancel, _("The message is cancelled."))


@login_required
@require_GET
def outbox_eml(request: HttpRequest, pk: int) -> HttpResponse:
    """The email exactly as handed to the server: it shows the address, so only for viewers
    allowed to see contact details."""
    if not can_see_contact_details(request.user):
        raise PermissionDeniedError(_("You may not see contact details."))
    message = ms.message_get(user=request.user, pk=pk)
    if message.channel != MessageChannel.EMAIL:
        raise Http404
    response = HttpResponse(mime(message).as_bytes(), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
    return response


# --- send from a customer page -----------------------------------------------------------


def _preview(form: SendForm, *, customer, recipient: sending.Recipient, channel: str) -> dict:
    """The chosen template rendered for this customer, with a throwaway token (nothing stored)."""
    if not form.is_valid():
        return {}
    token = tokens.new_token()
    params = {"coupon_code": form.cleaned_data["coupon_code"]}
    try:
        context = sending.context_for(
            customer=customer, contact=recipient.contact, token=token, params=params
        )
        content = sending.content_of(form.cleaned_data["template"].current_version)
        rendered = sending.render(channel=channel, content=content, context=context, token=token)
    except rendering.TemplateProblem as problem:
        return {"error": _("The template cannot be rendered: %(error)s") % {"error": problem}}
    html = display_html(rendered.html, token=token, links=rendered.links) if rendered.html else ""
    return {"rendered": rendered, "html": html, "segments": rendering.sms_segments(rendered.text)}


def _queue(request: HttpRequest, form: SendForm, *, customer, channel: str) -> Message | None:
    try:
        return sending.message_queue(
            actor=request.user, channel=channel, customer=customer,
            template=form.cleaned_data["template"],
            params={"coupon_code": form.cleaned_data["coupon_code"]},
            idempotency_key=f"ui:{request.user.pk}:{form.cleaned_data['key']}", source=Source.UI,
        )  # fmt: skip
    except ApplicationError as exc:
        if exc.status_code in (403, 404):
            raise
        form.add_error(None, exc.message)
        return None


def _sent(request: HttpRequest, message: Message) -> HttpResponse:
    if message.status == MessageStatus.SKIPPED:
        messages.warning(request, _("Not sent: %(reason)s") % {"reason": message.reason})
    elif message.channel == MessageChannel.EMAIL:
        messages.success(request, _("The email is queued."))
    else:
        messages.success(request, _("The text message is queued."))
    return redirect(reverse("customers:detail", args=[message.customer_id]) + "#messages")


@login_required
def send(request: HttpRequest, customer_pk: int, channel: str) -> HttpResponse:
    if channel not in MessageChannel.values:
        raise Http404
    require_perm(request.user, Perm.FOLLOWUP_RECORD)
    customer = customer_get(user=request.user, pk=customer_pk)
    recipient = sending.recipient_for(customer=customer, channel=channel)
    if recipient is None:
        raise Http404(_("This customer has no address for this channel."))
    form = SendForm(request.POST if request.method == "POST" else None, channel=channel)
    sending_now = request.method == "POST" and request.POST.get("action") == "send"
    if sending_now and form.is_valid():
        message = _queue(request, form, customer=customer, channel=channel)
        if message is not None:
            return _sent(request, message)
    context = {
        "customer": customer, "channel": channel, "form": form,
        "channel_label": MessageChannel(channel).label,
        "recipient": ms.shown_recipient(request.user, Message(channel=channel, recipient=recipient.address)),
        "contact": recipient.contact,
        "preview": _preview(form, customer=customer, recipient=recipient, channel=channel)
        if form.is_bound else {},
    }  # fmt: skip
    template = "messaging/send.html#preview" if request.htmx else "messaging/send.html"
    return render(request, template, context)
