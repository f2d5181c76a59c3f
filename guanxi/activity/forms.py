"""Filters of the audit page. Dates are whole days in the local time zone."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.activity.display import target_type_choices
from guanxi.activity.models import Source, Verb
from guanxi.core.forms import BootstrapMixin


class ActorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.label} ({obj.username})" if obj.label != obj.username else obj.username


class AuditFilterForm(BootstrapMixin, forms.Form):
    actor = ActorChoiceField(
        label=_("Actor"), queryset=None, required=False, empty_label=_("Anyone")
    )
    verb = forms.ChoiceField(label=_("Action"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)
    target_type = forms.ChoiceField(label=_("Object type"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = get_user_model().objects.order_by("username")
        self.fields["verb"].choices = [("", _("Any action")), *Verb.choices]
        self.fields["source"].choices = [("", _("Any source")), *Source.choices]
        self.fields["target_type"].choices = [("", _("Any type")), *target_type_choices()]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def selector_kwargs(self) -> dict:
        """Arguments for activity.selectors.activity_list; nothing when the form is invalid."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "actor_id": data["actor"].pk if data.get("actor") else None,
            "verb": data.get("verb") or "",
            "source": data.get("source") or "",
            "target_type": data.get("target_type") or "",
            "since": _day_start(data["since"]) if data.get("since") else None,
            "until": _day_start(data["until"] + dt.timedelta(days=1))
            if data.get("until")
            else None,
        }


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
