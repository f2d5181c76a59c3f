"""Spreadsheet import at scale: a 100,000-row .xlsx of new customers into a 1M-customer base.

    .venv/bin/python benchmarks/imports.py [--db sqlite|postgres] [--rows 100000]
        [--existing 1000000] [--csv-rows 1000000] [--repeat 2] [--json]

Works on copies of the 1M-customer base databases the lead generates:
- SQLite: benchmarks/out/sqlite-<existing>/ is copied afresh to benchmarks/out/imports-sqlite/
  at every run (so "existing" means exactly that many customers);
- PostgreSQL: CREATE DATABASE gx_imports_bench TEMPLATE guanxi_bench_tpl (dropped first).

Figures:
- baseline: python-calamine reads the file + one plain `executemany` INSERT of the same
  rows into a scratch table (no validation, no de-duplication, no audit);
- end to end: upload + check (dry run) + import through the import services, exactly what
  `guanxi import customers FILE` does: validation, phone/email normalisation, de-duplication
  against the existing customers, audit rows, import records;
- memory: peak RSS of `guanxi import customers` on a 1M-row CSV, in a subprocess;
- for reading the others: what the database alone charges per customer row (an INSERT …
  SELECT of 20,000 existing customers under new ids, codes and names into the customers
  table with all its indexes and search triggers, rolled back), no Python involved.
Big generated files are deleted at the end. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import OUT, ROOT, Figure, print_table  # noqa: E402

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "gx_imports_bench"
PG_TEMPLATE = "guanxi_bench_tpl"
ROWS_PER_S_TARGET = 5000
BASELINE_RATIO_TARGET = 5.0
MEMORY_TARGET_MB = 1024
HEADERS = ["客户名称", "所属行业", "联系人", "职位", "手机号", "邮箱", "层级", "意向等级", "标签",
           "客户来源", "省份", "城市", "地址", "需求描述", "最后跟进时间"]  # fmt: skip


def _prepare(db: str, existing: int) -> dict[str, str]:
    """Environment pointing Django at this benchmark's own copy of the base database."""
    env = {"GUANXI_DEMO": "0", "GUANXI_SECRET_KEY": "bench-imports-" + "x" * 40}
    if db == "sqlite":
        source = OUT / f"sqlite-{existing}"
        target = OUT / "imports-sqlite"
        if not (source / "guanxi.sqlite3").exists():
            sys.exit(f"missing {source}: generate the base first (benchmarks/customers.py)")
        print(f"copying {source} → {target} …", file=sys.stderr)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)
        env["GUANXI_DATA_DIR"] = str(target)
    else:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [PG_TEMPLATE]
            ).fetchone():
                sys.exit(f"missing template database {PG_TEMPLATE}")
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DB}" TEMPLATE "{PG_TEMPLATE}"')
        with psycopg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DB}", autocommit=True) as conn:
            # The template may hold an older draft of the imports tables: rebuild them from
            # the current migrations in this disposable copy (main() migrates).
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE tablename LIKE 'imports\\_%%'"
            )]  # fmt: skip
            for table in tables:
                conn.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
            conn.execute("DELETE FROM django_migrations WHERE app = 'imports'")
        env["GUANXI_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
        target = OUT / "imports-postgres"
        target.mkdir(parents=True, exist_ok=True)
        env["GUANXI_DATA_DIR"] = str(target)
    return env


def _rows(count: int, seed: int):
    """Realistic new customers; phones from prefixes the demo data never uses (191, 195)."""
    from guanxi.demo import catalog

    rng = random.Random(seed)
    regions = [(p, c) for p, cities in catalog.REGIONS.items() for c in cities]
    trades = [w for words in catalog.TRADES.values() for w in words]
    levels, intents = ["潜在客户", "普通客户", "高价值客户", "沉默客户"], ["高", "中", "低", ""]
    industries = ["制造业", "零售", "信息技术", "金融", "教育", "物流"]
    sources = ["展会", "线上推广", "老客户转介绍", ""]
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚",
    )
    for n in range(count):
        province, city = rng.choice(regions)
        name = f"{city[:-1]}{rng.choice(trades)}{seed % 1000:03d}{n:07d}{rng.choice(catalog.COMPANY_SUFFIXES)}"
        person = rng.choice(surnames) + rng.choice(given) + rng.choice(given)
        phone = f"{rng.choice(['191', '195'])}{seed % 100:02d}{n:06d}"
        phone = f"{phone[:3]} {phone[3:7]} {phone[7:]}" if n % 3 == 0 else phone
        email = f"u{seed}x{n}@{rng.choice(catalog.EMAIL_DOMAINS)}" if n % 2 else ""
        tags = "，".join(rng.sample(catalog.TAGS, rng.randint(0, 2)))
        day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        yield [name, rng.choice(industries), person, rng.choice(catalog.CONTACT_TITLES), phone,
               email, rng.choice(levels), rng.choice(intents), tags, rng.choice(sources), province,
               city, f"{city}中山路{n % 999 + 1}号", rng.choice(catalog.DEMANDS), day]  # fmt: skip


