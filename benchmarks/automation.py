"""The automation engine at scale: condition trees as SQL, set enrollment, step execution
and an idle engine tick.

    .venv/bin/python benchmarks/automation.py [--db sqlite|postgres] [--customers N]
        [--reuse] [--repeat 5] [--steps 100000] [--task-steps 20000] [--profile] [--json]

Data: `seed_demo(customers=N)` (the demo generator: contacts, tags, follow-ups, timeline;
COPY / executemany in chunks) into a data dir of its own, benchmarks/out/automation-<db>-<N>/
(gitignored), on PostgreSQL into the database gx_bench_auto_<N> on 127.0.0.1:5432 (dropped
and created). The demo has no 沉默客户 / silent / potential tags, which the seed rules ask for:
they are added with INSERT … SELECT (沉默客户 for the demo's dormant customers, silent for a
third of the silent level, potential for the potential level). `--reuse` keeps a database
an earlier run generated at the same size (this run's rules, journeys, notices and tasks
are deleted first). Default size: 1,000,000 customers (pass e.g. 100000 for a quick run;
(b) and (c) need at least `--steps` customers with an owner).

Figures (issue 5 targets):
(a) for each seed rule's condition tree, `matching(tree).count()` against a hand-written
    SQL COUNT of the same predicate, median of `--repeat` runs each after one warm-up, in
    the same run: ratio ≤ 1.5 (both counts must be equal); the note gives the ORM's own
    statement replayed through the raw cursor, which tells SQL shape from Python overhead;
(b) `enroll_set` of 100,000 matching customers into a rule (INSERT … SELECT of journeys and
    first steps): ≤ 5 s — first on the freshly loaded database (journey tables last analyzed
    while empty, as after a new installation's load), then again after ANALYZE of the
    journey tables (rolled back, its foreign keys checked first as a commit would);
(c) one worker (`executor.run_due` in this process) executing those 100,000 in-app
    notification steps (`notify`): ≥ 2,000 steps/s on PostgreSQL (the SQLite figure is
    reported against the same target). Baseline: `notifications_create_many` of the same
    rows (user, title, body, link, customer, own dedupe keys) in batches of 5,000.
    Then `--task-steps` `create_task` steps the same way (informational, no target);
(d) a full `engine.tick` with 20 active rules (7 schedule, 7 condition, 6 event) and
    nothing due, over the journeys the figures above left: ≤ 1 s (median of `--repeat`).
Exit status 1 when a target is missed. `--profile` prints cProfile's top entries (to
stderr) for (b) and (c).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import (  # noqa: E402
    OUT,
    Figure,
    capture_sql,
    median_ms,
    print_table,
    replay,
)

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "gx_bench_auto"
RATIO_TARGET = 1.5
ENROLL_TARGET_S = 5.0
STEPS_TARGET = 2000
TICK_TARGET_S = 1.0
BATCH = 5000


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the seed rules' condition trees and their hand-written SQL ---------------------------

SEED_TREES: list[tuple[str, dict]] = [
    ("level is high value", {"field": "level", "op": "eq", "value": "high_value"}),
    (
        "silent tag, no interaction for 90 days",
        {
            "all": [
                {"field": "tags", "op": "has_any", "value": ["沉默客户", "silent"]},
                {"field": "last_interaction", "op": "older_than_days", "value": 90},
            ]
        },
    ),
    (
        "budget confirmed, closing within 7 days",
        {
            "all": [
                {"field": "demand", "op": "contains", "value": "已确认预算"},
                {"field": "expected_close_date", "op": "within_next_days", "value": 7},
            ]
        },
    ),
    ("birthday today", {"field": "birthday", "op": "anniversary_in_days", "value": 0}),
    (
        "≥ 3 follow-ups in the last 30 days",
        {"field": "followups", "op": "gte", "value": 3, "days": 30},
    ),
    (
        "potential tag, never followed up",
        {
            "all": [
                {"field": "tags", "op": "has_any", "value": ["potential"]},
                {"field": "followups", "op": "eq", "value": 0},
            ]
        },
    ),
]

_HAS_TAG = (
    "EXISTS (SELECT 1 FROM customers_customer_tags ct JOIN customers_tag t ON t.id = ct.tag_id "
    "WHERE ct.customer_id = c.id AND t.name IN ({names}))"
)


def raw_counts(vendor: str, now: dt.datetime) -> list[tuple[str, list[Any]]]:
    """The same six predicates as a person would write them: joins, EXISTS / NOT EXISTS,
    a GROUP BY … HAVING for "at least n", the database's own case-insensitive LIKE."""
    from django.db import connection
    from django.utils import timezone

    from guanxi.automation.conditions.fields import _anniversary_days

    stamp = connection.ops.adapt_datetimefield_value
    day = connection.ops.adapt_datefield_value
    today = timezone.localdate(now)
    count = "SELECT COUNT(*) FROM customers_customer c "
    pairs = _anniversary_days(today)
    if vendor == "postgresql":
        like = "c.demand ILIKE %s"
        birthday = "to_char(c.birthday, 'MM-DD') = ANY(%s)"
        birthday_params: list[Any] = [[f"{m:02d}-{d:02d}" for m, d in pairs]]
    else:
        like = "c.demand LIKE %s"  # SQLite's LIKE ignores ASCII case
        birthday = f"strftime('%%m-%%d', c.birthday) IN ({', '.join(['%s'] * len(pairs))})"
        birthday_params = [f"{m:02d}-{d:02d}" for m, d in pairs]
    return [
        (
            count + "JOIN customers_level l ON l.id = c.level_id WHERE l.code = %s",
            ["high_value"],
        ),
        (
            count + "WHERE " + _HAS_TAG.format(names="%s, %s")
            + " AND COALESCE(c.last_contact_at, c.created_at) <= %s",
            ["沉默客户", "silent", stamp(now - dt.timedelta(days=90))],
        ),
        (
            count + f"WHERE {like} AND c.expected_close_date BETWEEN %s AND %s",
            ["%已确认预算%", day(today), day(today + dt.timedelta(days=7))],
        ),
        (count + f"WHERE {birthday}", birthday_params),
        (
            count + "WHERE c.id IN (SELECT f.customer_id FROM followups_followup f "
            "WHERE f.occurred_at >= %s AND f.occurred_at <= %s "
            "GROUP BY f.customer_id HAVING COUNT(*) >= 3)",
            [stamp(now - dt.timedelta(days=30)), stamp(now)],
        ),
        (
            count + "WHERE " + _HAS_TAG.format(names="%s")
            + " AND NOT EXISTS (SELECT 1 FROM followups_followup f "
            "WHERE f.customer_id = c.id AND f.occurred_at <= %s)",
            ["potential", stamp(now)],
        ),
    ]  # fmt: skip


