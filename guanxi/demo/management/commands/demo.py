"""`manage.py demo [--customers N] [--seed S] [--json]`: load demo data."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guanxi.demo.seeding import seed_demo


class Command(BaseCommand):
    help = "Load demo users, customers, contacts, follow-ups and tasks (deterministic per seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers", type=int, default=300, help="How many customers (default 300)."
        )
        parser.add_argument(
            "--seed", type=int, default=2024, help="Random seed; the same seed, the same data."
        )
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print a machine-readable summary only.",
        )

    def handle(self, *args: Any, customers: int, seed: int, as_json: bool, **options: Any) -> None:
        if customers < 0:
            raise CommandError(_("--customers must be zero or more."))
        bar = None
        progress = None
        # A bar only for a person at a terminal; scripts and --json get clean output.
        if not as_json and sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=customers, unit=_("customers"), unit_scale=True)

            def progress(done: int, total: int) -> None:
                bar.update(done - bar.n)

        try:
            summary = seed_demo(customers=customers, seed=seed, progress=progress)
        finally:
            if bar is not None:
                bar.close()
        if as_json:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        self.stdout.write(
            _(
                "Demo data loaded in %(seconds)s s: %(customers)d customers, %(contacts)d "
                "contacts, %(followups)d follow-ups, %(tasks)d tasks."
            )
            % summary
        )
        self.stdout.write(
            _("Demo users: %(users)s — password: %(password)s")
            % {"users": ", ".join(summary["users"]), "password": summary["password"]}
        )
