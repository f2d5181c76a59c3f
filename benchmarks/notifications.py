"""In-app notifications created in bulk (the reminders and automation path).

    .venv/bin/python benchmarks/notifications.py [--db sqlite|postgres] [--count 100000]

On a throwaway database (SQLite under benchmarks/out/notifications-sqlite, or the
PostgreSQL database gx_notifications_bench, both recreated each run) with 1,000 users:

- baseline: the same rows as plain tuples inserted into an unindexed scratch table in one
  transaction (executemany on SQLite, COPY on PostgreSQL);
- figure: `messaging.services.notifications_create_many` in batches of 5,000, every
  notice with its own dedupe key (what a reminder run writes), so the "already sent?"
  check runs against the table as it grows.
Target: ≥ 5,000 notifications/s. Exit status 1 when it is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import OUT, Figure, print_table  # noqa: E402

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "gx_notifications_bench"
TARGET = 5000
BATCH = 5000
USERS = 1000


def _prepare(db: str) -> None:
    os.environ.update({"GUANXI_DEMO": "0", "GUANXI_SECRET_KEY": "bench-notify-" + "x" * 40})
    target = OUT / f"notifications-{db}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    os.environ["GUANXI_DATA_DIR"] = str(target)
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DB}"')
        os.environ["GUANXI_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "guanxi.settings"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    _prepare(args.db)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from guanxi.accounts.models import User
    from guanxi.customers.bulk import rows_insert
    from guanxi.messaging.models import Notification
    from guanxi.messaging.services import NewNotification, notifications_create_many

    call_command("migrate", verbosity=0)
    User.objects.bulk_create(User(username=f"u{n}", display_name=f"用户{n}") for n in range(USERS))
    user_ids = list(User.objects.values_list("pk", flat=True))
    notes = [
        NewNotification(
            user_id=user_ids[n % len(user_ids)],
            kind="reminder",
            title=f"高意向客户 {n} 两天未跟进：电话跟进当前需求进展",
            url=f"/customers/{n}/",
            customer_id=n,
            dedupe_key=f"reminder:high:{n}:2026-11-22",
        )  # fmt: skip
        for n in range(args.count)
    ]

    # Baseline: the same tuples, an unindexed scratch table, one transaction.
    columns = ["user_id", "kind", "title", "body", "url", "customer_id", "dedupe_key", "created_at"]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_notify_raw (user_id bigint, kind text, title text, body text, "
            "url text, customer_id bigint, dedupe_key text, created_at text)"
        )
    stamp = "2026-11-22 08:00:00"
    started = time.perf_counter()
    rows = [(n.user_id, n.kind, n.title, n.body, n.url, n.customer_id, n.dedupe_key, stamp)
            for n in notes]  # fmt: skip
    with transaction.atomic():
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO bench_notify_raw VALUES ({', '.join(['%s'] * 8)})", rows
                )
        else:
            rows_insert("bench_notify_raw", columns, rows)
    base_s = time.perf_counter() - started

    started = time.perf_counter()
    created = 0
    for start in range(0, len(notes), BATCH):
        created += notifications_create_many(notifications=notes[start : start + BATCH])
    seconds = time.perf_counter() - started
    again = notifications_create_many(notifications=notes[:BATCH])  # a scheduler run twice
    assert created == args.count == Notification.objects.count() and again == 0, (created, again)

    rate, base_rate = args.count / seconds, args.count / base_s
    figures = [
        Figure("baseline: the same rows into an unindexed table", base_rate, "req/s", "—",
               note=f"{base_s:.2f} s"),
        Figure(f"notifications_create_many, {args.count:,} with dedupe keys", rate, "req/s",
               f"≥ {TARGET:,}/s", base_rate, "raw", rate / base_rate, rate >= TARGET,
               note=f"{seconds:.2f} s; a second run of the first batch created {again}"),
    ]  # fmt: skip
    print_table(figures, as_json=args.json, meta={"area": "notifications", "db": args.db})
    return 0 if rate >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
