"""SMS: through an HTTP gateway when GUANXI_SMS_URL is set, else JSON files in the outbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from guanxi.messaging.channels.base import Outcome

if TYPE_CHECKING:
    from guanxi.messaging.models import Message


class FileSms:
    """The default outbox: one JSON file per message, named by its token."""

    name = "file"
    kind = "sms"

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder or settings.GUANXI_OUTBOX_DIR) / "sms"

    def open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: Message) -> Outcome:
        path = self.folder / f"{message.token}.json"
        body = {"phone": message.recipient, "text": message.body_text, "id": message.token}
        try:
            path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        except OSError as error:
            return Outcome.retry(f"outbox: {error}")
        return Outcome.sent(provider_id=path.name)

    def close(self) -> None:
        pass


def configured():
    url = settings.GUANXI_SMS_URL
    if url:
        from guanxi.messaging.channels.sms_gateway import HttpGateway

        return HttpGateway.from_url(url)
    return FileSms()
