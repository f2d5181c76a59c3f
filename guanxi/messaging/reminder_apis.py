"""REST API of reminder policies (/api/v1/reminder-policies/): admins only (config.manage)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from guanxi.accounts.permissions import Perm
from guanxi.api.views import SOURCE, ApiViewSet
from guanxi.customers.models import Intent, Kind
from guanxi.messaging import reminders
from guanxi.messaging.models import Frequency, ReminderMethod, ReminderPolicy


class ReminderPolicySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    intent = serializers.CharField(read_only=True)
    customer_kind = serializers.CharField(read_only=True)
    frequency = serializers.CharField(read_only=True)
    interval_days = serializers.IntegerField(read_only=True)
    weekday = serializers.IntegerField(read_only=True, help_text=_("0 = Monday … 6 = Sunday"))
    rhythm = serializers.SerializerMethodField(help_text=_("The rhythm in words."))
    method = serializers.CharField(read_only=True)
    task_title = serializers.CharField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_rhythm(self, policy: ReminderPolicy) -> str:
        return reminders.policy_rhythm(policy)


class ReminderPolicyWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    intent = serializers.ChoiceField(choices=Intent.choices)
    customer_kind = serializers.ChoiceField(
        choices=[("", _("Any type")), *Kind.choices], required=False, allow_blank=True
    )
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    interval_days = serializers.IntegerField(
        min_value=1, max_value=reminders.MAX_INTERVAL_DAYS, required=False
    )
    weekday = serializers.IntegerField(min_value=0, max_value=6, required=False)
    method = serializers.ChoiceField(choices=ReminderMethod.choices, required=False)
    task_title = serializers.CharField(max_length=200)
    is_active = serializers.BooleanField(required=False)


class ReminderPolicyViewSet(ApiViewSet):
    queryset = ReminderPolicy.objects.none()  # schema introspection only
    serializer_class = ReminderPolicySerializer
    http_method_names = ["get", "post", "patch", "head"]
    required_perms = {
        "list": Perm.CONFIG_MANAGE,
        "retrieve": Perm.CONFIG_MANAGE,
        "create": Perm.CONFIG_MANAGE,
        "partial_update": Perm.CONFIG_MANAGE,
    }

    @extend_schema(responses=ReminderPolicySerializer)
    def list(self, request: Request) -> Response:
        qs = reminders.reminder_policy_list(user=request.user).order_by("id")
        return self.respond_page(ReminderPolicySerializer, qs)

    @extend_schema(responses=ReminderPolicySerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        policy = reminders.reminder_policy_get(user=request.user, pk=pk)
        return self.respond(ReminderPolicySerializer, policy)

    @extend_schema(request=ReminderPolicyWriteSerializer, responses={201: ReminderPolicySerializer})
    def create(self, request: Request) -> Response:
        data = self.parse(ReminderPolicyWriteSerializer)
        policy = reminders.reminder_policy_save(actor=request.user, data=data, source=SOURCE)
        return self.respond(ReminderPolicySerializer, policy, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=ReminderPolicyWriteSerializer, responses=ReminderPolicySerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        policy = reminders.reminder_policy_get(user=request.user, pk=pk)
        data = self.parse(ReminderPolicyWriteSerializer, partial=True)
        policy = reminders.reminder_policy_save(
            actor=request.user, policy=policy, data=data, source=SOURCE
        )
        return self.respond(ReminderPolicySerializer, policy)


def register(router: DefaultRouter) -> None:
    router.register("reminder-policies", ReminderPolicyViewSet, basename="reminder-policy")
