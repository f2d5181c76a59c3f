"""Rows → file: the part of an export that knows nothing of jobs (the CLI, the worker and
the benchmark all call it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db.models import QuerySet
from django.http import QueryDict

from guanxi.accounts.models import User
from guanxi.exports import conf
from guanxi.exports.entities import ENTITIES, Column, ExportEntity
from guanxi.exports.writers import open_writer


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What one export reads: the entity, its scoped rows, the chosen columns in order."""

    entity: ExportEntity
    queryset: QuerySet
    columns: list[Column]

    @property
    def header(self) -> list[str]:
        return [str(c.label) for c in self.columns]


def plan(*, user: User, entity: str, query: str, ids: Sequence[int], keys: Sequence[str]) -> Plan:
    spec = ENTITIES[entity]
    by_key = spec.column_map()
    return Plan(
        entity=spec,
        queryset=spec.queryset(user=user, query=QueryDict(query), ids=ids),
        columns=[by_key[k] for k in keys if k in by_key],
    )


def write_file(
    *,
    user: User,
    export: Plan,
    file_format: str,
    path: Path,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write every row of the plan to `path`; returns how many rows were written."""
    writer = open_writer(
        path, file_format=file_format, header=export.header, title=str(export.entity.title)
    )
    done = 0
    try:
        for count, columns in export.entity.chunks(
            user=user, qs=export.queryset, columns=export.columns, size=conf.chunk_rows()
        ):
            writer.write_columns(columns)
            done += count
            if progress is not None:
                progress(done)
    finally:
        writer.close()
    return done
