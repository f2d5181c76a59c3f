"""`guanxi export customers|contacts|followups|tasks --format xlsx|csv -o FILE …`."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.management.actors import command_actor
from guanxi.core.management.base import GuanxiCommand
from guanxi.exports.entities import ENTITIES
from guanxi.exports.models import FileFormat


class Command(GuanxiCommand):
    help = gettext_lazy(
        "Export customers, contacts, follow-ups or tasks to .xlsx or .csv, scoped and masked as "
        "the acting user sees them (default: the first active administrator). Audited."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("entity", choices=list(ENTITIES), help=_("What to export."))
        parser.add_argument(
            "--format",
            dest="file_format",
            choices=FileFormat.values,
            default="",
            help=_("File format (default: from the file name, else xlsx)."),
        )
        parser.add_argument("-o", "--output", default="", help=_("File to write."))
        parser.add_argument(
            "--filter",
            default="",
            help=_('The list\'s query string, e.g. "level=3&intent=high" (as in the page URL).'),
        )
        parser.add_argument(
            "--fields",
            default="",
            help=_("Comma-separated column keys (default: the default set)."),
        )
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help=_("Export as this user (their scope and masking)."),
        )
        parser.add_argument("--list-fields", action="store_true", help=_("List the column keys."))

    def handle(self, *, entity: str, output: str, file_format: str, **options) -> None:
        from guanxi.activity.models import Source
        from guanxi.core.errors import ApplicationError
        from guanxi.exports.models import ExportStatus
        from guanxi.exports.services import export_request, export_run

        spec = ENTITIES[entity]
        if options["list_fields"]:
            for column in spec.all_columns():
                mark = "*" if column.default else " "
                self.stdout.write(f"{mark} {column.key:<22}{column.label}")
            return
        if not output:
            raise CommandError(_("Name the file to write with -o FILE."))
        path = Path(output).expanduser().resolve()
        if not path.parent.is_dir():
            raise CommandError(_("Folder not found: %(path)s") % {"path": path.parent})
        file_format = file_format or ("csv" if path.suffix.lower() == ".csv" else "xlsx")
        fields = [f.strip() for f in options["fields"].split(",") if f.strip()]
        actor = command_actor(options["username"])
        try:
            job = export_request(
                actor=actor, entity=entity, file_format=file_format,
                fields=fields or spec.default_keys(), query=options["filter"],
                source=Source.SYSTEM, run="caller",
            )  # fmt: skip
        except ApplicationError as exc:
            details = [m for messages in exc.errors.values() for m in messages]
            raise CommandError(" ".join(details) or exc.message) from exc
        bar = self._bar(job.total_rows or 0)
        job = export_run(job_id=job.pk, destination=path, progress=bar.update_to if bar else None)
        if bar is not None:
            bar.close()
        if job is None or job.status != ExportStatus.DONE:
            raise CommandError(job.error if job else _("The export failed."))
        self.stdout.write(
            _("Exported %(rows)d rows to %(path)s.") % {"rows": job.row_count, "path": path}
        )

    def _bar(self, total: int):
        if not sys.stderr.isatty():
            return None
        from tqdm import tqdm

        class Bar(tqdm):
            def update_to(self, done: int) -> None:
                self.update(done - self.n)

        return Bar(total=total, unit=_("rows"), unit_scale=True)
