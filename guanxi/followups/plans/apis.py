"""REST API for maintenance plans (with submit / approve / reject and the templates) and the
calendar feed data (/api/v1/)."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from guanxi.accounts.permissions import Perm
from guanxi.api.views import SOURCE, ApiViewSet
from guanxi.core import clock
from guanxi.followups.models import TaskStatus
from guanxi.followups.plans import calendar, defaults, selectors, services
from guanxi.followups.plans import serializers as s
from guanxi.followups.plans.models import MaintenancePlan


class PlanViewSet(ApiViewSet):
    """Maintenance plans in the caller's view: their own, their team's as their scope allows,
    those of customers they may see."""

    queryset = MaintenancePlan.objects.none()  # schema introspection only
    serializer_class = s.PlanSerializer
    http_method_names = ["get", "post", "patch", "delete", "head"]
    required_perms = {
        "create": Perm.FOLLOWUP_RECORD,
        "approve": Perm.PLAN_APPROVE,
        "reject": Perm.PLAN_APPROVE,
        "apply_template": Perm.FOLLOWUP_RECORD,
    }

    @extend_schema(parameters=[s.PlanQuerySerializer], responses=s.PlanSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.PlanQuerySerializer)
        qs = selectors.plan_list(
            user=request.user,
            status=params.get("status", ""),
            mine=params.get("mine", False),
            customer_id=params.get("customer"),
        )
        return self.respond_page(s.PlanSerializer, qs)

    @extend_schema(responses=s.PlanSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.PlanSerializer, selectors.plan_get(user=request.user, pk=pk))

    @extend_schema(request=s.PlanWriteSerializer, responses={201: s.PlanSerializer})
    def create(self, request: Request) -> Response:
        data = self.parse(s.PlanWriteSerializer)
        plan = services.plan_create(actor=request.user, data=data, source=SOURCE)
        return self.respond(s.PlanSerializer, plan, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.PlanWriteSerializer, responses=s.PlanSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get(user=request.user, pk=pk)
        data = self.parse(s.PlanWriteSerializer, partial=True)
        plan = services.plan_update(actor=request.user, plan=plan, data=data, source=SOURCE)
        return self.respond(s.PlanSerializer, plan)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get(user=request.user, pk=pk)
        services.plan_delete(actor=request.user, plan=plan, source=SOURCE)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=s.PlanSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get(user=request.user, pk=pk)
        plan = services.plan_submit(actor=request.user, plan=plan, source=SOURCE)
        return self.respond(s.PlanSerializer, plan)

    @extend_schema(request=s.DecisionSerializer, responses=s.PlanSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get(user=request.user, pk=pk)
        data = self.parse(s.DecisionSerializer)
        plan = services.plan_approve(
            actor=request.user, plan=plan, comment=data["comment"], source=SOURCE
        )
        return self.respond(s.PlanSerializer, plan)

    @extend_schema(request=s.DecisionSerializer, responses=s.PlanSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_get(user=request.user, pk=pk)
        data = self.parse(s.DecisionSerializer)
        plan = services.plan_reject(
            actor=request.user, plan=plan, comment=data["comment"], source=SOURCE
        )
        return self.respond(s.PlanSerializer, plan)

    @extend_schema(responses=s.TemplateSerializer(many=True))
    @action(detail=False, methods=["get"])
    def templates(self, request: Request) -> Response:
        """The default plans of seed 001 a supervisor can apply."""
        return Response(s.TemplateSerializer(defaults.TEMPLATES, many=True).data)

    @extend_schema(request=s.TemplateApplySerializer, responses={201: s.PlanSerializer(many=True)})
    @action(detail=False, methods=["post"], url_path="templates/<slug:key>/apply")
    def apply_template(self, request: Request, key: str) -> Response:
        """Create the template's plans as the caller's drafts."""
        data = self.parse(s.TemplateApplySerializer)
        plans = defaults.template_apply(
            actor=request.user, key=key, start_date=data.get("start_date"), source=SOURCE
        )
        body = s.PlanSerializer(plans, many=True, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


class CalendarViewSet(ApiViewSet):
    """Tasks and plan dates between two days, for the caller or a team their scope covers."""

    queryset = MaintenancePlan.objects.none()  # schema introspection only
    serializer_class = s.CalendarSerializer
    http_method_names = ["get", "head"]

    @extend_schema(parameters=[s.CalendarQuerySerializer], responses=s.CalendarSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.CalendarQuerySerializer)
        team = None
        if params.get("team"):
            team = calendar.team_get(user=request.user, team_id=params["team"])
        start, end = params["start"], params["end"]
        tasks = list(
            calendar.calendar_tasks(user=request.user, start=start, end=end, team=team)[
                : calendar.MAX_TASKS + 1
            ]
        )
        now = clock.now()
        for task in tasks:
            task.is_overdue = task.status == TaskStatus.OPEN and task.due_at < now
            try:
                task.plan_id = task.plan_occurrence.plan_id
            except ObjectDoesNotExist:
                task.plan_id = None
        occurrences = calendar.calendar_occurrences(
            user=request.user, start=start, end=end, team=team
        )
        body = {
            "start": start,
            "end": end,
            "team": team,
            "tasks": tasks[: calendar.MAX_TASKS],
            "occurrences": occurrences,
            "truncated": len(tasks) > calendar.MAX_TASKS,
        }
        return self.respond(s.CalendarSerializer, body)


def register(router: DefaultRouter) -> None:
    router.register("plans", PlanViewSet, basename="plan")
    router.register("calendar", CalendarViewSet, basename="calendar")
