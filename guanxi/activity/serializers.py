"""API serializers for the audit trail (read only), with contact details masked."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.accounts.permissions import can_see_contact_details, mask_email, mask_phone
from guanxi.activity.models import Source, Verb
from guanxi.api.fields import JsonObjectField, UserRefSerializer, viewer

CONTACT_TYPE = "customers.contact"


def _mask(key: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_mask(key, v) for v in value]
    if not isinstance(value, str) or not value:
        return value
    return mask_email(value) if "email" in key else mask_phone(value)


def masked_changes(changes: Any) -> Any:
    """Phones and emails in before → after pairs ("phone", "contact.phone", "email",
    "contact.email", "phone_alt" …), masked; everything else as recorded."""
    if not isinstance(changes, dict):
        return changes
    return {
        key: _mask(key, value) if ("phone" in key or "email" in key) else value
        for key, value in changes.items()
    }


def masked_repr(target_type: str, text: str) -> str:
    # A contact without a name is recorded by its phone or email.
    if target_type != CONTACT_TYPE or not text:
        return text
    if "@" in text:
        return mask_email(text)
    if sum(c.isdigit() for c in text) >= 7:
        return mask_phone(text)
    return text


class ActivitySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    occurred_at = serializers.DateTimeField(read_only=True)
    actor = UserRefSerializer(read_only=True, allow_null=True)
    verb = serializers.ChoiceField(choices=Verb.choices, read_only=True)
    source = serializers.ChoiceField(choices=Source.choices, read_only=True)
    target_type = serializers.CharField(read_only=True)
    target_id = serializers.IntegerField(read_only=True, allow_null=True)
    target_repr = serializers.CharField(read_only=True)
    customer = serializers.IntegerField(source="customer_id", read_only=True, allow_null=True)
    changes = JsonObjectField(read_only=True)
    summary = serializers.CharField(read_only=True)

    def to_representation(self, instance) -> dict[str, Any]:
        data = super().to_representation(instance)
        sees = getattr(self.root, "_viewer_sees_details", None)
        if sees is None:
            sees = can_see_contact_details(viewer(self.context))
            self.root._viewer_sees_details = sees
        if not sees:
            data["changes"] = masked_changes(data["changes"])
            data["target_repr"] = masked_repr(instance.target_type, data["target_repr"])
        return data


class ActivityQuerySerializer(serializers.Serializer):
    actor = serializers.IntegerField(required=False, min_value=1)
    verb = serializers.ChoiceField(choices=Verb.choices, required=False)
    source = serializers.ChoiceField(choices=Source.choices, required=False)
    target_type = serializers.CharField(required=False, help_text=_("e.g. customers.customer"))
    customer = serializers.IntegerField(required=False, min_value=1)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
