"""API serializers for follow-ups and tasks: types in, shapes out; they never save."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.accounts.models import User
from guanxi.api.fields import (
    CustomerRefSerializer,
    ScopedContactField,
    ScopedCustomerField,
    UserRefSerializer,
)
from guanxi.followups.models import Channel, TaskPriority, TaskSource, TaskStatus

# --- follow-ups --------------------------------------------------------------------------


class FollowUpSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    customer = CustomerRefSerializer(read_only=True)
    contact = serializers.IntegerField(source="contact_id", read_only=True, allow_null=True)
    author = UserRefSerializer(read_only=True, allow_null=True)
    occurred_at = serializers.DateTimeField(read_only=True)
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    content = serializers.CharField(read_only=True)
    feedback = serializers.CharField(read_only=True)
    next_step = serializers.CharField(read_only=True)
    next_followup_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    reviewed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    reviewed_by = UserRefSerializer(read_only=True, allow_null=True)
    review_comment = serializers.CharField(read_only=True)


class FollowUpCreateSerializer(serializers.Serializer):
    customer = ScopedCustomerField()
    contact = ScopedContactField(required=False, allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)
    content = serializers.CharField(allow_blank=True, help_text=_("What was discussed."))
    occurred_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("Defaults to now.")
    )
    feedback = serializers.CharField(required=False, allow_blank=True)
    next_step = serializers.CharField(required=False, allow_blank=True, max_length=500)
    next_followup_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=_("Creates a follow-up task for the customer's owner, due then."),
    )


class FollowUpQuerySerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, min_value=1)
    author = serializers.IntegerField(required=False, min_value=1)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
    reviewed = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=_("Reviewed or not yet.")
    )


class FollowUpReviewSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class MissingFollowUpSerializer(serializers.Serializer):
    """A plan date whose follow-up was not recorded in time."""

    id = serializers.IntegerField(read_only=True)
    plan = serializers.IntegerField(source="plan_id", read_only=True)
    plan_name = serializers.CharField(source="plan.name", read_only=True)
    customer = CustomerRefSerializer(read_only=True)
    occurrence_date = serializers.DateField(read_only=True)
    task = serializers.IntegerField(source="task_id", read_only=True)
    task_status = serializers.CharField(source="task.status", read_only=True)
    due_at = serializers.DateTimeField(source="task.due_at", read_only=True)
    assignee = UserRefSerializer(source="task.assignee", read_only=True)


# --- tasks -------------------------------------------------------------------------------


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    customer = CustomerRefSerializer(read_only=True, allow_null=True)
    assignee = UserRefSerializer(read_only=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    due_at = serializers.DateTimeField(read_only=True)
    priority = serializers.ChoiceField(choices=TaskPriority.choices, read_only=True)
    status = serializers.ChoiceField(choices=TaskStatus.choices, read_only=True)
    source = serializers.ChoiceField(choices=TaskSource.choices, read_only=True)
    followup = serializers.IntegerField(source="followup_id", read_only=True, allow_null=True)
    remind_at = serializers.DateTimeField(read_only=True, allow_null=True)
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    completed_by = UserRefSerializer(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class TaskCreateSerializer(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    customer = ScopedCustomerField(required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text=_(
            "Defaults to you; anyone else needs a supervisor (or is the customer's owner)."
        ),
    )
    due_at = serializers.DateTimeField()
    priority = serializers.ChoiceField(choices=TaskPriority.choices, default=TaskPriority.NORMAL)
    remind_minutes = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=60 * 24 * 30,
        help_text=_("Remind this many minutes before the due time (default 60); null: never."),
    )


class TaskUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False
    )
    due_at = serializers.DateTimeField(required=False)
    priority = serializers.ChoiceField(choices=TaskPriority.choices, required=False)
    remind_at = serializers.DateTimeField(required=False, allow_null=True)


class TaskQuerySerializer(serializers.Serializer):
    assignee = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(choices=TaskStatus.choices, required=False)
    customer = serializers.IntegerField(required=False, min_value=1)
    due_before = serializers.DateTimeField(required=False)
    due_after = serializers.DateTimeField(required=False)
