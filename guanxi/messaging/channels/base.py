from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from guanxi.messaging.models import Message


class OutcomeKind(StrEnum):
    SENT = "sent"  # handed over: the provider (or file) has it
    RETRY = "retry"  # transient: connection error, SMTP 4xx, HTTP 5xx / 429
    FAILED = "failed"  # permanent: SMTP 5xx, invalid number, HTTP 4xx


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    provider_id: str = ""
    reason: str = ""

    @classmethod
    def sent(cls, provider_id: str = "") -> Outcome:
        return cls(OutcomeKind.SENT, provider_id=provider_id)

    @classmethod
    def retry(cls, reason: str) -> Outcome:
        return cls(OutcomeKind.RETRY, reason=reason)

    @classmethod
    def failed(cls, reason: str) -> Outcome:
        return cls(OutcomeKind.FAILED, reason=reason)


class Channel(Protocol):
    """What the delivery loop hands messages to. A channel may also have
    `prepare(message)`, which starts a handover without delivering anything (it never
    raises; `send` returns what went wrong), and `cancel()`, which abandons a prepared one:
    the loop then prepares a message while the database commits its in-flight mark."""

    name: str  # which implementation: file, smtp, http …
    kind: str  # which MessageChannel it carries: email or sms

    def open(self) -> None: ...

    def send(self, message: Message) -> Outcome: ...

    def close(self) -> None: ...
