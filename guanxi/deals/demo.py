"""Demo deals and orders for the demo customers (guanxi/demo/seeding.py calls this), so a fresh
installation's board and purchase histories are not empty. Deterministic per seed; written as
plain rows in chunks (demo.bulk.RowWriter), like the rest of the demo."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from guanxi.activity.models import ActivityEvent, Source, Verb
from guanxi.customers.bulk import allocate_ids
from guanxi.customers.models import Customer
from guanxi.deals.models import Deal, DealStage, Order
from guanxi.deals.services import COOPERATION_FIELD, COOPERATION_WON
from guanxi.demo.bulk import RowWriter, columns

DEAL_SHARE = 0.08  # of the customers have a deal …
MAX_DEALS = 3000  # … but the board of a million-customer demo stays readable
ORDER_SHARE = 0.35  # of the customers have bought before
CHUNK = 5000
STAGE_WEIGHTS = {"initial": 30, "needs": 25, "proposal": 20, "negotiation": 12, "won": 8, "lost": 5}
PRODUCTS = ["智能门锁", "门禁系统", "考勤终端", "会议平板", "办公软件许可", "网络交换机", "监控摄像头",
            "年度维保服务", "ERP 升级", "服务器"]  # fmt: skip
DEAL_TITLES = ["%s采购", "%s项目", "%s改造", "%s续约", "%s扩容"]
LOST_REASONS = ["价格偏高", "选择了竞品", "预算取消", "项目延期", "需求变更"]
NEXT_STEPS = ["发送正式报价", "安排技术交流", "约见决策人", "寄送样品", "准备合同", "确认预算"]
ORDER_STATUS_WEIGHTS = {"completed": 60, "paid": 15, "shipped": 10, "pending": 5, "cancelled": 6,
                        "refunded": 4}  # fmt: skip

DEAL_COLUMNS = [
    "created_at", "updated_at", "customer", "title", "amount", "stage", "probability",
    "expected_close_date", "owner", "next_step", "next_step_date", "notes", "closed_on",
    "close_reason", "stage_changed_at", "created_by",
]  # fmt: skip
ORDER_COLUMNS = [
    "created_at", "updated_at", "customer", "source", "external_id", "number", "ordered_at",
    "amount", "currency", "status", "items_summary",
]  # fmt: skip


def seed_deals_and_orders(
    *, seed: int, now: dt.datetime, today: dt.date, from_customer: int, fallback_owner: int
) -> dict[str, int]:
    """Deals and orders for the customers with an id ≥ `from_customer` (this load's)."""
    rng = random.Random(seed * 7 + 6)
    stages = {s.code: s for s in DealStage.objects.filter(code__in=STAGE_WEIGHTS)}
    codes = [c for c in STAGE_WEIGHTS if c in stages]
    weights = [STAGE_WEIGHTS[c] for c in codes]
    statuses, status_weights = list(ORDER_STATUS_WEIGHTS), list(ORDER_STATUS_WEIGHTS.values())
    writer = RowWriter()
    ts = writer.timestamp
    counts = {"deals": 0, "orders": 0}
    won: list[int] = []
    customers = Customer.objects.filter(pk__gte=from_customer).order_by("pk")
    last = from_customer - 1
    while True:
        batch = list(customers.filter(pk__gt=last).values_list("pk", "owner_id")[:CHUNK])
        if not batch:
            break
        last = batch[-1][0]
        deals, activity, orders = [], [], []
        for customer_id, owner_id in batch:
            if codes and counts["deals"] + len(deals) < MAX_DEALS and rng.random() < DEAL_SHARE:
                stage = stages[rng.choices(codes, weights)[0]]
                created = now - dt.timedelta(days=rng.randint(1, 120), minutes=rng.randint(0, 600))
                product = rng.choice(PRODUCTS)
                title = rng.choice(DEAL_TITLES) % product
                closed = stage.kind != "open"
                closed_on = today - dt.timedelta(days=rng.randint(0, 60)) if closed else None
                deals.append((
                    ts(created), ts(created), customer_id, title,
                    Decimal(rng.randint(50, 5000) * 100), stage.pk, stage.probability,
                    (today + dt.timedelta(days=rng.randint(-15, 90))).isoformat(),
                    owner_id or fallback_owner, "" if closed else rng.choice(NEXT_STEPS),
                    None if closed else (today + dt.timedelta(days=rng.randint(1, 14))).isoformat(),
                    f"{product} ×{rng.randint(1, 50)}", closed_on.isoformat() if closed_on else None,
                    rng.choice(LOST_REASONS) if stage.kind == "lost" else "", ts(created), None,
                ))  # fmt: skip
                activity.append((customer_id, title, ts(created), owner_id))
                if stage.kind == "won":
                    won.append(customer_id)
            if rng.random() < ORDER_SHARE:
                for n in range(rng.randint(1, 4)):
                    at = now - dt.timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 1440))
                    number = f"SO{at:%Y%m%d}{customer_id:06d}{n}"
                    orders.append((
                        ts(now), ts(now), customer_id, rng.choice(["shop", "erp"]),
                        f"DEMO-{customer_id}-{n}", number, ts(at),
                        Decimal(rng.randint(99, 20000)), "CNY",
                        rng.choices(statuses, status_weights)[0],
                        f"{rng.choice(PRODUCTS)} ×{rng.randint(1, 5)}",
                    ))  # fmt: skip
        ids = allocate_ids(Deal, len(deals))
        deals = [(pk, *row) for pk, row in zip(ids, deals, strict=True)]
        writer.insert(Deal._meta.db_table, columns(Deal, ["id", *DEAL_COLUMNS]), deals)
        writer.insert(Order._meta.db_table, columns(Order, ORDER_COLUMNS), orders)
        writer.insert(
            ActivityEvent._meta.db_table,
            columns(ActivityEvent, _ACTIVITY_COLUMNS),
            [
                (at, owner, Verb.CREATED.value, Source.SYSTEM.value, "deals.deal", pk,
                 title[:200], customer_id, "{}", "")
                for pk, (customer_id, title, at, owner) in zip(ids, activity, strict=True)
            ],
        )  # fmt: skip
        counts["deals"] += len(deals)
        counts["orders"] += len(orders)
    if won:  # demo customers have no custom fields of their own
        Customer.objects.filter(pk__in=won).update(
            custom_fields={COOPERATION_FIELD: COOPERATION_WON}
        )
    return counts


_ACTIVITY_COLUMNS = [
    "occurred_at", "actor", "verb", "source", "target_type", "target_id", "target_repr",
    "customer", "changes", "summary",
]  # fmt: skip
