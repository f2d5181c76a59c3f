"""Database housekeeping the scheduler runs; nothing here changes data."""

from __future__ import annotations

from django.db import connection


def database_statistics_refresh() -> None:
    """Refresh the query planner's statistics.

    SQLite keeps none until ANALYZE runs, and without them it guesses that any indexed
    equality is selective: a team supervisor's list (`owner = me OR team = mine`, newest
    first) then merges two indexes and sorts every match instead of walking the primary key
    and stopping after a page. PostgreSQL's autovacuum also analyzes, but only after enough
    churn — a bulk load is analyzed at once this way.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
