"""REST API for the caller's own in-app notifications (/api/v1/notifications/)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from guanxi.api.views import ApiViewSet
from guanxi.core.errors import NotFoundError
from guanxi.messaging import selectors, services
from guanxi.messaging import serializers as s
from guanxi.messaging.models import Notification


class NotificationViewSet(ApiViewSet):
    """Only ever the caller's own notifications, newest first."""

    queryset = Notification.objects.none()  # schema introspection only; data from selectors
    serializer_class = s.NotificationSerializer
    http_method_names = ["get", "post", "head"]

    @extend_schema(parameters=[s.NotificationQuerySerializer], responses=s.NotificationSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.NotificationQuerySerializer)
        qs = selectors.notification_list(user=request.user, unread_only=params.get("unread", False))
        return self.respond_page(s.NotificationSerializer, qs)

    @extend_schema(responses=s.NotificationSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.NotificationSerializer, self._own(request, pk))

    @extend_schema(request=None, responses=s.NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: int) -> Response:
        services.notifications_mark_read(user=request.user, ids=[self._own(request, pk).pk])
        return self.respond(s.NotificationSerializer, self._own(request, pk))

    @extend_schema(request=None, responses=s.MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_read(user=request.user)})

    @extend_schema(responses=s.UnreadCountSerializer)
    @action(detail=False, methods=["get"], pagination_class=None)
    def unread(self, request: Request) -> Response:
        return Response({"unread": selectors.unread_count(user=request.user)})

    @staticmethod
    def _own(request: Request, pk) -> Notification:
        found = selectors.notification_list(user=request.user).filter(pk=pk).first()
        if found is None:
            raise NotFoundError(_("Notification not found."))
        return found


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the v1 router."""
    from guanxi.messaging import message_apis, reminder_apis, settings_apis, template_apis

    router.register("notifications", NotificationViewSet, basename="notification")
    template_apis.register(router)
    message_apis.register(router)
    reminder_apis.register(router)
    settings_apis.register(router)
