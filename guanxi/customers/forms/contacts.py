"""Contacts and attachments on the customer page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import can_see_contact_details, mask_email, mask_phone
from guanxi.core.forms import BootstrapMixin
from guanxi.customers.forms.inputs import BLANK, CONTACT_DETAIL_FIELDS, date_input
from guanxi.customers.models import Contact, DecisionRole


class ContactForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Contact name"), required=False, max_length=100)
    title = forms.CharField(label=_("Job title"), required=False, max_length=100)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    phone_alt = forms.CharField(label=_("Other phone"), required=False, max_length=40)
    email = forms.CharField(label=_("Email address"), required=False, max_length=254)
    wechat = forms.CharField(label=_("WeChat ID"), required=False, max_length=100)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=date_input())
    decision_role = forms.ChoiceField(
        label=_("Role in decision chain"),
        required=False,
        choices=[BLANK, *DecisionRole.choices],
    )
    is_primary = forms.BooleanField(label=_("Primary contact"), required=False)
    remarks = forms.CharField(
        label=_("Remarks"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: User, contact: Contact | None = None, **kwargs: Any):
        if contact is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(contact, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs["type"] = "tel"
        self.fields["phone_alt"].widget.attrs["type"] = "tel"
        self.fields["email"].widget.attrs["type"] = "email"
        # As on the customer form: no full contact details for someone who may not see them.
        self.masked = contact is not None and not can_see_contact_details(user)
        if self.masked:
            for name in CONTACT_DETAIL_FIELDS:
                value = getattr(contact, name)
                self.initial[name] = ""
                if value:
                    masked = mask_email(value) if name == "email" else mask_phone(value)
                    self.fields[name].widget.attrs["placeholder"] = masked
                    self.fields[name].help_text = _("Leave empty to keep the current value.")

    def service_data(self) -> dict[str, Any]:
        data = {
            k: ("" if v is None and k != "birthday" else v) for k, v in self.cleaned_data.items()
        }
        if self.masked:
            for name in CONTACT_DETAIL_FIELDS:
                if not data.get(name):
                    data.pop(name, None)
        return data


class AttachmentForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("File"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("Up to %(mb)d MB: %(types)s.") % {
            "mb": settings.GUANXI_ATTACHMENT_MAX_BYTES // (1024 * 1024),
            "types": ", ".join(settings.GUANXI_ATTACHMENT_EXTENSIONS),
        }