# --- set-up ---------------------------------------------------------------------------------


def _prepare(args: argparse.Namespace) -> bool:
    """Environment and database; returns True when an earlier load is reused."""
    os.environ.update({"GUANXI_DEMO": "0", "GUANXI_SECRET_KEY": "bench-automation-" + "x" * 40})
    data_dir = OUT / f"automation-{args.db}-{args.customers}"
    marker = data_dir / "loaded.json"
    reuse = args.reuse and marker.exists()
    database = f"{PG_DB}_{args.customers}"  # one per size, as the data dirs
    if args.db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            reuse = reuse and found.fetchone() is not None
            if not reuse:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{database}"')
    if not reuse:
        shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["GUANXI_DATA_DIR"] = str(data_dir)
    os.environ.pop("GUANXI_DATABASE_URL", None)
    if args.db == "postgres":
        os.environ["GUANXI_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "guanxi.settings"
    args.marker = marker
    return reuse


def _load(args: argparse.Namespace) -> Figure:
    from django.db import connection, transaction

    from guanxi.core.maintenance import database_statistics_refresh
    from guanxi.customers.models import Tag
    from guanxi.demo import catalog
    from guanxi.demo.seeding import seed_demo

    _log(f"generating {args.customers:,} customers …")
    started = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 15 or done == total:
            last[0] = time.perf_counter()
            _log(f"  {done:,}/{total:,} customers")

    summary = seed_demo(customers=args.customers, seed=2024, progress=progress)
    with transaction.atomic():
        tags = {
            n: Tag.objects.get_or_create(name=n)[0].pk for n in ("沉默客户", "silent", "potential")
        }
        dormant = Tag.objects.get(name=catalog.DORMANT_TAG).pk
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO customers_customer_tags (customer_id, tag_id) "
                "SELECT customer_id, %s FROM customers_customer_tags WHERE tag_id = %s",
                [tags["沉默客户"], dormant],
            )
            cursor.execute(
                "INSERT INTO customers_customer_tags (customer_id, tag_id) "
                "SELECT c.id, %s FROM customers_customer c JOIN customers_level l "
                "ON l.id = c.level_id WHERE l.code = 'silent' AND c.id %% 3 = 0",
                [tags["silent"]],
            )
            cursor.execute(
                "INSERT INTO customers_customer_tags (customer_id, tag_id) "
                "SELECT c.id, %s FROM customers_customer c JOIN customers_level l "
                "ON l.id = c.level_id WHERE l.code = 'potential'",
                [tags["potential"]],
            )
    database_statistics_refresh()  # as after every demo load, now with the new tags
    seconds = time.perf_counter() - started
    args.marker.write_text(json.dumps({"size": args.customers, **summary}))
    budget = max(60.0, 600.0 * args.customers / 1_000_000)  # "minutes" per million
    return Figure(
        f"load {summary['customers']:,} customers, {summary['followups']:,} follow-ups",
        seconds, "s", f"≤ {budget:,.0f} s", met=seconds <= budget,
    )  # fmt: skip


