"""The deal board with 10,000 open deals, and the orders bulk upsert.

    .venv/bin/python benchmarks/deals.py [--db sqlite|postgres] [--customers N] [--deals N]
        [--batches N] [--repeat N] [--reuse] [--json]

Data: `seed_demo(customers=N)` (default 20,000: users, teams, customers with contacts) into a
data dir of its own, benchmarks/out/deals-<db>-<N>/ (gitignored), on PostgreSQL into the
database gx_bench_deals_<N> on 127.0.0.1:5432 (dropped and created); then exactly `--deals`
open deals (default 10,000) spread over the open stages, plus 2,000 won and lost ones, are
written in place of the demo's.

Figures (issue 6 targets):
(a) the board page `GET /deals/` rendered by Django in this process (middleware, selectors,
    template; the test client, no network): ≤ 300 ms server time, as an administrator (scope
    all) and as a team supervisor (scope team), with the unfiltered board and with an owner
    filter; median of `--repeat`. Baseline: the same numbers by hand — one raw SQL GROUP BY for
    the column totals and one raw `ORDER BY … LIMIT 50` per column, on the raw cursor.
(b) `POST /api/v1/orders/bulk/` with batches of 1,000 new orders (token auth, JSON in and
    out): ≥ 5,000 orders/s on PostgreSQL (the SQLite figure is reported against the same
    target). Customers are named by code (80 %) and by phone (20 %, normalised and matched
    against every contact). Measured with the automation listener unsubscribed — the
    upsert's own work; then once more with the listener hearing every `order.created`, as in
    production, and the listener's cost per event is reported beside (it runs a few queries
    per event in guanxi/automation, outside this app). Baseline: a raw
    `INSERT … ON CONFLICT (source, external_id) DO UPDATE` executemany of the same 1,000 rows
    per batch. Also the same batches again (all "unchanged") and with every amount changed
    (all "updated"), informational.
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import OUT, Figure, median_ms, print_table  # noqa: E402

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "gx_bench_deals"
BOARD_TARGET_MS = 300
ORDERS_TARGET_PER_S = 5000
BATCH = 1000


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--deals", type=int, default=10_000, help="open deals on the board")
    parser.add_argument("--batches", type=int, default=10, help="order batches of 1,000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="reuse an earlier load")
    parser.add_argument("--json", action="store_true", dest="as_json")
    args = parser.parse_args()

    reuse = _prepare(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)  # pages name hashed files
    figures: list[Figure] = []
    if not reuse:
        figures.append(_load(args))
    ctx = _context(args)
    figures += _board(args, ctx)
    figures += _orders(args, ctx)
    meta = {
        "benchmark": "deals",
        "db": args.db,
        "database": f"{connection.vendor} {_db_version()}",
        "customers": ctx["customers"],
        "open_deals": ctx["open_deals"],
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "cpus": os.cpu_count(),
    }
    if not args.as_json:
        print(
            f"\ndeals benchmark — {meta['database']}, {meta['customers']:,} customers, "
            f"{meta['open_deals']:,} open deals, {meta['cpus']} cores, {meta['date']}\n"
        )
    print_table(figures, as_json=args.as_json, meta=meta)
    return 1 if any(f.met is False for f in figures) else 0


def _prepare(args: argparse.Namespace) -> bool:
    os.environ.update({"GUANXI_DEMO": "0", "GUANXI_SECRET_KEY": "bench-deals-" + "x" * 40})
    data_dir = OUT / f"deals-{args.db}-{args.customers}"
    marker = data_dir / "loaded.json"
    reuse = args.reuse and marker.exists()
    database = f"{PG_DB}_{args.customers}"
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
    (data_dir / "static").mkdir(parents=True, exist_ok=True)  # whitenoise looks for it
    os.environ["GUANXI_DATA_DIR"] = str(data_dir)
    os.environ.pop("GUANXI_DATABASE_URL", None)
    if args.db == "postgres":
        os.environ["GUANXI_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "guanxi.settings"
    args.marker = marker
    return reuse


def _db_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "select sqlite_version()" if connection.vendor == "sqlite" else "show server_version"
        )
        return cursor.fetchone()[0]


def _load(args: argparse.Namespace) -> Figure:
    """Demo customers, then exactly --deals open deals (and 2,000 closed) in their place."""
    from django.db import transaction

    from guanxi.core import clock
    from guanxi.core.maintenance import database_statistics_refresh
    from guanxi.customers.models import Customer
    from guanxi.deals.models import Deal, DealStage, Order
    from guanxi.demo.bulk import RowWriter, columns
    from guanxi.demo.seeding import seed_demo

    _log(f"generating {args.customers:,} customers …")
    started = time.perf_counter()
    seed_demo(customers=args.customers, seed=2024)
    rng = random.Random(6)
    stages = list(DealStage.objects.order_by("order"))
    open_stages = [s for s in stages if s.kind == "open"]
    closed = [s for s in stages if s.kind != "open"]
    customers = list(Customer.objects.values_list("pk", "owner_id"))
    writer = RowWriter()
    now = clock.now()
    stamp = writer.timestamp(now)
    today = clock.today()
    rows = []
    for n in range(args.deals + 2000):
        customer_id, owner_id = rng.choice(customers)
        stage = open_stages[n % len(open_stages)] if n < args.deals else closed[n % len(closed)]
        close = today + dt.timedelta(days=rng.randint(-20, 120))
        rows.append((
            stamp, stamp, customer_id, f"商机 {n}", Decimal(rng.randint(1, 500) * 1000),
            stage.pk, stage.probability, close.isoformat(), owner_id, "", None, "",
            close.isoformat() if stage.kind != "open" else None,
            "预算取消" if stage.kind == "lost" else "", stamp, None,
        ))  # fmt: skip
    names = [
        "created_at", "updated_at", "customer", "title", "amount", "stage", "probability",
        "expected_close_date", "owner", "next_step", "next_step_date", "notes", "closed_on",
        "close_reason", "stage_changed_at", "created_by",
    ]  # fmt: skip
    with transaction.atomic():
        Deal.objects.all().delete()
        Order.objects.all().delete()
        writer.insert(Deal._meta.db_table, columns(Deal, names), rows)
    database_statistics_refresh()
    seconds = time.perf_counter() - started
    args.marker.write_text(json.dumps({"customers": args.customers, "deals": args.deals}))
    return Figure(f"load {args.customers:,} customers and {len(rows):,} deals", seconds, "s", "—")


def _context(args: argparse.Namespace) -> dict[str, Any]:
    from guanxi.accounts.models import Role, User
    from guanxi.accounts.tokens import token_create
    from guanxi.customers.models import Contact, Customer
    from guanxi.deals.models import Deal

    admin, _ = User.objects.get_or_create(
        username="bench_admin",
        defaults={"role": Role.objects.get(slug="admin"), "data_scope": "all"},
    )
    supervisor = User.objects.get(username="zhangwei")
    _token, key = token_create(actor=admin, user=admin, name="benchmark")
    customers = list(
        Customer.objects.exclude(external_id="")
        .values_list("code", "external_id")
        .order_by("pk")[:1]
    )
    codes = list(Customer.objects.values_list("pk", "code").order_by("pk"))
    phones = dict(
        Contact.objects.filter(is_primary=True).values_list("customer_id", "phone").order_by()
    )
    return {
        "admin": admin,
        "supervisor": supervisor,
        "owner": User.objects.get(username="lina"),
        "token": key,
        "codes": codes,
        "phones": phones,
        "with_external": customers,
        "customers": len(codes),
        "open_deals": Deal.objects.filter(stage__kind="open").count(),
    }


# --- (a) the board -----------------------------------------------------------------------


def _board(args: argparse.Namespace, ctx: dict[str, Any]) -> list[Figure]:
    from django.test import Client

    from guanxi.accounts.permissions import scope_q
    from guanxi.deals.models import Deal

    figures = []
    cases = [
        ("admin (all)", ctx["admin"], ""),
        ("team supervisor", ctx["supervisor"], ""),
        ("team supervisor, owner filter", ctx["supervisor"], f"?owner={ctx['owner'].pk}"),
    ]
    for label, user, query in cases:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        response = client.get("/deals/" + query)
        assert response.status_code == 200, response.status_code
        cards = response.content.count(b'data-deal="')
        _log(f"timing the board as {label} ({cards} cards) …")
        value = median_ms(lambda c=client, q=query: c.get("/deals/" + q), repeat=args.repeat)
        owner = ctx["owner"].pk if query else None
        raw = median_ms(_raw_board(user, scope_q, Deal, owner), repeat=args.repeat)
        figures.append(
            Figure(
                f"board: {label}, {cards} cards",
                value,
                "ms",
                f"≤ {BOARD_TARGET_MS} ms",
                baseline=raw,
                baseline_label="raw GROUP BY + LIMIT",
                ratio=value / raw if raw else None,
                met=value <= BOARD_TARGET_MS,
            )
        )
    return figures


def _raw_board(user, scope_q, deal_model, owner_id):
    """The board's numbers by hand: one GROUP BY, then 50 cards per stage, raw cursor."""
    from django.db import connection

    from guanxi.accounts.permissions import effective_scope
    from guanxi.deals.models import DealStage

    stages = list(DealStage.objects.filter(is_active=True).values_list("pk", "kind"))
    scope = effective_scope(user)
    where = ["1=1"]
    params: list[Any] = []
    if scope == "team":
        where.append("(c.owner_id = %s OR c.team_id = %s)")
        params += [user.pk, user.team_id]
    if owner_id:
        where.append("d.owner_id = %s")
        params.append(owner_id)
    clause = " AND ".join(where)
    join = "JOIN customers_customer c ON c.id = d.customer_id"
    totals = (
        f"SELECT d.stage_id, COUNT(*), SUM(d.amount), SUM(d.amount * d.probability / 100) "
        f"FROM deals_deal d {join} WHERE {clause} GROUP BY d.stage_id"  # noqa: S608
    )
    cards = (
        f"SELECT d.id, d.title, d.amount, d.probability, d.expected_close_date, d.closed_on, "
        f"c.name, u.username FROM deals_deal d {join} LEFT JOIN accounts_user u "
        f"ON u.id = d.owner_id WHERE {clause} AND d.stage_id = %s "
        f"ORDER BY d.expected_close_date, d.id LIMIT 50"  # noqa: S608
    )
    sqlite = connection.vendor == "sqlite"

    def run() -> None:
        with connection.cursor() as cursor:
            raw = cursor.cursor
            sql_totals = totals.replace("%s", "?") if sqlite else totals
            sql_cards = cards.replace("%s", "?") if sqlite else cards
            raw.execute(sql_totals, params)
            raw.fetchall()
            for pk, _kind in stages:
                raw.execute(sql_cards, [*params, pk])
                raw.fetchall()

    return run


