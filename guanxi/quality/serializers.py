"""API shapes of the duplicate finder and the merge. They check types; they never save."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.accounts.permissions import shown_email, shown_phone
from guanxi.api.fields import viewer


class DuplicateReasonSerializer(serializers.Serializer):
    # A CharField, not a ChoiceField: a second enum named "kind" would collide in the schema
    # with the customer's kind (drf-spectacular W001).
    kind = serializers.CharField(
        help_text=_(
            "phone, email, name or region. phone / email: the shared value (masked as "
            "elsewhere); name: similarity 0–100."
        ),
    )
    value = serializers.CharField(required=False)
    similarity = serializers.IntegerField(required=False)

    def to_representation(self, instance: dict) -> dict[str, Any]:
        user = viewer(self.context)
        reason = dict(instance)
        if reason.get("kind") == "phone":
            reason["value"] = shown_phone(user, reason.get("value", ""))
        elif reason.get("kind") == "email":
            reason["value"] = shown_email(user, reason.get("value", ""))
        return reason


class DuplicateCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    province = serializers.CharField()
    city = serializers.CharField()
    version = serializers.IntegerField()


class DuplicateGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.IntegerField(help_text=_("0–100: how sure the finder is."))
    reasons = DuplicateReasonSerializer(many=True)
    computed_at = serializers.DateTimeField()
    customers = DuplicateCustomerSerializer(
        many=True, help_text=_("The members you can see (at least two).")
    )


class DuplicateQuerySerializer(serializers.Serializer):
    min_score = serializers.IntegerField(required=False, min_value=0, max_value=100)


class RefreshSerializer(serializers.Serializer):
    task_id = serializers.CharField()


class MergeSerializer(serializers.Serializer):
    survivor = serializers.IntegerField(help_text=_("The customer that stays."))
    others = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        help_text=_("Customers merged into the survivor and then removed."),
    )
    field_choices = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        help_text=_(
            'Per field, the id of the customer whose value survives: {"name": 12, '
            '"region": 13, "primary_contact": 13, "custom_fields.size": 12}. Fields left out '
            "keep the survivor's value, or the first non-empty one."
        ),
    )
    version = serializers.IntegerField(
        required=False, help_text=_("The survivor's version you last read. Stale → 409.")
    )
