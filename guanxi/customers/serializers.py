"""API serializers for customers, contacts and tags: they check types and shape output.

They never save. Domain rules — required name or phone, phone formats, custom fields —
live in the services, so the API answers with the same messages as the UI.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.accounts.models import User
from guanxi.accounts.permissions import can_see_contact_details, mask_email, mask_phone
from guanxi.api.fields import (
    CodeLabelSerializer,
    CsvListField,
    JsonObjectField,
    MaskedEmailField,
    MaskedPhoneField,
    NamedRefSerializer,
    ScopedCustomerField,
    UserRefSerializer,
    viewer,
)
from guanxi.customers.models import (
    CustomerSource,
    DecisionRole,
    Industry,
    Intent,
    Kind,
    Level,
    Stage,
)
from guanxi.customers.references import Labels, reference_labels
from guanxi.customers.selectors import CONTACT_ROW_FIELDS, ROW_FIELDS, SORTS, primary_contact

# --- customers: output -------------------------------------------------------------------

# Unbound fields used only for their formatting, so dates read exactly as elsewhere in the API.
_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()


class CustomerSerializer(serializers.Serializer):
    """A customer as the API shows it. Phone and email are those of the primary contact,
    masked for viewers without "view contact details"."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    name = serializers.CharField()
    contact_name = serializers.CharField()
    contact_title = serializers.CharField()
    phone = serializers.CharField(help_text=_("E.164, e.g. +8613812345678, or masked."))
    email = serializers.CharField()
    wechat = serializers.CharField()
    decision_role = serializers.ChoiceField(choices=DecisionRole.choices, allow_blank=True)
    industry = CodeLabelSerializer(allow_null=True)
    level = CodeLabelSerializer(allow_null=True)
    province = serializers.CharField()
    city = serializers.CharField()
    district = serializers.CharField()
    address = serializers.CharField()
    source = serializers.ChoiceField(choices=CustomerSource.choices, allow_blank=True)
    intent = serializers.ChoiceField(choices=Intent.choices, allow_blank=True)
    stage = serializers.ChoiceField(choices=Stage.choices)
    demand = serializers.CharField()
    expected_close_date = serializers.DateField(allow_null=True)
    owner = UserRefSerializer(allow_null=True)
    team = NamedRefSerializer(allow_null=True)
    department = NamedRefSerializer(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    birthday = serializers.DateField(allow_null=True)
    anniversary = serializers.DateField(allow_null=True)
    remarks = serializers.CharField()
    last_contact_at = serializers.DateTimeField(allow_null=True)
    custom_fields = JsonObjectField()
    external_source = serializers.CharField()
    external_id = serializers.CharField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance) -> dict[str, Any]:
        # Written out by hand: the list endpoint renders 50 of these per request and the
        # generic field-by-field path costs several times more for the same output. Rows
        # (dicts from selectors.customer_rows) and model instances render through one path.
        root = self.root
        sees = getattr(root, "_viewer_sees_details", None)
        if sees is None:
            sees = can_see_contact_details(viewer(self.context))
            root._viewer_sees_details = sees
        row = instance if isinstance(instance, dict) else row_from_instance(instance)
        labels = getattr(root, "_labels", None)
        if labels is None:
            page = root.instance if isinstance(root.instance, list) else [row]
            labels = root._labels = reference_labels(rows=[r for r in page if isinstance(r, dict)])
            root._tz = timezone.get_current_timezone()
        return payload_from_row(row, sees=sees, labels=labels, tz=root._tz)


def row_from_instance(customer) -> dict[str, Any]:
    """A model instance in the shape of selectors.customer_rows + rows_with_contacts_and_tags."""
    contact = primary_contact(customer)
    row = {name: getattr(customer, name) for name in ROW_FIELDS}
    row["primary_contact"] = (
        {name: getattr(contact, name) for name in CONTACT_ROW_FIELDS} if contact else None
    )
    row["tag_names"] = sorted(tag.name for tag in customer.tags.all())
    return row


