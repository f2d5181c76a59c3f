"""Forms of the deal pages: they parse and type-check; services decide and save."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import Team, User
from guanxi.core.forms import BootstrapMixin
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.forms import ANY, UserChoiceField, date_input
from guanxi.customers.forms.inputs import customer_from_code
from guanxi.deals.models import DealStage, OrderStatus, StageKind
from guanxi.deals.selectors import DealFilters, OrderFilters

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_start(text: str | None) -> dt.date | None:
    """ "2024-05" → 2024-05-01; anything else → None."""
    match = _MONTH.match((text or "").strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    return dt.date(year, month, 1) if 1 <= month <= 12 and 1900 < year < 3000 else None


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: DealStage) -> str:
        return str(obj)


class DealFilterForm(BootstrapMixin, forms.Form):
    """The board's and the list's filters; the list adds stage, status and search."""

    owner = UserChoiceField(
        User.objects.none(), label=_("Owner"), required=False, empty_label=_("Any")
    )
    team = forms.ModelChoiceField(
        Team.objects.none(), label=_("Team"), required=False, empty_label=_("Any")
    )
    close_month = forms.CharField(
        label=_("Expected close month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    stage = StageChoiceField(
        DealStage.objects.none(), label=_("Stage"), required=False, empty_label=_("Any")
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[ANY, *StageKind.choices])
    search = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args: Any, user: User, board: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = customer_selectors.owner_choices(user=user)
        self.fields["team"].queryset = customer_selectors.team_choices(user=user)
        self.fields["stage"].queryset = DealStage.objects.order_by("order", "id")
        self.fields["search"].widget.attrs["placeholder"] = _("Deal title or customer name")
        if board:  # the board's columns are the stages
            for name in ("stage", "status", "search"):
                del self.fields[name]

    def filters(self) -> DealFilters:
        """Valid filters only, like the other list forms: a bad value is ignored."""
        if not self.is_bound:
            return DealFilters()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        stage = data.get("stage")
        return DealFilters(
            owner_id=data["owner"].pk if data.get("owner") else None,
            team_id=data["team"].pk if data.get("team") else None,
            close_month=month_start(data.get("close_month")),
            stage_id=stage.pk if stage else None,
            status=data.get("status") or "",
            search=(data.get("search") or "").strip(),
        )


class DealForm(BootstrapMixin, forms.Form):
    customer = forms.CharField(
        label=_("Customer"),
        max_length=220,
        help_text=_("Type a name, code or pinyin and pick from the list."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    stage = StageChoiceField(DealStage.objects.none(), label=_("Stage"), empty_label=None)
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Empty: the stage's default."),
    )
    expected_close_date = forms.DateField(
        label=_("Expected close date"), required=False, widget=date_input()
    )
    owner = UserChoiceField(User.objects.none(), label=_("Owner"), required=False)
    next_step = forms.CharField(label=_("Next step"), max_length=500, required=False)
    next_step_date = forms.DateField(label=_("Next step date"), required=False, widget=date_input())
    notes = forms.CharField(
        label=_("Products and notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    close_reason = forms.CharField(
        label=_("Reason won or lost"),
        max_length=500,
        required=False,
        help_text=_("Required when the stage is lost."),
    )

    def __init__(self, *args: Any, user: User, customer=None, deal=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fixed_customer = customer or (deal.customer if deal else None)
        if self.fixed_customer is not None:
            del self.fields["customer"]
        else:
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
        stages = DealStage.objects.filter(is_active=True)
        if deal is not None:  # an inactive stage a deal is still in stays selectable
            stages = stages | DealStage.objects.filter(pk=deal.stage_id)
        self.fields["stage"].queryset = stages.order_by("order", "id")
        owner = self.fields["owner"]
        owner.queryset = customer_selectors.owner_choices(user=user)
        if deal is not None and deal.owner_id:
            owner.queryset = owner.queryset | User.objects.filter(pk=deal.owner_id)
        owner.empty_label = _("Me") if deal is None else None

    def clean_customer(self):
        return customer_from_code(user=self.user, text=self.cleaned_data.get("customer"))

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("customer", None)
        if data.get("owner") is None:
            data.pop("owner", None)
        return data


class MoveForm(forms.Form):
    """A stage move from the board (drag and drop or the card's select)."""

    stage = forms.ModelChoiceField(DealStage.objects.filter(is_active=True))
    reason = forms.CharField(label=_("Why was it lost?"), max_length=500, required=False)


class StageForm(BootstrapMixin, forms.Form):
    code = forms.SlugField(
        label=_("Code"), max_length=50, help_text=_("Letters, digits, - and _; fixed once saved.")
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    order = forms.IntegerField(label=_("Order"), min_value=0, initial=0)
    probability = forms.IntegerField(label=_("Default probability (%)"), min_value=0, max_value=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=StageKind.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, instance: DealStage | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields["code"].required = False
            self.fields["code"].disabled = True


class OrderFilterForm(BootstrapMixin, forms.Form):
    source = forms.CharField(label=_("Source system"), required=False, max_length=50)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[ANY, *OrderStatus.choices]
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=date_input())
    date_to = forms.DateField(label=_("To"), required=False, widget=date_input())
    search = forms.CharField(label=_("Order number"), required=False, max_length=100)
    customer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def filters(self) -> OrderFilters:
        if not self.is_bound:
            return OrderFilters()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})

        def day_start(day: dt.date | None) -> dt.datetime | None:
            return timezone.make_aware(dt.datetime.combine(day, dt.time.min)) if day else None

        until = data.get("date_to")
        return OrderFilters(
            customer_id=data.get("customer"),
            source=(data.get("source") or "").strip(),
            status=data.get("status") or "",
            since=day_start(data.get("date_from")),
            until=day_start(until + dt.timedelta(days=1)) if until else None,
            search=(data.get("search") or "").strip(),
        )


class OrderImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("Spreadsheet"), help_text=_(".xlsx, .xls or .csv"))
    source = forms.SlugField(
        label=_("Source system"),
        max_length=50,
        initial="spreadsheet",
        help_text=_(
            "Where the orders come from. Importing the same file again updates these orders."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file (write nothing)"), required=False, initial=True
    )