def _clean_previous_run() -> None:
    from guanxi.automation.models import Enrollment, Rule
    from guanxi.followups.models import Task, TaskSource
    from guanxi.messaging.models import Notification

    # As services.rule_delete does: versions are PROTECTed by enrollments and by the rule.
    rules = Rule.objects.filter(is_system=False)
    Enrollment.objects.filter(rule__in=rules).delete()  # with their executions
    rules.update(current_version=None)
    rules.delete()
    Notification.objects.filter(kind__in=["automation", "bench-baseline"]).delete()
    Task.objects.filter(source=TaskSource.AUTOMATION).delete()


# --- figures --------------------------------------------------------------------------------


def conditions_figures(args: argparse.Namespace, now: dt.datetime) -> list[Figure]:
    from django.db import connection

    from guanxi.automation.conditions.tree import matching, validate

    figures = []
    for (name, tree), (sql, params) in zip(
        SEED_TREES, raw_counts(connection.vendor, now), strict=True
    ):
        tree = validate(tree)

        def orm(tree: dict = tree) -> int:
            return matching(tree, now=now).count()

        def raw(sql: str = sql, params: list = params) -> int:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()[0]

        matched, by_hand = orm(), raw()
        assert matched == by_hand, (name, matched, by_hand)
        _log(f"timing (a) {name} ({matched:,} customers) …")
        value = median_ms(orm, repeat=args.repeat, warmup=1)
        baseline = median_ms(raw, repeat=args.repeat, warmup=1)
        # The ORM's own statement through the raw cursor: its SQL shape without Python.
        compiled = median_ms(replay(capture_sql(orm)), repeat=args.repeat, warmup=1)
        ratio = value / baseline if baseline else None
        figures.append(
            Figure(
                f"(a) count: {name} ({matched:,})", value, "ms", f"≤ {RATIO_TARGET:g}× raw",
                baseline, "raw SQL", ratio, ratio is not None and ratio <= RATIO_TARGET,
                note=f"the ORM's SQL replayed raw: {compiled:,.1f} ms",
            )
        )  # fmt: skip
    return figures


