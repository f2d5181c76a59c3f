"""`guanxi plans`: maintenance plans from a shell.

    guanxi plans generate [--now T] [--json]
    guanxi plans list [--json]

`generate` makes the next occurrence's tasks of every approved plan — what the scheduler does
every hour; running it twice creates nothing new. `--now` runs "as of" an instant (ISO 8601;
without a zone, the installation's).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.management.base import GuanxiCommand


class Command(GuanxiCommand):
    help = gettext_lazy(
        "Maintenance plans: make the tasks of their next occurrences (`generate`), or list "
        "them (`list`)."
    )

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{generate,list}")
        generate = actions.add_parser(
            "generate", help=_("Make the next occurrence's tasks of every approved plan.")
        )
        generate.add_argument(
            "--now", default="", help=_("Run as of this instant (ISO 8601, e.g. 2026-12-01T09:01).")
        )
        generate.add_argument("--json", action="store_true", help=_("Print JSON."))
        listing = actions.add_parser("list", help=_("List the plans."))
        listing.add_argument("--json", action="store_true", help=_("Print JSON."))

    def handle(self, *, action: str, **options: Any) -> None:
        if action == "generate":
            return self._generate(now=options["now"], as_json=options["json"])
        return self._list(as_json=options["json"])

    def _generate(self, *, now: str, as_json: bool) -> None:
        from guanxi.core import clock
        from guanxi.followups.plans.generation import plans_generate

        instant = _instant(now) if now else clock.now()
        with clock.frozen_at(instant):
            summary = plans_generate(now=instant)
        if as_json:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        self.stdout.write(
            _("%(plans)d approved plans, %(tasks)d tasks created.")
            % {"plans": summary["plans"], "tasks": summary["tasks"]}
        )
        for row in summary["results"]:
            self.stdout.write(f"  #{row['plan']} {row['name']}: {row['tasks']}")

    def _list(self, *, as_json: bool) -> None:
        from guanxi.followups.plans.models import MaintenancePlan

        rows = [
            {
                "id": p.pk,
                "name": p.name,
                "status": p.status,
                "cycle": p.cycle,
                "channel": p.channel,
                "next_date": p.next_date.isoformat() if p.next_date else None,
            }
            for p in MaintenancePlan.objects.order_by("pk")
        ]
        if as_json:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write(_("No plans."))
            return
        for row in rows:
            cells = [row["id"], row["name"], row["status"], row["cycle"], row["next_date"] or "—"]
            self.stdout.write("\t".join(str(c) for c in cells))


def _instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise CommandError(
            _("--now takes a date and time in ISO 8601, e.g. 2026-12-01T09:01 (got %(value)r).")
            % {"value": text}
        ) from exc
    return timezone.make_aware(value) if timezone.is_naive(value) else value
