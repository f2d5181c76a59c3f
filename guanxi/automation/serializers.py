"""API shapes of automation rules, their versions, runs (enrollments and step executions),
dry-runs, metrics and the rule templates.

Status fields are written out as plain strings (their values listed in the help text): the
same choice set in several components would make the schema's enum names collide."""

from __future__ import annotations

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guanxi.api.fields import CustomerRefSerializer, JsonObjectField, UserRefSerializer
from guanxi.automation.models import (
    Enrollment,
    EnrollmentStatus,
    Execution,
    ExecutionStatus,
    Rule,
    RuleStatus,
    RuleVersion,
    TriggerKind,
)


def _one_of(choices) -> str:
    return format_lazy(_("One of: {values}."), values=", ".join(choices.values))


# --- references ---------------------------------------------------------------------------


class RuleRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    def to_representation(self, instance: Rule) -> dict[str, Any]:
        return {"id": instance.pk, "name": instance.name}


# --- rules --------------------------------------------------------------------------------


class RuleSerializer(serializers.ModelSerializer):
    """A rule as listed: what it is, its state and the counts beside it."""

    status = serializers.CharField(read_only=True, help_text=_one_of(RuleStatus))
    trigger_kind = serializers.CharField(read_only=True, help_text=_one_of(TriggerKind))
    owner = UserRefSerializer(read_only=True, allow_null=True)
    version = serializers.SerializerMethodField(help_text=_("The current version's number."))
    active_enrollments = serializers.SerializerMethodField(
        help_text=_("Journeys in progress (of customers you can see).")
    )
    failed_steps = serializers.SerializerMethodField(
        help_text=_("Steps that failed and wait for a retry or a skip (of customers you can see).")
    )

    class Meta:
        model = Rule
        fields = [
            "id", "name", "description", "status", "trigger_kind", "trigger_event",
            "template_key", "is_system", "owner", "version", "next_run_at", "last_run_at",
            "paused_reason", "active_enrollments", "failed_steps",
        ]  # fmt: skip
        read_only_fields = fields

    def _summary(self, obj: Rule) -> dict[str, int]:
        return self.context.get("summaries", {}).get(obj.pk, {})

    def get_version(self, obj: Rule) -> int | None:
        return obj.current_version.number if obj.current_version_id else None

    def get_active_enrollments(self, obj: Rule) -> int:
        return self._summary(obj).get("active", 0)

    def get_failed_steps(self, obj: Rule) -> int:
        return self._summary(obj).get("failed", 0)


class RuleDetailSerializer(RuleSerializer):
    """A rule with the definition of its current version."""

    definition = serializers.SerializerMethodField(
        help_text=_("trigger, conditions, steps, enrollment and goal, as validated.")
    )

    class Meta(RuleSerializer.Meta):
        fields = [*RuleSerializer.Meta.fields, "run_count", "definition", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_definition(self, obj: Rule) -> dict | None:
        return obj.current_version.definition if obj.current_version_id else None


class RuleVersionSerializer(serializers.ModelSerializer):
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    definition = JsonObjectField(read_only=True)

    class Meta:
        model = RuleVersion
        fields = ["number", "created_at", "created_by", "definition"]
        read_only_fields = fields


class RuleQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RuleStatus.choices, required=False, default="")
    q = serializers.CharField(
        required=False, default="", help_text=_("Part of the name or description.")
    )


class DefinitionSerializer(serializers.Serializer):
    definition = JsonObjectField(
        help_text=_(
            'The rule as JSON: {"trigger": {…}, "conditions": {…}, "steps": […], '
            '"enrollment": {…}, "goal": {…}}.'
        )
    )


class RuleCreateSerializer(DefinitionSerializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class RuleUpdateSerializer(serializers.Serializer):
    """Omitted fields keep their value; a changed definition saves a new version."""

    name = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    definition = JsonObjectField(required=False)
    expected_version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("The version number you edited; a newer one answers 409."),
    )


class ValidationResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    definition = JsonObjectField(help_text=_("The definition normalised (step ids filled in)."))


class PauseSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class EnrollRequestSerializer(serializers.Serializer):
    customer_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=5000,
        help_text=_(
            "Customers to enroll; those you cannot see or that the rule's conditions and "
            "enrollment policy refuse are left out."
        ),
    )


class EnrolledSerializer(serializers.Serializer):
    enrolled = serializers.IntegerField(help_text=_("How many journeys started."))


class StepCountsSerializer(serializers.Serializer):
    step_id = serializers.CharField()
    action = serializers.CharField()
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("Executions per status.")
    )
    waiting = serializers.IntegerField(help_text=_("Pending executions due later (waits)."))


class MetricsQuerySerializer(serializers.Serializer):
    since = serializers.DateField(
        required=False, help_text=_("First day (ISO date); default 30 days before until.")
    )
    until = serializers.DateField(
        required=False, help_text=_("Last day, included (ISO date); default today.")
    )


class StepMetricsSerializer(serializers.Serializer):
    step_id = serializers.CharField()
    action = serializers.CharField()
    attempted = serializers.IntegerField()
    sent = serializers.IntegerField()
    responded = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    reach_rate = serializers.FloatField(allow_null=True)
    response_rate = serializers.FloatField(allow_null=True)


class RuleMetricsSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    enrolled = serializers.IntegerField()
    converted = serializers.IntegerField(
        allow_null=True, help_text=_("Null when the rule has no goal.")
    )
    conversion_rate = serializers.FloatField(allow_null=True)
    attempted = serializers.IntegerField()
    sent = serializers.IntegerField()
    responded = serializers.IntegerField()
    reach_rate = serializers.FloatField(allow_null=True, help_text=_("Sent / attempted, in %."))
    response_rate = serializers.FloatField(
        allow_null=True, help_text=_("Opened, clicked or replied / sent, in %.")
    )
    low_response = serializers.BooleanField()
    steps = StepMetricsSerializer(many=True)


