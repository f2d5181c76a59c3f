"""Substring search on customer names without reading every name.

A B-tree cannot answer `name LIKE '%华泰精密%'`: at a million customers that scan costs
100–300 ms, and a list page runs it twice (rows + capped count). Trigram indexes can:
- PostgreSQL: pg_trgm GIN index on UPPER(name), the expression Django's `icontains` uses.
- SQLite: an FTS5 table with the trigram tokenizer over customers_customer.name, kept in
  step by triggers; selectors.search_q queries it for terms of 3+ characters.
Both need terms of at least three characters; shorter ones still scan (see
docs/performance.md). Neither is expressible in Meta.indexes for both databases, hence SQL
per vendor. A SQLite built without FTS5 skips the table; search_q then scans as before.
"""

from django.db import migrations, transaction
from django.db.utils import OperationalError

FTS = "customers_customer_name_fts"
SQLITE_FORWARD = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(name, content='customers_customer', "
    "content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON customers_customer BEGIN "
    f"INSERT INTO {FTS}(rowid, name) VALUES (new.id, new.name); END",
    f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON customers_customer BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, name) VALUES ('delete', old.id, old.name); END",
    f"CREATE TRIGGER {FTS}_au AFTER UPDATE OF name ON customers_customer BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, name) VALUES ('delete', old.id, old.name); "
    f"INSERT INTO {FTS}(rowid, name) VALUES (new.id, new.name); END",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {FTS}_ai",
    f"DROP TRIGGER IF EXISTS {FTS}_ad",
    f"DROP TRIGGER IF EXISTS {FTS}_au",
    f"DROP TABLE IF EXISTS {FTS}",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX customer_name_trgm ON customers_customer USING gin (UPPER(name) gin_trgm_ops)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS customer_name_trgm"]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in POSTGRES_FORWARD:
            schema_editor.execute(sql)
    elif vendor == "sqlite":
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                for sql in SQLITE_FORWARD:
                    schema_editor.execute(sql)
        except OperationalError as exc:  # "no such module: fts5": search falls back to a scan
            if "fts5" not in str(exc) and "trigram" not in str(exc):
                raise


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_list_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
