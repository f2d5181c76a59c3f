"""API shapes of import jobs. Parse and type-check only; services decide."""

from __future__ import annotations

import json

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.accounts.models import User
from guanxi.imports.models import Entity, ImportJob, Mode
from guanxi.imports.reading import ENCODINGS


class ImportCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_(".xlsx, .xls or .csv"))
    entity = serializers.ChoiceField(choices=Entity.choices, default=Entity.CUSTOMERS)
    sheet = serializers.CharField(required=False, allow_blank=True, default="")
    encoding = serializers.ChoiceField(
        choices=[(e, e) for e in ENCODINGS], required=False, allow_blank=True, default=""
    )
    mode = serializers.ChoiceField(choices=Mode.choices, default=Mode.SKIP)
    automation = serializers.BooleanField(default=False)
    default_owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    template = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Name of a saved mapping template."),
    )
    mapping = serializers.CharField(
        required=False, allow_blank=True, default="",
        help_text=_('JSON object {"column index": "field"}; default: matched from the headers.'),
    )  # fmt: skip
    dry_run = serializers.BooleanField(
        default=True, help_text=_("Only check; start the import later with POST …/start/.")
    )

    def validate_mapping(self, value: str) -> dict | None:
        if not value:
            return None
        try:
            mapping = json.loads(value)
        except ValueError as exc:
            raise serializers.ValidationError(_("Not a JSON object.")) from exc
        if not isinstance(mapping, dict):
            raise serializers.ValidationError(_("Not a JSON object."))
        return {str(k): str(v) for k, v in mapping.items()}


class ProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    kind = serializers.CharField()
    reason = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    progress = serializers.IntegerField(read_only=True)
    counts = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField()
    error_report = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id", "created_by", "entity", "file_name", "file_sha256", "file_size", "sheet",
            "encoding", "headers", "mapping", "mode", "automation", "status", "message",
            "total_rows", "done_rows", "progress", "check_counts", "counts", "problems",
            "created_at", "started_at", "finished_at", "duration", "error_report",
        ]  # fmt: skip
        read_only_fields = fields

    def get_counts(self, job: ImportJob) -> dict[str, int]:
        return {
            "created": job.created_count,
            "updated": job.updated_count,
            "skipped_duplicates": job.duplicate_count,
            "likely_duplicates": job.likely_count,
            "invalid": job.invalid_count,
        }

    def get_problems(self, job: ImportJob) -> list[dict]:
        dry_run = job.status in ("pending", "checking", "validated")
        rows = job.problems.filter(dry_run=dry_run).order_by("row", "id")[:20]
        return ProblemSerializer(rows, many=True).data

    def get_error_report(self, job: ImportJob) -> str | None:
        request = self.context.get("request")
        if not job.error_report or request is None:
            return None
        return request.build_absolute_uri(f"/api/v1/imports/{job.pk}/error-report/")
