"""The `guanxi` command for operators. Each subcommand is a Django management command; this
module only lists them, dispatches, and turns errors into a message and an exit code.

Exit codes: 0 success, 1 the command failed, 2 wrong usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass


def gettext_noop(message: str) -> str:
    """Marks the summaries for makemessages (it looks for this name); they are translated
    when shown, once Django is set up. Django's own gettext_noop needs the settings, which
    this module must not load at import time."""
    return message


PROG = "guanxi"


@dataclass(frozen=True, kw_only=True)
class Entry:
    command: str  # the Django management command it runs
    summary: str  # English; translated when shown


COMMANDS: dict[str, Entry] = {
    "run": Entry(command="run", summary=gettext_noop("Start everything on this machine (web, worker, scheduler)")),
    "worker": Entry(command="worker", summary=gettext_noop("Run a background worker")),
    "scheduler": Entry(command="scheduler", summary=gettext_noop("Run the periodic scheduler (one per installation)")),
    "migrate": Entry(command="migrate", summary=gettext_noop("Create or update the database tables")),
    "demo": Entry(command="demo", summary=gettext_noop("Load demo data: demo --customers N [--seed S]")),
    "user": Entry(command="user", summary=gettext_noop("Manage users: user add USERNAME --role ROLE …")),
    "import": Entry(command="import_file", summary=gettext_noop("Import a spreadsheet: import customers FILE [--dry-run] …")),
    "export": Entry(command="export_file", summary=gettext_noop("Export data: export customers --format xlsx|csv -o FILE …")),
    "orders": Entry(command="orders", summary=gettext_noop("Orders from other systems: orders import FILE [--source S] [--dry-run] [--json]")),
    "outbox": Entry(command="outbox", summary=gettext_noop("Email and SMS deliveries: outbox [--status S] [--json] | send | retry ID")),
    "automation": Entry(command="automation", summary=gettext_noop("Automation rules: automation tick [--now T] [--json] | rules … | templates …")),
    "plans": Entry(command="plans", summary=gettext_noop("Maintenance plans: plans generate [--now T] [--json] | list [--json]")),
    "mailbox": Entry(command="mailbox", summary=gettext_noop("Read replies, bounces and complaints from the IMAP mailbox once: mailbox poll [--json]")),
    "token": Entry(command="token", summary=gettext_noop("Create an API token for a user and print it")),
    "createadmin": Entry(command="createadmin", summary=gettext_noop("Create an administrator or reset its password")),
    "check": Entry(command="check", summary=gettext_noop("Check the configuration (check --deploy for production)")),
    "manage": Entry(command="", summary=gettext_noop("Run any Django management command: manage COMMAND …")),
}  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    from django.utils.translation import gettext as _

    lines = [f"  {name:<13}{_(entry.summary)}" for name, entry in COMMANDS.items()]
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_("Guanxi (关系): customer relationships and maintenance automation."),
        epilog=_("Commands:")
        + "\n"
        + "\n".join(lines)
        + "\n\n"
        + _("Run `guanxi COMMAND --help` for the options of a command."),
        usage=f"{PROG} [-h] [--version] COMMAND [ARGS…]",
    )
    parser.add_argument("--version", action="store_true", help=_("Print the version and exit."))
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("guanxi")
    except PackageNotFoundError:
        return "unknown"


def _fail(prog: str, message: str, code: int = 1) -> int:
    sys.stderr.write(f"{prog}: {message}\n")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        import django

        django.setup()
    except Exception as exc:  # a bad GUANXI_* value: say so without a traceback
        return _fail(PROG, f"configuration error: {exc}")

    from django.utils.translation import gettext as _

    parser = _parser()
    if not args or args[0] in ("-h", "--help"):
        parser.print_help(sys.stdout if args else sys.stderr)
        return 0 if args else 2
    if args[0] == "--version":
        sys.stdout.write(f"guanxi {_version()}\n")
        return 0
    name, rest = args[0], args[1:]
    entry = COMMANDS.get(name)
    if entry is None:
        known = ", ".join(COMMANDS)
        return _fail(
            PROG, _("unknown command %(name)r (choose from %(known)s)") % {"name": name, "known": known}, 2
        )  # fmt: skip
    command, prog = entry.command, f"{PROG} {name}"
    if name == "manage":
        if not rest or rest[0] in ("-h", "--help"):
            from django.core.management import get_commands

            sys.stdout.write(_("usage: guanxi manage COMMAND [ARGS…]") + "\n\n")
            sys.stdout.write("\n".join(f"  {c}" for c in sorted(get_commands())) + "\n")
            return 0 if rest else 2
        command, rest = rest[0], rest[1:]
        prog = f"{PROG} manage {command}"
    return dispatch(command=command, prog=prog, args=rest)


def dispatch(*, command: str, prog: str, args: Sequence[str]) -> int:
    """Run one management command with command-line arguments, as `manage.py` would."""
    from django.core.management import get_commands, load_command_class
    from django.core.management.base import BaseCommand, CommandError
    from django.db import connections
    from django.utils.translation import gettext as _

    app = get_commands().get(command)
    if app is None:
        if command == "demo":
            return _fail(prog, _("demo data is not available in this version of Guanxi."))
        return _fail(prog, _("unknown command %(name)r") % {"name": command}, 2)
    handler = app if isinstance(app, BaseCommand) else load_command_class(app, command)
    # argparse errors then print usage and exit 2 instead of raising CommandError.
    handler._called_from_command_line = True
    parser = handler.create_parser(PROG, prog.removeprefix(f"{PROG} "))
    options = vars(parser.parse_args(list(args)))
    positional = options.pop("args", ())
    try:
        handler.execute(*positional, **options)
    except CommandError as exc:
        return _fail(prog, str(exc), exc.returncode)
    except KeyboardInterrupt:
        return 130
    finally:
        # Like manage.py, but leave alone a connection an outer transaction (a test) still uses.
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:
                connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
