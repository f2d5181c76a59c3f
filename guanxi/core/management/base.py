"""The base of the `guanxi` operator commands: Django's options an operator never needs are
hidden from `--help` (they still work)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

HIDDEN_BASE_ARGUMENTS = {
    "--version",
    "--settings",
    "--pythonpath",
    "--traceback",
    "--no-color",
    "--force-color",
    "--skip-checks",
}


class GuanxiCommand(BaseCommand):
    suppressed_base_arguments = HIDDEN_BASE_ARGUMENTS

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):
        # argparse formats help with re.sub, which needs real strings, not lazy ones.
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)
