"""The write path of exports: request one (checked, audited), run it (once), expire files."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, has_perm, require_perm
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, PermissionDeniedError
from guanxi.exports import conf, pipeline
from guanxi.exports.entities import ENTITIES
from guanxi.exports.models import ExportJob, ExportStatus, FileFormat
from guanxi.exports.writers import zip_file

logger = logging.getLogger(__name__)

MAX_SELECTED = 10_000
# Keys of a list's query string that are not filters (paging, the export form itself).
NOT_FILTERS = {"page", "entity", "ids", "fields", "file_format", "format", "csrfmiddlewaretoken"}
STALE_MINUTES = 15
MAX_ATTEMPTS = 3


def filter_query(query: str | QueryDict) -> str:
    """The filter part of a list's query string, empty values and paging dropped."""
    source = query if isinstance(query, QueryDict) else QueryDict(query or "")
    kept = QueryDict(mutable=True)
    for key, values in source.lists():
        values = [v for v in values if v]
        if key not in NOT_FILTERS and values:
            kept.setlist(key, values)
    return kept.urlencode()


def _validate(*, entity: str, file_format: str, fields: Sequence[str], ids: Sequence[int]) -> None:
    errors: dict[str, list[str]] = {}
    spec = ENTITIES.get(entity)
    if spec is None:
        errors["entity"] = [_("Choose what to export.")]
    if file_format not in FileFormat.values:
        errors["file_format"] = [_("Choose Excel (.xlsx) or CSV.")]
    if not fields:
        errors["fields"] = [_("Choose at least one field.")]
    elif spec is not None:
        unknown = [f for f in fields if f not in spec.column_map()]
        if unknown:
            errors["fields"] = [
                _("Unknown field: %(names)s.") % {"names": ", ".join(map(str, unknown))}
            ]
    if len(ids) > MAX_SELECTED:
        errors["ids"] = [
            _("Select at most %(max)d records, or export the filter instead.")
            % {"max": MAX_SELECTED}
        ]
    if errors:
        raise ApplicationError(_("The export cannot start: please check it."), errors=errors)


def export_request(
    *,
    actor: User,
    entity: str,
    file_format: str,
    fields: Sequence[str],
    query: str | QueryDict = "",
    ids: Sequence[int] = (),
    source: str = Source.UI,
    run: Literal["auto", "worker", "caller"] = "auto",
) -> ExportJob:
    """Ask for an export (checked, audited). `auto`: small ones (≤ GUANXI_EXPORT_INLINE_ROWS)
    are written before this returns, larger ones by a worker; `worker`: always a worker;
    `caller`: the caller runs `export_run` itself (the CLI, writing to its own file)."""
    require_perm(actor, Perm.DATA_EXPORT)
    ids = sorted({int(i) for i in ids})
    _validate(entity=entity, file_format=file_format, fields=fields, ids=ids)
    spec = ENTITIES[entity]
    query = filter_query(query)
    export = pipeline.plan(user=actor, entity=entity, query=query, ids=ids, keys=fields)
    with transaction.atomic():
        total = export.queryset.count()
        job = ExportJob.objects.create(
            owner=actor,
            entity=entity,
            query=query,
            selected_ids=ids,
            description=spec.describe(user=actor, query=QueryDict(query), ids=ids)[:500],
            fields=list(dict.fromkeys(fields)),
            file_format=file_format,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            source=source,
            total_rows=total,
        )
        activity_record(
            actor=actor,
            verb=Verb.CREATED,
            target=job,
            changes={
                "entity": [None, str(job.get_entity_display())],
                "description": [None, job.description],
                "fields": [None, export.header],
                "file_format": [None, job.file_format],
                "total_rows": [None, total],
            },
            summary=job.description,
            source=source,
        )
        to_worker = run == "worker" or (run == "auto" and total > conf.inline_rows())
        if to_worker:
            from guanxi.exports.tasks import run_export

            # Enqueued in the same transaction: the job row and its queue entry commit together.
            run_export.enqueue(job_id=job.pk)
    if run == "auto" and not to_worker:
        export_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def _file_name(job: ExportJob, extension: str) -> str:
    title = str(ENTITIES[job.entity].title)
    return f"{title}-{timezone.localtime(clock.now()):%Y%m%d-%H%M}.{extension}"