# --- (b) orders --------------------------------------------------------------------------


def _batches(ctx: dict[str, Any], count: int, *, tag: str) -> list[list[dict[str, Any]]]:
    from guanxi.core.phones import display_phone

    rng = random.Random(7)
    codes, phones = ctx["codes"], ctx["phones"]
    batches = []
    for b in range(count):
        batch = []
        for n in range(BATCH):
            pk, code = rng.choice(codes)
            item = {
                "source": "bench-erp",
                "external_id": f"{tag}-{b}-{n}",
                "ordered_at": f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:{rng.randint(10, 59)}:00+08:00",
                "amount": f"{rng.randint(10, 99999)}.{rng.randint(0, 99):02d}",
                "status": rng.choice(["paid", "shipped", "completed", "已付款"]),
                "items_summary": "智能门锁 ×1",
            }
            roll = rng.random()
            if roll < 0.2 and pk in phones:
                item["customer_phone"] = display_phone(phones[pk])
            else:
                item["customer_code"] = code
            batch.append(item)
        batches.append(batch)
    return batches


def _post_all(client, batches: list[list[dict]], *, expect: str) -> float:
    """Orders per second posting every batch; checks every item got `expect`."""
    started = time.perf_counter()
    for batch in batches:
        response = client.post("/api/v1/orders/bulk/", batch, format="json")
        assert response.status_code == 200, response.content[:300]
        results = response.json()
        bad = [r for r in results if r["result"] != expect]
        assert not bad, bad[:3]
    return len(batches) * BATCH / (time.perf_counter() - started)


