"""REST API for the audit trail (/api/v1/activity/): read only, scoped like every list."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.activity import serializers as s
from guanxi.activity.models import ActivityEvent
from guanxi.activity.selectors import activity_list
from guanxi.api.views import ApiViewSet
from guanxi.core.errors import NotFoundError


class ActivityViewSet(ApiViewSet):
    """Audit rows about customers the caller may see, plus the caller's own actions."""

    queryset = ActivityEvent.objects.none()  # schema introspection only; data from selectors
    serializer_class = s.ActivitySerializer
    http_method_names = ["get", "head"]

    @extend_schema(parameters=[s.ActivityQuerySerializer], responses=s.ActivitySerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.ActivityQuerySerializer)
        qs = activity_list(
            user=request.user,
            actor_id=params.get("actor"),
            verb=params.get("verb", ""),
            source=params.get("source", ""),
            target_type=params.get("target_type", ""),
            customer_id=params.get("customer"),
            since=params.get("since"),
            until=params.get("until"),
        )
        return self.respond_page(s.ActivitySerializer, qs)

    @extend_schema(responses=s.ActivitySerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        event = activity_list(user=request.user).filter(pk=pk).first()
        if event is None:
            raise NotFoundError(_("Activity not found."))
        return self.respond(s.ActivitySerializer, event)