def _start(job_id: int) -> ExportJob | None:
    """Claim the job for this attempt; None when it is finished already (a repeated task)."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or not job.is_active:
            return None
        now = clock.now()
        job.status = ExportStatus.RUNNING
        job.attempts += 1
        job.row_count = 0
        job.started_at = job.heartbeat_at = now
        job.save(update_fields=["status", "attempts", "row_count", "started_at", "heartbeat_at"])
    return job


def _fail(job: ExportJob, message: str) -> None:
    ExportJob.objects.filter(pk=job.pk, attempts=job.attempts).exclude(
        status=ExportStatus.DONE
    ).update(status=ExportStatus.FAILED, error=message[:500], finished_at=clock.now())


def export_run(
    *,
    job_id: int,
    destination: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExportJob | None:
    """Write the job's file, once. A repeated or superseded run changes nothing; a killed run
    starts the file again from the beginning when re-run (half a zip stream is of no use).
    With `destination` (the CLI) the file goes there and is not served or expired."""
    job = _start(job_id)
    if job is None:
        return ExportJob.objects.filter(pk=job_id).first()
    owner = job.owner
    directory = conf.export_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{job.pk}-{secrets.token_hex(8)}"
    part = (destination.parent if destination else directory) / f".{stem}.part"

    def heartbeat(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk, attempts=job.attempts).update(
            row_count=done, heartbeat_at=clock.now()
        )
        if progress is not None:
            progress(done)

    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            # Rights are checked again as the work starts: a role may have changed meanwhile.
            if not owner.is_active or not has_perm(owner, Perm.DATA_EXPORT):
                raise PermissionDeniedError(_("You may no longer export data."))
            export = pipeline.plan(
                user=owner,
                entity=job.entity,
                query=job.query,
                ids=job.selected_ids,
                keys=job.fields,
            )
            rows = pipeline.write_file(
                user=owner,
                export=export,
                file_format=job.file_format,
                path=part,
                progress=heartbeat,
            )
            final, name = _place(job, part=part, rows=rows, directory=directory, stem=stem,
                                 destination=destination)  # fmt: skip
    except Exception as exc:
        part.unlink(missing_ok=True)
        if isinstance(exc, ApplicationError):
            message = exc.message
        else:
            logger.exception("export %s failed", job.pk)
            message = _("The export failed: %(error)s") % {"error": type(exc).__name__}
        _fail(job, message)
        job.refresh_from_db()
        return job
    _finish(job, final=final, name=name, rows=rows, served=destination is None)
    job.refresh_from_db()
    return job


def _place(
    job: ExportJob, *, part: Path, rows: int, directory: Path, stem: str, destination: Path | None
) -> tuple[Path, str]:
    """Move the written file where it belongs; large CSV files are served zipped."""
    if destination is not None:
        part.replace(destination)
        return destination, destination.name
    name = _file_name(job, job.file_format)
    if job.file_format == FileFormat.CSV and (
        rows > conf.zip_rows() or part.stat().st_size > conf.zip_bytes()
    ):
        final = directory / f"{stem}.zip"
        zip_file(part, target=final, arcname=name)
        part.unlink()
        return final, name.rsplit(".", 1)[0] + ".zip"
    final = directory / f"{stem}.{job.file_format}"
    part.replace(final)
    return final, name


def _finish(job: ExportJob, *, final: Path, name: str, rows: int, served: bool) -> None:
    """Mark the job done and audit the row count — exactly once, for the current attempt."""
    now = clock.now()
    with transaction.atomic():
        done = ExportJob.objects.filter(
            pk=job.pk, status=ExportStatus.RUNNING, attempts=job.attempts
        ).update(
            status=ExportStatus.DONE,
            row_count=rows,
            size=final.stat().st_size,
            file_name=name,
            file_path=final.name if served else "",
            finished_at=now,
            heartbeat_at=now,
            expires_at=now + dt.timedelta(hours=conf.expiry_hours()) if served else None,
        )
        if done:
            activity_record(
                actor=job.owner,
                verb=Verb.COMPLETED,
                target=job,
                changes={"row_count": [None, rows], "status": [job.status, ExportStatus.DONE]},
                summary=job.description,
                source=job.source,
            )
    if not done and served:
        final.unlink(missing_ok=True)  # a later attempt took over; its file is the one


def exports_expire() -> int:
    """Delete the files of expired exports; the rows stay (the audit trail names them)."""
    expired = 0
    due = ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lte=clock.now())
    for pk, path in due.values_list("pk", "file_path"):
        if path:
            (conf.export_dir() / path).unlink(missing_ok=True)
        expired += ExportJob.objects.filter(pk=pk, status=ExportStatus.DONE).update(
            status=ExportStatus.EXPIRED, file_path=""
        )
    return expired


def exports_recover() -> int:
    """Re-run exports whose worker died (no progress for STALE_MINUTES); give up after
    MAX_ATTEMPTS. Returns how many were enqueued again."""
    from guanxi.exports.tasks import run_export

    cutoff = clock.now() - dt.timedelta(minutes=STALE_MINUTES)
    stale = ExportJob.objects.filter(status=ExportStatus.RUNNING, heartbeat_at__lt=cutoff)
    requeued = 0
    for job in stale:
        if job.attempts >= MAX_ATTEMPTS:
            with translation.override(job.language or settings.LANGUAGE_CODE):
                _fail(job, _("The export was interrupted too often."))
            continue
        with transaction.atomic():
            run_export.enqueue(job_id=job.pk)
        requeued += 1
    return requeued