def _named(names: dict[int, str], pk: int | None) -> dict[str, Any] | None:
    return None if pk is None else {"id": pk, "name": names.get(pk, "")}


def _datetime_text(value: dt.datetime, tz: dt.tzinfo) -> str:
    """DRF's DateTimeField output (ISO 8601 in the current time zone, UTC as Z) without its
    per-call time-zone lookups, which were 60% of rendering a list page."""
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def payload_from_row(
    row: dict[str, Any], *, sees: bool, labels: Labels, tz: dt.tzinfo | None = None
) -> dict[str, Any]:
    contact = row["primary_contact"] or {}
    phone, email = contact.get("phone", ""), contact.get("email", "")
    date = _DATE.to_representation
    tz = tz or timezone.get_current_timezone()
    english = labels.english()
    return {
        "id": row["id"],
        "code": row["code"],
        "kind": row["kind"],
        "name": row["name"],
        "contact_name": contact.get("name", ""),
        "contact_title": contact.get("title", ""),
        "phone": phone if sees else mask_phone(phone),
        "email": email if sees else mask_email(email),
        "wechat": contact.get("wechat", ""),
        "decision_role": contact.get("decision_role", ""),
        "industry": labels.choice("industry", row["industry_id"], english=english),
        "level": labels.choice("level", row["level_id"], english=english),
        "province": row["province"],
        "city": row["city"],
        "district": row["district"],
        "address": row["address"],
        "source": row["source"],
        "intent": row["intent"],
        "stage": row["stage"],
        "demand": row["demand"],
        "expected_close_date": date(row["expected_close_date"])
        if row["expected_close_date"]
        else None,
        "owner": _named(labels.users, row["owner_id"]),
        "team": _named(labels.teams, row["team_id"]),
        "department": _named(labels.departments, row["department_id"]),
        "tags": row["tag_names"],
        "birthday": date(row["birthday"]) if row["birthday"] else None,
        "anniversary": date(row["anniversary"]) if row["anniversary"] else None,
        "remarks": row["remarks"],
        "last_contact_at": (
            _datetime_text(row["last_contact_at"], tz) if row["last_contact_at"] else None
        ),
        "custom_fields": row["custom_fields"] or {},
        "external_source": row["external_source"],
        "external_id": row["external_id"],
        "version": row["version"],
        "created_at": _datetime_text(row["created_at"], tz),
        "updated_at": _datetime_text(row["updated_at"], tz),
    }


# --- customers: input --------------------------------------------------------------------


class _CustomerInputSerializer(serializers.Serializer):
    """Every field is optional here; the service says what a customer needs, in the
    same words as the web form."""

    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    contact_title = serializers.CharField(required=False, allow_blank=True, max_length=100)
    phone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=_("Any common format: 138 1234 5678, +86-138…, 010-12345678."),
    )
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    wechat = serializers.CharField(required=False, allow_blank=True, max_length=100)
    decision_role = serializers.ChoiceField(
        choices=DecisionRole.choices, required=False, allow_blank=True
    )
    industry = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Industry.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=_("Industry code, e.g. “it”."),
    )
    level = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Level.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=_("Level code, e.g. “high_value”."),
    )
    province = serializers.CharField(required=False, allow_blank=True, max_length=50)
    city = serializers.CharField(required=False, allow_blank=True, max_length=50)
    district = serializers.CharField(required=False, allow_blank=True, max_length=50)
    address = serializers.CharField(required=False, allow_blank=True, max_length=300)
    source = serializers.ChoiceField(
        choices=CustomerSource.choices, required=False, allow_blank=True
    )
    intent = serializers.ChoiceField(choices=Intent.choices, required=False, allow_blank=True)
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    demand = serializers.CharField(required=False, allow_blank=True)
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=_("User id of the owner; assigning to someone else needs a supervisor."),
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        help_text=_("Tag names; unknown names are created."),
    )
    birthday = serializers.DateField(required=False, allow_null=True)
    anniversary = serializers.DateField(required=False, allow_null=True)
    remarks = serializers.CharField(required=False, allow_blank=True)
    custom_fields = JsonObjectField(required=False)
    external_source = serializers.CharField(required=False, allow_blank=True, max_length=50)
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=100)


