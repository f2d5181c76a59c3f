"""API shapes of export jobs: the request (entity, filter, fields, format) and the job."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.api.fields import CsvListField
from guanxi.exports.entities import ENTITIES
from guanxi.exports.models import Entity, ExportJob, ExportStatus, FileFormat
from guanxi.exports.selectors import is_downloadable


class ExportCreateSerializer(serializers.Serializer):
    entity = serializers.ChoiceField(choices=Entity.choices)
    format = serializers.ChoiceField(choices=FileFormat.choices, default=FileFormat.XLSX)
    fields = CsvListField(
        child=serializers.CharField(),
        required=False,
        help_text=_("Column keys (GET /api/v1/exports/fields/); empty: the default set."),
    )
    filter = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=_("The list's query string, e.g. level=3&intent=high."),
    )
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=10_000
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("fields"):
            attrs["fields"] = ENTITIES[attrs["entity"]].default_keys()
        return attrs


class ExportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    entity = serializers.ChoiceField(choices=Entity.choices)
    format = serializers.CharField(source="file_format")
    fields = serializers.ListField(child=serializers.CharField())
    filter = serializers.CharField(source="query")
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=ExportStatus.choices)
    total_rows = serializers.IntegerField(allow_null=True)
    row_count = serializers.IntegerField()
    percent = serializers.IntegerField()
    file_name = serializers.CharField()
    size = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, job: ExportJob) -> str | None:
        if not is_downloadable(job):
            return None
        path = reverse("api:v1:export-download", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ExportFieldSerializer(serializers.Serializer):
    entity = serializers.CharField()
    key = serializers.CharField()
    label = serializers.CharField()
    default = serializers.BooleanField()
