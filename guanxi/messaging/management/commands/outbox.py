"""`guanxi outbox [list|send|retry ID]`: recent deliveries, one delivery run, a retry by hand.

An operator command: it lists every message, unscoped and unmasked, as the database holds
them (whoever runs it can read the database anyway).
"""

from __future__ import annotations

import json

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.management.actors import command_actor
from guanxi.core.management.base import GuanxiCommand

ACTIONS = ("list", "send", "retry")


class Command(GuanxiCommand):
    help = gettext_lazy(
        "Show recent email and SMS deliveries (default), send what is due once (`send`), "
        "or queue a failed or skipped message again (`retry ID`)."
    )

    def add_arguments(self, parser) -> None:
        from guanxi.messaging.models import MessageChannel, MessageStatus

        parser.add_argument(
            "action",
            nargs="?",
            default="list",
            choices=ACTIONS,
            help=_("What to do (default: list)."),
        )
        parser.add_argument("id", nargs="?", type=int, help=_("The message to retry."))
        parser.add_argument("--status", choices=MessageStatus.values, help=_("Only this status."))
        parser.add_argument(
            "--channel", choices=MessageChannel.values, help=_("Only this channel.")
        )
        parser.add_argument(
            "--limit", type=int, default=20, help=_("How many, newest first (default: 20).")
        )
        parser.add_argument("--json", action="store_true", help=_("Print JSON instead of a table."))
        parser.add_argument(
            "--as", dest="username", default="",
            help=_("Retry as this user (default: the first active administrator)."),
        )  # fmt: skip

    def handle(self, *, action: str, **options) -> None:
        if action == "send":
            return self._send(as_json=options["json"])
        if action == "retry":
            if options["id"] is None:
                raise CommandError(_("Name the message to retry: guanxi outbox retry ID"))
            return self._retry(options["id"], username=options["username"], as_json=options["json"])
        if options["limit"] < 1:
            raise CommandError(_("--limit must be at least 1."))
        return self._list(**options)

    def _list(self, *, status, channel, limit: int, json: bool, **_options) -> None:
        from guanxi.messaging.models import Message

        qs = Message.objects.order_by("-created_at", "-id")
        if status:
            qs = qs.filter(status=status)
        if channel:
            qs = qs.filter(channel=channel)
        rows = [_row(m) for m in qs[:limit]]
        if json:
            self.stdout.write(_dumps(rows))
            return
        if not rows:
            self.stdout.write(_("No messages."))
            return
        header = [_("id"), _("time"), _("channel"), _("status"), _("recipient"), _("subject / text"), _("reason")]  # fmt: skip
        self.stdout.write("\t".join(header))
        for row in rows:
            cells = [row["id"], row["time"][:16].replace("T", " "), row["channel"], row["status"],
                     row["recipient"], row["subject"], row["reason"]]  # fmt: skip
            self.stdout.write("\t".join(str(c) for c in cells))

    def _send(self, *, as_json: bool) -> None:
        from guanxi.messaging.delivery import deliver_due

        report = deliver_due()
        counts = {
            "sent": report.sent, "retrying": report.retrying, "failed": report.failed,
            "interrupted": report.interrupted,
        }  # fmt: skip
        if as_json:
            self.stdout.write(_dumps(counts))
            return
        self.stdout.write(
            _(
                "Sent %(sent)d, to retry later %(retrying)d, failed %(failed)d, interrupted earlier %(interrupted)d."
            )  # fmt: skip
            % counts
        )

    def _retry(self, pk: int, *, username: str, as_json: bool) -> None:
        from guanxi.core.errors import ApplicationError
        from guanxi.messaging.models import Message
        from guanxi.messaging.sending import message_retry

        message = Message.objects.filter(pk=pk).first()
        if message is None:
            raise CommandError(_("No message %(id)s.") % {"id": pk})
        try:
            message = message_retry(actor=command_actor(username), message=message)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if as_json:
            self.stdout.write(_dumps(_row(message)))
            return
        self.stdout.write(_("Message %(id)s is queued to be sent again.") % {"id": message.pk})


def _row(message) -> dict:
    what = message.subject or " ".join(message.body_text.split())
    return {
        "id": message.pk,
        "time": timezone.localtime(message.created_at).isoformat(),  # the installation's zone
        "channel": message.channel,
        "status": message.status,
        "recipient": message.recipient,
        "subject": what[:40],
        "reason": message.reason,
    }


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)
