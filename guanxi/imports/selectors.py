"""Reads of import jobs. A job is its creator's; administrators (data scope "all") see all.
Anyone else asking gets the same 404 as for a job that does not exist."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, effective_scope, has_perm
from guanxi.core.errors import NotFoundError
from guanxi.imports.models import ImportJob, ImportProblem, ImportTemplate


def job_list(*, user: User) -> QuerySet[ImportJob]:
    if not has_perm(user, Perm.CUSTOMER_IMPORT):
        return ImportJob.objects.none()
    jobs = ImportJob.objects.select_related("created_by").order_by("-id")
    return jobs if effective_scope(user) == "all" else jobs.filter(created_by=user)


def job_get(*, user: User, pk: int) -> ImportJob:
    job = job_list(user=user).filter(pk=pk).first()
    if job is None:
        raise NotFoundError(_("Import not found."))
    return job


def job_problems(*, job: ImportJob, dry_run: bool, limit: int = 20) -> list[ImportProblem]:
    return list(job.problems.filter(dry_run=dry_run).order_by("row", "id")[:limit])


def error_report_path(*, user: User, pk: int) -> tuple[ImportJob, Path]:
    job = job_get(user=user, pk=pk)
    path = Path(settings.DATA_DIR) / job.error_report if job.error_report else None
    if path is None or not path.is_file():
        raise NotFoundError(_("This import has no error report."))
    return job, path


def template_list(*, user: User, entity: str = "") -> QuerySet[ImportTemplate]:
    if not has_perm(user, Perm.CUSTOMER_IMPORT):
        return ImportTemplate.objects.none()
    templates = ImportTemplate.objects.all()
    return templates.filter(entity=entity) if entity else templates