def _raw_upserts(batches: list[list[dict]], ctx: dict[str, Any]) -> float:
    """INSERT … ON CONFLICT executemany of the same rows (customers known, values parsed)."""
    from django.db import connection, transaction
    from django.utils.dateparse import parse_datetime

    by_code = {code: pk for pk, code in ctx["codes"]}
    by_phone: dict[str, int] = {}
    for pk, phone in ctx["phones"].items():
        by_phone[phone] = pk
    sql = (
        "INSERT INTO deals_order (created_at, updated_at, customer_id, source, external_id, "
        "number, ordered_at, amount, currency, status, items_summary) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (source, external_id) DO UPDATE SET amount = excluded.amount, "
        "status = excluded.status, updated_at = excluded.updated_at"
    )
    from guanxi.core.phones import normalize_phone

    prepared = []
    now = dt.datetime.now(dt.UTC)
    for batch in batches:
        rows = []
        for item in batch:
            customer = by_code.get(item.get("customer_code")) or by_phone.get(
                normalize_phone(item["customer_phone"]) if "customer_phone" in item else ""
            )
            rows.append((
                now, now, customer, "raw-" + item["source"], item["external_id"],
                item["external_id"], parse_datetime(item["ordered_at"]),
                Decimal(item["amount"]), "CNY", "paid", item.get("items_summary", ""),
            ))  # fmt: skip
        prepared.append(rows)
    started = time.perf_counter()
    for rows in prepared:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    return len(prepared) * BATCH / (time.perf_counter() - started)


