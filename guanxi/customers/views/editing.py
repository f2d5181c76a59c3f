"""Creating, editing and deleting a customer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core.errors import ApplicationError, ConflictError
from guanxi.customers import selectors, services
from guanxi.customers.forms import PROVINCES, CustomerForm, show_service_errors

FORM_TEMPLATE = "customers/customer_form.html"


def _form_context(request: HttpRequest, form: CustomerForm, **extra) -> dict:
    return {
        "form": form,
        "provinces": PROVINCES,
        "tags": selectors.tag_list(user=request.user)[:500],
        **extra,
    }


@login_required
def customer_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, Perm.CUSTOMER_CREATE)
    form = CustomerForm(request.POST if request.method == "POST" else None, user=request.user)
    if form.is_bound and form.is_valid():
        try:
            customer = services.customer_create(actor=request.user, data=form.service_data())
        except ApplicationError as exc:
            show_service_errors(form, exc, field_names=form.field_for_error())
        else:
            messages.success(
                request,
                _("Customer “%(name)s” created with code %(code)s.")
                % {"name": customer.name, "code": customer.code},
            )
            return redirect("customers:detail", pk=customer.pk)
    return render(request, FORM_TEMPLATE, _form_context(request, form, customer=None))


@login_required
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, pk=pk)
    require_perm(request.user, Perm.CUSTOMER_EDIT)
    form = CustomerForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        customer=customer,
        contact=selectors.primary_contact(customer),
    )
    conflict = False
    if form.is_bound and form.is_valid():
        try:
            services.customer_update(
                actor=request.user,
                customer=customer,
                data=form.service_data(),
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            # A conflict keeps the user's input on the page; nothing was written.
            conflict = isinstance(exc, ConflictError)
            show_service_errors(form, exc, field_names=form.field_for_error())
        else:
            messages.success(request, _("Changes saved."))
            return redirect("customers:detail", pk=customer.pk)
    context = _form_context(request, form, customer=customer, conflict=conflict)
    return render(request, FORM_TEMPLATE, context)


@login_required
@require_GET
def customer_custom_fields(request: HttpRequest) -> HttpResponse:
    """The custom fields of the industry just chosen on the form (HTMX), keeping typed values."""
    try:
        industry_id = int(request.GET.get("industry") or 0) or None
    except ValueError:
        industry_id = None
    typed = {k: v for k, v in request.GET.items() if k.startswith(CustomerForm.CUSTOM_PREFIX)}
    form = CustomerForm(user=request.user, industry_id=industry_id, initial=typed)
    return render(request, f"{FORM_TEMPLATE}#custom-fields", {"form": form})


@login_required
@require_POST
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, pk=pk)
    services.customer_delete(actor=request.user, customer=customer)
    messages.success(
        request,
        _("Customer “%(name)s” (%(code)s) deleted.")
        % {"name": customer.name, "code": customer.code},
    )
    return redirect("customers:list")
