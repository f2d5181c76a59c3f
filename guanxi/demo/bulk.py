"""Fast row loading for demo data: COPY on PostgreSQL, executemany on SQLite.

The ORM's bulk_create costs ~30 µs per object in Python alone; at 10 million rows (1M
customers with their contacts, follow-ups, tags and timeline) that is minutes of pure
overhead. Rows here are plain tuples in a fixed column order, values already in the text
form both databases parse, so the database does the work.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models


def columns(model: type[models.Model], names: Sequence[str]) -> list[str]:
    """Database column names for model field names (customer → customer_id)."""
    return [model._meta.get_field(name).column for name in names]


class RowWriter:
    """Writes tuples to a table of the default database, in the caller's transaction."""

    def __init__(self) -> None:
        self.vendor = connection.vendor

    def timestamp(self, value: dt.datetime) -> str:
        """A UTC datetime as text: SQLite stores naive UTC, PostgreSQL parses the offset."""
        if self.vendor == "sqlite":
            return value.replace(tzinfo=None).isoformat(" ")
        return value.isoformat(" ")

    def insert(self, table: str, cols: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        qn = connection.ops.quote_name
        column_sql = ", ".join(qn(c) for c in cols)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                # COPY streams rows without parse/bind per statement: the fastest load path.
                raw = cursor.cursor
                with raw.copy(f"COPY {qn(table)} ({column_sql}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                # Table and column names come from model metadata, never from input.
                placeholders = ", ".join(["%s"] * len(cols))
                sql = f"INSERT INTO {qn(table)} ({column_sql}) VALUES ({placeholders})"  # noqa: S608
                cursor.executemany(sql, rows)

    def next_id(self, model: type[models.Model]) -> int:
        top = model.objects.aggregate(top=models.Max("pk"))["top"]
        return (top or 0) + 1

    def reset_sequences(self, *model_list: type[models.Model]) -> None:
        """After explicit ids, move PostgreSQL's sequences past them (SQLite does it itself)."""
        statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


@contextlib.contextmanager
def fast_load(*, enabled: bool, tables: Sequence[str] = ()) -> Iterator[None]:
    """Relax durability and defer secondary indexes for the length of a big load.

    Building an index once over sorted data is several times faster than updating it row by
    row: loading 1M customers into PostgreSQL took ~17 minutes with the indexes in place.
    Call this only on tables nobody else is using (the demo loads into an empty database).
    A crash mid-load loses only demo rows that can be generated again; the indexes are
    rebuilt in `finally`, and the settings go back before any other work on this connection.
    """
    if not enabled or connection.in_atomic_block or connection.vendor not in _VENDORS:
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        saved = _relax(cursor)
        deferred = _drop_indexes(cursor, tables)
        try:
            yield
        finally:
            for sql in deferred:
                cursor.execute(sql)
            _restore(cursor, saved)


_VENDORS = ("sqlite", "postgresql")


def _relax(cursor: Any) -> dict[str, Any]:
    if connection.vendor == "sqlite":
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-1048576")  # 1 GiB for the index builds
        return {"synchronous": int(synchronous), "cache_size": int(cache_size)}
    cursor.execute("SET synchronous_commit = off")
    cursor.execute("SET maintenance_work_mem = '512MB'")
    return {}


def _restore(cursor: Any, saved: dict[str, Any]) -> None:
    if connection.vendor == "sqlite":
        cursor.execute(f"PRAGMA synchronous={saved['synchronous']}")
        cursor.execute(f"PRAGMA cache_size={saved['cache_size']}")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # No ANALYZE on SQLite: the application never runs it, and with statistics the
        # planner takes `phone_alt = ?` (almost always '') for unselective and scans all
        # contacts. Without them it assumes an index search is selective — true here.
        return
    cursor.execute("RESET synchronous_commit")
    cursor.execute("RESET maintenance_work_mem")
    # Hint bits and the visibility map now, so the first queries (and index-only scans)
    # don't pay for them; statistics for the planner.
    cursor.execute("VACUUM (ANALYZE)")


def _drop_indexes(cursor: Any, tables: Sequence[str]) -> list[str]:
    """Drop the plain secondary indexes of `tables`; returns the SQL that recreates them.
    Primary keys and unique constraints stay: they guard the load itself."""
    if not tables:
        return []
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [list(tables)],
        )
    else:
        placeholders = ", ".join(["%s"] * len(tables))
        where = f"type = 'index' AND sql IS NOT NULL AND tbl_name IN ({placeholders})"
        cursor.execute(f"SELECT name, sql FROM sqlite_master WHERE {where}", list(tables))  # noqa: S608
    found = cursor.fetchall()
    for name, _sql in found:
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [sql for _name, sql in found]
