"""Forms of the outbox filters and of "send email / send SMS" from a customer page.

They validate input only; sending goes through sending.message_queue.
"""

from __future__ import annotations

import uuid

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.messaging.message_selectors import sendable_templates
from guanxi.messaging.models import Category, MessageChannel, MessageStatus


def _blank(choices) -> list[tuple[str, object]]:
    return [("", _("All")), *choices]


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_blank(MessageStatus.choices)
    )
    channel = forms.ChoiceField(
        label=pgettext_lazy("message", "Channel"),
        required=False,
        choices=_blank(MessageChannel.choices),
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=_blank(Category.choices)
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def filters(self) -> dict[str, str]:
        """The valid filters; an invalid value is ignored rather than failing the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: data[k] for k in ("status", "channel", "category", "q") if data.get(k)}


class SendForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=sendable_templates(channel=MessageChannel.EMAIL)
    )
    coupon_code = forms.CharField(
        label=_("Coupon code"),
        required=False,
        max_length=50,
        help_text=_("Fills {{ coupon_code }} in the template; leave empty if it has none."),
    )
    # A fresh key per opened form: a double click or a resubmitted page sends once.
    key = forms.CharField(
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[0-9a-f]{32}$", _("Reload the page and try again."))],
    )

    def __init__(self, *args, channel: str, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = sendable_templates(channel=channel)
        for name, field in self.fields.items():
            if name != "key":
                css = "form-select" if name == "template" else "form-control"
                field.widget.attrs["class"] = css
