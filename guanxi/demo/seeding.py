"""Demo data: six users over two teams, and N customers with contacts, tags, follow-ups,
open tasks and a timeline — deterministic for a seed, and fast enough for 1M customers.

`guanxi run` calls `seed_demo()` when `database_is_empty()`; benchmarks call it with
`customers=1_000_000`. Customers are generated in chunks (bounded memory) and written as
plain rows (see bulk.py); each chunk is its own transaction, and the code sequence of every
day it used is advanced in that same transaction, so a later `customer_create` can never
hand out a code the demo already used — even if the load is interrupted.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from guanxi.accounts.models import Department, Role, Team, User
from guanxi.activity.models import ActivityEvent
from guanxi.core import clock
from guanxi.core.maintenance import database_statistics_refresh
from guanxi.customers.models import Contact, Customer
from guanxi.customers.services import tags_get_or_create
from guanxi.deals.demo import seed_deals_and_orders
from guanxi.demo import catalog
from guanxi.demo.bulk import fast_load
from guanxi.demo.generator import Generator
from guanxi.followups.models import FollowUp, Task, TaskPriority, TaskSource

DEMO_PASSWORD = "Guanxi-Demo-2024"
CHUNK = 5000
# Above this size the load relaxes durability (synchronous=OFF / synchronous_commit=off).
FAST_LOAD_FROM = 20_000
# (team name, department name)
TEAMS = {"east": ("华东销售一组", "华东销售部"), "south": ("华南销售组", "华南销售部")}


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    team: str | None = None


DEMO_USERS = [
    DemoUser("zhangwei", "张伟", "supervisor", "east"),
    DemoUser("lina", "李娜", "sales", "east"),
    DemoUser("wangfang", "王芳", "sales", "south"),
    DemoUser("liuyang", "刘洋", "service"),
    DemoUser("chenjing", "陈静", "marketing"),
    DemoUser("yangli", "杨丽", "finance"),
]


def database_is_empty() -> bool:
    """True when there is no customer yet: `guanxi run` then loads the demo."""
    return not Customer.objects.exists()


def seed_demo(
    *,
    customers: int = 300,
    seed: int = 2024,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Create the demo users (idempotent) and `customers` customers with their history."""
    started = time.perf_counter()
    with transaction.atomic():
        users = _ensure_users()
        tag_ids = {t.name: t.pk for t in tags_get_or_create(names=catalog.TAGS)}
    generator = Generator(seed=seed, now=clock.now(), total=customers, users=users, tags=tag_ids)
    first_customer = generator.next_customer
    # Deferring indexes is only safe on tables nobody uses yet: a fresh database.
    big = customers >= FAST_LOAD_FROM and database_is_empty()
    tables = [
        m._meta.db_table
        for m in (Customer, Contact, FollowUp, ActivityEvent, Customer.tags.through)
    ]
    with fast_load(enabled=big, tables=tables):
        done = 0
        while done < customers:
            count = min(CHUNK, customers - done)
            with transaction.atomic():
                generator.write_chunk(start=done, count=count)
            done += count
            if progress is not None:
                progress(done, customers)
        with transaction.atomic():
            tasks = _create_tasks(generator)
        with transaction.atomic():  # the deal board and purchase histories (guanxi/deals)
            sales = seed_deals_and_orders(
                seed=seed, now=clock.now(), today=clock.today(), from_customer=first_customer,
                fallback_owner=users["zhangwei"].pk,
            )  # fmt: skip
    # The planner needs statistics for the tables just filled (see core.maintenance).
    database_statistics_refresh()
    counts = generator.counts
    return {
        "seed": seed,
        "customers": counts["customers"],
        "contacts": counts["contacts"],
        "followups": counts["followups"],
        "activity": counts["activity"],
        "tags": counts["tags"],
        "tasks": tasks,
        "deals": sales["deals"],
        "orders": sales["orders"],
        "users": [u.username for u in DEMO_USERS],
        "password": DEMO_PASSWORD,
        "seconds": round(time.perf_counter() - started, 2),
    }


# --- users -----------------------------------------------------------------------------


def _ensure_users() -> dict[str, User]:
    """The six demo users and their teams; existing rows (and passwords) are left as they are."""
    teams: dict[str, Team] = {}
    for key, (team_name, department_name) in TEAMS.items():
        department, _ = Department.objects.get_or_create(name=department_name)
        teams[key], _ = Team.objects.get_or_create(
            name=team_name, defaults={"department": department}
        )
    roles = {r.slug: r for r in Role.objects.all()}
    users: dict[str, User] = {}
    for spec in DEMO_USERS:
        team = teams[spec.team] if spec.team else None
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            role = roles[spec.role]
            user = User(
                username=spec.username,
                display_name=spec.display_name,
                email=f"{spec.username}@example.com",
                role=role,
                team=team,
                department=team.department if team else None,
                data_scope=role.default_scope,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        users[spec.username] = user
    leader = users["zhangwei"]
    Team.objects.filter(pk=teams["east"].pk, leader__isnull=True).update(leader=leader)
    return users


# --- tasks -----------------------------------------------------------------------------


def _create_tasks(generator: Generator) -> int:
    """Open tasks for the demo users: overdue, due today and upcoming, so "My tasks" has all
    three sections filled."""
    rng = generator.rng
    now = clock.now()
    today_start = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time(9)))
    tasks: list[Task] = []
    for username, owner in generator.owners.items():
        user_id = generator.users[username].pk
        for n, (customer_id, customer_name) in enumerate(owner.customers[:10]):
            if n < 3:
                due = now - dt.timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6))
            elif n < 6:
                due = today_start + dt.timedelta(hours=rng.randint(0, 9))
            else:
                due = now + dt.timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 6))
            title = rng.choice(catalog.TASK_TITLES) % {"customer": customer_name}
            tasks.append(
                Task(
                    title=title[:200],
                    customer_id=customer_id,
                    assignee_id=user_id,
                    created_by_id=user_id,
                    due_at=due,
                    priority=rng.choice(list(TaskPriority)),
                    source=TaskSource.MANUAL,
                    remind_at=due - dt.timedelta(hours=1),
                    # Reminders for tasks already overdue were sent "back then".
                    reminded_at=due - dt.timedelta(hours=1) if due < now else None,
                    idempotency_key=f"demo:{customer_id}:{n}",
                )
            )
    service = generator.users["liuyang"]
    for n, title in enumerate(["整理本周投诉回访记录", "满意度回访：上周已解决工单"]):
        due = today_start + dt.timedelta(hours=8 + n)
        tasks.append(
            Task(
                title=title,
                assignee_id=service.pk,
                created_by_id=service.pk,
                due_at=due,
                remind_at=due - dt.timedelta(hours=1),
                idempotency_key=f"demo:{service.pk}:{generator.next_customer}:{n}",
            )
        )
    created = Task.objects.bulk_create(tasks, ignore_conflicts=True)
    return len(created)
