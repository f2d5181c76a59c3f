"""Coupon pools: loading single-use codes (the write path) and what each pool holds (the read
path). Steps take codes from a pool one per journey (actions.coupon_issue); a pool running
dry makes those steps fail with a clear reason, so people need to see what is left.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.automation.models import CouponCode
from guanxi.core.errors import ApplicationError

POOL_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
CODE_PATTERN = re.compile(r"^\S{1,100}$")
MAX_CODES = 100_000  # per load; a larger campaign loads several files
_CHUNK = 1_000


@dataclass(frozen=True)
class Loaded:
    added: int
    duplicates: int  # already in the pool, or repeated in the input


@dataclass(frozen=True)
class Pool:
    pool: str
    total: int
    issued: int
    last_issued_at: object

    @property
    def available(self) -> int:
        return self.total - self.issued


def coupon_codes_load(
    *, actor: User | None, pool: str, codes: Iterable[str], source: str = Source.UI
) -> Loaded:
    """Add codes to a pool (created by its first codes). Blank lines are ignored; a code
    already in the pool, or repeated, is counted and kept once, so loading the same file
    twice adds nothing. Any invalid code refuses the whole load, naming the lines."""
    if actor is not None:
        require_perm(actor, Perm.AUTOMATION_MANAGE)
    pool = (pool or "").strip()
    if not POOL_PATTERN.match(pool):
        raise ApplicationError(
            _("Please correct the errors below."),
            errors={"pool": [_("A pool name is 1–50 letters, digits, “-” or “_”.")]},
        )
    wanted: dict[str, None] = {}
    bad: list[int] = []
    given = 0
    for number, raw in enumerate(codes, start=1):
        code = str(raw).strip()
        if not code:
            continue
        given += 1
        if not CODE_PATTERN.match(code):
            bad.append(number)
        wanted.setdefault(code)
    if bad:
        lines = ", ".join(str(n) for n in bad[:10]) + (" …" if len(bad) > 10 else "")
        raise ApplicationError(
            _("Nothing was loaded: a code is 1–100 characters without spaces (lines %(lines)s).")
            % {"lines": lines},
            errors={"codes": [_("Invalid codes on lines %(lines)s.") % {"lines": lines}]},
        )
    if not wanted:
        raise ApplicationError(
            _("Please correct the errors below."), errors={"codes": [_("Give at least one code.")]}
        )
    if len(wanted) > MAX_CODES:
        raise ApplicationError(
            _("Nothing was loaded: at most %(n)d codes at a time.") % {"n": MAX_CODES},
            errors={"codes": [_("Too many codes.")]},
        )
    ordered = list(wanted)
    with transaction.atomic():
        added = 0
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            present = set(
                CouponCode.objects.filter(pool=pool, code__in=chunk).values_list("code", flat=True)
            )
            fresh = [CouponCode(pool=pool, code=c) for c in chunk if c not in present]
            # ignore_conflicts: another load of the same codes at the same moment adds them once.
            CouponCode.objects.bulk_create(fresh, ignore_conflicts=True)
            added += len(fresh)
        activity_record(
            actor=actor, verb=Verb.CREATED, target_type="automation.couponpool",
            summary=_("Loaded %(n)d coupon codes into the pool “%(pool)s”.")
            % {"n": added, "pool": pool},
            changes={"pool": [None, pool], "added": [None, added]},
            source=source,
        )  # fmt: skip
    return Loaded(added=added, duplicates=given - added)


def first_column(text: str) -> list[str]:
    """The codes of an uploaded text or CSV file: the first column of each line (lines are
    kept, blank or not, so an error names the line a person sees in their editor)."""
    return [next(iter(row), "") for row in csv.reader(io.StringIO(text))] if text else []


def coupon_pools(*, user: User | None) -> list[Pool]:
    """Every pool with its codes in all, issued and left, by name."""
    if user is not None:
        require_perm(user, Perm.AUTOMATION_VIEW)
    rows = (
        CouponCode.objects.values("pool")
        .annotate(
            total=Count("*"),
            issued=Count("pk", filter=Q(issued_key__isnull=False)),
            last_issued_at=Max("issued_at"),
        )
        .order_by("pool")
    )
    return [Pool(**row) for row in rows]