class DryRunRequestSerializer(serializers.Serializer):
    definition = JsonObjectField(
        required=False, help_text=_("A definition to try instead of the rule's current one.")
    )
    customer_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=100,
        help_text=_("Explain these customers (matching or not) instead of a sample."),
    )
    sample = serializers.IntegerField(required=False, min_value=1, max_value=100, default=10)


class DraftDryRunRequestSerializer(DryRunRequestSerializer):
    definition = JsonObjectField(help_text=_("The definition of a rule not saved yet."))


class DryRunSampleSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    customer = serializers.CharField()
    code = serializers.CharField()
    matched = serializers.BooleanField()
    explanation = JsonObjectField(help_text=_("Per condition: matched, text and actual value."))
    first_step = JsonObjectField(help_text=_("What the first step would do (rendered message)."))


class DryRunSerializer(serializers.Serializer):
    matching = serializers.IntegerField(help_text=_("Customers matching now."))
    sample = DryRunSampleSerializer(many=True)
    next_runs = serializers.ListField(
        child=serializers.DateTimeField(), help_text=_("Schedules: the next five runs.")
    )
    first_step = serializers.CharField()
    notes = serializers.ListField(child=serializers.CharField())


# --- executions ---------------------------------------------------------------------------


class ExecutionSerializer(serializers.ModelSerializer):
    rule = RuleRefSerializer(read_only=True)
    customer = CustomerRefSerializer(read_only=True)
    status = serializers.CharField(read_only=True, help_text=_one_of(ExecutionStatus))
    result = JsonObjectField(read_only=True)

    class Meta:
        model = Execution
        fields = [
            "id", "rule", "enrollment", "customer", "step_id", "action", "status", "reason",
            "attempts", "next_run_at", "result", "created_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class ExecutionQuerySerializer(serializers.Serializer):
    rule = serializers.IntegerField(required=False, min_value=1, help_text=_("Rule id."))
    status = serializers.ChoiceField(choices=ExecutionStatus.choices, required=False, default="")
    step = serializers.CharField(required=False, default="", help_text=_("Step id (s1, s2 …)."))
    customer = serializers.IntegerField(required=False, min_value=1, help_text=_("Customer id."))
    waiting = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("true: pending steps due later (waits); false: all others."),
    )


class ExecutionBulkSerializer(serializers.Serializer):
    rule = serializers.IntegerField(min_value=1, help_text=_("Rule id."))
    status = serializers.ChoiceField(
        choices=[ExecutionStatus.FAILED, ExecutionStatus.PENDING],
        default=ExecutionStatus.FAILED,
        help_text=_("Which steps: failed (default) or pending (skip only)."),
    )
    step = serializers.CharField(required=False, default="", help_text=_("Only this step id."))


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("How many steps were changed."))


# --- enrollments --------------------------------------------------------------------------


class EnrollmentSerializer(serializers.ModelSerializer):
    rule = RuleRefSerializer(read_only=True)
    customer = CustomerRefSerializer(read_only=True)
    version = serializers.SerializerMethodField(help_text=_("The rule version it follows."))
    status = serializers.CharField(read_only=True, help_text=_one_of(EnrollmentStatus))

    class Meta:
        model = Enrollment
        fields = [
            "id", "rule", "version", "customer", "rotation", "status", "reason", "enrolled_at",
            "finished_at", "goal_reached_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_version(self, obj: Enrollment) -> int:
        return obj.version.number


class EnrollmentDetailSerializer(EnrollmentSerializer):
    executions = serializers.SerializerMethodField()

    class Meta(EnrollmentSerializer.Meta):
        fields = [*EnrollmentSerializer.Meta.fields, "executions"]
        read_only_fields = fields

    @extend_schema_field(ExecutionSerializer(many=True))
    def get_executions(self, obj: Enrollment) -> list[dict]:
        rows = obj.executions.select_related("rule", "customer").order_by("created_at", "pk")
        return ExecutionSerializer(rows, many=True, context=self.context).data


class EnrollmentQuerySerializer(serializers.Serializer):
    rule = serializers.IntegerField(required=False, min_value=1, help_text=_("Rule id."))
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices, required=False, default="")
    customer = serializers.IntegerField(required=False, min_value=1, help_text=_("Customer id."))


# --- templates ----------------------------------------------------------------------------


class RuleTemplateSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    definition = JsonObjectField()

    def to_representation(self, instance) -> dict[str, Any]:
        return {
            "key": instance.key,
            "name": str(instance.name),
            "description": str(instance.description),
            "definition": instance.definition,
        }


class TemplateInstallSerializer(serializers.Serializer):
    enable = serializers.BooleanField(
        required=False, default=False, help_text=_("Activate the rule right away.")
    )


class CouponPoolSerializer(serializers.Serializer):
    pool = serializers.CharField(read_only=True)
    total = serializers.IntegerField(read_only=True)
    issued = serializers.IntegerField(read_only=True)
    available = serializers.IntegerField(read_only=True)


class CouponLoadSerializer(serializers.Serializer):
    pool = serializers.CharField(max_length=50)
    codes = serializers.ListField(child=serializers.CharField(allow_blank=True, trim_whitespace=False),
                                  allow_empty=False, max_length=100_000)  # fmt: skip


class CouponLoadedSerializer(serializers.Serializer):
    pool = serializers.CharField()
    added = serializers.IntegerField()
    duplicates = serializers.IntegerField()
