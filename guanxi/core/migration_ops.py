"""Migration operations Django's own cannot express without rebuilding a big table."""

from __future__ import annotations

import copy

from django.db import migrations


def column_index_drop(
    *, app_label: str, model_name: str, fields: list[str], like_only: bool = False
) -> migrations.RunPython:
    """Drop the single-column index(es) Django made for each field in `fields` (db_index, or
    a foreign key's; on PostgreSQL also a text field's `_like` index).

    For a column that leads a composite index already (owner → (owner, level)), or that no
    query looks up alone, such an index only costs writes: every insert updates it, and a
    1M-row import pays that per row. Setting db_index=False through AlterField would do
    this, but on SQLite AlterField rebuilds the whole table, which copies every row and drops the
    name-search triggers of customers 0005. So: the state change is an AlterField inside
    SeparateDatabaseAndState, and the database change is this: DROP INDEX of exactly the
    index Django named for that column (found by introspection, so a database where it is
    already gone is fine), and on the way back the same CREATE INDEX Django would issue.

    like_only: drop only PostgreSQL's extra `_like` (pattern_ops) index of a text field, which
    serves case-sensitive LIKE 'x%' and nothing else; the plain index stays (no state change).
    """

    def indexes_of(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        columns = {model._meta.get_field(name).column for name in fields}
        return model, columns

    def forward(apps, schema_editor):
        model, columns = indexes_of(apps, schema_editor)
        table = model._meta.db_table
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
        for name, info in constraints.items():
            if (
                info["index"]
                and not info["unique"]
                and not info["primary_key"]
                and len(info["columns"]) == 1
                and info["columns"][0] in columns
                and name.startswith(f"{table}_")  # Django's generated names, not Meta.indexes
                and (not like_only or name.endswith("_like"))
            ):
                schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def backward(apps, schema_editor):
        model, _ = indexes_of(apps, schema_editor)
        for name in fields:
            if like_only:
                if schema_editor.connection.vendor == "postgresql":
                    statement = schema_editor._create_like_index_sql(
                        model, model._meta.get_field(name)
                    )
                    if statement is not None:
                        schema_editor.execute(statement)
                continue
            field = copy.copy(model._meta.get_field(name))
            field.db_index = True  # the state here may already say False
            for statement in schema_editor._field_indexes_sql(model, field):
                schema_editor.execute(statement)

    return migrations.RunPython(forward, backward)
