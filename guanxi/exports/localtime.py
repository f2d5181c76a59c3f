"""Instants as the screen shows them (`2024-05-01 21:45`, local time), fast enough for a
million cells.

The export reads raw database values: UTC text (`2024-05-01 13:45:12.123456`, how Django
stores an aware datetime in SQLite, and what the export asks PostgreSQL for), or an aware
datetime from any other caller. Parsing and
converting each value through zoneinfo costs ~5 µs; a time zone's offset changes at most a
few times a year, so the local "YYYY-MM-DD HH" of each UTC hour is worked out once and the
minutes are copied over (~0.5 µs). An hour whose offset is not whole hours, or that holds an
offset change, is converted value by value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

UTC = dt.UTC
_MINUTES = [f":{m:02d}" for m in range(60)]
_HOUR = 3600


class LocalMinutes:
    """value (UTC text, aware or naive-UTC datetime, None) → local `YYYY-MM-DD HH:MM` or ""."""

    def __init__(self, tz: dt.tzinfo) -> None:
        self.tz = tz
        self._by_text: dict[str, str | None] = {}  # "2024-05-01 13" (UTC) → local prefix
        self._by_hour: dict[float, str | None] = {}  # UTC hours since the epoch → same

    def __call__(self, value: Any) -> str:
        if value is None or value == "":
            return ""
        if type(value) is str:
            # Django's own SQLite format: "YYYY-MM-DD HH:MM:SS[.ffffff]", UTC, no offset.
            if len(value) in (19, 26) and value[10] == " ":
                key = value[:13]
                prefix = self._by_text.get(key, "")
                if prefix == "":
                    prefix = self._by_text[key] = self._hour_prefix(
                        dt.datetime.fromisoformat(key + ":00").replace(tzinfo=UTC)
                    )
                if prefix is not None:
                    return prefix + value[13:16]
            return self.convert(dt.datetime.fromisoformat(value))
        if value.tzinfo is None:  # naive instants are UTC (USE_TZ stores UTC)
            value = value.replace(tzinfo=UTC)
        stamp = value.timestamp()
        hour = stamp // _HOUR
        prefix = self._by_hour.get(hour, "")
        if prefix == "":
            prefix = self._by_hour[hour] = self._hour_prefix(
                dt.datetime.fromtimestamp(hour * _HOUR, UTC)
            )
        if prefix is None:
            return self.convert(value)
        return prefix + _MINUTES[int(stamp % _HOUR) // 60]

    def convert(self, value: dt.datetime) -> str:
        """The slow, always-right way (what the UI's `|date:"Y-m-d H:i"` does)."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(self.tz).replace(tzinfo=None).isoformat(" ", "minutes")

    def _hour_prefix(self, start: dt.datetime) -> str | None:
        """Local "YYYY-MM-DD HH" of this UTC hour, if every minute of it maps by copying."""
        first = start.astimezone(self.tz)
        last = (start + dt.timedelta(seconds=_HOUR - 1)).astimezone(self.tz)
        offset = first.utcoffset()
        if offset != last.utcoffset() or offset is None or offset.total_seconds() % _HOUR:
            return None
        return first.replace(tzinfo=None).isoformat(" ", "minutes")[:13]