def _write_xlsx(path: Path, rows: int, seed: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    sheet.append(HEADERS)
    for row in _rows(rows, seed):
        sheet.append(row)
    book.save(path)


def _write_csv(path: Path, rows: int, seed: int) -> None:
    import csv

    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(_rows(rows, seed))


def _baseline(path: Path) -> float:
    """Seconds for calamine read + one executemany of the same rows into a scratch table."""
    import python_calamine
    from django.db import connection, transaction

    started = time.perf_counter()
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    data = book.get_sheet_by_index(0).to_python()[1:]
    columns = ", ".join(f"c{i} TEXT" for i in range(len(HEADERS)))
    marks = ", ".join(["%s"] * len(HEADERS))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_import_raw ({columns})")
        cursor.executemany(
            f"INSERT INTO bench_import_raw VALUES ({marks})", [[str(c) for c in r] for r in data]
        )  # noqa: S608
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_import_raw")
    return seconds


def _fresh_seed(seed: int) -> int:
    """A seed whose generated phones (191/195 + two seed digits + …) no customer has yet:
    the rows must be new customers, not duplicates of an earlier run's."""
    from django.db import connection

    def used(candidate: int) -> bool:
        with connection.cursor() as cursor:
            for prefix in ("+86191", "+86195"):
                low = f"{prefix}{candidate % 100:02d}"
                cursor.execute(
                    "SELECT 1 FROM customers_contact WHERE phone >= %s AND phone < %s LIMIT 1",
                    [low, low + "~"],
                )
                if cursor.fetchone():
                    return True
        return False

    for step in range(100):
        if not used(seed + step):
            return seed + step
    sys.exit("every phone prefix of the generated rows is taken: start from a fresh base")


def _database_floor(sample: int = 20_000) -> float:
    """µs per row for the database alone to insert customer rows (see the module docstring)."""
    from django.db import connection, transaction

    from guanxi.customers.models import Customer

    table = Customer._meta.db_table
    columns = [f.column for f in Customer._meta.local_concrete_fields]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608
        top = cursor.fetchone()[0] + 1_000_000
    fresh = {
        "id": f"id + {top}", "code": f"'F' || (id + {top})", "name": "name || 'x'",
        "name_pinyin": "name_pinyin || 'x'", "name_initials": "name_initials || 'x'",
        "name_key": "name_key || 'x'", "external_id": "''",
    }  # fmt: skip
    select = ", ".join(f"{fresh[c]} AS {c}" if c in fresh else c for c in columns)
    every = max(1, Customer.objects.count() // sample)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE bench_floor AS SELECT {select} FROM {table} "  # noqa: S608
            f"WHERE id % {every} = 0 LIMIT {sample}"
        )
        cursor.execute("SELECT COUNT(*) FROM bench_floor")
        count = cursor.fetchone()[0]
        started = time.perf_counter()
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM bench_floor")  # noqa: S608
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
    return seconds / count * 1e6


def _import(path: Path) -> tuple[float, dict]:
    from guanxi.accounts.models import User
    from guanxi.imports import services

    admin = (
        User.objects.filter(is_superuser=True).first()
        or User.objects.filter(role__slug="admin").first()
    )
    started = time.perf_counter()
    with path.open("rb") as upload:
        job = services.import_job_create(actor=admin, upload=upload, file_name=path.name)
    job = services.import_job_check(actor=admin, job=job, background=False)
    checked = time.perf_counter()
    job = services.import_job_start(actor=admin, job=job, background=False)
    seconds = time.perf_counter() - started
    counts = {
        **job.counts_dict,
        "check_s": round(checked - started, 2),
        "run_s": round(seconds - (checked - started), 2),
    }
    return seconds, counts


def _memory(env: dict[str, str], path: Path) -> tuple[float, float, str]:
    """Peak RSS (MB) and seconds of the CLI importing a big CSV, in its own process."""
    # A 1M-row CSV is larger than the default upload limit: raise it for this process only.
    code = (
        "import os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'guanxi.settings'); "
        "import django; django.setup(); from django.conf import settings; "
        "settings.GUANXI_IMPORT_MAX_BYTES = 1 << 31; from guanxi.cli import main; "
        f"sys.exit(main(['import', 'customers', {str(path)!r}, '--json']))"
    )
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return peak_mb, seconds, (result.stdout or result.stderr).strip()[-300:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=1_000_000)
    parser.add_argument("--csv-rows", type=int, default=1_000_000, help="0 skips the memory run")
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of baseline and import; best kept"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    env = _prepare(args.db, args.existing)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "guanxi.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # the imports tables, on a base made before them
    work = OUT / f"imports-files-{args.db}"
    work.mkdir(parents=True, exist_ok=True)
    seed = _fresh_seed(int(time.time()) % 100_000)
    floor_us = _database_floor()
    baselines, runs = [], []
    try:
        for attempt in range(args.repeat):
            xlsx = work / f"new-{attempt}.xlsx"
            _write_xlsx(xlsx, args.rows, _fresh_seed(seed + attempt))
            baselines.append(_baseline(xlsx))
            runs.append(_import(xlsx))
            print(
                f"run {attempt + 1}: baseline {baselines[-1]:.1f}s, import {runs[-1][0]:.1f}s {runs[-1][1]}",
                file=sys.stderr,
            )
        memory = None
        if args.csv_rows:
            csv_path = work / "big.csv"
            _write_csv(csv_path, args.csv_rows, _fresh_seed(seed + 77))
            memory = _memory(env, csv_path)
            print(f"1M CSV: {memory}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    base_s = min(baselines)
    best_s, counts = min(runs, key=lambda r: r[0])
    rate, base_rate = args.rows / best_s, args.rows / base_s
    figures = [
        Figure("baseline: calamine read + executemany", base_rate, "rows/s", "—", note=f"{base_s:.2f} s"),
        Figure(
            "database alone: INSERT … SELECT into customers (all indexes)", floor_us, "µs/row", "—",
            note=f"{args.rows * floor_us / 1e6:.1f} s for {args.rows:,} customer rows, no contacts or audit",
        ),
        Figure(
            f"import end to end ({args.rows:,} rows, {args.existing:,} existing)", rate, "rows/s",
            f"≥ {ROWS_PER_S_TARGET:,} rows/s", base_rate, "raw", None, rate >= ROWS_PER_S_TARGET,
            note=f"{best_s:.2f} s; {counts}",
        ),
        Figure(
            "import time ÷ baseline time", best_s / base_s, "×", f"≤ {BASELINE_RATIO_TARGET:.0f}×",
            met=best_s / base_s <= BASELINE_RATIO_TARGET,
        ),
    ]  # fmt: skip
    if memory:
        peak, seconds, out = memory
        figures.append(
            Figure(f"peak memory, {args.csv_rows:,}-row CSV via CLI", peak, "MB", f"< {MEMORY_TARGET_MB} MB",
                   met=peak < MEMORY_TARGET_MB and '"created"' in out, note=f"{seconds:.0f} s; {out}")
        )  # fmt: skip
    print_table(
        figures, as_json=args.json, meta={"area": "imports", "db": args.db, "rows": args.rows}
    )
    return 0 if all(f.met is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
