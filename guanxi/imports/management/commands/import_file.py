"""`guanxi import customers FILE …`: import a spreadsheet in this process, with a progress bar.

Exit codes: 0 the job ran (even with invalid rows), 2 the file (or an option) was rejected.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.errors import ApplicationError
from guanxi.core.management.base import GuanxiCommand
from guanxi.imports.models import Entity, ImportJob, Mode


class Command(GuanxiCommand):
    help = gettext_lazy(
        "Import customers, contacts or follow-up history from an .xlsx, .xls or .csv file."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("entity", choices=Entity.values, help=_("What the file contains."))
        parser.add_argument("file", help=_("The .xlsx, .xls or .csv file."))
        parser.add_argument("--sheet", default="", help=_("Sheet name (default: the first)."))
        parser.add_argument(
            "--encoding",
            default="",
            help=_("CSV encoding: utf-8, gbk or gb18030 (default: detected)."),
        )
        parser.add_argument(
            "--mapping", default="", help=_("Name of a saved column mapping template.")
        )
        parser.add_argument(
            "--mode",
            choices=Mode.values,
            default=Mode.SKIP,
            help=_("What to do with duplicates (default: skip)."),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=_("Check the file and report; write nothing.")
        )
        parser.add_argument(
            "--owner", default="", help=_("Owner of customers whose row names none (username).")
        )
        parser.add_argument(
            "--user", default="", help=_("Import as this user (default: the first administrator).")
        )
        parser.add_argument(
            "--automation",
            action="store_true",
            help=_("Let automation rules react to imported customers."),
        )
        parser.add_argument(
            "--json", action="store_true", help=_("Print one JSON object with the result.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = self._import(options)
        except ApplicationError as exc:
            if options["json"]:
                self.stdout.write(
                    json.dumps({"error": exc.message, "errors": exc.errors}, ensure_ascii=False)
                )
            raise CommandError(exc.message, returncode=2) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        for key, value in result.items():
            self.stdout.write(f"{key}: {value}")

    def _import(self, options: dict[str, Any]) -> dict[str, Any]:
        from guanxi.accounts.models import User
        from guanxi.imports import services
        from guanxi.imports.models import ImportTemplate

        admins = User.objects.filter(is_active=True).filter(
            Q(is_superuser=True) | Q(role__slug="admin")
        )
        actor = _user(options["user"]) if options["user"] else admins.order_by("id").first()
        if actor is None:
            raise ApplicationError(_("No administrator exists; name one with --user."))
        owner = _user(options["owner"]) if options["owner"] else None
        template = None
        if options["mapping"]:
            template = ImportTemplate.objects.filter(
                entity=options["entity"], name=options["mapping"]
            ).first()
            if template is None:
                raise ApplicationError(
                    _("No mapping template named “%(name)s”.") % {"name": options["mapping"]}
                )
        path = Path(options["file"])
        if not path.is_file():
            raise ApplicationError(_("No such file: %(path)s") % {"path": path})
        with path.open("rb") as upload:
            job = services.import_job_create(
                actor=actor, upload=upload, file_name=path.name, entity=options["entity"],
                sheet=options["sheet"], encoding=options["encoding"], mode=options["mode"],
                automation=options["automation"], default_owner=owner, template=template,
            )  # fmt: skip
        bar = _Bar(total=job.total_rows, enabled=not options["json"] and sys.stderr.isatty())
        with bar:
            job = services.import_job_check(
                actor=actor, job=job, background=False, progress=bar.update
            )
            if not options["dry_run"]:
                bar.reset()
                job = services.import_job_start(
                    actor=actor, job=job, background=False, progress=bar.update
                )
        return _result(job, dry_run=options["dry_run"])


def _user(username: str):
    from guanxi.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ApplicationError(_("No active user named %(username)s.") % {"username": username})
    return user


def _result(job: ImportJob, *, dry_run: bool) -> dict[str, Any]:
    counts = job.check_counts if dry_run else {
        "created": job.created_count, "updated": job.updated_count,
        "duplicates": job.duplicate_count, "likely": job.likely_count, "invalid": job.invalid_count,
    }  # fmt: skip
    report = str(Path(settings.DATA_DIR) / job.error_report) if job.error_report else None
    problems = job.problems.filter(dry_run=dry_run).order_by("row", "id")[:20]
    return {
        "job": job.pk,
        "status": job.status,
        "dry_run": dry_run,
        "rows": job.total_rows,
        "created": counts.get("created", 0),
        "updated": counts.get("updated", 0),
        "skipped_duplicates": counts.get("duplicates", 0),
        "likely_duplicates": counts.get("likely", 0),
        "invalid": counts.get("invalid", 0),
        "duration": job.duration if not dry_run else counts.get("seconds"),
        "error_report": report,
        "problems": [{"row": p.row, "kind": p.kind, "reason": p.reason} for p in problems],
    }


class _Bar:
    """A tqdm bar on a terminal; nothing otherwise (scripts, --json)."""

    def __init__(self, *, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.bar = total, enabled, None

    def __enter__(self) -> _Bar:
        if self.enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit=_("rows"), file=sys.stderr, dynamic_ncols=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def reset(self) -> None:
        if self.bar is not None:
            self.bar.reset(total=self.total)

    def update(self, job: ImportJob) -> None:
        if self.bar is not None:
            self.bar.n = min(job.done_rows, self.total)
            self.bar.refresh()