def _orders(args: argparse.Namespace, ctx: dict[str, Any]) -> list[Figure]:
    """The upsert with the automation listener unsubscribed (this app's own work: the target),
    then the same with it hearing every order.created, as in production (its cost per event
    is the automation engine's, reported beside)."""
    from rest_framework.test import APIClient

    from guanxi.automation.listener import on_event
    from guanxi.core.events import subscribe, unsubscribe

    client = APIClient(HTTP_HOST="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Token {ctx['token']}")
    tag = f"r{int(time.time())}"
    _post_all(client, _batches(ctx, 1, tag=tag + "w"), expect="created")  # warm-up
    batches = _batches(ctx, args.batches, tag=tag)
    unsubscribe(on_event)
    try:
        _log(f"posting {args.batches} batches of {BATCH} new orders (listener off) …")
        created = _post_all(client, batches, expect="created")
        _log("the same batches again (unchanged) …")
        unchanged = _post_all(client, batches, expect="unchanged")
        for batch in batches:
            for item in batch:
                item["amount"] = str(Decimal(item["amount"]) + 1)
        _log("every amount changed (updated) …")
        updated = _post_all(client, batches, expect="updated")
    finally:
        subscribe(on_event)
    _log("the raw INSERT … ON CONFLICT baseline …")
    raw = _raw_upserts(batches, ctx)
    heard = _batches(ctx, max(1, args.batches // 2), tag=tag + "a")
    _log(f"posting {len(heard)} batches of new orders with automation listening …")
    with_listener = _post_all(client, heard, expect="created")
    target = f"≥ {ORDERS_TARGET_PER_S:,} orders/s"
    per_event = (1 / with_listener - 1 / created) * 1000
    return [
        Figure(
            f"orders bulk: {args.batches} × 1,000 new (API, token, JSON)",
            created, "orders/s", target, baseline=raw,
            baseline_label="raw INSERT … ON CONFLICT", ratio=created / raw if raw else None,
            met=created >= ORDERS_TARGET_PER_S,
        ),
        Figure("orders bulk: the same batches again (all unchanged)", unchanged, "orders/s", "—"),
        Figure("orders bulk: every amount changed (all updated)", updated, "orders/s", "—"),
        Figure(
            "orders bulk: new, automation listener on (per-event queries)",
            with_listener, "orders/s", "—",
            note=f"the listener adds {per_event:.2f} ms per order.created (guanxi/automation)",
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
