"""REST API for follow-up records and tasks (/api/v1/)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.accounts.permissions import Perm
from guanxi.api.views import SOURCE, ApiViewSet
from guanxi.followups import serializers as s
from guanxi.followups.models import FollowUp, Task
from guanxi.followups.review import followup_review, missing_followups
from guanxi.followups.selectors import followup_get, followup_list, task_get, task_list
from guanxi.followups.services import (
    followup_record,
    task_cancel,
    task_complete,
    task_create,
    task_update,
)


class FollowUpViewSet(ApiViewSet):
    queryset = FollowUp.objects.none()  # schema introspection only; data comes from selectors
    serializer_class = s.FollowUpSerializer
    http_method_names = ["get", "post", "head"]
    required_perms = {
        "list": Perm.CUSTOMER_VIEW,
        "retrieve": Perm.CUSTOMER_VIEW,
        "create": Perm.FOLLOWUP_RECORD,
        "review": Perm.FOLLOWUP_REVIEW,
        "missing": Perm.FOLLOWUP_REVIEW,
    }

    @extend_schema(parameters=[s.FollowUpQuerySerializer], responses=s.FollowUpSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.FollowUpQuerySerializer)
        qs = followup_list(
            user=request.user,
            customer_id=params.get("customer"),
            author_id=params.get("author"),
            channel=params.get("channel", ""),
            since=params.get("since"),
            until=params.get("until"),
            reviewed=params.get("reviewed"),
        )
        return self.respond_page(s.FollowUpSerializer, qs)

    @extend_schema(request=s.FollowUpReviewSerializer, responses=s.FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: int) -> Response:
        """Mark a follow-up reviewed, with an optional comment (supervisors)."""
        followup = followup_get(user=request.user, pk=pk)
        data = self.parse(s.FollowUpReviewSerializer)
        followup = followup_review(
            actor=request.user, followup=followup, comment=data["comment"], source=SOURCE
        )
        return self.respond(s.FollowUpSerializer, followup)

    @extend_schema(responses=s.MissingFollowUpSerializer)
    @action(detail=False, methods=["get"])
    def missing(self, request: Request) -> Response:
        """Plan dates of the last 30 days whose follow-up was not recorded within 2 hours of
        the task's due time (supervisors)."""
        return self.respond_page(s.MissingFollowUpSerializer, missing_followups(user=request.user))

    @extend_schema(responses=s.FollowUpSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.FollowUpSerializer, followup_get(user=request.user, pk=pk))

    @extend_schema(request=s.FollowUpCreateSerializer, responses={201: s.FollowUpSerializer})
    def create(self, request: Request) -> Response:
        data = self.parse(s.FollowUpCreateSerializer)
        followup = followup_record(
            actor=request.user,
            customer=data["customer"],
            contact=data.get("contact"),
            channel=data["channel"],
            content=data["content"],
            occurred_at=data.get("occurred_at"),
            feedback=data.get("feedback", ""),
            next_step=data.get("next_step", ""),
            next_followup_at=data.get("next_followup_at"),
            source=SOURCE,
        )
        return self.respond(s.FollowUpSerializer, followup, status_code=status.HTTP_201_CREATED)


class TaskViewSet(ApiViewSet):
    """Tasks the viewer is assigned, created, or that concern customers in their scope."""

    queryset = Task.objects.none()  # schema introspection only
    serializer_class = s.TaskSerializer
    http_method_names = ["get", "post", "patch", "head"]

    @extend_schema(parameters=[s.TaskQuerySerializer], responses=s.TaskSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.TaskQuerySerializer)
        qs = task_list(
            user=request.user,
            assignee_id=params.get("assignee"),
            status=params.get("status", ""),
            customer_id=params.get("customer"),
            due_before=params.get("due_before"),
            due_after=params.get("due_after"),
        )
        return self.respond_page(s.TaskSerializer, qs.select_related("created_by", "completed_by"))

    @extend_schema(responses=s.TaskSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.TaskSerializer, task_get(user=request.user, pk=pk))

    @extend_schema(request=s.TaskCreateSerializer, responses={201: s.TaskSerializer})
    def create(self, request: Request) -> Response:
        data = self.parse(s.TaskCreateSerializer)
        extra = {"remind_minutes": data["remind_minutes"]} if "remind_minutes" in data else {}
        task = task_create(
            actor=request.user,
            title=data["title"],
            description=data.get("description", ""),
            customer=data.get("customer"),
            assignee=data.get("assignee") or request.user,
            due_at=data["due_at"],
            priority=data["priority"],
            event_source=SOURCE,
            **extra,
        )
        return self.respond(s.TaskSerializer, task, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.TaskUpdateSerializer, responses=s.TaskSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        task = task_get(user=request.user, pk=pk)
        data = self.parse(s.TaskUpdateSerializer, partial=True)
        task = task_update(actor=request.user, task=task, data=data, source=SOURCE)
        return self.respond(s.TaskSerializer, task)

    @extend_schema(request=None, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: int) -> Response:
        task = task_get(user=request.user, pk=pk)
        return self.respond(
            s.TaskSerializer, task_complete(actor=request.user, task=task, source=SOURCE)
        )

    @extend_schema(request=None, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: int) -> Response:
        task = task_get(user=request.user, pk=pk)
        return self.respond(
            s.TaskSerializer, task_cancel(actor=request.user, task=task, source=SOURCE)
        )
