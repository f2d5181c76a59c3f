"""Email throughput of one worker to a local SMTP server, rendering included.

    .venv/bin/python benchmarks/messaging.py [--db sqlite|postgres] [--count 3000]

On a throwaway database (SQLite under benchmarks/out/messaging-sqlite, or the PostgreSQL
database gx_messaging_bench, both recreated each run) with `count` customers, each with a
primary contact, and a marketing email template (HTML with three links, variables):

- SMTP server: aiosmtpd's Sink handler in its own process on 127.0.0.1 (it accepts and
  drops), so the server does not share the sender's interpreter;
- baseline: raw `smtplib` on one connection sending the same messages, rendered and
  turned into bytes beforehand (not timed);
- figure: `messages_queue_many` for every customer (what an automation step calls) (render, tracked links, consent and cap
  checks, the row and its audit row) and then `deliver_due` (one worker, one SMTP
  connection per batch, the in-flight mark and the outcome recorded per message).
Targets: ≥ 300 messages/s, and within 3× of the baseline. Exit status 1 when missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import OUT, Figure, print_table  # noqa: E402

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "gx_messaging_bench"
TARGET = 300
MAX_RATIO = 3.0

HTML = """<html><body>
<p>{{ contact.salutation }}您好，</p>
<p>感谢{{ customer.name }}一直以来的支持。我们为{{ customer.city }}的客户准备了新版产品介绍，
欢迎查看<a href="https://example.com/products/2026">产品手册</a>与
<a href="https://example.com/cases">客户案例</a>。</p>
<p>如需演示，请联系您的客户经理{{ owner.name }}（{{ owner.phone }}），或
<a href="https://example.com/demo">在线预约</a>。</p>
<p>{{ company.name }}</p>
<p style="font-size:12px">不想再收到此类邮件？<a href="{{ unsubscribe_url }}">退订</a></p>
</body></html>"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(db: str, port: int) -> None:
    os.environ.update({"GUANXI_DEMO": "0", "GUANXI_SECRET_KEY": "bench-messaging-" + "x" * 40})
    target = OUT / f"messaging-{db}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    os.environ["GUANXI_DATA_DIR"] = str(target)
    os.environ["GUANXI_EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ["GUANXI_EMAIL_FROM"] = "关系软件 <news@crm.example.com>"
    os.environ["GUANXI_PUBLIC_URL"] = "https://crm.example.com"
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DB}"')
        os.environ["GUANXI_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "guanxi.settings"


def _start_sink(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the aiosmtpd sink did not start")


def _seed(count: int):
    from guanxi.accounts.models import User
    from guanxi.core import clock
    from guanxi.customers.models import Contact, Customer
    from guanxi.messaging.models import MessageTemplate, MessagingSettings, TemplateVersion

    owner = User.objects.create(username="owner", display_name="李明", phone="13800138000")
    Customer.objects.bulk_create(
        Customer(code=f"B{n:07d}", name=f"华兴科技{n}号有限公司", city="深圳市", owner=owner)
        for n in range(count)
    )
    Contact.objects.bulk_create(
        Contact(customer_id=pk, name=f"王芳{n}", email=f"buyer{n}@example.com", is_primary=True)
        for n, pk in enumerate(Customer.objects.order_by("pk").values_list("pk", flat=True))
    )
    # A run at night must not wait for the morning: quiet hours are not what is measured.
    MessagingSettings.objects.update_or_create(
        pk=1, defaults={"quiet_for_marketing_email": False, "company_name": "关系软件"}
    )
    now = clock.now()
    template = MessageTemplate.objects.create(
        key="product-intro-bench", name="产品介绍", channel="email", category="marketing",
        created_at=now, updated_at=now,
    )  # fmt: skip
    version = TemplateVersion.objects.create(
        template=template, number=1, subject="{{ customer.name }}：2026 新版产品介绍",
        html_body=HTML, created_at=now,
    )  # fmt: skip
    template.current_version = version
    template.save()
    return template


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    port = _free_port()
    _prepare(args.db, port)
    sink = _start_sink(port)
    try:
        return _run(args)
    finally:
        sink.kill()


def _run(args) -> int:
    import smtplib

    import django

    django.setup()
    from django.core.management import call_command

    from guanxi.customers.models import Customer
    from guanxi.messaging.channels.email import mime_bytes
    from guanxi.messaging.delivery import deliver_due
    from guanxi.messaging.models import Message, MessageStatus
    from guanxi.messaging.sending import message_queue
    from guanxi.messaging.sending_many import messages_queue_many

    call_command("migrate", verbosity=0)
    template = _seed(args.count)
    customers = list(Customer.objects.select_related("owner").order_by("pk"))
    from django.conf import settings

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}

    # Baseline material: the same messages, rendered and serialised before timing.
    warm = [
        message_queue(actor=None, channel="email", customer=c, template=template,
                      idempotency_key=f"warm:{c.pk}")
        for c in customers
    ]  # fmt: skip
    payloads = [(m.recipient, mime_bytes(m)) for m in warm]
    Message.objects.all().delete()
    started = time.perf_counter()
    smtp = smtplib.SMTP("127.0.0.1", int(settings.GUANXI_EMAIL_URL.rsplit(":", 1)[1]))
    for recipient, data in payloads:
        smtp.sendmail("news@crm.example.com", [recipient], data)
    smtp.quit()
    base_s = time.perf_counter() - started

    started = time.perf_counter()
    messages_queue_many(channel="email", template=template, customers=customers,
                        idempotency_key=lambda c: f"intro:{c.pk}")  # fmt: skip
    queued_s = time.perf_counter() - started
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        report = profile.runcall(deliver_due, limit=args.count)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    else:
        report = deliver_due(limit=args.count)
    seconds = time.perf_counter() - started
    sent = Message.objects.filter(status=MessageStatus.SENT).count()
    assert report.sent == sent == args.count, (report, sent)

    rate, base_rate = args.count / seconds, args.count / base_s
    ratio = seconds / base_s
    met = rate >= TARGET and ratio <= MAX_RATIO
    figures = [
        Figure("baseline: raw smtplib, pre-rendered, one connection", base_rate, "req/s", "—",
               note=f"{base_s:.2f} s"),
        Figure(f"messages_queue_many + deliver_due, {args.count:,} emails", rate, "req/s",
               f"≥ {TARGET}/s, ≤ {MAX_RATIO:g}×", base_rate, "raw", ratio, met,
               note=f"{seconds:.2f} s (queueing {queued_s:.2f} s, sending "
                    f"{seconds - queued_s:.2f} s)"),
    ]  # fmt: skip
    print_table(figures, as_json=args.json, meta={"area": "messaging", "db": args.db})
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
