"""Reading export jobs: each person sees and downloads only their own."""

from __future__ import annotations

from pathlib import Path

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.core import clock
from guanxi.core.errors import NotFoundError
from guanxi.exports import conf
from guanxi.exports.entities import ENTITIES
from guanxi.exports.models import ExportJob, ExportStatus


def export_list(*, user: User) -> QuerySet[ExportJob]:
    if not user.is_authenticated:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(owner=user).order_by("-created_at", "-id")


def export_get(*, user: User, pk: int) -> ExportJob:
    """One of the viewer's exports; someone else's reads as "not found"."""
    job = export_list(user=user).filter(pk=pk).first()
    if job is None:
        raise NotFoundError(_("Export not found."))
    return job


def is_downloadable(job: ExportJob) -> bool:
    return (
        job.status == ExportStatus.DONE
        and bool(job.file_path)
        and job.expires_at is not None
        and job.expires_at > clock.now()
    )


def export_file(*, user: User, pk: int) -> tuple[ExportJob, Path]:
    """The finished file of one of the viewer's exports, before it expires; 404 otherwise."""
    job = export_get(user=user, pk=pk)
    path = conf.export_dir() / job.file_path if job.file_path else None
    if not is_downloadable(job) or path is None or not path.is_file():
        raise NotFoundError(_("This export is not available (any more)."))
    return job, path


def last_choice(*, user: User, entity: str) -> tuple[list[str], str] | None:
    """The fields and format of the viewer's previous export of this entity ("remember")."""
    job = export_list(user=user).filter(entity=entity).only("fields", "file_format").first()
    return (list(job.fields), job.file_format) if job else None


def export_preview(*, user: User, entity: str, query: str, ids: list[int]) -> dict:
    """What an export would contain, before it starts: the filter in words and a row count."""
    spec = ENTITIES[entity]
    params = QueryDict(query)
    return {
        "description": spec.describe(user=user, query=params, ids=ids),
        "count": spec.queryset(user=user, query=params, ids=ids).count(),
    }
