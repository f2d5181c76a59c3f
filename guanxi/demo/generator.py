"""Rows of demo customers with their contacts, tags, follow-ups and timeline, chunk by chunk
from one random stream: the same seed, the same data (see seeding.py for the whole load)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from itertools import accumulate

from django.utils import timezone
from django.utils.translation import override

from guanxi.accounts.models import User
from guanxi.activity.models import ActivityEvent, Source, Verb
from guanxi.core.names import company_name_key
from guanxi.core.pinyin import pinyin_keys
from guanxi.customers.models import Contact, Customer, CustomerCodeSequence, Industry, Level
from guanxi.demo import catalog
from guanxi.demo.bulk import RowWriter, columns
from guanxi.followups.models import Channel, FollowUp

HISTORY_DAYS = 730
PINYIN_CACHE_SIZE = 200_000
SILENT_AFTER = dt.timedelta(days=90)
ACTIVE_WITHIN = dt.timedelta(days=14)

# Who owns the customers: a supervisor carries fewer accounts than a salesperson.
OWNER_WEIGHTS = {"zhangwei": 2, "lina": 4, "wangfang": 4}
UNOWNED_SHARE = 0.02  # the "public pool" (公海): customers waiting for an owner
FOLLOWUP_COUNT_WEIGHTS = [8, 12, 18, 22, 18, 12, 10]  # 0..6 per customer, ≈3 on average
CONTACT_COUNT_WEIGHTS = [50, 30, 20]  # 1..3 per customer

EXTRA_PREFIXES = [
    "华泰", "宏达", "鑫源", "恒信", "博远", "瑞丰", "金桥", "盛世", "中联", "天成",
    "新科", "汇通", "永安", "联创", "东方", "安信", "嘉禾", "众诚", "远航", "立信",
]  # fmt: skip


def _weighted(weights: dict[str, int]) -> tuple[list[str], list[int]]:
    return list(weights), list(accumulate(weights.values()))


@dataclass
class Owner:
    user_id: int | None
    team_id: int | None
    department_id: int | None
    customers: list[tuple[int, str]] = field(default_factory=list)  # a few, for tasks


class Generator:
    """Produces chunks of rows from one random stream: the same seed, the same data."""

    def __init__(
        self,
        *,
        seed: int,
        now: dt.datetime,
        total: int,
        users: dict[str, User],
        tags: dict[str, int],
    ) -> None:
        from faker import Faker

        self.rng = random.Random(seed)
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        # Faker is slow per call (~25 µs): draw pools once, then pick with the fast rng.
        self.person_names = [fake.name() for _ in range(3000)]
        self.streets = [fake.street_address() for _ in range(2000)]
        self.prefixes = sorted({*(fake.company_prefix() for _ in range(500)), *EXTRA_PREFIXES})
        self.now = now.astimezone(dt.UTC)
        self.now_ts = self.now.timestamp()
        self.start_ts = self.now_ts - HISTORY_DAYS * 86400
        self.span = HISTORY_DAYS * 86400 - 3600
        self.total = max(total, 1)
        self.tz = timezone.get_default_timezone()
        self.today = timezone.localdate(now)
        self.tags = tags
        self.industries = dict(Industry.objects.values_list("code", "pk"))
        self.levels = dict(Level.objects.values_list("code", "pk"))
        self.owners: dict[str, Owner] = {
            name: Owner(users[name].pk, users[name].team_id, users[name].department_id)
            for name in OWNER_WEIGHTS
        }
        self.fallback_author = users["zhangwei"].pk
        self.users = users
        self.writer = RowWriter()
        self.next_customer = self.writer.next_id(Customer)
        self.next_contact = self.writer.next_id(Contact)
        self.next_followup = self.writer.next_id(FollowUp)
        self.day_last = dict(CustomerCodeSequence.objects.values_list("day", "last"))
        self.pinyin: dict[str, tuple[str, str]] = {}
        with override("zh-hans"):
            self.channel_labels = {c.value: str(c.label) for c in Channel}
        self.counts = dict.fromkeys(["customers", "contacts", "followups", "activity", "tags"], 0)
        self.owner_names, self.owner_cum = _weighted(OWNER_WEIGHTS)
        self.industry_codes, self.industry_cum = _weighted(catalog.INDUSTRY_WEIGHTS)
        self.provinces, self.province_cum = _weighted(catalog.PROVINCE_WEIGHTS)
        self.sources, self.source_cum = _weighted(catalog.SOURCE_WEIGHTS)
        self.intents, self.intent_cum = _weighted(catalog.INTENT_WEIGHTS)
        self.stages, self.stage_cum = _weighted(catalog.STAGE_WEIGHTS)
        self.level_codes, self.level_cum = _weighted(catalog.LEVEL_WEIGHTS)
        self.channels, self.channel_cum = _weighted(catalog.FOLLOWUP_CHANNEL_WEIGHTS)
        self.followup_cum = list(accumulate(FOLLOWUP_COUNT_WEIGHTS))
        self.contact_cum = list(accumulate(CONTACT_COUNT_WEIGHTS))
        self.cities_by_province: dict[str, list[tuple[str, list[str]]]] = {
            province: list(cities.items()) for province, cities in catalog.REGIONS.items()
        }

    def _keys(self, text: str) -> tuple[str, str]:
        keys = self.pinyin.get(text)
        if keys is None:
            if len(self.pinyin) >= PINYIN_CACHE_SIZE:  # bounded memory at 1M distinct names
                self.pinyin.clear()
            keys = self.pinyin[text] = pinyin_keys(text)
        return keys

    def _name(self, kind: str, city: str, industry: str) -> tuple[str, str, str]:
        """A name and its pinyin keys, computed on the whole name as the services do: keys
        joined from parts would read polyphones differently (群英模具: mo, not mu)."""
        rng = self.rng
        if kind == "individual":
            name = rng.choice(self.person_names)
        else:
            name = "".join(
                (
                    city.removesuffix("市"),
                    rng.choice(self.prefixes),
                    rng.choice(catalog.TRADES[industry]),
                    rng.choice(catalog.COMPANY_SUFFIXES),
                )
            )
        return (name, *self._keys(name))

    def _code(self, created: dt.datetime) -> tuple[str, dt.date]:
        day = created.astimezone(self.tz).date()
        last = self.day_last.get(day, 0) + 1
        self.day_last[day] = last
        return f"C{day:%Y%m%d}{last:03d}", day

    def write_chunk(self, *, start: int, count: int) -> None:
        rng = self.rng
        ts = self.writer.timestamp
        utc = dt.UTC
        customer_rows: list[tuple] = []
        contact_rows: list[tuple] = []
        followup_rows: list[tuple] = []
        activity_rows: list[tuple] = []
        tag_rows: list[tuple] = []
        days: set[dt.date] = set()
        tag_pool = ["重点客户", "价格敏感", "老客户转介绍", "大客户", "待回访"]
        for index in range(start, start + count):
            cid = self.next_customer
            self.next_customer += 1
            created_ts = self.start_ts + self.span * (index + rng.random()) / self.total
            created = dt.datetime.fromtimestamp(created_ts, utc)
            code, day = self._code(created)
            days.add(day)
            kind = "individual" if rng.random() < 0.15 else "company"
            industry = rng.choices(self.industry_codes, cum_weights=self.industry_cum)[0]
            province = rng.choices(self.provinces, cum_weights=self.province_cum)[0]
            city, districts = rng.choice(self.cities_by_province[province])
            district = rng.choice(districts)
            name, name_pinyin, name_initials = self._name(kind, city, industry)
            source = rng.choices(self.sources, cum_weights=self.source_cum)[0]
            if rng.random() < UNOWNED_SHARE:
                owner = Owner(None, None, None)
            else:
                owner = self.owners[rng.choices(self.owner_names, cum_weights=self.owner_cum)[0]]
            # Follow-ups: uniform between creation and now, oldest first.
            n_followups = rng.choices(range(7), cum_weights=self.followup_cum)[0]
            times = sorted(rng.uniform(created_ts, self.now_ts) for _ in range(n_followups))
            last_ts = times[-1] if times else None
            reference = last_ts or created_ts
            tags: list[str] = []
            if self.now_ts - reference > SILENT_AFTER.total_seconds():
                level = "silent"
                if rng.random() < 0.7:
                    tags.append(catalog.DORMANT_TAG)
            else:
                level = rng.choices(self.level_codes, cum_weights=self.level_cum)[0]
                if n_followups >= 3 and self.now_ts - reference < ACTIVE_WITHIN.total_seconds():
                    tags.append(catalog.ACTIVE_TAG)
            if source == "exhibition" and rng.random() < 0.6:
                tags.append(catalog.EXHIBITION_TAG)
            for tag in rng.sample(tag_pool, rng.choices((0, 1, 2), cum_weights=(45, 85, 100))[0]):
                tags.append(tag)
            stage = rng.choices(self.stages, cum_weights=self.stage_cum)[0]
            demand = "；".join(rng.sample(catalog.DEMANDS, rng.randint(1, 2)))
            if rng.random() < 0.3:
                demand = ""
            close = None
            if rng.random() < 0.6:
                close = (self.today + dt.timedelta(days=rng.randint(-30, 180))).isoformat()
            birthday = None
            if kind == "individual" and rng.random() < 0.5:
                birthday = dt.date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28))
            anniversary = day.isoformat() if stage == "repeat" else None
            created_text = ts(created)
            last_contact = ts(dt.datetime.fromtimestamp(last_ts, utc)) if last_ts else None
            customer_rows.append(
                (
                    cid, code, kind, name, name_pinyin, name_initials, company_name_key(name),
                    self.industries[industry], province, city, district,
                    district + rng.choice(self.streets), source, self.levels[level],
                    rng.choices(self.intents, cum_weights=self.intent_cum)[0], stage, demand,
                    close, owner.user_id, owner.team_id, owner.department_id,
                    birthday.isoformat() if birthday else None, anniversary, "",
                    last_contact, "{}", "", "", 1, owner.user_id, created_text,
                    last_contact or created_text,
                )
            )  # fmt: skip
            if owner.user_id is not None and len(owner.customers) < 12:
                owner.customers.append((cid, name))
            for tag in dict.fromkeys(tags):
                tag_rows.append((cid, self.tags[tag]))
            activity_rows.append(
                (
                    created_text, owner.user_id, Verb.CREATED.value, Source.SYSTEM.value,
                    "customers.customer", cid, name[:200], cid, "{}", "",
                )
            )  # fmt: skip
            primary_contact = self._contacts(cid, kind, name, created_text, contact_rows)
            author = owner.user_id or self.fallback_author
            for n, at_ts in enumerate(times):
                fid = self.next_followup
                self.next_followup += 1
                at = dt.datetime.fromtimestamp(at_ts, utc)
                at_text = ts(at)
                channel = rng.choices(self.channels, cum_weights=self.channel_cum)[0]
                content = rng.choice(catalog.FOLLOWUP_CONTENTS)
                next_at = None
                if n == n_followups - 1 and rng.random() < 0.3:
                    next_at = ts(at + dt.timedelta(days=rng.randint(2, 14)))
                followup_rows.append(
                    (
                        fid, cid, primary_contact, author, at_text, channel, content,
                        rng.choice(catalog.FOLLOWUP_FEEDBACK), rng.choice(catalog.NEXT_STEPS),
                        next_at, at_text,
                    )
                )  # fmt: skip
                local_day = at.astimezone(self.tz).date()
                activity_rows.append(
                    (
                        at_text, author, Verb.FOLLOWED_UP.value, Source.SYSTEM.value,
                        "followups.followup", fid, f"{name} {local_day:%Y-%m-%d}"[:200], cid,
                        "{}", f"[{self.channel_labels[channel]}] {content}"[:500],
                    )
                )  # fmt: skip
        self._write(customer_rows, contact_rows, followup_rows, activity_rows, tag_rows, days)

    def _contacts(
        self, cid: int, kind: str, name: str, created_text: str, rows: list[tuple]
    ) -> int:
        """1–3 contacts (an individual is their own contact); returns the primary's id."""
        rng = self.rng
        count = (
            1 if kind == "individual" else rng.choices((1, 2, 3), cum_weights=self.contact_cum)[0]
        )
        first = self.next_contact
        for n in range(count):
            contact_name = name if kind == "individual" else rng.choice(self.person_names)
            romanized = self._keys(contact_name)[0]
            phone = f"+86{rng.choice(catalog.MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
            email = ""
            if rng.random() < 0.7:
                email = f"{romanized}{rng.randint(1, 9999)}@{rng.choice(catalog.EMAIL_DOMAINS)}"
            wechat = f"{romanized}_{rng.randint(10, 999)}" if rng.random() < 0.4 else ""
            title = "" if kind == "individual" else rng.choice(catalog.CONTACT_TITLES)
            role = "decision_maker" if n == 0 else rng.choice(catalog.DECISION_ROLES[1:])
            rows.append(
                (
                    self.next_contact, cid, contact_name, title, phone, "", email, wechat,
                    None, role, n == 0, "", created_text, created_text,
                )
            )  # fmt: skip
            self.next_contact += 1
        return first

    def _write(
        self,
        customer_rows: list[tuple],
        contact_rows: list[tuple],
        followup_rows: list[tuple],
        activity_rows: list[tuple],
        tag_rows: list[tuple],
        days: set[dt.date],
    ) -> None:
        write = self.writer.insert
        write(Customer._meta.db_table, columns(Customer, CUSTOMER_COLUMNS), customer_rows)
        write(Contact._meta.db_table, columns(Contact, CONTACT_COLUMNS), contact_rows)
        write(FollowUp._meta.db_table, columns(FollowUp, FOLLOWUP_COLUMNS), followup_rows)
        write(ActivityEvent._meta.db_table, columns(ActivityEvent, ACTIVITY_COLUMNS), activity_rows)
        through = Customer.tags.through
        write(through._meta.db_table, columns(through, ["customer", "tag"]), tag_rows)
        self.writer.reset_sequences(Customer, Contact, FollowUp)
        # Advance each day's sequence to the last code used, in the same transaction.
        for day in sorted(days):
            last = self.day_last[day]
            if not CustomerCodeSequence.objects.filter(day=day, last__lt=last).update(last=last):
                CustomerCodeSequence.objects.get_or_create(day=day, defaults={"last": last})
        self.counts["customers"] += len(customer_rows)
        self.counts["contacts"] += len(contact_rows)
        self.counts["followups"] += len(followup_rows)
        self.counts["activity"] += len(activity_rows)
        self.counts["tags"] += len(tag_rows)


CUSTOMER_COLUMNS = [
    "id", "code", "kind", "name", "name_pinyin", "name_initials", "name_key", "industry", "province",
    "city", "district", "address", "source", "level", "intent", "stage", "demand",
    "expected_close_date", "owner", "team", "department", "birthday", "anniversary", "remarks",
    "last_contact_at", "custom_fields", "external_source", "external_id", "version",
    "created_by", "created_at", "updated_at",
]  # fmt: skip
CONTACT_COLUMNS = [
    "id", "customer", "name", "title", "phone", "phone_alt", "email", "wechat", "birthday",
    "decision_role", "is_primary", "remarks", "created_at", "updated_at",
]  # fmt: skip
FOLLOWUP_COLUMNS = [
    "id", "customer", "contact", "author", "occurred_at", "channel", "content", "feedback",
    "next_step", "next_followup_at", "created_at",
]  # fmt: skip
ACTIVITY_COLUMNS = [
    "occurred_at", "actor", "verb", "source", "target_type", "target_id", "target_repr",
    "customer", "changes", "summary",
]  # fmt: skip
