"""REST API of the imports app, registered on /api/v1/ by `register`.

POST /imports/ uploads a file and checks it (dry_run, the default) or checks and imports it;
GET /imports/ and /imports/{id}/ show status, progress, counts and the first problems;
POST /imports/{id}/start/ imports a checked job; POST /imports/{id}/undo/ undoes a finished
one; GET /imports/{id}/error-report/ is the .xlsx of rows not imported; GET
/imports/template/?entity=customers is a blank import file.
"""

from __future__ import annotations

from pathlib import Path

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from guanxi.accounts.permissions import Perm
from guanxi.api.views import ApiViewSet
from guanxi.core.errors import NotFoundError
from guanxi.imports import selectors, services
from guanxi.imports import serializers as s
from guanxi.imports.models import Entity, ImportJob
from guanxi.imports.reports import template_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BINARY = {(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY)}


class ImportViewSet(ApiViewSet):
    """The caller's spreadsheet imports (administrators: everyone's)."""

    queryset = ImportJob.objects.none()  # schema introspection only
    serializer_class = s.ImportJobSerializer
    http_method_names = ["get", "post", "head"]
    parser_classes = [MultiPartParser, FormParser]
    required_perms = {
        "list": Perm.CUSTOMER_IMPORT, "retrieve": Perm.CUSTOMER_IMPORT,
        "create": Perm.CUSTOMER_IMPORT, "start": Perm.CUSTOMER_IMPORT,
        "undo": Perm.CUSTOMER_IMPORT, "error_report": Perm.CUSTOMER_IMPORT,
        "template": Perm.CUSTOMER_IMPORT,
    }  # fmt: skip

    def list(self, request: Request) -> Response:
        return self.respond_page(s.ImportJobSerializer, selectors.job_list(user=request.user))

    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.ImportJobSerializer, selectors.job_get(user=request.user, pk=pk))

    @extend_schema(
        request={"multipart/form-data": s.ImportCreateSerializer},
        responses={202: s.ImportJobSerializer},
        description="The check (and, with dry_run=false, the import) runs in the background: "
        "poll the job. A rejected file answers 400 with the reason under errors.file.",
    )
    def create(self, request: Request) -> Response:
        data = self.parse(s.ImportCreateSerializer)
        template = None
        if data["template"]:
            template = (
                selectors.template_list(user=request.user, entity=data["entity"])
                .filter(name=data["template"])
                .first()
            )
            if template is None:
                raise NotFoundError("template")
        upload = data["file"]
        job = services.import_job_create(
            actor=request.user, upload=upload, file_name=upload.name, entity=data["entity"],
            sheet=data["sheet"], encoding=data["encoding"], mode=data["mode"],
            automation=data["automation"], default_owner=data.get("default_owner"), template=template,
        )  # fmt: skip
        if data["mapping"] is not None:
            job = services.import_job_configure(
                actor=request.user, job=job, mapping=data["mapping"]
            )
        if not data["dry_run"]:
            ImportJob.objects.filter(pk=job.pk).update(start_after_check=True)
        job = services.import_job_check(actor=request.user, job=job)
        return self.respond(s.ImportJobSerializer, job, status_code=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: s.ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: int) -> Response:
        job = selectors.job_get(user=request.user, pk=pk)
        job = services.import_job_start(actor=request.user, job=job)
        return self.respond(s.ImportJobSerializer, job, status_code=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=s.ImportJobSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request: Request, pk: int) -> Response:
        job = selectors.job_get(user=request.user, pk=pk)
        services.import_job_undo(actor=request.user, job=job)
        job.refresh_from_db()
        return self.respond(s.ImportJobSerializer, job)

    @extend_schema(responses=BINARY)
    @action(detail=True, methods=["get"], url_path="error-report")
    def error_report(self, request: Request, pk: int) -> FileResponse:
        job, path = selectors.error_report_path(user=request.user, pk=pk)
        name = f"{Path(job.file_name).stem}-errors.xlsx"
        return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=XLSX)

    @extend_schema(
        parameters=[OpenApiParameter("entity", OpenApiTypes.STR, enum=Entity.values)],
        responses=BINARY,
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def template(self, request: Request) -> FileResponse:
        entity = request.query_params.get("entity", Entity.CUSTOMERS)
        if entity not in Entity.values:
            entity = Entity.CUSTOMERS
        handle = template_file(entity=entity)
        return FileResponse(
            handle, as_attachment=True, filename=f"import-{entity}.xlsx", content_type=XLSX
        )


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the v1 router."""
    router.register("imports", ImportViewSet, basename="import")
