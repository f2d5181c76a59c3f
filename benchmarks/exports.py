"""Export of customers to .xlsx (and .csv) at scale: seconds, peak memory, ratio to raw.

    .venv/bin/python benchmarks/exports.py [--db sqlite|postgres] [--rows N] [--repeat R]
                                           [--formats xlsx,csv] [--openpyxl] [--json]

Reads the 1M-customer databases benchmarks/customers.py generated (benchmarks/out/sqlite-
1000000/, or PostgreSQL `guanxi_bench`) and never writes to them: the export pipeline
(guanxi.exports.pipeline — scope, labels, masking, formula guard, writer) runs without an
export job row. Each measurement is a fresh subprocess, so peak memory is its ru_maxrss.
The baseline is one bare SQL query (customers LEFT JOIN primary contacts, fetchmany) written
with the same .xlsx writer: the ratio is what scoping, labels, tags and masking cost.
`--openpyxl` adds openpyxl's write-only mode on a 100k-row sample, scaled up (informational:
why the writer is our own). Output files go to a temp dir and are deleted. Exit 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import OUT, Figure, print_table  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/guanxi_bench"
TARGET_SECONDS = 60
TARGET_MEMORY_MB = 1024
OPENPYXL_SAMPLE = 100_000
BASELINE_SQL = (
    "SELECT c.id, c.code, c.name, ct.name, ct.phone, ct.email, c.industry_id, c.level_id, "
    "c.intent, c.stage, c.province, c.city, c.owner_id, c.last_contact_at, c.created_at "
    "FROM customers_customer c LEFT JOIN customers_contact ct "
    "ON ct.customer_id = c.id AND ct.is_primary WHERE c.id > %s ORDER BY c.id DESC"
)


def _env(db: str) -> dict[str, str]:
    env = {
        **os.environ,
        "GUANXI_DATA_DIR": str(OUT / f"{db}-1000000"),
        "DJANGO_SETTINGS_MODULE": "guanxi.settings",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    env.pop("GUANXI_DATABASE_URL", None)
    if db == "postgres":
        env["GUANXI_DATABASE_URL"] = PG_URL
    return env


def _actor():
    """The first active administrator, else an unsaved superuser (nothing is written)."""
    from guanxi.accounts.models import User

    user = User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()
    return user or User(username="bench", is_superuser=True, is_active=True)


def _cutoff(rows: int) -> int:
    """The id above which the newest `rows` customers lie."""
    from guanxi.customers.models import Customer

    ids = Customer.objects.order_by("-pk").values_list("pk", flat=True)
    last = ids[rows - 1 : rows].first()
    return (last - 1) if last is not None else 0


def child(mode: str, *, rows: int, file_format: str, out: Path) -> dict:
    import django

    django.setup()
    from django.db import connection

    cutoff = _cutoff(rows)
    started = time.perf_counter()
    if mode == "export":
        from guanxi.exports import pipeline
        from guanxi.exports.entities import ENTITIES

        user = _actor()
        spec = ENTITIES["customers"]
        export = pipeline.plan(user=user, entity="customers", query="", ids=[],
                               keys=spec.default_keys())  # fmt: skip
        export = pipeline.Plan(entity=export.entity, columns=export.columns,
                               queryset=export.queryset.filter(pk__gt=cutoff))  # fmt: skip
        written = pipeline.write_file(user=user, export=export, file_format=file_format, path=out)
    elif mode == "baseline":
        from guanxi.exports.writers import open_writer

        header = [f"c{n}" for n in range(15)]
        writer = open_writer(out, file_format=file_format, header=header, title="raw")
        written = 0
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, [cutoff])
            while batch := cursor.fetchmany(10_000):
                writer.write_rows([row[1:] for row in batch])
                written += len(batch)
        writer.close()
    else:  # openpyxl write-only on a sample of the baseline's rows
        import openpyxl

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet()
        written = 0
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL + f" LIMIT {OPENPYXL_SAMPLE}", [cutoff])  # noqa: S608
            for row in cursor.fetchall():
                sheet.append(list(row[1:]))
                written += 1
        workbook.save(out)
    return {"seconds": time.perf_counter() - started, "rows": written, "bytes": out.stat().st_size}


def measure(args, mode: str, file_format: str, workdir: Path) -> dict:
    """One run in a fresh process: its seconds, rows, file size and peak memory (MB)."""
    out = workdir / f"{mode}.{file_format}"
    argv = [sys.executable, __file__, "--child", mode, "--db", args.db, "--rows", str(args.rows),
            "--formats", file_format, "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(argv, env=_env(args.db), stdout=subprocess.PIPE)  # noqa: S603
    stdout = proc.stdout.read() if proc.stdout else b""
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} run failed ({proc.returncode})")
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    out.unlink(missing_ok=True)
    return result


def best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["seconds"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs per figure (best counts)")
    parser.add_argument("--formats", default="xlsx", help="comma-separated: xlsx,csv")
    parser.add_argument("--openpyxl", action="store_true", help="add the openpyxl sample")
    parser.add_argument("--json", action="store_true", dest="as_json")
    parser.add_argument(
        "--child", choices=["export", "baseline", "openpyxl"], help=argparse.SUPPRESS
    )
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        os.environ.update(_env(args.db))
        print(json.dumps(child(args.child, rows=args.rows, file_format=args.formats,
                               out=Path(args.out))))  # fmt: skip
        return 0
    if args.db == "sqlite" and not (OUT / "sqlite-1000000" / "guanxi.sqlite3").exists():
        raise SystemExit("benchmarks/out/sqlite-1000000/ is missing: run benchmarks/customers.py")

    load_before = os.getloadavg()
    figures: list[Figure] = []
    workdir = Path(tempfile.mkdtemp(prefix="gx-export-bench-"))
    try:
        for file_format in args.formats.split(","):
            runs = [measure(args, "export", file_format, workdir) for _ in range(args.repeat)]
            raws = [measure(args, "baseline", file_format, workdir) for _ in range(args.repeat)]
            run, raw = best(runs), best(raws)
            ratio = run["seconds"] / raw["seconds"]
            label = f"{run['rows']:,} customers → .{file_format}"
            note = (
                "runs: "
                + ", ".join(f"{r['seconds']:.1f}" for r in runs)
                + " s; "
                + (f"{run['bytes'] / 1e6:,.0f} MB file")
            )
            figures.append(Figure(f"export {label}", run["seconds"], "s", f"≤ {TARGET_SECONDS} s",
                                  baseline=raw["seconds"], baseline_label="bare SQL + same writer",
                                  ratio=ratio, met=run["seconds"] <= TARGET_SECONDS, note=note))  # fmt: skip
            peak = max(r["peak_mb"] for r in runs)
            figures.append(Figure(f"peak memory, {label}", peak, "MB", f"< {TARGET_MEMORY_MB} MB",
                                  baseline=max(r["peak_mb"] for r in raws),
                                  baseline_label="bare SQL + same writer",
                                  ratio=peak / max(r["peak_mb"] for r in raws),
                                  met=peak < TARGET_MEMORY_MB))  # fmt: skip
        if args.openpyxl:
            sample = measure(args, "openpyxl", "xlsx", workdir)
            scaled = sample["seconds"] * args.rows / max(1, sample["rows"])
            figures.append(Figure("openpyxl write-only, scaled to the same rows", scaled, "s",
                                  "— (why our own writer)", note=f"{sample['rows']:,}-row sample: "
                                  f"{sample['seconds']:.1f} s"))  # fmt: skip
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    # The machine is shared: the load average says how much of it the figures had.
    load = f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    meta = {"benchmark": "exports", "db": args.db, "rows": args.rows, "cpus": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d", time.gmtime()), "load_average_1min": load}  # fmt: skip
    if not args.as_json:
        print(f"\nexports benchmark — {args.db}, {args.rows:,} customers, {meta['cpus']} cores, "
              f"{meta['date']}, load average {load}\n")  # fmt: skip
    print_table(figures, as_json=args.as_json, meta=meta)
    return 0 if all(f.met is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
