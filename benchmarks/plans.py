"""Maintenance plans at scale: generating the next occurrence's tasks for a 100,000-customer
segment, set-based.

    .venv/bin/python benchmarks/plans.py [--db sqlite|postgres] [--customers N] [--reuse]
        [--json]

Data: `seed_demo(customers=N)` (the demo generator: contacts, tags, follow-ups, tasks,
deals, timeline) into a data dir of its own, benchmarks/out/plans-<db>-<N>/ (gitignored),
on PostgreSQL into the database gx_bench_plans (dropped and created). Every customer then
gets the tag 重点维护 (INSERT … SELECT): the segment of the plan is "tag 重点维护", authored by
an administrator (data scope: all), tasks to each customer's owner, weekly. `--reuse` keeps
an earlier load of the same size (this run's plans, occurrences and tasks are deleted).
Default size: 100,000 customers.

Figures (issue 6 target: generating plan tasks for 100,000 customers in a segment ≤ 30 s):
(a) `plan_generate` of the segment plan — occurrences, tasks (reminder from each assignee's
    preference), audit rows and links, four INSERT/UPDATE … SELECT statements — against
    the baseline: the same rows written by four hand-written statements in the same run
    (rolled back), ratio informational;
(b) the same call again: nothing new (idempotent), ≤ 30 s;
(c) every task done (one UPDATE, as if the team had worked through them), then
    `plan_generate`: each customer moves on to the next date, ≤ 30 s;
(d) one task done through `task_complete`: that customer's next task made at once, in the
    same transaction (median of 5; informational).
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import OUT, Figure, print_table  # noqa: E402

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "gx_bench_plans"
TARGET_S = 30.0
TAG = "重点维护"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _prepare(args: argparse.Namespace) -> bool:
    """Environment and database; returns True when an earlier load is reused."""
    os.environ.update({"GUANXI_DEMO": "0", "GUANXI_SECRET_KEY": "bench-plans-" + "x" * 40})
    data_dir = OUT / f"plans-{args.db}-{args.customers}"
    marker = data_dir / "loaded.json"
    reuse = args.reuse and marker.exists()
    if args.db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DB])
            reuse = reuse and found.fetchone() is not None
            if not reuse:
                conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{PG_DB}"')
    if not reuse:
        shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["GUANXI_DATA_DIR"] = str(data_dir)
    os.environ.pop("GUANXI_DATABASE_URL", None)
    if args.db == "postgres":
        os.environ["GUANXI_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "guanxi.settings"
    args.marker = marker
    return reuse


def _load(args: argparse.Namespace) -> Figure:
    from django.db import connection, transaction

    from guanxi.core.maintenance import database_statistics_refresh
    from guanxi.customers.models import Tag
    from guanxi.demo.seeding import seed_demo

    _log(f"generating {args.customers:,} customers …")
    started = time.perf_counter()
    summary = seed_demo(customers=args.customers, seed=2024)
    with transaction.atomic():
        tag = Tag.objects.get_or_create(name=TAG)[0]
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO customers_customer_tags (customer_id, tag_id) "
                "SELECT id, %s FROM customers_customer",
                [tag.pk],
            )
    database_statistics_refresh()
    seconds = time.perf_counter() - started
    args.marker.write_text(json.dumps({"size": args.customers, **summary}))
    return Figure(
        f"load {summary['customers']:,} customers (demo data) and tag them", seconds, "s", "—"
    )


def _clean_previous_run() -> None:
    from guanxi.followups.models import MaintenancePlan, Task, TaskSource

    Task.objects.filter(source=TaskSource.PLAN).delete()
    MaintenancePlan.objects.all().delete()  # with their occurrences


def _plan(today: dt.date):
    from guanxi.accounts.models import User
    from guanxi.customers.models import Tag
    from guanxi.followups.models import Cycle, MaintenancePlan, PlanChannel, PlanStatus

    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "data_scope": "all"}
    )
    return MaintenancePlan.objects.create(
        name="基准：重点维护客户每周电话",
        tag=Tag.objects.get(name=TAG),
        cycle=Cycle.WEEKLY,
        weekday=today.weekday(),
        channel=PlanChannel.PHONE,
        content="每周电话沟通",
        start_date=today,
        status=PlanStatus.APPROVED,
        created_by=admin,
    )


def _baseline(plan, now: dt.datetime) -> tuple[float, int]:
    """The same four writes by hand-written SQL, rolled back: occurrences, tasks, audit rows,
    links — no ORM, no reminder preferences, no NOT EXISTS against earlier occurrences."""
    from django.db import connection, transaction

    from guanxi.customers.models import Tag
    from guanxi.followups.plans.generation import due_at

    stamp = connection.ops.adapt_datetimefield_value(now)
    first = _first(plan, now)
    day = connection.ops.adapt_datefield_value(first)
    due = due_at(first)
    remind = connection.ops.adapt_datetimefield_value(due - dt.timedelta(hours=1))
    due_sql = connection.ops.adapt_datetimefield_value(due)
    empty = "CAST('{}' AS jsonb)" if connection.vendor == "postgresql" else "'{}'"
    key = "'plan-occurrence:' || CAST(o.id AS VARCHAR(20))"
    tag = Tag.objects.get(name=TAG).pk
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            "INSERT INTO followups_planoccurrence (plan_id, customer_id, occurrence_date, "
            "created_at) SELECT %s, c.id, %s, %s FROM customers_customer c "
            "JOIN customers_customer_tags ct ON ct.customer_id = c.id AND ct.tag_id = %s "
            "JOIN accounts_user u ON u.id = c.owner_id AND u.is_active",
            [plan.pk, day, stamp, tag],
        )
        rows = cursor.rowcount
        cursor.execute(
            "INSERT INTO followups_task (title, description, customer_id, assignee_id, due_at, "
            "priority, status, source, idempotency_key, remind_at, created_at, updated_at) "
            f"SELECT '电话: ' || c.name, %s, c.id, c.owner_id, %s, 2, 'open', 'plan', {key}, "
            "%s, %s, %s FROM followups_planoccurrence o "
            "JOIN customers_customer c ON c.id = o.customer_id WHERE o.plan_id = %s",
            ["每周电话沟通", due_sql, remind, stamp, stamp, plan.pk],
        )
        cursor.execute(
            "INSERT INTO activity_activityevent (occurred_at, actor_id, verb, source, "
            "target_type, target_id, target_repr, customer_id, changes, summary) "
            f"SELECT %s, NULL, 'created', 'system', 'followups.task', t.id, t.title, "
            f"t.customer_id, {empty}, %s FROM followups_planoccurrence o "
            f"JOIN followups_task t ON t.idempotency_key = {key} WHERE o.plan_id = %s",
            [stamp, "基准", plan.pk],
        )
        cursor.execute(
            "UPDATE followups_planoccurrence SET task_id = (SELECT t.id FROM followups_task t "
            "WHERE t.idempotency_key = 'plan-occurrence:' || "
            "CAST(followups_planoccurrence.id AS VARCHAR(20))) WHERE plan_id = %s",
            [plan.pk],
        )
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds, rows


def _first(plan, now: dt.datetime) -> dt.date:
    from django.utils import timezone

    from guanxi.followups.plans.cycles import CycleSpec, first_on_or_after

    return first_on_or_after(CycleSpec.of(plan), timezone.localdate(now))


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def figures(args: argparse.Namespace) -> list[Figure]:
    from django.db import connection

    from guanxi.core import clock
    from guanxi.followups.models import PlanOccurrence, Task, TaskStatus
    from guanxi.followups.plans.generation import plan_generate
    from guanxi.followups.plans.segments import plan_customers
    from guanxi.followups.services import task_complete

    now = clock.now()
    plan = _plan(clock.today())
    covered = plan_customers(plan).filter(owner__is_active=True).count()
    out: list[Figure] = []

    _log(f"(a) baseline: hand-written INSERT … SELECT for {covered:,} customers (twice) …")
    _baseline(plan, now)  # a warm-up: the timed run reads the tables from the cache too
    base_s, base_rows = _baseline(plan, now)
    assert base_rows == covered, (base_rows, covered)

    _log("(a) plan_generate …")
    with clock.frozen_at(now):
        created, seconds = _timed(lambda: plan_generate(plan=plan, now=now))
    assert created == covered, (created, covered)
    out.append(
        Figure(f"(a) plan_generate: {created:,} customers in the segment", seconds, "s",
               f"≤ {TARGET_S:g} s", base_s, "raw SQL", seconds / base_s, seconds <= TARGET_S,
               note=f"{created / seconds:,.0f} tasks/s; baseline {base_rows:,} rows rolled back")
    )  # fmt: skip

    _log("(b) plan_generate again …")
    with clock.frozen_at(now):
        again, seconds = _timed(lambda: plan_generate(plan=plan, now=now))
    assert again == 0, again
    out.append(
        Figure("(b) the same run again: nothing new", seconds, "s", f"≤ {TARGET_S:g} s",
               met=seconds <= TARGET_S, note="0 tasks created")
    )  # fmt: skip

    _log("(c) every task done, then plan_generate (next date for all) …")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE followups_task SET status = %s WHERE source = 'plan' AND status = 'open'",
            [TaskStatus.DONE],
        )
    PlanOccurrence.objects.filter(plan=plan).update(handled_at=now)
    later = now + dt.timedelta(minutes=1)
    with clock.frozen_at(later):
        moved, seconds = _timed(lambda: plan_generate(plan=plan, now=later))
    assert moved == covered, (moved, covered)
    out.append(
        Figure(f"(c) next date after all tasks done: {moved:,}", seconds, "s",
               f"≤ {TARGET_S:g} s", met=seconds <= TARGET_S,
               note=f"{moved / seconds:,.0f} tasks/s")
    )  # fmt: skip

    _log("(d) task_complete of single plan tasks …")
    samples = []
    for task in list(Task.objects.filter(source="plan", status="open").order_by("pk")[:5]):
        with clock.frozen_at(later):
            _result, seconds = _timed(lambda t=task: task_complete(actor=t.assignee, task=t))
        samples.append(seconds * 1000)
    made = PlanOccurrence.objects.filter(plan=plan).count()
    assert made == 2 * covered + len(samples), (made, covered)
    out.append(
        Figure("(d) task_complete → that customer's next task", statistics.median(samples),
               "ms", "—", note="median of 5, in the task's transaction")
    )  # fmt: skip
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="reuse an earlier load of this size")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    reuse = _prepare(args)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from guanxi.customers.models import Customer

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    call_command("migrate", verbosity=0)
    out: list[Figure] = []
    if reuse:
        _log(f"reusing the loaded database ({args.marker.read_text().strip()[:100]} …)")
        if Customer.objects.count() != args.customers:
            raise SystemExit("the database does not hold this size's load: run without --reuse")
        _clean_previous_run()
    else:
        out.append(_load(args))
    out += figures(args)

    with connection.cursor() as cursor:
        cursor.execute(
            "select sqlite_version()" if connection.vendor == "sqlite" else "show server_version"
        )
        version = cursor.fetchone()[0]
    meta = {
        "benchmark": "plans",
        "db": args.db,
        "database": f"{connection.vendor} {version}",
        "customers": Customer.objects.count(),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "cpus": os.cpu_count(),
    }
    if not args.json:
        print(
            f"\nplans benchmark — {meta['database']}, {meta['customers']:,} customers, "
            f"{meta['cpus']} cores, {meta['date']}\n"
        )
    print_table(out, as_json=args.json, meta=meta)
    return 1 if any(f.met is False for f in out) else 0


if __name__ == "__main__":
    sys.exit(main())
