"""Running an import job: the check (dry run) and the import itself, batch by batch.

One code path does both: read → clean → de-duplicate → (write). The import commits each
batch in ONE transaction together with its ImportRecords, problems, counters and
`last_committed_row`, so a crash or kill leaves whole batches only, and a rerun of the same
job starts after the last committed batch (never writing a row twice).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.activity.models import Source
from guanxi.core import clock
from guanxi.customers.bulk import (
    NewCustomer,
    customer_update_from_import,
    customers_create_many,
    customers_prepare,
    rows_insert,
)
from guanxi.customers.models import Customer
from guanxi.imports import cleancache, linked
from guanxi.imports.dedup import CREATE, SKIP, UPDATE, Decision, Deduper
from guanxi.imports.models import (
    Action,
    Entity,
    ImportJob,
    ImportProblem,
    ImportRecord,
    ProblemKind,
    Status,
)
from guanxi.imports.reading import SheetFile, file_kind, iter_rows
from guanxi.imports.rows import CleanRow, RowContext, clean_row, contact_values, join_reasons

# Rows per transaction. Larger batches share more index pages between rows (each batch
# dirties ~10 random B-tree leaves per customer on a 1M-customer base) and pay the commit
# and WAL checkpoint less often; 5,000 holds SQLite's write lock ~1 s per batch.
BATCH_SIZE = 5000
Progress = Callable[[ImportJob], None]


def stored_file(job: ImportJob) -> Path:
    return Path(settings.DATA_DIR) / "imports" / job.stored_path


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    likely: int = 0
    invalid: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    records: list[ImportRecord | tuple] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "likely": self.likely,
            "invalid": self.invalid,
        }


def _batches(job: ImportJob) -> Iterator[list[tuple[int, list[Any]]]]:
    # The stored file passed open_sheet's checks when it was uploaded and is never changed:
    # read it once more (calamine loads a whole sheet per read), not twice.
    info = SheetFile(
        path=stored_file(job),
        kind=file_kind(job.file_name),
        sheet=job.sheet,
        encoding=job.encoding,
        headers=job.headers,
    )
    rows = iter_rows(info)
    while batch := list(itertools.islice(rows, BATCH_SIZE)):
        yield batch


def _clean_batches(job: ImportJob, context: RowContext) -> Iterator[list[CleanRow]]:
    """The file's rows, cleaned: from the check's cache when it is still valid, else now."""
    cached = cleancache.read(job, cleancache.cache_key(job, context))
    if cached is not None:
        rows = itertools.chain.from_iterable(cached)  # re-cut: the check may batch differently
        while batch := list(itertools.islice(rows, BATCH_SIZE)):
            yield batch
        return
    for batch in _batches(job):
        yield [clean_row(context, number, cells) for number, cells in batch]


def _problem(job: ImportJob, row: int, kind: str, reason: str, *, dry_run: bool, customer=None):
    return ImportProblem(
        job=job, row=row, kind=kind, reason=reason[:1000], customer_id=customer, dry_run=dry_run
    )


def _triage(
    job, deduper, cleaned: list[CleanRow], tally: Tally, *, dry_run: bool
) -> list[Decision]:
    """Classify one cleaned batch; invalid rows and duplicates become problems."""
    valid: list[CleanRow] = []
    for row in cleaned:
        if row.reasons:
            tally.invalid += 1
            tally.problems.append(
                _problem(
                    job, row.number, ProblemKind.INVALID, join_reasons(row.reasons), dry_run=dry_run
                )
            )
        else:
            valid.append(row)
    if job.entity == Entity.CUSTOMERS:
        decisions = deduper.classify(valid)
    else:
        decisions = linked.classify(job=job, actor=job.created_by, rows=valid, tally=tally)
    for decision in decisions:
        if decision.action == SKIP:
            kind = ProblemKind.INVALID if decision.customer_id == -1 else ProblemKind.DUPLICATE
            if kind == ProblemKind.INVALID:
                tally.invalid += 1
            else:
                tally.duplicates += 1
            tally.problems.append(
                _problem(
                    job,
                    decision.row.number,
                    kind,
                    decision.reason,
                    dry_run=dry_run,
                    customer=decision.customer_id if kind == ProblemKind.DUPLICATE else None,
                )
            )
        elif decision.likely:
            tally.likely += 1
            tally.problems.append(
                _problem(
                    job,
                    decision.row.number,
                    ProblemKind.LIKELY,
                    decision.reason,
                    dry_run=dry_run,
                    customer=decision.customer_id,
                )
            )
    return decisions


def job_check(job: ImportJob, *, progress: Progress | None = None) -> ImportJob:
    """The dry run: every row cleaned and classified, nothing written but the findings.
    The cleaned rows are kept for the import (cleancache), which then only re-classifies."""
    started = time.monotonic()
    ImportProblem.objects.filter(job=job, dry_run=True).delete()
    context = RowContext.build(actor=job.created_by, entity=job.entity, mapping=job.mapping)
    deduper = Deduper(actor=job.created_by, mode=job.mode)
    tally, done = Tally(), 0
    cache = cleancache.CleanWriter(job, cleancache.cache_key(job, context))
    try:
        for batch in _batches(job):
            cleaned = [clean_row(context, number, cells) for number, cells in batch]
            cache.add(cleaned)
            decisions = _triage(job, deduper, cleaned, tally, dry_run=True)
            tally.created += sum(d.action == CREATE for d in decisions)
            tally.updated += sum(d.action == UPDATE for d in decisions)
            _problems_insert(tally.problems)
            tally.problems.clear()
            done += len(batch)
            ImportJob.objects.filter(pk=job.pk).update(done_rows=done, heartbeat_at=clock.now())
            job.done_rows = done
            if progress:
                progress(job)
    except BaseException:
        cache.abort()
        raise
    cache.commit()
    job.check_counts = {**tally.as_dict(), "seconds": round(time.monotonic() - started, 2)}
    job.status = Status.VALIDATED
    job.done_rows = 0
    job.save(update_fields=["check_counts", "status", "done_rows"])
    return job


def job_run(job: ImportJob, *, progress: Progress | None = None) -> ImportJob:
    """The import. Resumes after `last_committed_row` when a previous run was cut short."""
    started = time.monotonic()
    actor = job.created_by
    context = RowContext.build(actor=actor, entity=job.entity, mapping=job.mapping)
    deduper = Deduper(actor=actor, mode=job.mode)
    if job.started_at is None:
        job.started_at = clock.now()
    job.status = Status.RUNNING
    job.heartbeat_at = clock.now()
    job.save(update_fields=["started_at", "status", "heartbeat_at"])
    with _writer_settings():
        _run_batches(job, context, deduper, progress)
    from guanxi.imports.reports import error_report_write

    job.error_report = error_report_write(job=job)
    job.status = Status.DONE
    job.finished_at = clock.now()
    job.duration = round((job.duration or 0) + time.monotonic() - started, 3)
    job.done_rows = job.total_rows
    job.save(update_fields=["error_report", "status", "finished_at", "duration", "done_rows"])
    cleancache.clear(job)
    return job


@contextlib.contextmanager
def _writer_settings() -> Iterator[None]:
    """This connection only, for the length of the import (outside a caller's transaction,
    e.g. tests, the connection is left alone):

    - SQLite: a 128 MB page cache (a batch dirties tens of MB of index pages; the default
      spills them to the WAL mid-transaction; 1 GB measured no faster, and it counts against
      the 1 GB a 1M-row import may use) and a WAL checkpoint every ~200 MB
      instead of every 4 MB (each checkpoint copies the batch's pages into the database and
      fsyncs it). synchronous stays NORMAL: a crash loses no committed batch.
    - PostgreSQL: synchronous_commit off, so a batch's commit does not wait for its WAL
      flush. A crash can then lose the last few committed batches, but each batch commits
      together with the job's `last_committed_row`, so the database loses the batches and
      the record of them alike and a resumed run writes them again: never half a batch,
      never a row twice."""
    if connection.in_atomic_block or connection.vendor not in ("sqlite", "postgresql"):
        yield
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute("PRAGMA wal_autocheckpoint")
        checkpoint = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size=-131072")
        cursor.execute("PRAGMA wal_autocheckpoint=50000")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size={int(cache_size)}")
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(checkpoint)}")


def _ahead(job: ImportJob, context: RowContext) -> Iterator[tuple[list[CleanRow], dict]]:
    """The cleaned batches, each with its valid rows' NewCustomer and PreparedCustomer
    (row number → both), computed one batch ahead in a second thread.

    Most of an import's time is the database writing a batch (SQLite and psycopg release the
    GIL while they do) and the rest is pure Python: reading the cleaned rows and computing
    pinyin, cell values and audit JSON for every row. Doing the next batch's Python while
    this batch is written overlaps the two. The thread touches no database connection; it
    works in the caller's language and time zone (both are per thread in Django). Rows the
    de-duplication then skips or updates just leave their parts unused."""
    batches = _clean_batches(job, context)
    if job.entity != Entity.CUSTOMERS:
        for batch in batches:
            yield batch, {}
        return
    language, zone = translation.get_language(), timezone.get_current_timezone()

    def load_next() -> tuple[list[CleanRow], dict] | None:
        with translation.override(language), timezone.override(zone):
            batch = next(batches, None)
            if batch is None:
                return None
            valid = [r for r in batch if not r.reasons]
            new = [_new_customer(job, r) for r in valid]
            parts = customers_prepare(new)
            pairs = zip(new, parts, strict=True)
            return batch, {r.number: pair for r, pair in zip(valid, pairs, strict=True)}

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-ahead") as pool:
        future = pool.submit(load_next)
        while (item := future.result()) is not None:
            future = pool.submit(load_next)
            yield item


def _run_batches(job: ImportJob, context: RowContext, deduper: Deduper, progress) -> None:
    for batch, prepared in _ahead(job, context):
        # Rows committed by an earlier, interrupted run: only remembered for in-file duplicates.
        done_before = [r for r in batch if r.number <= job.last_committed_row]
        if done_before:
            if job.entity == Entity.CUSTOMERS:
                deduper.remember(done_before)
            batch = batch[len(done_before) :]
            if not batch:
                continue
        tally = Tally()
        with transaction.atomic():
            decisions = _triage(job, deduper, batch, tally, dry_run=False)
            _apply(job, decisions, tally, prepared)
            _problems_insert(tally.problems)
            _records_insert(tally.records)
            job.last_committed_row = batch[-1].number
            job.heartbeat_at = clock.now()
            ImportJob.objects.filter(pk=job.pk).update(
                last_committed_row=job.last_committed_row,
                heartbeat_at=job.heartbeat_at,
                done_rows=F("done_rows") + len(batch),
                created_count=F("created_count") + tally.created,
                updated_count=F("updated_count") + tally.updated,
                duplicate_count=F("duplicate_count") + tally.duplicates,
                likely_count=F("likely_count") + tally.likely,
                invalid_count=F("invalid_count") + tally.invalid,
            )
        job.refresh_from_db()
        if progress:
            progress(job)


def _records_insert(records: list[ImportRecord | tuple]) -> None:
    """bulk_create spends ~200 µs a row compiling SQL here; plain tuples cost a few. Records
    are tuples in _RECORD_COLUMNS order (the customer path) or instances (contacts, follow-ups)."""
    rows_insert(
        ImportRecord._meta.db_table,
        _RECORD_COLUMNS,
        [
            r if isinstance(r, tuple) else (
                r.job_id, r.row, r.action, r.customer_id, r.contact_id, r.followup_id,
                None if r.before is None else json.dumps(r.before, ensure_ascii=False, default=str),
            )
            for r in records
        ],
    )  # fmt: skip


_RECORD_COLUMNS = ["job_id", "row", "action", "customer_id", "contact_id", "followup_id", "before"]
_PROBLEM_COLUMNS = ["job_id", "row", "kind", "reason", "customer_id", "dry_run"]


def _problems_insert(problems: list[ImportProblem]) -> None:
    """As _records_insert: a file of duplicates has a problem per row (re-importing a file)."""
    rows_insert(
        ImportProblem._meta.db_table,
        _PROBLEM_COLUMNS,
        [(p.job_id, p.row, p.kind, p.reason, p.customer_id, p.dry_run) for p in problems],
    )


def _apply(job: ImportJob, decisions: list[Decision], tally: Tally, prepared: dict) -> None:
    if job.entity != Entity.CUSTOMERS:
        linked.apply(job=job, decisions=decisions, tally=tally)
        return
    creating = [d for d in decisions if d.action == CREATE]
    ahead = [prepared.get(d.row.number) for d in creating]
    if all(pair is not None for pair in ahead):
        new, parts = [pair[0] for pair in ahead], [pair[1] for pair in ahead]
    else:  # a caller that did not compute them ahead
        new, parts = [_new_customer(job, d.row) for d in creating], None
    ids = customers_create_many(
        actor=job.created_by,
        rows=new,
        source=Source.IMPORT,
        publish_events=job.automation,
        prepared=parts,
    )
    tally.created += len(ids)
    tally.records.extend(
        (job.pk, d.row.number, Action.CREATED, pk, None, None, None)
        for d, pk in zip(creating, ids, strict=True)
    )
    updating = {d.customer_id: d for d in decisions if d.action == UPDATE}
    if not updating:
        return
    for customer in Customer.objects.filter(pk__in=list(updating)).select_for_update():
        d = updating[customer.pk]
        new_row = _new_customer(job, d.row, keep_owner=True)
        before = customer_update_from_import(
            actor=job.created_by,
            customer=customer,
            values={**new_row.values, "name": new_row.name},
            contact=new_row.contact,
            tags=new_row.tags,
            owner_id=new_row.owner_id,
            source=Source.IMPORT,
            publish_events=job.automation,
        )
        if before is None:
            tally.duplicates += 1
            tally.problems.append(
                _problem(
                    job,
                    d.row.number,
                    ProblemKind.DUPLICATE,
                    _("Already up to date."),
                    dry_run=False,
                    customer=customer.pk,
                )
            )
            continue
        tally.updated += 1
        tally.records.append(
            ImportRecord(
                job=job,
                row=d.row.number,
                action=Action.UPDATED,
                customer_id=customer.pk,
                before=before,
            )
        )


def _new_customer(job: ImportJob, row: CleanRow, *, keep_owner: bool = False) -> NewCustomer:
    v = dict(row.values)
    owner_id = v.pop("owner_id", None)
    if owner_id is None and not keep_owner:
        owner_id = job.default_owner_id or job.created_by_id
    values = {
        "kind": v.get("kind"),
        "industry_id": v.get("industry"),
        "level_id": v.get("level"),
        "last_contact_at": v.get("last_contact"),
        "name_key": v.get("name_key", ""),
        **{
            k: v[k]
            for k in (
                "province", "city", "district", "address", "source", "intent", "stage", "demand",
                "expected_close_date", "birthday", "anniversary", "remarks", "custom_fields",
                "external_source", "external_id",
            )
            if k in v
        },
    }  # fmt: skip
    return NewCustomer(
        name=v.get("name", ""),
        values={k: val for k, val in values.items() if val is not None},
        contact=contact_values(v),
        tags=v.get("tags", []),
        owner_id=owner_id,
        code=v.get("code", ""),
    )
