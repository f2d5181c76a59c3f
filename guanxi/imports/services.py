"""The write path of imports: create a job from an upload, configure it, check it, run it,
undo it, save mapping templates. Views, the API and the CLI all come through here."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import uuid
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, ConflictError
from guanxi.imports import mapping as mapping_rules
from guanxi.imports.models import Entity, ImportJob, ImportTemplate, Mode, Status
from guanxi.imports.reading import ENCODINGS, FileRejected, file_kind, limit, open_sheet
from guanxi.imports.rows import assignable_owners
from guanxi.imports.running import job_check, job_run, stored_file
from guanxi.imports.undo import job_undo

STALE_SECONDS = 120  # a running job without progress for this long lost its worker


def _store(upload: IO[bytes], *, file_name: str) -> tuple[str, str, int]:
    """Copy the upload under <data dir>/imports/; returns (relative path, sha256, size)."""
    kind = file_kind(file_name)
    relative = f"{clock.today():%Y/%m}/{uuid.uuid4().hex}/upload.{kind}"
    target = Path(settings.DATA_DIR) / "imports" / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size, cap = hashlib.sha256(), 0, limit("GUANXI_IMPORT_MAX_BYTES")
    with target.open("wb") as out:
        while chunk := upload.read(1 << 20):
            size += len(chunk)
            if size > cap:
                out.close()
                shutil.rmtree(target.parent, ignore_errors=True)
                raise FileRejected(
                    _("The file is larger than %(mb)d MB.") % {"mb": cap // (1024 * 1024)}
                )
            digest.update(chunk)
            out.write(chunk)
    return relative, digest.hexdigest(), size


def import_job_create(
    *,
    actor: User,
    upload: IO[bytes],
    file_name: str,
    entity: str = Entity.CUSTOMERS,
    sheet: str = "",
    encoding: str = "",
    mode: str = Mode.SKIP,
    automation: bool = False,
    default_owner: User | None = None,
    template: ImportTemplate | None = None,
) -> ImportJob:
    """Store and check the file (FileRejected when unusable: nothing kept), guess the mapping."""
    require_perm(actor, Perm.CUSTOMER_IMPORT)
    errors: dict[str, list[str]] = {}
    if entity not in Entity.values:
        errors["entity"] = [_("Choose what the file contains.")]
    if mode not in Mode.values:
        errors["mode"] = [_("Choose how to treat duplicates.")]
    if encoding and encoding not in ENCODINGS:
        errors["encoding"] = [_("Unknown encoding “%(enc)s”.") % {"enc": encoding}]
    _check_owner(actor, default_owner, errors)
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    relative, sha256, size = _store(upload, file_name=file_name)
    try:
        info = open_sheet(
            Path(settings.DATA_DIR) / "imports" / relative,
            file_name=file_name,
            sheet=sheet,
            encoding=encoding,
        )
    except FileRejected:
        shutil.rmtree((Path(settings.DATA_DIR) / "imports" / relative).parent, ignore_errors=True)
        raise
    guessed = mapping_rules.auto_map(
        entity=entity, headers=info.headers, template=template.mapping if template else None
    )
    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=actor,
            entity=entity,
            file_name=Path(file_name).name[:255],
            file_sha256=sha256,
            file_size=size,
            stored_path=relative,
            sheet=info.sheet,
            encoding=info.encoding,
            headers=info.headers,
            mapping=guessed,
            mode=mode,
            automation=automation,
            default_owner=default_owner,
            total_rows=info.total_rows,
        )
        activity_record(
            actor=actor,
            verb=Verb.CREATED,
            target=job,
            source=Source.IMPORT,
            summary=f"{job.file_name} sha256:{sha256[:12]} {info.total_rows} rows",
        )
    return job


def _check_owner(actor: User, owner: User | None, errors: dict[str, list[str]]) -> None:
    if (
        owner is not None
        and not User.objects.filter(assignable_owners(actor), pk=owner.pk).exists()
    ):
        errors.setdefault("default_owner", []).append(
            _("You cannot assign customers to this user.")
        )


def _ensure_editable(job: ImportJob) -> None:
    if job.status not in (Status.PENDING, Status.VALIDATED):
        raise ConflictError(
            _("This import has already started; its settings can no longer change.")
        )


def import_job_configure(
    *,
    actor: User,
    job: ImportJob,
    mapping: dict[str, str],
    mode: str | None = None,
    automation: bool | None = None,
    default_owner: User | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
) -> ImportJob:
    """Set the column mapping and options; the job must be checked (again) afterwards."""
    require_perm(actor, Perm.CUSTOMER_IMPORT)
    _ensure_editable(job)
    errors: dict[str, list[str]] = {}
    if (sheet is not None and sheet != job.sheet) or (
        encoding is not None and encoding != job.encoding
    ):
        info = open_sheet(
            stored_file(job), file_name=job.file_name, sheet=sheet or "", encoding=encoding or ""
        )
        job.sheet, job.encoding, job.headers, job.total_rows = (
            info.sheet,
            info.encoding,
            info.headers,
            info.total_rows,
        )
        mapping = mapping_rules.auto_map(entity=job.entity, headers=info.headers)
    cleaned = mapping_rules.clean_mapping(entity=job.entity, headers=job.headers, mapping=mapping)
    missing = mapping_rules.missing_required(entity=job.entity, mapping=cleaned)
    if missing:
        errors["mapping"] = [
            _("Choose a column for: %(fields)s.")
            % {"fields": "、".join(str(s.label) for s in missing)}
        ]
    if mode is not None and mode not in Mode.values:
        errors["mode"] = [_("Choose how to treat duplicates.")]
    _check_owner(actor, default_owner, errors)
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    with transaction.atomic():
        before = {"mapping": job.mapping, "mode": job.mode}
        job.mapping = cleaned
        job.mode = mode or job.mode
        job.automation = job.automation if automation is None else automation
        if default_owner is not None:
            job.default_owner = default_owner
        job.status = Status.PENDING
        job.check_counts = {}
        job.save()
        activity_record(
            actor=actor,
            verb=Verb.UPDATED,
            target=job,
            source=Source.IMPORT,
            changes={"mapping": [before["mapping"], cleaned], "mode": [before["mode"], job.mode]},
        )
    return job


def import_job_check(
    *, actor: User, job: ImportJob, background: bool = True, progress=None
) -> ImportJob:
    """The dry run: in the background (web, API) or here and now (CLI)."""
    require_perm(actor, Perm.CUSTOMER_IMPORT)
    _ensure_editable(job)
    missing = mapping_rules.missing_required(entity=job.entity, mapping=job.mapping)
    if missing:
        raise ApplicationError(
            _("Choose a column for: %(fields)s.")
            % {"fields": "、".join(str(s.label) for s in missing)},
            errors={"mapping": [_("Required fields have no column.")]},
        )
    ImportJob.objects.filter(pk=job.pk).update(
        status=Status.CHECKING, done_rows=0, heartbeat_at=clock.now()
    )
    job.refresh_from_db()
    if background:
        from guanxi.imports.tasks import check_import

        check_import.enqueue(job_id=job.pk)
        job.refresh_from_db()
        return job
    return job_check(job, progress=progress)


def import_job_start(
    *, actor: User, job: ImportJob, background: bool = True, progress=None
) -> ImportJob:
    """Start (or resume) the import of a checked job."""
    require_perm(actor, Perm.CUSTOMER_IMPORT)
    claimable = [Status.VALIDATED, Status.FAILED]
    stale = clock.now() - dt.timedelta(seconds=STALE_SECONDS)
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, status__in=claimable).update(
            status=Status.QUEUED
        ) or ImportJob.objects.filter(
            pk=job.pk, status__in=[Status.RUNNING, Status.QUEUED], heartbeat_at__lt=stale
        ).update(status=Status.QUEUED)
        if not claimed:
            raise ConflictError(
                _("This import cannot be started now (it is %(status)s).")
                % {"status": job.get_status_display()}
            )
        ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=clock.now())
        activity_record(
            actor=actor, verb=Verb.UPDATED, target=job, source=Source.IMPORT, summary="start import"
        )
    job.refresh_from_db()
    if background:
        from guanxi.imports.tasks import run_import

        run_import.enqueue(job_id=job.pk)
        job.refresh_from_db()
        return job
    return job_execute(job, progress=progress)


def job_execute(job: ImportJob, *, progress=None) -> ImportJob:
    """Run a claimed job; a failure is recorded on the job (resumable) and re-raised."""
    try:
        return job_run(job, progress=progress)
    except Exception as exc:
        message = (
            exc.message
            if isinstance(exc, ApplicationError)
            else _("The import stopped: %(error)s") % {"error": exc}
        )
        ImportJob.objects.filter(pk=job.pk).update(status=Status.FAILED, message=str(message)[:500])
        raise


def import_job_undo(*, actor: User, job: ImportJob) -> dict[str, int]:
    require_perm(actor, Perm.CUSTOMER_IMPORT)
    if job.status != Status.DONE:
        raise ConflictError(_("Only a finished import can be undone."))
    if job.created_by_id != actor.pk and not actor.is_superuser and actor.data_scope != "all":
        raise ApplicationError(
            _("Only the person who ran this import or an administrator can undo it.")
        )
    return job_undo(actor=actor, job=job)


def import_template_save(*, actor: User, job: ImportJob, name: str) -> ImportTemplate:
    """Keep the job's mapping under a name, for files with the same headers."""
    require_perm(actor, Perm.CUSTOMER_IMPORT)
    name = (name or "").strip()[:100]
    if not name:
        raise ApplicationError(
            _("Give the template a name."), errors={"name": [_("Give the template a name.")]}
        )
    mapping = mapping_rules.template_from_mapping(headers=job.headers, mapping=job.mapping)
    with transaction.atomic():
        template, _created = ImportTemplate.objects.update_or_create(
            entity=job.entity, name=name, defaults={"mapping": mapping, "created_by": actor}
        )
        activity_record(
            actor=actor,
            verb=Verb.CREATED,
            target=template,
            source=Source.IMPORT,
            changes={"mapping": [None, mapping]},
        )
    return template


def options_from(data: dict[str, Any]) -> dict[str, Any]:
    """The job options a form/serializer/CLI parsed, as keyword arguments."""
    keys = ("entity", "sheet", "encoding", "mode", "automation", "default_owner", "template")
    return {k: data[k] for k in keys if data.get(k) not in (None, "")}