class CustomerCreateSerializer(_CustomerInputSerializer):
    pass


class CustomerUpdateSerializer(_CustomerInputSerializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_(
            "The version you last read. If the customer changed since, nothing is saved "
            "and the answer is 409. Without it (and without If-Match), the last write wins."
        ),
    )


class CustomerUpsertSerializer(_CustomerInputSerializer):
    external_source = serializers.CharField(
        max_length=50, help_text=_("The system the record comes from, e.g. “erp”.")
    )
    external_id = serializers.CharField(
        max_length=100, help_text=_("The record’s id in that system.")
    )


class CustomerQuerySerializer(serializers.Serializer):
    """The customer list's filters: the same as the web list's."""

    search = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Name, code, phone in any format, email, contact name or pinyin."),
    )
    industry = CsvListField(
        child=serializers.SlugRelatedField(slug_field="code", queryset=Industry.objects.all()),
        required=False,
        help_text=_("Industry codes."),
    )
    province = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField(required=False, allow_blank=True)
    level = CsvListField(
        child=serializers.SlugRelatedField(slug_field="code", queryset=Level.objects.all()),
        required=False,
        help_text=_("Level codes."),
    )
    intent = CsvListField(child=serializers.ChoiceField(choices=Intent.choices), required=False)
    stage = CsvListField(child=serializers.ChoiceField(choices=Stage.choices), required=False)
    tag = CsvListField(child=serializers.CharField(), required=False, help_text=_("Tag names."))
    owner = CsvListField(
        child=serializers.IntegerField(min_value=1), required=False, help_text=_("User ids.")
    )
    no_owner = serializers.BooleanField(required=False, help_text=_("Only unassigned customers."))
    team = CsvListField(
        child=serializers.IntegerField(min_value=1), required=False, help_text=_("Team ids.")
    )
    source = CsvListField(
        child=serializers.ChoiceField(choices=CustomerSource.choices), required=False
    )
    last_contact_from = serializers.DateField(required=False)
    last_contact_to = serializers.DateField(required=False)
    created_from = serializers.DateField(required=False)
    created_to = serializers.DateField(required=False)
    sort = serializers.ChoiceField(
        choices=list(SORTS),
        required=False,
        default="newest",
        help_text=_("Never-contacted customers come last in either direction."),
    )


# --- contacts ----------------------------------------------------------------------------


class ContactSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    name = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    phone = MaskedPhoneField()
    phone_alt = MaskedPhoneField()
    email = MaskedEmailField()
    wechat = serializers.CharField(read_only=True)
    birthday = serializers.DateField(read_only=True, allow_null=True)
    decision_role = serializers.CharField(read_only=True)
    is_primary = serializers.BooleanField(read_only=True)
    remarks = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class _ContactInputSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    title = serializers.CharField(required=False, allow_blank=True, max_length=100)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    phone_alt = serializers.CharField(required=False, allow_blank=True, max_length=40)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    wechat = serializers.CharField(required=False, allow_blank=True, max_length=100)
    birthday = serializers.DateField(required=False, allow_null=True)
    decision_role = serializers.ChoiceField(
        choices=DecisionRole.choices, required=False, allow_blank=True
    )
    is_primary = serializers.BooleanField(required=False)
    remarks = serializers.CharField(required=False, allow_blank=True)


class ContactCreateSerializer(_ContactInputSerializer):
    customer = ScopedCustomerField()


class ContactUpdateSerializer(_ContactInputSerializer):
    pass


class ContactQuerySerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, min_value=1)
    search = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Name, exact email or phone.")
    )


class RevealSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=["phone", "phone_alt", "email"], default="phone")


class RevealedSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


# --- tags --------------------------------------------------------------------------------


class TagSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    color = serializers.CharField(read_only=True)


class TagCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, allow_blank=True)


class TagQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True)
