"""`guanxi orders import FILE --source S [--dry-run] [--user U] [--json]`: import orders from a
spreadsheet in this process. All or nothing: a file with an invalid row writes nothing.

Exit codes: 0 imported (or checked and importable), 1 the file has invalid rows (nothing
written), 2 the file or an option was rejected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.errors import ApplicationError
from guanxi.core.management.base import GuanxiCommand


class Command(GuanxiCommand):
    help = gettext_lazy("Orders from other systems: import a spreadsheet of orders.")

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("import", help=_("Import orders from an .xlsx, .xls or .csv file."))
        run.add_argument("file", help=_("The .xlsx, .xls or .csv file."))
        run.add_argument(
            "--source",
            default="spreadsheet",
            help=_("The system the orders come from (default: spreadsheet)."),
        )
        run.add_argument("--sheet", default="", help=_("Sheet name (default: the first)."))
        run.add_argument(
            "--encoding",
            default="",
            help=_("CSV encoding: utf-8, gbk or gb18030 (default: detected)."),
        )
        run.add_argument(
            "--dry-run", action="store_true", help=_("Check the file and report; write nothing.")
        )
        run.add_argument(
            "--user", default="", help=_("Import as this user (default: the first administrator).")
        )
        run.add_argument(
            "--json", action="store_true", help=_("Print one JSON object with the result.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = self._import(options)
        except ApplicationError as exc:
            if options["json"]:
                self.stdout.write(
                    json.dumps({"error": exc.message, "errors": exc.errors}, ensure_ascii=False)
                )
            raise CommandError(exc.message, returncode=2) from exc
        result = report.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            for key in ("rows", "created", "updated", "unchanged", "invalid", "written"):
                self.stdout.write(f"{key}: {result[key]}")
            for problem in result["problems"]:
                self.stdout.write(f"  {_('row')} {problem['row']}: {problem['reason']}")
        if report.invalid:
            raise CommandError(_("The file has invalid rows; nothing was imported."), returncode=1)

    def _import(self, options: dict[str, Any]):
        from guanxi.accounts.models import User
        from guanxi.deals.order_import import orders_import

        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise ApplicationError(
                    _("No active user named %(username)s.") % {"username": options["user"]}
                )
        else:
            actor = (
                User.objects.filter(is_active=True)
                .filter(Q(is_superuser=True) | Q(role__slug="admin"))
                .order_by("id")
                .first()
            )
            if actor is None:
                raise ApplicationError(_("No administrator exists; name one with --user."))
        path = Path(options["file"])
        if not path.is_file():
            raise ApplicationError(_("No such file: %(path)s") % {"path": path})
        return orders_import(
            actor=actor,
            path=path,
            file_name=path.name,
            source=options["source"],
            dry_run=options["dry_run"],
            sheet=options["sheet"],
            encoding=options["encoding"],
        )
