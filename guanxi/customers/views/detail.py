"""The customer page: profile, contacts, attachments, open tasks, follow-up form, timeline."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core.errors import ApplicationError
from guanxi.customers import selectors, services
from guanxi.customers.forms import AttachmentForm, ContactForm, show_service_errors
from guanxi.customers.models import Customer
from guanxi.customers.timeline import timeline_entries
from guanxi.deals.selectors import customer_deals, purchase_history
from guanxi.followups.forms import FollowUpForm
from guanxi.followups.models import TaskStatus
from guanxi.followups.selectors import task_list
from guanxi.messaging.message_selectors import customer_messages

DETAIL = "customers/customer_detail.html"
TIMELINE_PAGE = 50
TIMELINE_MAX = 500


def custom_field_rows(customer: Customer) -> list[tuple[str, object]]:
    definitions = selectors.custom_field_definitions(industry_id=customer.industry_id)
    values = customer.custom_fields or {}
    return [(str(d), values.get(d.key)) for d in definitions if values.get(d.key) not in (None, "")]


def timeline_limit(raw: str | None) -> int:
    try:
        return min(TIMELINE_MAX, max(TIMELINE_PAGE, int(raw or TIMELINE_PAGE)))
    except ValueError:
        return TIMELINE_PAGE


def open_tasks(request: HttpRequest, customer: Customer):
    return task_list(user=request.user, customer_id=customer.pk, status=TaskStatus.OPEN)[:20]


@login_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, pk=pk)
    contacts = list(selectors.contact_list(user=request.user, customer_id=pk))
    limit = timeline_limit(request.GET.get("timeline"))
    context = {
        "customer": customer,
        "tags": customer.tags.all(),
        "custom_fields": custom_field_rows(customer),
        "contacts": contacts,
        "attachments": selectors.attachment_list(user=request.user, customer_id=pk),
        "attachment_form": AttachmentForm(),
        "open_tasks": open_tasks(request, customer),
        "followup_form": FollowUpForm(contacts=contacts),
        "timeline": timeline_entries(viewer=request.user, customer=customer, limit=limit),
        "timeline_limit": limit,
        "customer_messages": customer_messages(user=request.user, customer=customer),
        "customer_deals": customer_deals(user=request.user, customer_id=pk),
        "purchases": purchase_history(user=request.user, customer_id=pk),
        "can_email": any(c.email for c in contacts),
        "can_sms": any(c.phone for c in contacts),
    }
    return render(request, DETAIL, context)


@login_required
@require_GET
def customer_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """More of the timeline (HTMX "show more"): the newest `limit` entries."""
    customer = selectors.customer_get(user=request.user, pk=pk)
    limit = timeline_limit(request.GET.get("limit"))
    entries = timeline_entries(viewer=request.user, customer=customer, limit=limit)
    context = {"customer": customer, "timeline": entries, "timeline_limit": limit}
    return render(request, f"{DETAIL}#timeline", context)


# --- contacts ----------------------------------------------------------------------


def _contacts_card(request: HttpRequest, customer: Customer) -> HttpResponse:
    contacts = selectors.contact_list(user=request.user, customer_id=customer.pk)
    return render(request, f"{DETAIL}#contacts", {"customer": customer, "contacts": contacts})


def _contact_form_response(request, customer, form, contact=None) -> HttpResponse:
    context = {"customer": customer, "form": form, "contact": contact}
    if not request.htmx:
        return render(request, "customers/contact_form.html", context)
    response = render(request, "customers/contact_form.html#form", context)
    if request.method == "POST":  # errors: replace the form in place, not the whole card
        response = reswap(retarget(response, "#contact-form"), "outerHTML")
    return response


@login_required
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, pk=pk)
    require_perm(request.user, Perm.CUSTOMER_EDIT)
    form = ContactForm(request.POST if request.method == "POST" else None, user=request.user)
    if form.is_bound and form.is_valid():
        try:
            services.contact_create(actor=request.user, customer=customer, data=form.service_data())
        except ApplicationError as exc:
            show_service_errors(form, exc)
        else:
            if request.htmx:
                return _contacts_card(request, customer)
            messages.success(request, _("Contact added."))
            return redirect("customers:detail", pk=customer.pk)
    return _contact_form_response(request, customer, form)


@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, pk=pk)
    require_perm(request.user, Perm.CUSTOMER_EDIT)
    data = request.POST if request.method == "POST" else None
    form = ContactForm(data, user=request.user, contact=contact)
    if form.is_bound and form.is_valid():
        try:
            services.contact_update(actor=request.user, contact=contact, data=form.service_data())
        except ApplicationError as exc:
            show_service_errors(form, exc)
        else:
            if request.htmx:
                return _contacts_card(request, contact.customer)
            messages.success(request, _("Contact saved."))
            return redirect("customers:detail", pk=contact.customer_id)
    return _contact_form_response(request, contact.customer, form, contact)


@login_required
@require_POST
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, pk=pk)
    services.contact_delete(actor=request.user, contact=contact)
    if request.htmx:
        return _contacts_card(request, contact.customer)
    messages.success(request, _("Contact deleted."))
    return redirect("customers:detail", pk=contact.customer_id)


@login_required
@require_POST
def contact_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """Show one masked phone or email in full; the service audits every reveal."""
    contact = selectors.contact_get(user=request.user, pk=pk)
    value = services.contact_reveal(actor=request.user, contact=contact, field=field)
    if not request.htmx:
        messages.info(request, f"{contact}: {value}")
        return redirect("customers:detail", pk=contact.customer_id)
    return render(request, f"{DETAIL}#revealed", {"value": value, "field": field})


# --- attachments -------------------------------------------------------------------


def _attachments_card(request, customer, form: AttachmentForm | None = None) -> HttpResponse:
    context = {
        "customer": customer,
        "attachments": selectors.attachment_list(user=request.user, customer_id=customer.pk),
        "attachment_form": form or AttachmentForm(),
    }
    return render(request, f"{DETAIL}#attachments", context)


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(
                actor=request.user, customer=customer, upload=form.cleaned_data["file"]
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            show_service_errors(form, exc)
        else:
            form = None
    if request.htmx:
        return _attachments_card(request, customer, form)
    if form is not None:
        messages.error(request, " ".join(m for errs in form.errors.values() for m in errs))
    else:
        messages.success(request, _("File uploaded."))
    return redirect("customers:detail", pk=customer.pk)


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Files are never public media: each download checks the viewer's scope first."""
    attachment = selectors.attachment_get(user=request.user, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is missing from storage.")) from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.original_name)


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = selectors.attachment_get(user=request.user, pk=pk)
    services.attachment_delete(actor=request.user, attachment=attachment)
    if request.htmx:
        return _attachments_card(request, attachment.customer)
    messages.success(request, _("File deleted."))
    return redirect("customers:detail", pk=attachment.customer_id)
