"""Page through big lists without an exact COUNT(*) on every request.

The caller passes a count it capped (see customers.selectors.capped_count); past the cap the
page says "10,000+" and still knows whether there is a next page by fetching one extra row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import QuerySet

PER_PAGE = 50
COUNT_CAP = 10_000


def page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


@dataclass(frozen=True)
class CappedPage:
    items: list[Any]
    number: int
    per_page: int
    total: int  # at most cap + 1, which means "more than cap"
    cap: int
    has_next: bool

    @classmethod
    def of(
        cls,
        qs: QuerySet,
        *,
        number: int,
        total: int,
        per_page: int = PER_PAGE,
        cap: int = COUNT_CAP,
    ) -> CappedPage:
        last_known = max(1, -(-min(total, cap) // per_page))
        if total <= cap:
            number = min(number, last_known)
        offset = (number - 1) * per_page
        rows = list(qs[offset : offset + per_page + 1])
        return cls(
            items=rows[:per_page],
            number=number,
            per_page=per_page,
            total=total,
            cap=cap,
            has_next=len(rows) > per_page,
        )

    @property
    def capped(self) -> bool:
        return self.total > self.cap

    @property
    def total_display(self) -> str:
        return f"{intcomma(self.cap)}+" if self.capped else intcomma(self.total)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.items)

    @property
    def page_range(self) -> list[int | None]:
        """Page numbers around the current one; None marks a gap ("…"). The last page is only
        offered when it is known, i.e. the count was not capped."""
        last = -(-min(self.total, self.cap) // self.per_page) or 1
        pages: set[int] = {1, *range(max(1, self.number - 2), self.number + 3)}
        if not self.capped:
            pages.add(last)
        pages = {p for p in pages if p <= max(last, self.number + (1 if self.has_next else 0))}
        result: list[int | None] = []
        for p in sorted(pages):
            if result and result[-1] is not None and p - result[-1] > 1:
                result.append(None)
            result.append(p)
        if self.capped and self.has_next:
            result.append(None)
        return result
