"""The customer form: all of a customer, its primary contact and its custom fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import (
    Perm,
    can_see_contact_details,
    has_perm,
    mask_email,
    mask_phone,
)
from guanxi.core.forms import BootstrapMixin
from guanxi.customers import selectors
from guanxi.customers.forms.inputs import BLANK, UserChoiceField, date_input, split_tags
from guanxi.customers.models import (
    Contact,
    Customer,
    CustomerSource,
    CustomFieldDefinition,
    DecisionRole,
    FieldType,
    Industry,
    Intent,
    Kind,
    Level,
    Stage,
)


def custom_form_field(definition: CustomFieldDefinition) -> forms.Field:
    common: dict[str, Any] = {"label": str(definition), "required": definition.required}
    if definition.field_type == FieldType.NUMBER:
        return forms.DecimalField(**common)
    if definition.field_type == FieldType.DATE:
        return forms.DateField(widget=date_input(), **common)
    if definition.field_type == FieldType.CHOICE:
        choices = [BLANK, *((str(c), str(c)) for c in definition.choices)]
        return forms.ChoiceField(choices=choices, **common)
    return forms.CharField(max_length=1000, **common)


class CustomerForm(BootstrapMixin, forms.Form):
    """All of a customer, its primary contact and its custom fields (per industry).

    Name and phone are not `required` here: the service checks them, so the message is the
    one every write path gives ("Please fill in the customer name and contact phone.")."""

    CUSTOMER_FIELDS = (
        "kind", "name", "industry", "province", "city", "district", "address", "source",
        "level", "intent", "stage", "demand", "expected_close_date", "birthday", "anniversary",
        "remarks",
    )  # fmt: skip
    CONTACT_FIELDS = ("contact_name", "phone", "email", "contact_title", "wechat", "decision_role")
    CUSTOM_PREFIX = "cf_"

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Type"), choices=Kind.choices, initial=Kind.COMPANY)
    name = forms.CharField(label=_("Customer name"), required=False, max_length=200)
    industry = forms.ModelChoiceField(
        Industry.objects.filter(is_active=True), label=_("Industry"), required=False
    )
    province = forms.CharField(label=_("Province"), required=False, max_length=50)
    city = forms.CharField(label=_("City"), required=False, max_length=50)
    district = forms.CharField(label=_("District"), required=False, max_length=50)
    address = forms.CharField(label=_("Address"), required=False, max_length=300)
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[BLANK, *CustomerSource.choices]
    )
    level = forms.ModelChoiceField(
        Level.objects.filter(is_active=True), label=_("Level"), required=False
    )
    intent = forms.ChoiceField(label=_("Intent"), required=False, choices=[BLANK, *Intent.choices])
    stage = forms.ChoiceField(label=_("Lifecycle stage"), choices=Stage.choices, initial=Stage.NEW)
    demand = forms.CharField(
        label=_("Demand description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    expected_close_date = forms.DateField(
        label=_("Expected close date"), required=False, widget=date_input()
    )
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=date_input())
    anniversary = forms.DateField(
        label=_("Cooperation anniversary"), required=False, widget=date_input()
    )
    remarks = forms.CharField(
        label=_("Remarks"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separate tags with commas or 、; new tags are created."),
    )
    owner = UserChoiceField(User.objects.none(), label=_("Owner"), required=False)
    contact_name = forms.CharField(label=_("Contact name"), required=False, max_length=100)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.CharField(label=_("Email address"), required=False, max_length=254)
    contact_title = forms.CharField(label=_("Job title"), required=False, max_length=100)
    wechat = forms.CharField(label=_("WeChat ID"), required=False, max_length=100)
    decision_role = forms.ChoiceField(
        label=_("Role in decision chain"),
        required=False,
        choices=[BLANK, *DecisionRole.choices],
    )

    def __init__(
        self,
        *args: Any,
        user: User,
        customer: Customer | None = None,
        contact: Contact | None = None,
        industry_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        if customer is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(customer, contact)
        super().__init__(*args, **kwargs)
        self.user = user
        self.customer = customer
        self._setup_owner(user, customer)
        self._setup_contact_details(user, contact)
        self.fields["province"].widget.attrs["list"] = "province-options"
        self.fields["tags"].widget.attrs["list"] = "tag-options"
        self.fields["phone"].widget.attrs.update({"type": "tel", "autocomplete": "off"})
        self.fields["email"].widget.attrs["type"] = "email"
        # Choosing an industry swaps in its custom fields, keeping what was typed in them.
        self.fields["industry"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("customers:custom_fields"),
                "hx-trigger": "change",
                "hx-target": "#custom-fields",
                "hx-swap": "outerHTML",
                "hx-include": "#custom-fields",
            }
        )
        self.custom_definitions = list(
            selectors.custom_field_definitions(industry_id=self._industry_id(industry_id))
        )
        for definition in self.custom_definitions:
            field = custom_form_field(definition)
            self.fields[self.CUSTOM_PREFIX + definition.key] = field
            # Added after BootstrapMixin styled the static fields, so styled here.
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    @property
    def custom_fields(self) -> list[forms.BoundField]:
        return [self[self.CUSTOM_PREFIX + d.key] for d in self.custom_definitions]

    @classmethod
    def initial_from(cls, customer: Customer, contact: Contact | None) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(customer, name) for name in cls.CUSTOMER_FIELDS}
        initial["version"] = customer.version
        initial["owner"] = customer.owner_id
        initial["tags"] = "、".join(t.name for t in customer.tags.all())
        if contact is not None:
            initial.update(
                contact_name=contact.name,
                phone=contact.phone,
                email=contact.email,
                contact_title=contact.title,
                wechat=contact.wechat,
                decision_role=contact.decision_role,
            )
        for key, value in (customer.custom_fields or {}).items():
            initial[cls.CUSTOM_PREFIX + key] = value
        return initial

    def _industry_id(self, explicit: int | None) -> int | None:
        if explicit is not None:
            return explicit
        raw = self.data.get("industry") if self.is_bound else self.initial.get("industry")
        raw = getattr(raw, "pk", raw)
        try:
            return int(raw) if raw else None
        except (TypeError, ValueError):
            return None

    def _setup_owner(self, user: User, customer: Customer | None) -> None:
        # Only someone who may reassign picks the owner; everyone else creates for themselves.
        if not has_perm(user, Perm.CUSTOMER_REASSIGN):
            del self.fields["owner"]
            return
        choices = selectors.owner_choices(user=user)
        if customer is not None and customer.owner_id:
            choices = User.objects.filter(
                Q(pk__in=choices.values("pk")) | Q(pk=customer.owner_id)
            ).select_related("team")
        field = self.fields["owner"]
        field.queryset = choices
        field.empty_label = _("— No owner —") if customer is not None else _("Me")

    def _setup_contact_details(self, user: User, contact: Contact | None) -> None:
        # Someone who may edit but not see contact details gets no full number in the page:
        # the inputs start empty and an empty input keeps the stored value.
        self.masked_contact = contact is not None and not can_see_contact_details(user)
        if not self.masked_contact:
            return
        for name, value in (("phone", contact.phone), ("email", contact.email)):
            self.initial[name] = ""
            masked = mask_email(value) if name == "email" else mask_phone(value)
            if masked:
                self.fields[name].widget.attrs["placeholder"] = masked
                self.fields[name].help_text = _("Leave empty to keep the current value.")

    def field_for_error(self) -> dict[str, str]:
        return {
            f"custom_fields.{d.key}": self.CUSTOM_PREFIX + d.key for d in self.custom_definitions
        }

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        result: dict[str, Any] = {name: data.get(name) for name in self.CUSTOMER_FIELDS}
        for name in ("source", "intent", "province", "city", "district", "address"):
            result[name] = result[name] or ""
        for name in self.CONTACT_FIELDS:
            value = data.get(name) or ""
            if self.masked_contact and name in ("phone", "email") and not value:
                continue
            result[name] = value
        result["tags"] = split_tags(data.get("tags", ""))
        if "owner" in self.fields:
            result["owner"] = data.get("owner")
        result["custom_fields"] = {
            d.key: self._custom_value(data.get(self.CUSTOM_PREFIX + d.key))
            for d in self.custom_definitions
        }
        return result

    @staticmethod
    def _custom_value(value: Any) -> Any:
        if value in (None, ""):
            return None
        return value.isoformat() if hasattr(value, "isoformat") else value
