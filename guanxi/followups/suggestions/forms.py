"""The suggestion-rule form (admins): it parses; suggestions/services.py validates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import BootstrapMixin
from guanxi.followups.suggestions.models import KeywordRule, SuggestionKind


class RuleForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Any of them in the follow-up's content, feedback or next step; separate "
                    "them with commas or new lines."),
    )  # fmt: skip
    close_within_days = forms.IntegerField(
        label=_("Expected close within (days)"),
        required=False,
        min_value=0,
        max_value=365,
        help_text=_("Empty: whatever the expected close date."),
    )
    kind = forms.ChoiceField(label=_("Suggested change"), choices=SuggestionKind.choices)
    value = forms.CharField(
        label=_("Value"),
        max_length=100,
        required=False,
        help_text=_("Intent: high / medium / low; level: its code (high_value …); tag: its "
                    "name; deal stage: its code (won …)."),
    )  # fmt: skip
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    order = forms.IntegerField(label=_("Order"), required=False, min_value=0, initial=0)

    @classmethod
    def initial_of(cls, rule: KeywordRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "keywords": ", ".join(rule.keywords or []),
            "close_within_days": rule.close_within_days,
            "kind": rule.kind,
            "value": rule.value,
            "is_active": rule.is_active,
            "order": rule.order,
        }

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["order"] = data.get("order") or 0
        return data
