"""The one clock. Tests and `automation tick --now` move it; everything else reads it."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    return _frozen if _frozen is not None else timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


@contextlib.contextmanager
def frozen_at(instant: dt.datetime) -> Iterator[dt.datetime]:
    """Run a block "as of" an instant (timezone-aware)."""
    global _frozen
    if timezone.is_naive(instant):
        instant = timezone.make_aware(instant)
    previous, _frozen = _frozen, instant
    try:
        yield instant
    finally:
        _frozen = previous
