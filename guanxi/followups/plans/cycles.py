"""A plan's dates: every N days from its start, weekly on a weekday, monthly on a day, or
quarterly (every three months from the start month) on a day. Pure functions, no database.

Days past a month's end fall on its last day (the 31st in February is the 28th or 29th).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from guanxi.followups.plans.models import Cycle

# Enough for any plan: a quarterly plan reaches 250 years, a daily one nearly three.
MAX_STEPS = 1000


@dataclass(frozen=True, kw_only=True)
class CycleSpec:
    cycle: str
    start: dt.date
    end: dt.date | None = None
    interval_days: int | None = None
    weekday: int | None = None
    day_of_month: int | None = None

    @classmethod
    def of(cls, plan) -> CycleSpec:
        return cls(
            cycle=plan.cycle,
            start=plan.start_date,
            end=plan.end_date,
            interval_days=plan.interval_days,
            weekday=plan.weekday,
            day_of_month=plan.day_of_month,
        )


def _month_day(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _dates_from(spec: CycleSpec, day: dt.date) -> Iterator[dt.date]:
    """The plan's dates on or after `day` (and its start), in order, unbounded."""
    day = max(day, spec.start)
    if spec.cycle == Cycle.EVERY_N_DAYS:
        step = max(spec.interval_days or 1, 1)
        offset = (day - spec.start).days
        current = spec.start + dt.timedelta(days=-(-offset // step) * step)
        while True:
            yield current
            current += dt.timedelta(days=step)
    elif spec.cycle == Cycle.WEEKLY:
        weekday = spec.weekday if spec.weekday is not None else spec.start.weekday()
        current = day + dt.timedelta(days=(weekday - day.weekday()) % 7)
        while True:
            yield current
            current += dt.timedelta(days=7)
    else:
        months = 3 if spec.cycle == Cycle.QUARTERLY else 1
        wanted = spec.day_of_month or spec.start.day
        # Months since the start month, rounded down to the cycle's step.
        elapsed = (day.year - spec.start.year) * 12 + day.month - spec.start.month
        year, month = _add_months(spec.start.year, spec.start.month, elapsed // months * months)
        while True:
            current = _month_day(year, month, wanted)
            if current >= day:
                yield current
            year, month = _add_months(year, month, months)


def dates_between(spec: CycleSpec, first: dt.date, last: dt.date) -> list[dt.date]:
    """The plan's dates in [first, last], within its start and end."""
    if spec.end is not None:
        last = min(last, spec.end)
    found: list[dt.date] = []
    for n, current in enumerate(_dates_from(spec, first)):
        if current > last or n >= MAX_STEPS:
            break
        found.append(current)
    return found


def first_on_or_after(spec: CycleSpec, day: dt.date) -> dt.date | None:
    """The first plan date on or after `day`; None once the plan has ended."""
    current = next(_dates_from(spec, day))
    if spec.end is not None and current > spec.end:
        return None
    return current


def first_after(spec: CycleSpec, day: dt.date) -> dt.date | None:
    return first_on_or_after(spec, day + dt.timedelta(days=1))
