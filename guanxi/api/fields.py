"""Serializer fields and small read-only serializers every API module shares."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guanxi.accounts.permissions import can_see_contact_details, mask_email, mask_phone
from guanxi.customers.selectors import contact_list, customer_list


def viewer(context: dict[str, Any]):
    request = context.get("request")
    return getattr(request, "user", None)


class CsvListField(serializers.ListField):
    """A list from repeated query parameters (`?tag=a&tag=b`) or one comma-separated value
    (`?tag=a,b`); integrations tend to send one or the other."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [data]
        items = [part.strip() for item in data for part in str(item).split(",")]
        return super().to_internal_value([item for item in items if item])


class _MaskedField(serializers.CharField):
    """A phone or email shown in full only to viewers with "view contact details"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def mask(self, value: str) -> str:
        raise NotImplementedError

    def to_representation(self, value):
        value = value or ""
        root = self.root
        # Decided once per response, not once per row.
        allowed = getattr(root, "_viewer_sees_details", None)
        if allowed is None:
            allowed = can_see_contact_details(viewer(self.context))
            root._viewer_sees_details = allowed
        return value if allowed else self.mask(value)


class MaskedPhoneField(_MaskedField):
    def mask(self, value: str) -> str:
        return mask_phone(value)


class MaskedEmailField(_MaskedField):
    def mask(self, value: str) -> str:
        return mask_email(value)


@extend_schema_field(OpenApiTypes.INT)
class ScopedCustomerField(serializers.PrimaryKeyRelatedField):
    """A customer id the caller may see; any other id reads as "not found"."""

    default_error_messages = {
        "does_not_exist": _("Customer not found."),
        "incorrect_type": _("Give the customer’s id as a number."),
    }

    def get_queryset(self):
        return customer_list(user=viewer(self.context))


@extend_schema_field(OpenApiTypes.INT)
class ScopedContactField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": _("Contact not found."),
        "incorrect_type": _("Give the contact’s id as a number."),
    }

    def get_queryset(self):
        return contact_list(user=viewer(self.context))


# --- references to other records, as they appear inside a response ----------------------


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    def to_representation(self, instance):
        return user_ref(instance)


class NamedRefSerializer(serializers.Serializer):
    """A team or department."""

    id = serializers.IntegerField()
    name = serializers.CharField()

    def to_representation(self, instance):
        return named_ref(instance)


class CodeLabelSerializer(serializers.Serializer):
    """A configurable list entry (industry, level): its stable code and its label."""

    code = serializers.CharField()
    label = serializers.CharField()

    def to_representation(self, instance):
        return code_label(instance)


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()

    def to_representation(self, instance):
        return customer_ref(instance)


def user_ref(user) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "name": user.label}


def named_ref(obj) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def code_label(obj) -> dict[str, Any] | None:
    return None if obj is None else {"code": obj.code, "label": str(obj)}


def customer_ref(customer) -> dict[str, Any] | None:
    return (
        None
        if customer is None
        else {"id": customer.pk, "code": customer.code, "name": customer.name}
    )


@extend_schema_field(OpenApiTypes.OBJECT)
class JsonObjectField(serializers.DictField):
    """A free-form JSON object (custom fields, audit changes)."""
