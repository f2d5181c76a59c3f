"""REST API of the exports app, registered on /api/v1/ by `register`.

POST /exports/ starts an export (written at once when small, by a worker when large);
GET /exports/ and /exports/{id}/ show status and progress; GET /exports/{id}/download/ is
the file, for its owner only and before it expires; GET /exports/fields/ lists the columns.
"""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from guanxi.accounts.permissions import Perm
from guanxi.api.views import SOURCE, ApiViewSet
from guanxi.exports import selectors
from guanxi.exports import serializers as s
from guanxi.exports.entities import ENTITIES
from guanxi.exports.models import ExportJob
from guanxi.exports.services import export_request
from guanxi.exports.views import CONTENT_TYPES


class ExportViewSet(ApiViewSet):
    """The caller's own exports."""

    queryset = ExportJob.objects.none()  # schema introspection only
    serializer_class = s.ExportJobSerializer
    http_method_names = ["get", "post", "head"]
    required_perms = {"create": Perm.DATA_EXPORT, "fields": Perm.DATA_EXPORT}

    @extend_schema(responses=s.ExportJobSerializer)
    def list(self, request: Request) -> Response:
        return self.respond_page(s.ExportJobSerializer, selectors.export_list(user=request.user))

    @extend_schema(responses=s.ExportJobSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.ExportJobSerializer, selectors.export_get(user=request.user, pk=pk))

    @extend_schema(
        request=s.ExportCreateSerializer,
        responses={201: s.ExportJobSerializer, 202: s.ExportJobSerializer},
        description="201 when the file is ready, 202 when a worker writes it (poll the job).",
    )
    def create(self, request: Request) -> Response:
        data = self.parse(s.ExportCreateSerializer)
        job = export_request(
            actor=request.user,
            entity=data["entity"],
            file_format=data["format"],
            fields=data["fields"],
            query=data.get("filter", ""),
            ids=data.get("ids", []),
            source=SOURCE,
        )
        code = status.HTTP_202_ACCEPTED if job.is_active else status.HTTP_201_CREATED
        return self.respond(s.ExportJobSerializer, job, status_code=code)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)}
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: int) -> FileResponse:
        job, path = selectors.export_file(user=request.user, pk=pk)
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=job.file_name,
            content_type=CONTENT_TYPES.get(path.suffix.lstrip(".")),
        )

    @extend_schema(responses=s.ExportFieldSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def fields(self, request: Request) -> Response:
        rows = [
            {"entity": name, "key": c.key, "label": str(c.label), "default": c.default}
            for name, entity in ENTITIES.items()
            for c in entity.all_columns()
        ]
        return Response(s.ExportFieldSerializer(rows, many=True).data)


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the v1 router."""
    router.register("exports", ExportViewSet, basename="export")
