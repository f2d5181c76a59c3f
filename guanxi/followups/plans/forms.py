"""Forms of the plan pages: they parse; plans/services.py checks the rules and writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.core import clock
from guanxi.core.forms import BootstrapMixin
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.forms import ANY, UserChoiceField, date_input
from guanxi.customers.forms.inputs import customer_from_code
from guanxi.customers.models import Level, Stage, Tag
from guanxi.followups.plans.models import (
    Assignment,
    Cycle,
    MaintenancePlan,
    PlanChannel,
    PlanStatus,
    Weekday,
)


class PlanForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    customer = forms.CharField(
        label=_("Customer"),
        required=False,
        max_length=220,
        help_text=_("One customer; or leave empty and choose a segment below."),
    )
    level = forms.ModelChoiceField(
        Level.objects.filter(is_active=True), label=_("Level"), required=False, empty_label=_("Any")
    )
    stage = forms.ChoiceField(
        label=_("Lifecycle stage"), required=False, choices=[ANY, *Stage.choices]
    )
    tag = forms.ModelChoiceField(
        Tag.objects.all(), label=_("Tag"), required=False, empty_label=_("Any")
    )
    cycle = forms.ChoiceField(label=_("Cycle"), choices=Cycle.choices, initial=Cycle.MONTHLY)
    interval_days = forms.IntegerField(
        label=_("Every N days"), required=False, min_value=1, max_value=365
    )
    weekday = forms.TypedChoiceField(
        label=_("Weekday"), required=False, coerce=int, empty_value=None,
        choices=[("", "—"), *Weekday.choices],
    )  # fmt: skip
    day_of_month = forms.IntegerField(
        label=_("Day of month"), required=False, min_value=1, max_value=31
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=PlanChannel.choices)
    content = forms.CharField(
        label=_("Content points"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    assign_to = forms.ChoiceField(label=_("Tasks go to"), choices=Assignment.choices)
    owner = UserChoiceField(User.objects.none(), label=_("Responsible person"), required=False)
    start_date = forms.DateField(label=_("Start"), widget=date_input())
    end_date = forms.DateField(label=_("End"), required=False, widget=date_input())

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"start_date": clock.today()})
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner"].queryset = customer_selectors.owner_choices(user=user)
        self.fields["customer"].widget.attrs.update(
            {
                "list": "customer-options",
                "autocomplete": "off",
                "hx-get": reverse_lazy("customers:lookup"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#customer-options",
                "hx-swap": "innerHTML",
            }
        )

    @classmethod
    def initial_of(cls, plan: MaintenancePlan) -> dict[str, Any]:
        initial = {
            name: getattr(plan, name)
            for name in ["name", "stage", "cycle", "interval_days", "weekday", "day_of_month",
                         "channel", "content", "assign_to", "start_date", "end_date"]
        }  # fmt: skip
        initial.update(level=plan.level_id, tag=plan.tag_id, owner=plan.owner_id)
        if plan.customer:
            initial["customer"] = f"{plan.customer.code} {plan.customer.name}"
        return initial

    def clean_customer(self):
        return customer_from_code(user=self.user, text=self.cleaned_data.get("customer"))

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["stage"] = data.get("stage") or ""
        return data


class DecisionForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TemplateApplyForm(BootstrapMixin, forms.Form):
    start_date = forms.DateField(label=_("Start"), widget=date_input())


class PlanFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[ANY, *PlanStatus.choices]
    )
    mine = forms.BooleanField(label=_("Only mine"), required=False)

    def selector_kwargs(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {"status": self.cleaned_data["status"], "mine": self.cleaned_data["mine"]}
