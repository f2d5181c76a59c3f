"""API serializers for deals, pipeline stages and orders: types in, shapes out; never save."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guanxi.accounts.models import User
from guanxi.api.fields import CustomerRefSerializer, ScopedCustomerField, UserRefSerializer
from guanxi.deals.models import DealStage, OrderStatus, StageKind


class StageSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    name_en = serializers.CharField(read_only=True)
    label = serializers.CharField(source="__str__", read_only=True)
    order = serializers.IntegerField(read_only=True)
    probability = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=StageKind.choices, read_only=True)
    is_active = serializers.BooleanField(read_only=True)


class StageRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=StageKind.choices)

    def to_representation(self, stage):
        return {"id": stage.pk, "code": stage.code, "label": str(stage), "kind": stage.kind}


@extend_schema_field(OpenApiTypes.STR)
class StageField(serializers.Field):
    """A stage by id (a number) or by code ("won")."""

    default_error_messages = {"unknown": _("Unknown stage.")}

    def to_internal_value(self, data):
        qs = DealStage.objects.all()
        if isinstance(data, int) or (isinstance(data, str) and data.isdigit()):
            stage = qs.filter(pk=int(data)).first()
        else:
            stage = qs.filter(code=str(data)).first()
        if stage is None:
            self.fail("unknown")
        return stage

    def to_representation(self, value):
        return value.pk


@extend_schema_field(OpenApiTypes.INT)
class UserField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {"does_not_exist": _("No such active user.")}

    def get_queryset(self):
        return User.objects.filter(is_active=True)


class DealSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    customer = CustomerRefSerializer(read_only=True)
    title = serializers.CharField(read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    stage = StageRefSerializer(read_only=True)
    probability = serializers.IntegerField(read_only=True)
    weighted_amount = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    expected_close_date = serializers.DateField(read_only=True, allow_null=True)
    owner = UserRefSerializer(read_only=True, allow_null=True)
    next_step = serializers.CharField(read_only=True)
    next_step_date = serializers.DateField(read_only=True, allow_null=True)
    notes = serializers.CharField(read_only=True)
    closed_on = serializers.DateField(read_only=True, allow_null=True)
    close_reason = serializers.CharField(read_only=True)
    stage_changed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class _DealWriteFields(serializers.Serializer):
    title = serializers.CharField(max_length=200, allow_blank=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    stage = StageField(required=False, help_text=_("Stage id or code; default: the first."))
    probability = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True,
        help_text=_("Default: the stage's probability."),
    )  # fmt: skip
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    owner = UserField(required=False, help_text=_("Default: you."))
    next_step = serializers.CharField(max_length=500, required=False, allow_blank=True)
    next_step_date = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    close_reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True,
        help_text=_("Why the deal was won or lost (required for a lost stage)."),
    )  # fmt: skip
    closed_on = serializers.DateField(required=False, allow_null=True)


class DealCreateSerializer(_DealWriteFields):
    customer = ScopedCustomerField()


class DealUpdateSerializer(_DealWriteFields):
    pass


class DealMoveSerializer(serializers.Serializer):
    stage = StageField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    closed_on = serializers.DateField(required=False, allow_null=True)


class DealQuerySerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, min_value=1)
    owner = serializers.IntegerField(required=False, min_value=1)
    team = serializers.IntegerField(required=False, min_value=1)
    stage = StageField(required=False)
    status = serializers.ChoiceField(choices=StageKind.choices, required=False)
    close_month = serializers.RegexField(
        r"^\d{4}-\d{2}$", required=False, help_text=_("Expected close month, YYYY-MM.")
    )
    search = serializers.CharField(required=False, allow_blank=True)


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    customer = CustomerRefSerializer(read_only=True)
    source = serializers.CharField(read_only=True)
    external_id = serializers.CharField(read_only=True)
    number = serializers.CharField(read_only=True)
    ordered_at = serializers.DateTimeField(read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    currency = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=OrderStatus.choices, read_only=True)
    items_summary = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class OrderQuerySerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, min_value=1)
    source = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class OrderInSerializer(serializers.Serializer):
    """One item of POST /orders/bulk/ (for the schema; the service checks each item)."""

    source = serializers.CharField(help_text=_("The system the order comes from: erp, shop …"))
    external_id = serializers.CharField(help_text=_("The order's id in that system."))
    number = serializers.CharField(required=False, help_text=_("Default: external_id."))
    customer_code = serializers.CharField(required=False)
    customer_external_id = serializers.CharField(required=False)
    customer_phone = serializers.CharField(required=False)
    ordered_at = serializers.CharField(help_text=_("ISO date or date-time."))
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField(required=False, default="CNY")
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    items_summary = serializers.CharField(required=False, allow_blank=True)


class OrderResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    id = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
