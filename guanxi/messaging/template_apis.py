"""REST API for message templates (/api/v1/message-templates/).

Reading and previewing: everyone with customer access (active templates). Creating and
editing: Perm.CONFIG_MANAGE; an edit that changes the text saves a new version."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from guanxi.accounts.permissions import Perm
from guanxi.api.views import SOURCE, ApiViewSet
from guanxi.customers.selectors import customer_get
from guanxi.messaging import template_selectors as selectors
from guanxi.messaging import template_serializers as s
from guanxi.messaging import template_services as services
from guanxi.messaging.models import MessageTemplate


class MessageTemplateViewSet(ApiViewSet):
    queryset = MessageTemplate.objects.none()  # schema introspection only
    serializer_class = s.MessageTemplateSerializer
    http_method_names = ["get", "post", "patch", "head"]
    required_perms = {
        "list": Perm.CUSTOMER_VIEW,
        "retrieve": Perm.CUSTOMER_VIEW,
        "versions": Perm.CUSTOMER_VIEW,
        "preview": Perm.CUSTOMER_VIEW,
        "create": Perm.CONFIG_MANAGE,
        "partial_update": Perm.CONFIG_MANAGE,
        "activate": Perm.CONFIG_MANAGE,
        "deactivate": Perm.CONFIG_MANAGE,
    }

    @extend_schema(parameters=[s.TemplateQuerySerializer], responses=s.MessageTemplateSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.TemplateQuerySerializer)
        qs = selectors.template_list(user=request.user, **params)
        return self.respond_page(s.MessageTemplateSerializer, qs.order_by("id"))

    @extend_schema(responses=s.MessageTemplateSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.MessageTemplateSerializer, self._get(pk))

    @extend_schema(request=s.TemplateCreateSerializer, responses={201: s.MessageTemplateSerializer})
    def create(self, request: Request) -> Response:
        data = self.parse(s.TemplateCreateSerializer)
        template = services.template_create(actor=request.user, source=SOURCE, **data)
        return self.respond(
            s.MessageTemplateSerializer, template, status_code=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.TemplateUpdateSerializer, responses=s.MessageTemplateSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        template = self._get(pk)
        data = self.parse(s.TemplateUpdateSerializer)
        current = template.current_version
        for field in services.VERSION_FIELDS:  # an omitted text keeps the current one
            data.setdefault(field, getattr(current, field) if current else "")
        template = services.template_update(
            actor=request.user, template=template, source=SOURCE, **data
        )
        return self.respond(s.MessageTemplateSerializer, template)

    @extend_schema(responses=s.TemplateVersionSerializer)
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, pk: int) -> Response:
        qs = selectors.version_list(user=request.user, template=self._get(pk))
        return self.respond_page(s.TemplateVersionSerializer, qs)

    @extend_schema(
        request=s.TemplatePreviewRequestSerializer, responses=s.TemplatePreviewSerializer
    )
    @action(detail=True, methods=["post"])
    def preview(self, request: Request, pk: int) -> Response:
        """Render the current (or a given) version, or a draft text sent along, for a
        customer in the caller's scope (or with example values)."""
        template = self._get(pk)
        data = self.parse(s.TemplatePreviewRequestSerializer)
        customer = (
            customer_get(user=request.user, pk=data["customer"]) if data.get("customer") else None
        )
        has_draft = any(field in data for field in services.VERSION_FIELDS)
        version = (
            selectors.version_get(user=request.user, template=template, number=data["version"])
            if data.get("version") and not has_draft
            else None
        )
        draft = (
            services.TemplateText(**{f: data.get(f, "") for f in services.VERSION_FIELDS})
            if has_draft
            else None
        )
        preview = selectors.template_preview(
            user=request.user, template=template, channel=template.channel, version=version,
            draft=draft, customer=customer,
        )  # fmt: skip
        return self.respond(s.TemplatePreviewSerializer, preview)

    @extend_schema(request=None, responses=s.MessageTemplateSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: int) -> Response:
        template = services.template_activate(
            actor=request.user, template=self._get(pk), source=SOURCE
        )
        return self.respond(s.MessageTemplateSerializer, template)

    @extend_schema(request=None, responses=s.MessageTemplateSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: int) -> Response:
        template = services.template_deactivate(
            actor=request.user, template=self._get(pk), source=SOURCE
        )
        return self.respond(s.MessageTemplateSerializer, template)

    def _get(self, pk) -> MessageTemplate:
        return selectors.template_get(user=self.request.user, pk=pk)


def register(router: DefaultRouter) -> None:
    router.register("message-templates", MessageTemplateViewSet, basename="message-template")
