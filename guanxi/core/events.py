"""Domain events, published explicitly by services after commit (no signals).

The automation engine subscribes here; until it exists the bus records nothing but
what subscribers choose to. Subscribers run after the transaction commits, so a
rolled-back write never triggers anything.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
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


# How deep in a chain of rules the running code is: an automation step sets it, so the
# events its services publish carry it and the engine can stop rules triggering rules.
_depth: contextvars.ContextVar[int] = contextvars.ContextVar("event_depth", default=0)


@contextlib.contextmanager
def depth_of(depth: int) -> Iterator[None]:
    token = _depth.set(depth)
    try:
        yield
    finally:
        _depth.reset(token)


def publish(event: Event) -> None:
    if event.depth == 0 and _depth.get():
        event = replace(event, depth=_depth.get())

    def deliver() -> None:
        for subscriber in list(_subscribers):
            subscriber(event)

    transaction.on_commit(deliver)
