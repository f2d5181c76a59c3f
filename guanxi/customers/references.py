"""Labels of the small tables a customer row points at (industry, level, owner, team,
department), read once per process instead of joined into every row query.

On PostgreSQL, planning the five outer joins cost more than running the query (see
docs/performance.md); the tables are small and change rarely. A snapshot lives
REFERENCE_LABELS_SECONDS (30 s): a row pointing at an id the snapshot lacks (a user created a
moment ago in another process) reloads it at once; a rename made in another process shows
within that time, in this process at once (`references_changed`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import get_language

from guanxi.accounts.models import Department, Team, User
from guanxi.customers.models import Industry, Level

REFERENCE_LABELS_SECONDS = 30.0


@dataclass(frozen=True, kw_only=True)
class Labels:
    industries: dict[int, tuple[str, str, str]]  # id → (code, name, English name)
    levels: dict[int, tuple[str, str, str]]
    users: dict[int, str]  # id → User.label
    teams: dict[int, str]
    departments: dict[int, str]
    loaded: float = field(default_factory=time.monotonic)

    @staticmethod
    def english() -> bool:
        return (get_language() or "").startswith("en")

    def choice(self, kind: str, pk: int | None, *, english: bool | None = None) -> dict | None:
        """{"code", "label"} of an industry or level in the active language, or None."""
        if pk is None:
            return None
        entry = (self.industries if kind == "industry" else self.levels).get(pk)
        if entry is None:
            return None
        code, name, name_en = entry
        if english is None:
            english = self.english()
        return {"code": code, "label": name_en if english and name_en else name}


_snapshot: Labels | None = None


def _load() -> Labels:
    def choices(model) -> dict[int, tuple[str, str, str]]:
        return {
            pk: (c, n, e)
            for pk, c, n, e in model.objects.values_list("pk", "code", "name", "name_en")
        }

    users = {
        pk: display or f"{first} {last}".strip() or username
        for pk, display, first, last, username in User.objects.values_list(
            "pk", "display_name", "first_name", "last_name", "username"
        )
    }
    return Labels(
        industries=choices(Industry),
        levels=choices(Level),
        users=users,
        teams=dict(Team.objects.values_list("pk", "name")),
        departments=dict(Department.objects.values_list("pk", "name")),
    )


def reference_labels(*, rows: list[dict] = ()) -> Labels:
    """The current snapshot, reloaded when stale or when one of `rows` points at an id it lacks."""
    global _snapshot
    labels = _snapshot
    if (
        labels is None
        or time.monotonic() - labels.loaded > REFERENCE_LABELS_SECONDS
        or any(_lacks(labels, row) for row in rows)
    ):
        labels = _snapshot = _load()
    return labels


def _lacks(labels: Labels, row: dict) -> bool:
    return (
        (row["industry_id"] is not None and row["industry_id"] not in labels.industries)
        or (row["level_id"] is not None and row["level_id"] not in labels.levels)
        or (row["owner_id"] is not None and row["owner_id"] not in labels.users)
        or (row["team_id"] is not None and row["team_id"] not in labels.teams)
        or (row["department_id"] is not None and row["department_id"] not in labels.departments)
    )


def forget_reference_labels() -> None:
    global _snapshot
    _snapshot = None


def references_changed() -> None:
    """Call inside a transaction that renames an industry, level, user, team or department."""
    forget_reference_labels()
    transaction.on_commit(forget_reference_labels)
