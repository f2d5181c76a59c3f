"""Domain events, published explicitly by services after commit (no signals).

The automation engine subscribes here; until it exists the bus records nothing but
what subscribers choose to. Subscribers run after the transaction commits, so a
rolled-back write never triggers anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction


@dataclass(frozen=True)
class Event:
    name: str
    customer_id: int | None = None
    actor_id: int | None = None
    source: str = "system"
    payload: dict[str, Any] = field(default_factory=dict)
    depth: int = 0


Subscriber = Callable[[Event], None]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def unsubscribe(subscriber: Subscriber) -> None:
    if subscriber in _subscribers:
        _subscribers.remove(subscriber)


def publish(event: Event) -> None:
    def deliver() -> None:
        for subscriber in list(_subscribers):
            subscriber(event)

    transaction.on_commit(deliver)
