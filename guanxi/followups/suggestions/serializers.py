"""API serializers for status suggestions and their rules."""

from __future__ import annotations

from rest_framework import serializers

from guanxi.api.fields import CustomerRefSerializer, UserRefSerializer
from guanxi.followups.suggestions.models import SuggestionKind, SuggestionStatus


class SuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    customer = CustomerRefSerializer(read_only=True)
    followup = serializers.IntegerField(source="followup_id", read_only=True)
    rule = serializers.IntegerField(source="rule_id", read_only=True, allow_null=True)
    kind = serializers.ChoiceField(choices=SuggestionKind.choices, read_only=True)
    value = serializers.CharField(read_only=True)
    reason = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=SuggestionStatus.choices, read_only=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class SuggestionQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=SuggestionStatus.choices, required=False, default=SuggestionStatus.PENDING
    )
    customer = serializers.IntegerField(required=False, min_value=1)


class SuggestionRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=100, allow_blank=True)
    keywords = serializers.ListField(child=serializers.CharField(max_length=100))
    close_within_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=365
    )
    kind = serializers.ChoiceField(choices=SuggestionKind.choices)
    value = serializers.CharField(max_length=100, allow_blank=True)
    is_active = serializers.BooleanField(required=False, default=True)
    order = serializers.IntegerField(required=False, default=0, min_value=0)
