"""SMS: through an HTTP gateway when GUANXI_SMS_URL is set, else JSON files in the outbox."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
        body: dict[str, Any] = {
            "phone": message.recipient,
            "text": message.body_text,
            "id": message.token,
        }
        template = provider_template(message)
        if template is not None:  # what a provider would get, visible in the outbox
            body["template_id"], body["params"] = template.code, dict(template.params)
        try:
            path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        except OSError as error:
            return Outcome.retry(f"outbox: {error}")
        return Outcome.sent(provider_id=path.name)

    def close(self) -> None:
        pass


@dataclass(frozen=True, kw_only=True)
class ProviderTemplate:
    """The provider's own approved template an SMS goes through, as queued."""

    code: str
    params: list[tuple[str, str]]  # (name, rendered value), in the provider's order


def provider_template(message: Message) -> ProviderTemplate | None:
    """The message's provider template (rendered when it was queued), or None: the text
    goes through the carrier template of GUANXI_SMS_URL."""
    stored = message.provider_template or {}
    if not stored.get("code"):
        return None
    return ProviderTemplate(
        code=str(stored["code"]),
        params=[(str(name), str(value)) for name, value in stored.get("params") or []],
    )


def configured():
    url = settings.GUANXI_SMS_URL
    if url:
        from guanxi.messaging.channels.sms_gateway import HttpGateway

        return HttpGateway.from_url(url)
    return FileSms()
