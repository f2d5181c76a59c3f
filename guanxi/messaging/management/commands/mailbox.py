"""`guanxi mailbox poll [--json] [--limit N]`: one pass over the IMAP reply mailbox
(GUANXI_IMAP_URL) by hand — what the scheduler does every two minutes."""

from __future__ import annotations

import json

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.management.base import GuanxiCommand

ACTIONS = ("poll",)


class Command(GuanxiCommand):
    help = gettext_lazy(
        "Read new replies, bounces and complaints from the IMAP mailbox of GUANXI_IMAP_URL "
        "once (`poll`)."
    )

    def add_arguments(self, parser) -> None:
        from guanxi.messaging.imap_polling import DEFAULT_LIMIT

        parser.add_argument("action", choices=ACTIONS, help=_("What to do: poll."))
        parser.add_argument(
            "--limit",
            type=int,
            default=DEFAULT_LIMIT,
            help=_("Read at most this many mails (default: %(default)s)."),  # argparse fills it
        )
        parser.add_argument(
            "--json", action="store_true", help=_("Print JSON instead of a sentence.")
        )

    def handle(self, *, action: str, limit: int, json: bool, **_options) -> None:
        from guanxi.messaging.imap_polling import mailbox_poll

        if limit < 1:
            raise CommandError(_("--limit must be at least 1."))
        summary = mailbox_poll(limit=limit)
        if json:
            self.stdout.write(_dumps(summary))
        elif "skipped" in summary:
            self.stdout.write("Not polled: GUANXI_IMAP_URL is not set.")
        elif "fetched" in summary:  # also after an error half-way: what was done so far
            self.stdout.write(
                "Read {fetched}: {replies} replies, {bounces} bounces, {complaints} complaints, "
                "{ignored} ignored, {failed} failed.".format(**summary)
            )
        # A mail server that refuses is a failure of the command (exit 1), JSON or not; the
        # summary was printed first, so a script still sees what was done.
        if "error" in summary:
            raise CommandError(summary["error"])


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)
