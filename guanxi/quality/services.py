"""Writes of the data-quality app: refreshing the duplicate groups, dismissing one."""

from __future__ import annotations

import itertools
import logging
import time
from array import array
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm, visible_to
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import NotFoundError
from guanxi.customers.models import Customer
from guanxi.quality import finder, selectors
from guanxi.quality.models import (
    CheckHit,
    CheckScan,
    DuplicateDismissal,
    DuplicateGroup,
    DuplicateMember,
)

logger = logging.getLogger(__name__)

DUPLICATES_SCAN = "duplicates"  # CheckScan row of the duplicate scan

# Members written per transaction: SQLite writers (the web app) wait at most one batch.
WRITE_BATCH = 5000


def duplicates_refresh() -> dict[str, object]:
    """Recompute every duplicate group.

    The scan only reads. The result is then written as a difference to what is stored (new
    groups, changed scores, groups gone) in short batches of BATCH rows, each its own
    transaction: SQLite writers wait at most one batch, and a killed run leaves whole groups
    behind — the rerun compares again and writes only what is still missing, never twice.
    Groups found again keep their id (matched by their members)."""
    started = time.perf_counter()
    dismissed = set(DuplicateDismissal.objects.values_list("customer_low_id", "customer_high_id"))
    scanned_to = Customer.objects.aggregate(top=Max("pk"))["top"] or 0
    scan = finder.scan(dismissed=dismissed)
    groups = scan.run()
    write_started = time.perf_counter()
    counts = _store(groups, now=clock.now(), scanned_to=scanned_to)
    seconds = {**scan.seconds, "write": round(time.perf_counter() - write_started, 2)}
    seconds["total"] = round(time.perf_counter() - started, 2)
    logger.info("duplicate scan: %d groups %s, seconds %s", len(groups), counts, seconds)
    return {"groups": len(groups), **counts, "links": scan.links, "seconds": seconds}


def _store(
    groups: list[finder.FoundGroup], *, now: datetime, scanned_to: int = 0
) -> dict[str, int]:
    found = {g.key: g for g in groups}
    stale: list[int] = []
    changed: list[DuplicateGroup] = []
    stored = DuplicateGroup.objects.order_by().values_list("id", "key", "score", "reasons")
    for pk, key, score, reasons in stored.iterator(chunk_size=finder.BATCH):
        group = found.pop(key, None)  # what is left in `found` is new
        if group is None:
            stale.append(pk)
        elif (group.score, group.reasons) != (score, reasons):
            changed.append(
                DuplicateGroup(pk=pk, score=group.score, reasons=group.reasons, computed_at=now)
            )
    for chunk in itertools.batched(stale, finder.BATCH):
        with transaction.atomic():
            DuplicateGroup.objects.filter(pk__in=chunk).delete()
    for chunk in itertools.batched(changed, finder.BATCH):
        with transaction.atomic():
            DuplicateGroup.objects.bulk_update(chunk, ["score", "reasons", "computed_at"])
    created = 0
    for chunk in _member_batches(list(found.values())):
        with transaction.atomic():
            created += _create_groups(chunk, now=now)
    # The scan's time is recorded once (the page's "last scan"), not stamped on every group:
    # rewriting 163k unchanged rows each night cost 2–8 s and as many dead tuples.
    CheckScan.objects.update_or_create(
        check_slug=DUPLICATES_SCAN, defaults={"scanned_to": scanned_to, "scanned_at": now}
    )
    return {"new": created, "changed": len(changed), "removed": len(stale)}


def _member_batches(groups: list[finder.FoundGroup]):
    batch: list[finder.FoundGroup] = []
    size = 0
    for group in groups:
        if batch and size + len(group.members) > WRITE_BATCH:
            yield batch
            batch, size = [], 0
        batch.append(group)
        size += len(group.members)
    if batch:
        yield batch


def _create_groups(groups: list[finder.FoundGroup], *, now: datetime) -> int:
    # A customer deleted or merged away since the scan read it is left out (and its group
    # with it when fewer than two remain).
    ids = [m for g in groups for m in g.members]
    alive: set[int] = set()
    for chunk in itertools.batched(ids, 900):  # SQLite's bound on parameters per query
        alive.update(Customer.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    keep = [g for g in groups if sum(m in alive for m in g.members) >= 2]
    rows = DuplicateGroup.objects.bulk_create(
        [DuplicateGroup(key=g.key, score=g.score, reasons=g.reasons, computed_at=now) for g in keep]
    )
    if any(row.pk is None for row in rows):  # a backend that does not return ids
        pks = dict(
            DuplicateGroup.objects.filter(key__in=[g.key for g in keep]).values_list("key", "id")
        )
        for row in rows:
            row.pk = pks[row.key]
    # Plain executemany: model instances for ~850,000 members at 1M customers cost more than
    # the inserts themselves (the first scan of a large base writes them all).
    table = connection.ops.quote_name(DuplicateMember._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (group_id, customer_id) VALUES (%s, %s)",  # noqa: S608
            [
                (row.pk, m)
                for row, g in zip(rows, keep, strict=True)
                for m in g.members
                if m in alive
            ],
        )
    return len(keep)


def checks_refresh() -> dict[str, int]:
    """Record the rows failing each scanned check (selectors.SCANNED_CHECKS) for the pages.

    Reads first (ids only, 8 bytes each), then replaces one check's hits in one short
    transaction: a killed run leaves the previous hits, a rerun redoes the whole job."""
    found: dict[str, int] = {}
    for slug in selectors.SCANNED_CHECKS:
        rows = selectors.check_scan_rows(slug)
        scanned_to = rows.model.objects.aggregate(top=Max("pk"))["top"] or 0
        ids = array("q", rows.filter(pk__lte=scanned_to).order_by().values_list("pk", flat=True))
        now = clock.now()
        with transaction.atomic():
            CheckHit.objects.filter(check_slug=slug).delete()
            for chunk in itertools.batched(ids, WRITE_BATCH):
                CheckHit.objects.bulk_create([CheckHit(check_slug=slug, row_id=i) for i in chunk])
            CheckScan.objects.update_or_create(
                check_slug=slug, defaults={"scanned_to": scanned_to, "scanned_at": now}
            )
        found[slug] = len(ids)
    return found


def duplicate_group_dismiss(*, actor: User, group: DuplicateGroup, source: str = Source.UI) -> None:
    """ "Not duplicates": every pair of the group is remembered, the group goes away.
    The actor must see every member (a group half outside their scope is not theirs)."""
    require_perm(actor, Perm.CUSTOMER_MERGE)
    member_ids = sorted(group.members.values_list("customer_id", flat=True))
    visible = visible_to(actor, Customer.objects.filter(pk__in=member_ids))
    codes = dict(visible.values_list("pk", "code"))
    if len(codes) != len(member_ids):
        raise NotFoundError(_("Duplicate group not found."))
    now = clock.now()
    with transaction.atomic():
        DuplicateDismissal.objects.bulk_create(
            [
                DuplicateDismissal(
                    customer_low_id=low, customer_high_id=high, dismissed_by=actor, dismissed_at=now
                )
                for low, high in itertools.combinations(member_ids, 2)
            ],
            ignore_conflicts=True,
        )
        for customer_id in member_ids:
            activity_record(
                actor=actor,
                verb=Verb.DISMISSED,
                target_type="customers.customer",
                target_id=customer_id,
                customer_id=customer_id,
                changes={"duplicates": [[codes[m] for m in member_ids if m != customer_id], None]},
                summary=", ".join(codes[m] for m in member_ids if m != customer_id),
                source=source,
            )
        group.delete()
