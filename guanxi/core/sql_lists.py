"""Many values as one SQL parameter.

Hundreds of `%s` placeholders cost more on the client than the statement costs the server:
psycopg parses every statement longer than 4 kB again on each call (its cache skips those)
and quotes each value separately — ~10 ms for a 500-row, 8-column INSERT. A list of ids, or
a column of values, as one PostgreSQL array literal is parsed once and escaped as one string.
SQLite has no arrays: there a list of ids is one JSON parameter and rows stay placeholders
(its driver binds them natively, without parsing).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import F, Lookup, Model, Q


class InList(Lookup):
    """`column IN <ids>` with all ids in one parameter: an array on PostgreSQL (`= ANY(%s)`),
    a JSON array on SQLite (`IN (SELECT value FROM json_each(%s))`). Thousands of ids bind and
    plan several times faster than as many IN (%s, %s, …) placeholders, and SQLite allows at
    most 32,766 of those."""

    lookup_name = "in_list"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[int]:
        return self.rhs

    def as_sql(self, compiler, connection) -> tuple[str, tuple]:
        lhs, params = self.process_lhs(compiler, connection)
        ids = [int(pk) for pk in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", (*params, array_literal(ids))
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608 - lhs is a column
        return sql, (*params, json.dumps(ids))


def pk_in(ids: Iterable[int], *, field: str = "pk") -> Q | Lookup:
    """A filter for `field IN ids` bound as one parameter where the database allows it."""
    ids = list(ids)
    if connection.vendor in ("postgresql", "sqlite"):
        return InList(F(field), ids)
    return Q(**{f"{field}__in": ids})


def array_literal(values: Iterable[object]) -> str:
    """A PostgreSQL array literal of ints, strings (quoted and escaped), datetimes and NULLs,
    to be passed as one text parameter and cast (`%s::bigint[]`)."""
    parts = []
    append = parts.append
    for value in values:  # one loop, no call per element: this runs for every cell
        if value is None:
            append("NULL")
        elif type(value) is int:
            append(str(value))
        elif isinstance(value, bool):
            append("t" if value else "f")
        elif isinstance(value, dt.datetime):
            append(f'"{value.isoformat()}"')  # aware: PostgreSQL reads the offset
        else:
            text = str(value)
            if "\\" in text or '"' in text:
                text = text.replace("\\", "\\\\").replace('"', '\\"')
            append(f'"{text}"')
    return "{" + ",".join(parts) + "}"


def model_columns(model: type[Model], names: Sequence[str]) -> list[tuple[str, str]]:
    """(column, database type) of model fields, for rows_source."""
    fields = [model._meta.get_field(name) for name in names]
    return [(f.column, f.db_type(connection)) for f in fields]


def rows_source(
    *, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[object]]
) -> tuple[str, list]:
    """A FROM item yielding `rows` as a relation named `v` with the given (name, PostgreSQL
    type) columns: `unnest` of one array literal per column on PostgreSQL, a VALUES list
    elsewhere. Values are ints, strings, None or datetimes adapted by
    `connection.ops.adapt_datetimefield_value`."""
    names = ", ".join(name for name, _type in columns)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{db_type}[]" for _name, db_type in columns)
        params = [array_literal(column) for column in zip(*rows, strict=True)]
        return f"unnest({arrays}) AS v({names})", params
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # SQLite names VALUES columns column1, column2 …: rename them in a subquery.
    renamed = ", ".join(f"column{i + 1} AS {name}" for i, (name, _t) in enumerate(columns))
    sql = f"(SELECT {renamed} FROM (VALUES {', '.join([one] * len(rows))})) AS v"  # noqa: S608
    return sql, [value for row in rows for value in row]


def insert_rows(
    *,
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[object]],
    constants: dict[str, object] | None = None,
    conflict: str,
    returning: Sequence[str],
    per: int = 500,
) -> list[tuple]:
    """INSERT rows (values of `fields`, plus `constants`, one value for every row) in
    statements of `per`; a row whose `conflict` column value is taken makes nothing. Returns
    the `returning` columns of each row made, in the order of `rows`. Runs in its own
    savepoint."""
    columns = model_columns(model, fields)
    fixed = [
        (model._meta.get_field(name).column, value) for name, value in (constants or {}).items()
    ]
    names = [name for name, _type in columns] + [column for column, _value in fixed]
    selected = [f"v.{name}" for name, _type in columns] + ["%s"] * len(fixed)
    table = connection.ops.quote_name(model._meta.db_table)
    made: list[tuple] = []
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), per):
            source, params = rows_source(columns=columns, rows=rows[start : start + per])
            cursor.execute(
                # Table and column names come from model metadata; values are parameters.
                f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608
                # WHERE true: SQLite would read ON as the start of a join condition.
                f"SELECT {', '.join(selected)} FROM {source} WHERE true "
                f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {', '.join(returning)}",
                [*(value for _column, value in fixed), *params],
            )
            made += cursor.fetchall()
    return made
