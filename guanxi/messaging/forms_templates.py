"""Forms of the template pages: list filters, the editor, the preview's customer picker.

Forms check types and shapes; the services check the template text (sandbox, channel rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.accounts.models import User
from guanxi.core.forms import BootstrapMixin
from guanxi.customers.forms.inputs import customer_from_code
from guanxi.customers.models import Customer
from guanxi.messaging.models import Category, MessageChannel
from guanxi.messaging.template_services import (
    PROVIDER_CODE_MAX_LENGTH,
    SMS_MAX_LENGTH,
    TemplateText,
)

ANY = [("", _("Any"))]


class ProviderParamsField(forms.Field):
    """A provider template's variables as lines of `name=value`, in the provider's order
    (Tencent's {1}, {2}, …): a textarea keeps the order and is edited like the text. Only
    the shape is checked here; names and values are the service's business."""

    widget = forms.Textarea

    def to_python(self, value: Any) -> list[list[str]]:
        if isinstance(value, list | tuple):  # initial data: the version's pairs
            return [list(pair) for pair in value]
        pairs = []
        for number, line in enumerate(str(value or "").splitlines(), start=1):
            if not line.strip():
                continue
            name, equals, expression = line.partition("=")
            if not equals:
                raise ValidationError(
                    _("Line %(line)s: write name=value, e.g. name={{ contact.salutation }}."),
                    code="invalid",
                    params={"line": number},
                )
            pairs.append([name.strip(), expression.strip()])
        return pairs

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join("=".join(str(part) for part in pair) for pair in value)
        return value


class TemplateFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    channel = forms.ChoiceField(
        label=pgettext_lazy("message", "Channel"), required=False, choices=ANY
    )
    category = forms.ChoiceField(label=_("Category"), required=False, choices=ANY)
    language = forms.ChoiceField(label=_("Language"), required=False, choices=ANY)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[*ANY, ("1", _("Active")), ("0", _("Inactive"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [*ANY, *MessageChannel.choices]
        self.fields["category"].choices = [*ANY, *Category.choices]
        self.fields["language"].choices = [*ANY, *settings.LANGUAGES]
        self.fields["q"].widget.attrs["placeholder"] = _("Name or key")

    def selector_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        active = data.get("active")
        return {
            "search": data.get("q", ""),
            "channel": data.get("channel", ""),
            "category": data.get("category", ""),
            "language": data.get("language", ""),
            "active": None if not active else active == "1",
        }


class TemplateForm(BootstrapMixin, forms.Form):
    key = forms.SlugField(
        label=pgettext_lazy("message", "Key"),
        max_length=60,
        help_text=_("A short name for automation rules and the API, e.g. welcome-guide."),
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    channel = forms.ChoiceField(
        label=pgettext_lazy("message", "Channel"), choices=MessageChannel.choices
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=Category.choices,
        help_text=_("Marketing messages respect unsubscribes, quiet hours and frequency caps."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    html_body = forms.CharField(
        label=_("HTML body"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "class": "font-monospace"}),
    )
    text_body = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace"}),
        help_text=_(
            "Email: the plain-text part (made from the HTML when empty). SMS: the message, at "
            "most %(max)s characters."
        )
        % {"max": SMS_MAX_LENGTH},
    )
    provider_template_code = forms.CharField(
        label=_("Provider template code"),
        max_length=PROVIDER_CODE_MAX_LENGTH,
        required=False,
        help_text=_(
            "SMS through Aliyun or Tencent Cloud: the code of the approved template this "
            "message is, e.g. SMS_154950909 or 1234567. Empty: the text goes through the one "
            "template set in GUANXI_SMS_URL."
        ),
    )
    provider_params = ProviderParamsField(
        label=_("Provider template variables"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "font-monospace"}),
        help_text=_(
            "One per line, as name=value, e.g. name={{ contact.salutation }}. Aliyun matches "
            "the names; Tencent Cloud fills {1}, {2}, … in this order."
        ),
    )
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:  # key and channel stay what they were (see template_update)
            del self.fields["key"]
            del self.fields["channel"]
        else:
            del self.fields["expected_version"]

    def text(self) -> TemplateText:
        data = self.cleaned_data
        return TemplateText(
            subject=data.get("subject", ""),
            html_body=data.get("html_body", ""),
            text_body=data.get("text_body", ""),
            provider_template_code=data.get("provider_template_code", ""),
            provider_params=data.get("provider_params") or (),
        )


class PreviewForm(forms.Form):
    """The preview's inputs: a customer (code, as the customer picker suggests it), a saved
    version's number, or — from the editor — the draft text and channel."""

    customer = forms.CharField(label=_("Customer"), required=False, max_length=200)
    version = forms.IntegerField(required=False, min_value=1)
    channel = forms.ChoiceField(required=False, choices=MessageChannel.choices)
    subject = forms.CharField(required=False, max_length=1000)
    html_body = forms.CharField(required=False)
    text_body = forms.CharField(required=False)
    provider_template_code = forms.CharField(required=False, max_length=1000)
    provider_params = ProviderParamsField(required=False)
    draft = forms.BooleanField(required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["customer"].widget.attrs.update(
            {
                "class": "form-control",
                "list": "customer-options",
                "autocomplete": "off",
                "placeholder": _("Code or name of one of your customers"),
                "hx-get": reverse_lazy("customers:lookup"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#customer-options",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )

    def clean_customer(self) -> Customer | None:
        return customer_from_code(user=self.user, text=self.cleaned_data.get("customer"))

    def draft_text(self) -> TemplateText | None:
        data = self.cleaned_data
        if not data.get("draft"):
            return None
        return TemplateText(
            subject=data.get("subject", ""),
            html_body=data.get("html_body", ""),
            text_body=data.get("text_body", ""),
            provider_template_code=data.get("provider_template_code", ""),
            provider_params=data.get("provider_params") or (),
        )