def _rule(name: str, steps: list[dict], trigger: dict | None = None, conditions=None):
    from guanxi.automation.services import rule_activate, rule_create

    rule = rule_create(
        actor=None,
        name=name,
        definition={
            "trigger": trigger or {"kind": "manual"},
            "conditions": conditions or {"all": []},
            "steps": steps,
        },
    )
    return rule_activate(actor=None, rule=rule)


def _cohort(count: int, *, after: int = 0):
    """`count` customers with an owner (so a notice has someone to go to), ids above `after`."""
    from guanxi.customers.models import Customer

    owned = Customer.objects.filter(owner__isnull=False, pk__gt=after).order_by("pk")
    ids = list(owned.values_list("pk", flat=True)[count - 1 : count])
    if not ids:
        raise SystemExit(f"fewer than {count:,} customers with an owner: use more --customers")
    return Customer.objects.filter(owner__isnull=False, pk__gt=after, pk__lte=ids[0]), ids[0]


def _profiled(args: argparse.Namespace, label: str, fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    if not args.profile:
        result = fn()
        return result, time.perf_counter() - started
    import cProfile
    import io
    import pstats

    profile = cProfile.Profile()
    result = profile.runcall(fn)
    seconds = time.perf_counter() - started
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(20)
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(25)
    _log(f"--- profile: {label} ({seconds:.2f} s under the profiler) ---\n{out.getvalue()}")
    return result, seconds


def enroll_and_run_figures(args: argparse.Namespace, now: dt.datetime) -> list[Figure]:
    from guanxi.automation.conditions.tree import matching
    from guanxi.automation.enrollment import enroll_set
    from guanxi.automation.executor import run_due
    from guanxi.automation.models import Enrollment, Execution, ExecutionStatus
    from guanxi.core import clock
    from guanxi.followups.models import Task, TaskSource
    from guanxi.messaging.models import Notification
    from guanxi.messaging.services import NewNotification, notifications_create_many

    figures = []
    notice = {"action": "notify", "to": "owner", "title": "请跟进 {customer}",
              "body": "客户 {code} 已进入培育旅程，请在两天内电话联系。"}  # fmt: skip
    rule = _rule("基准：通知负责人", [notice])
    base, last_id = _cohort(args.steps)
    customers = matching({"field": "owner", "op": "not_empty"}, now=now, base=base)

    _log(f"(b) enroll_set of {args.steps:,} customers …")
    created, seconds = _profiled(
        args, "enroll_set", lambda: enroll_set(rule=rule, customers=customers, now=now)
    )
    assert created == args.steps, created
    figures.append(
        Figure(f"(b) enroll_set: {created:,} customers", seconds, "s",
               f"≤ {ENROLL_TARGET_S:g} s", met=seconds <= ENROLL_TARGET_S,
               note=f"{created / seconds:,.0f} journeys/s")
    )  # fmt: skip

    # Baseline material: the rows the steps will write, built before timing.
    rows = [
        NewNotification(
            user_id=owner_id,
            kind="bench-baseline",
            title=f"请跟进 {name}",
            body=f"客户 {code} 已进入培育旅程，请在两天内电话联系。",
            url=f"/customers/{pk}/",
            customer_id=pk,
            dedupe_key=f"bench-baseline:{pk}",
        )
        for pk, owner_id, name, code in base.values_list("pk", "owner_id", "name", "code")
    ]
    _log(f"(c) baseline: notifications_create_many of {len(rows):,} rows …")
    started = time.perf_counter()
    for start in range(0, len(rows), BATCH):
        notifications_create_many(notifications=rows[start : start + BATCH])
    base_s = time.perf_counter() - started
    Notification.objects.filter(kind="bench-baseline").delete()
    base_rate = len(rows) / base_s

    # A worker process does not carry this harness's leftovers (the load's and the
    # baseline's Python objects): dropped, and the rest frozen out of the cyclic collector,
    # which would otherwise walk them on every full collection during the run.
    del rows
    gc.collect()
    gc.freeze()
    _log(f"(c) run_due: {args.steps:,} notify steps, one worker …")
    run_at = now + dt.timedelta(seconds=1)
    with clock.frozen_at(run_at):
        report, seconds = _profiled(args, "run_due notify", lambda: run_due(now=run_at))
    done = Execution.objects.filter(rule=rule, status=ExecutionStatus.DONE).count()
    notices = Notification.objects.filter(kind="automation").count()
    assert report.executed == done == notices == args.steps, (report, done, notices)
    rate = args.steps / seconds
    figures.append(
        Figure("(c) baseline: notifications_create_many, same rows", base_rate, "req/s", "—",
               note=f"{base_s:.2f} s")
    )  # fmt: skip
    figures.append(
        Figure(f"(c) run_due: {args.steps:,} notify steps, one worker", rate, "req/s",
               f"≥ {STEPS_TARGET:,}/s", base_rate, "raw", rate / base_rate,
               rate >= STEPS_TARGET, note=f"{seconds:.2f} s")
    )  # fmt: skip

    if args.task_steps:
        task_rule = _rule(
            "基准：建待办",
            [{"action": "create_task", "title": "电话回访 {customer}", "due_hours": 24}],
        )
        task_base, _ = _cohort(args.task_steps, after=last_id)
        enroll_set(rule=task_rule, customers=task_base, now=run_at)
        _log(f"(c) run_due: {args.task_steps:,} create_task steps …")
        task_at = run_at + dt.timedelta(seconds=1)
        with clock.frozen_at(task_at):
            report, seconds = _profiled(args, "run_due create_task", lambda: run_due(now=task_at))
        tasks = Task.objects.filter(source=TaskSource.AUTOMATION).count()
        assert report.executed == tasks == args.task_steps, (report, tasks)
        figures.append(
            Figure(f"(c) run_due: {args.task_steps:,} create_task steps, one worker",
                   args.task_steps / seconds, "req/s", "—", note=f"{seconds:.2f} s")
        )  # fmt: skip
    # (b) again, on journey tables with statistics (as autovacuum keeps them on a running
    # installation; the first measurement ran on tables last analyzed while empty), rolled
    # back so that nothing of it stays.
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        for model in (Enrollment, Execution):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    with transaction.atomic():
        again = _rule("基准：再次登记", [notice])
        _log(f"(b) enroll_set of {args.steps:,} customers again, tables analyzed …")

        def enroll_checked() -> int:
            made = enroll_set(rule=again, customers=customers, now=run_at)
            if connection.vendor == "postgresql":
                # The foreign keys are checked at commit, which a rolled-back run never
                # reaches: check them now so that the figure includes them, as the first does.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            return made

        created, seconds = _profiled(args, "enroll_set, analyzed", enroll_checked)
        transaction.set_rollback(True)
    assert created == args.steps, created
    figures.insert(
        1,
        Figure(f"(b) enroll_set again, journey tables analyzed: {created:,}", seconds, "s",
               f"≤ {ENROLL_TARGET_S:g} s", met=seconds <= ENROLL_TARGET_S,
               note=f"{created / seconds:,.0f} journeys/s (rolled back)"),
    )  # fmt: skip
    return figures


def tick_figure(args: argparse.Namespace, now: dt.datetime) -> Figure:
    """20 active rules: the system rules the migrations install (condition scans, 7 today) and
    as many more as make 20 — 5 schedule, 6 event and the rest condition rules; the manual
    rules of (b) and (c) are paused."""
    from guanxi.automation.engine import tick
    from guanxi.automation.models import Rule, RuleStatus, TriggerKind
    from guanxi.core import clock

    Rule.objects.filter(trigger_kind=TriggerKind.MANUAL).update(status=RuleStatus.PAUSED)
    trees = [tree for _, tree in SEED_TREES]
    step = [{"action": "notify", "to": "owner", "title": "自动化提醒 {customer}"}]
    events = ["customer.created", "followup.recorded", "task.done", "message.opened",
              "customer.tag_added", "order.created"]  # fmt: skip
    with clock.frozen_at(now):
        for n in range(5):
            _rule(f"基准：定时 {n}", step, {"kind": "schedule", "every": "daily", "at": "09:00"},
                  trees[n])  # fmt: skip
        system = Rule.objects.filter(is_system=True, status=RuleStatus.ACTIVE).count()
        for n in range(20 - system - 5 - len(events)):
            _rule(f"基准：条件 {n}", step, {"kind": "condition", "scan_minutes": 15},
                  trees[n % len(trees)])  # fmt: skip
        for n, event in enumerate(events):
            _rule(f"基准：事件 {n}", step, {"kind": "event", "event": event}, trees[n])
    # As if every condition rule had been scanned a minute ago: none is due for 14 minutes.
    Rule.objects.filter(trigger_kind=TriggerKind.CONDITION).update(
        next_run_at=now + dt.timedelta(minutes=14), last_run_at=now - dt.timedelta(minutes=1)
    )
    active = Rule.objects.filter(status=RuleStatus.ACTIVE)
    kinds = dict.fromkeys(TriggerKind.values, 0)
    for kind in active.values_list("trigger_kind", flat=True):
        kinds[kind] += 1
    later = now + dt.timedelta(seconds=30)
    assert not active.filter(next_run_at__lte=later).exists()
    reports = []
    _log("(d) idle tick …")
    value = median_ms(lambda: reports.append(tick(now=later)), repeat=args.repeat, warmup=1)
    assert all(r.enrolled == r.executed == 0 for r in reports), reports
    mix = ", ".join(f"{n} {kind}" for kind, n in kinds.items() if n)
    return Figure(
        f"(d) engine.tick, {active.count()} active rules, nothing due", value, "ms",
        f"≤ {TICK_TARGET_S * 1000:,.0f} ms", met=value <= TICK_TARGET_S * 1000,
        note=f"rules: {mix}; {reports[-1].waiting} steps waiting",
    )  # fmt: skip


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="reuse an earlier load of this size")
    parser.add_argument("--repeat", type=int, default=5, help="samples per timing (median)")
    parser.add_argument("--steps", type=int, default=100_000, help="journeys for (b) and (c)")
    parser.add_argument("--task-steps", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true", help="cProfile (b) and (c)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    reuse = _prepare(args)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from guanxi.core import clock
    from guanxi.customers.models import Customer
    from guanxi.followups.models import FollowUp

    # Steps wake workers and send notices through django.tasks: here the worker is this
    # process, and nothing else may run.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    call_command("migrate", verbosity=0)
    figures: list[Figure] = []
    if reuse:
        _log(f"reusing the loaded database ({args.marker.read_text().strip()[:120]} …)")
        if Customer.objects.count() != args.customers:
            raise SystemExit("the database does not hold this size's load: run without --reuse")
        _clean_previous_run()
    else:
        figures.append(_load(args))
    now = clock.now()
    figures += conditions_figures(args, now)
    figures += enroll_and_run_figures(args, now)
    figures.append(tick_figure(args, now + dt.timedelta(minutes=1)))

    with connection.cursor() as cursor:
        cursor.execute(
            "select sqlite_version()" if connection.vendor == "sqlite" else "show server_version"
        )
        version = cursor.fetchone()[0]
    meta = {
        "benchmark": "automation",
        "db": args.db,
        "database": f"{connection.vendor} {version}",
        "customers": Customer.objects.count(),
        "followups": FollowUp.objects.count(),
        "steps": args.steps,
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "cpus": os.cpu_count(),
    }
    if not args.json:
        print(
            f"\nautomation benchmark — {meta['database']}, {meta['customers']:,} customers, "
            f"{meta['followups']:,} follow-ups, {meta['cpus']} cores, {meta['date']}\n"
        )
    print_table(figures, as_json=args.json, meta=meta)
    return 1 if any(f.met is False for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
