"""API serializers for maintenance plans and the calendar: types in, shapes out."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.accounts.models import User
from guanxi.api.fields import (
    CodeLabelSerializer,
    CustomerRefSerializer,
    NamedRefSerializer,
    ScopedCustomerField,
    UserRefSerializer,
)
from guanxi.customers.models import Level, Stage, Tag
from guanxi.followups.plans.models import Assignment, Cycle, PlanChannel, PlanStatus, Weekday


class PlanSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    customer = CustomerRefSerializer(read_only=True, allow_null=True)
    level = CodeLabelSerializer(read_only=True, allow_null=True)
    stage = serializers.CharField(read_only=True)
    tag = serializers.CharField(source="tag.name", read_only=True, allow_null=True, default=None)
    cycle = serializers.ChoiceField(choices=Cycle.choices, read_only=True)
    interval_days = serializers.IntegerField(read_only=True, allow_null=True)
    weekday = serializers.IntegerField(read_only=True, allow_null=True)
    day_of_month = serializers.IntegerField(read_only=True, allow_null=True)
    channel = serializers.ChoiceField(choices=PlanChannel.choices, read_only=True)
    content = serializers.CharField(read_only=True)
    assign_to = serializers.ChoiceField(choices=Assignment.choices, read_only=True)
    owner = UserRefSerializer(read_only=True, allow_null=True)
    start_date = serializers.DateField(read_only=True)
    end_date = serializers.DateField(read_only=True, allow_null=True)
    next_date = serializers.DateField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=PlanStatus.choices, read_only=True)
    template_key = serializers.CharField(read_only=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    submitted_by = UserRefSerializer(read_only=True, allow_null=True)
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decision_comment = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class PlanWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True)
    customer = ScopedCustomerField(
        required=False, allow_null=True, help_text=_("One customer; or give a segment.")
    )
    level = serializers.SlugRelatedField(
        slug_field="code", queryset=Level.objects.all(), required=False, allow_null=True
    )
    stage = serializers.ChoiceField(choices=Stage.choices, required=False, allow_blank=True)
    tag = serializers.SlugRelatedField(
        slug_field="name", queryset=Tag.objects.all(), required=False, allow_null=True
    )
    cycle = serializers.ChoiceField(choices=Cycle.choices)
    interval_days = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    weekday = serializers.ChoiceField(choices=Weekday.choices, required=False, allow_null=True)
    day_of_month = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    channel = serializers.ChoiceField(choices=PlanChannel.choices)
    content = serializers.CharField(required=False, allow_blank=True)
    assign_to = serializers.ChoiceField(
        choices=Assignment.choices, default=Assignment.CUSTOMER_OWNER
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True)


class PlanQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PlanStatus.choices, required=False)
    mine = serializers.BooleanField(required=False, default=False)
    customer = serializers.IntegerField(required=False, min_value=1)


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class TemplateSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    segment = serializers.CharField()


class TemplateApplySerializer(serializers.Serializer):
    start_date = serializers.DateField(required=False, allow_null=True)


class CalendarQuerySerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    team = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        from guanxi.followups.plans.calendar import MAX_DAYS

        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end must not be before the start.")]})
        if (attrs["end"] - attrs["start"]).days >= MAX_DAYS:
            raise serializers.ValidationError(
                {"end": [_("Ask for at most %(days)d days at a time.") % {"days": MAX_DAYS}]}
            )
        return attrs


class CalendarTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    due_at = serializers.DateTimeField()
    status = serializers.CharField()
    source = serializers.CharField()
    overdue = serializers.BooleanField(source="is_overdue")
    customer = CustomerRefSerializer(allow_null=True)
    assignee = UserRefSerializer()
    plan = serializers.IntegerField(allow_null=True, source="plan_id")


class CalendarOccurrenceSerializer(serializers.Serializer):
    date = serializers.DateField()
    plan = serializers.IntegerField(source="plan.pk")
    name = serializers.CharField(source="plan.name")
    channel = serializers.CharField(source="plan.channel")


class CalendarSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    team = NamedRefSerializer(allow_null=True)
    tasks = CalendarTaskSerializer(many=True)
    occurrences = CalendarOccurrenceSerializer(many=True)
    truncated = serializers.BooleanField()
