"""Condition trees decided twice must agree: `matching()` (one SQL query over all customers)
and `matches()` (Python, one customer at a time from its facts).

The property test draws a random tree over every kind of field of the REGISTRY, a fixed
instant, and 10–20 random customers with their related rows (contacts, tags, follow-ups,
tasks, messages); each example's rows are rolled back before the next one. Exact examples
below pin the operators whose NULL and boundary rules are easy to get wrong.

Strategies are module constants and draw placeholders — a day offset, the n-th user —
that `resolve()` turns into values once the instant and the example's users are known:
strategies built per draw made generating data cost more than the test itself.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from guanxi.accounts.tests.factories import UserFactory
from guanxi.automation.conditions.tree import (
    ConditionError,
    evaluate,
    matches,
    matching,
    validate,
)
from guanxi.customers.models import (
    Customer,
    CustomerSource,
    Industry,
    Intent,
    Kind,
    Level,
    Stage,
    Tag,
)
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.followups.models import FollowUp, Task, TaskStatus
from guanxi.messaging.models import Category, Message, MessageChannel, MessageStatus

# Fixed instants (the installation's zone, Asia/Shanghai): an ordinary morning; late evening
# of 27 February in a year without a 29th; a quarter past midnight on 28 February of a leap
# year, when the UTC day is still the 27th.
NOWS = [
    timezone.make_aware(dt.datetime(2026, 11, 2, 10, 0)),
    timezone.make_aware(dt.datetime(2027, 2, 27, 23, 30)),
    timezone.make_aware(dt.datetime(2028, 2, 28, 0, 15)),
]
# Small alphabets, so "contains" and "eq" hit often: ASCII letters in both cases (SQL folds
# the case of ASCII only on SQLite, and that is what the Python side imitates) and Chinese.
LETTERS = "aAbB张王科"
# Texts as one draw each: every text of one or two letters, and a few longer ones.
TEXTS = [
    *("".join(p) for n in (1, 2) for p in itertools.product(LETTERS, repeat=n)),
    *("aB张", "张王科", "科技b", "bAba", "王aA科B", "AAAB"),
]
TAGS = ["VIP", "沉默客户", "potential", "重点"]
CUSTOM_KEYS = ["size", "region"]
# The seeded codes (customers migration 0003); the `world` fixture checks they exist.
LEVELS = ["potential", "regular", "high_value", "silent"]
INDUSTRIES = ["manufacturing", "retail", "it", "finance", "other"]
TEXT_FIELDS = ["name", "code", "province", "city", "district", "demand", "remarks"]
TEXT_OPS = ["eq", "ne", "in", "not_in", "contains", "not_contains", "empty", "not_empty"]
CHOICE_OPS = ["eq", "ne", "in", "not_in", "empty", "not_empty"]
CHOICES = {
    "kind": Kind.values,
    "intent": Intent.values,
    "stage": Stage.values,
    "source": CustomerSource.values,
}
DATE_FIELDS = [
    "created_at",
    "last_contact_at",
    "last_interaction",
    "expected_close_date",
    "birthday",
    "anniversary",
]
DAYS_OPS = ["older_than_days", "within_last_days", "within_next_days"]
COUNT_FIELDS = {  # field: takes "days"
    "followups": True,
    "open_tasks": False,
    "overdue_tasks": False,
    "messages_sent": True,
    "messages_opened": True,
    "messages_clicked": True,
    "messages_replied": True,
}
COUNT_OPS = ["eq", "ne", "gt", "gte", "lt", "lte"]
LIST_OPS = {"in", "not_in", "has_any", "has_all", "has_none"}
NO_VALUE_OPS = {"empty", "not_empty", "is_true", "is_false"}
# Days that make anniversaries interesting whatever the instant.
FIXED_DAYS = [
    dt.date(2000, 2, 29),
    dt.date(1999, 2, 28),
    dt.date(2001, 3, 1),
    dt.date(1990, 12, 31),
]
# Added to whole days: the exact boundary, a microsecond and a second either side, and hours
# that cross the local or the UTC midnight.
EXTRAS = [
    dt.timedelta(0),
    dt.timedelta(microseconds=1),
    dt.timedelta(microseconds=-1),
    dt.timedelta(seconds=1),
    dt.timedelta(seconds=-1),
    dt.timedelta(hours=5),
    dt.timedelta(hours=-11),
    dt.timedelta(hours=14),
]
USERS = 3  # users in the world; index USERS in a leaf means an id nobody has
_serial = itertools.count()
ON_POSTGRES = "postgresql" in django_settings.DATABASES["default"]["ENGINE"]


# --- placeholders ------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    """`offset` days from the local date of the instant, or a fixed day."""

    offset: int = 0
    fixed: dt.date | None = None

    def at(self, now: dt.datetime) -> dt.date:
        return self.fixed or timezone.localdate(now) + dt.timedelta(days=self.offset)


@dataclass(frozen=True)
class Instant:
    days: int
    extra: dt.timedelta

    def at(self, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(days=self.days) + self.extra


@dataclass(frozen=True)
class Ref:
    """The n-th user (team, department) of the world; n == USERS: an id that does not exist."""

    n: int


@dataclass(frozen=True)
class World:
    """What examples refer to: users (owners, assignees), their teams and departments, and
    the seeded level and industry rows."""

    users: list[int]
    teams: list[int]  # teams[n] / departments[n]: those of the n-th user
    departments: list[int]
    levels: dict[str, int]  # code: pk
    industries: dict[str, int]

    def ref(self, kind: str, ref: Ref | None) -> int | None:
        if ref is None:
            return None
        ids = {"owner": self.users, "team": self.teams, "department": self.departments}[kind]
        return ids[ref.n] if ref.n < len(ids) else 999_999


@pytest.fixture
def world(db) -> World:
    first = UserFactory()
    users = [first, UserFactory(team=first.team), UserFactory()]  # two share a team
    levels = dict(Level.objects.values_list("code", "pk"))
    industries = dict(Industry.objects.values_list("code", "pk"))
    assert set(LEVELS) <= set(levels) and set(INDUSTRIES) <= set(industries)
    return World(
        users=[u.pk for u in users],
        teams=[u.team_id for u in users],
        departments=[u.department_id for u in users],
        levels=levels,
        industries=industries,
    )


def resolve(node: Any, w: World, now: dt.datetime) -> Any:
    """A drawn tree with its placeholders turned into values."""
    if isinstance(node, dict) and "field" not in node:
        return {
            key: [resolve(child, w, now) for child in children] for key, children in node.items()
        }

    def value(v: Any) -> Any:
        if isinstance(v, list):
            return [value(x) for x in v]
        if isinstance(v, Day):
            return v.at(now).isoformat()
        if isinstance(v, Ref):
            return str(w.ref(node["field"], v))
        return v

    return {**node, "value": value(node["value"])} if "value" in node else node


# --- strategies: condition trees -------------------------------------------------------

texts = st.sampled_from(TEXTS)
days_offsets = st.one_of(
    st.sampled_from([0, 1, -1, 7, -7, 30, -30, 90, -90, 365, -365]), st.integers(-400, 400)
)
days = st.one_of(
    st.builds(Day, days_offsets), st.builds(Day, st.just(0), st.sampled_from(FIXED_DAYS))
)
instants = st.builds(Instant, days_offsets, st.sampled_from(EXTRAS))
n_days = st.one_of(st.sampled_from([0, 1, 7, 30, 90, 365]), st.integers(0, 400))
refs = st.builds(Ref, st.integers(0, USERS))


def valued(field: str | st.SearchStrategy, ops: list[str], value: st.SearchStrategy):
    """Leaves of `field` with an operator of `ops` and a value of the shape it takes."""
    fields = field if isinstance(field, st.SearchStrategy) else st.just(field)

    def leaf(name: str, op: str, one: Any, many: list) -> dict:
        if op in NO_VALUE_OPS:
            return {"field": name, "op": op}
        return {"field": name, "op": op, "value": many if op in LIST_OPS else one}

    return st.builds(
        leaf, fields, st.sampled_from(ops), value, st.lists(value, min_size=1, max_size=3)
    )


def _count_leaf(field: str, op: str, value: int, days: int | None) -> dict:
    leaf = {"field": field, "op": op, "value": value}
    return {**leaf, "days": days} if days and COUNT_FIELDS[field] else leaf


date_fields = st.sampled_from(DATE_FIELDS)
leaves = st.one_of(
    valued(st.sampled_from(TEXT_FIELDS), TEXT_OPS, texts),
    *(
        valued(name, CHOICE_OPS, st.sampled_from([*vs, "none-such"]))
        for name, vs in CHOICES.items()
    ),
    valued("level", CHOICE_OPS, st.sampled_from([*LEVELS, "none-such"])),
    valued("industry", CHOICE_OPS, st.sampled_from([*INDUSTRIES, "none-such"])),
    valued(st.sampled_from(["owner", "team", "department"]), CHOICE_OPS, refs),
    # Dates have the most boundaries: four of the branches.
    valued(date_fields, ["before", "after", "on"], days),
    valued(date_fields, DAYS_OPS, n_days),
    valued(date_fields, ["anniversary_in_days"], st.integers(0, 3) | st.integers(0, 366)),
    valued(date_fields, ["empty", "not_empty"], st.none()),
    valued("tags", ["has_any", "has_all", "has_none"], st.sampled_from([*TAGS, "无此标签"])),
    st.builds(
        _count_leaf,
        st.sampled_from(sorted(COUNT_FIELDS)),
        st.sampled_from(COUNT_OPS),
        st.integers(0, 4),
        st.none() | st.integers(1, 60),
    ),
    valued(st.sampled_from(["has_email", "has_phone"]), ["is_true", "is_false"], st.none()),
    valued(
        st.sampled_from([f"custom.{k}" for k in CUSTOM_KEYS]),
        TEXT_OPS,
        texts | st.sampled_from(["1", "-2", "1.5", "true", "false", "null"]),
    ),
)


def _either(one: st.SearchStrategy, other: st.SearchStrategy, odds: int) -> st.SearchStrategy:
    """`one` once in `odds` draws, else `other` (st.one_of weighs its flattened branches
    alike: with a dozen kinds of leaves a group would hardly ever be drawn)."""
    return st.integers(1, odds).flatmap(lambda n: one if n == 1 else other)


def _groups(depth: int) -> st.SearchStrategy[dict]:
    child = leaves if depth == 1 else _either(_groups(depth - 1), leaves, 3)
    children = _either(st.just([]), st.lists(child, min_size=1, max_size=4), 6)
    return st.builds(lambda key, cs: {key: cs}, st.sampled_from(["all", "any"]), children)


# Groups nested up to three deep; a lone leaf at the top now and then.
trees = _either(leaves, _groups(3), 5)


# --- strategies: customers ---------------------------------------------------------------


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


recent = st.builds(Instant, st.integers(-62, 3), st.sampled_from(EXTRAS))  # rows: last 60 days
customers = st.fixed_dictionaries(
    {
        "name": texts | st.just(""),
        "code": texts,
        **{f: st.just("") | texts for f in ("province", "city", "district", "demand", "remarks")},
        "kind": st.sampled_from(Kind.values),
        "intent": st.sampled_from(["", *Intent.values]),
        "stage": st.sampled_from(Stage.values),
        "source": st.sampled_from(["", *CustomerSource.values]),
        "level": maybe(st.sampled_from(LEVELS)),
        "industry": maybe(st.sampled_from(INDUSTRIES)),
        "owner": maybe(st.builds(Ref, st.integers(0, USERS - 1))),
        "team": maybe(st.builds(Ref, st.integers(0, USERS - 1))),
        "department": maybe(st.builds(Ref, st.integers(0, USERS - 1))),
        "created_at": instants,
        "last_contact_at": maybe(instants),
        "expected_close_date": maybe(days),
        "birthday": maybe(days),
        "anniversary": maybe(days),
        "tags": st.sets(st.sampled_from(TAGS), max_size=3),
        # What custom fields hold: text, numbers (number fields), null (a cleared field).
        "custom_fields": st.dictionaries(
            st.sampled_from(CUSTOM_KEYS),
            texts | st.none() | st.integers(-2, 12) | st.sampled_from(["", 1.5, 12.25, True]),
            max_size=2,
        ),
        "contacts": st.lists(
            st.tuples(
                st.sampled_from(["", "x@example.com"]), st.sampled_from(["", "+8613800138000"])
            ),
            max_size=2,
        ),
        # Follow-ups and messages from 62 days ago to 3 days ahead (not counted yet).
        "followups": st.lists(recent, max_size=4),
        "tasks": st.lists(st.tuples(st.sampled_from(TaskStatus.values), instants), max_size=2),
        "messages": st.lists(
            st.tuples(st.sampled_from(MessageStatus.values), *[maybe(recent)] * 4),
            max_size=2,
        ),
    }
)


def create_customers(specs: list[dict], w: World, now: dt.datetime) -> None:
    """The customers of one example with their rows (related rows in one statement each)."""
    tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAGS}
    at = lambda v: v.at(now) if v is not None else None  # noqa: E731
    followups, tasks, messages = [], [], []
    for spec in specs:
        customer = CustomerFactory(
            **{f: spec[f] for f in ("name", "province", "city", "district", "demand", "remarks")},
            **{f: spec[f] for f in ("kind", "intent", "stage", "source", "custom_fields")},
            code=f"{spec['code']}-{next(_serial)}",
            level=None,
            industry=None,
            owner=None,
            last_contact_at=at(spec["last_contact_at"]),
            expected_close_date=at(spec["expected_close_date"]),
            birthday=at(spec["birthday"]),
            anniversary=at(spec["anniversary"]),
        )
        # Columns the factory derives or the model stamps, set as drawn.
        Customer.objects.filter(pk=customer.pk).update(
            created_at=at(spec["created_at"]),
            level_id=w.levels[spec["level"]] if spec["level"] else None,
            industry_id=w.industries[spec["industry"]] if spec["industry"] else None,
            owner_id=w.ref("owner", spec["owner"]),
            team_id=w.ref("team", spec["team"]),
            department_id=w.ref("department", spec["department"]),
        )
        if spec["tags"]:
            customer.tags.add(*(tags[name] for name in spec["tags"]))
        for i, (email, phone) in enumerate(spec["contacts"]):
            ContactFactory(customer=customer, email=email, phone=phone, is_primary=i == 0)
        followups += [
            FollowUp(customer=customer, occurred_at=at(when), content="电话沟通")
            for when in spec["followups"]
        ]
        tasks += [
            Task(title="跟进", customer=customer, due_at=at(due), status=status,
                 assignee_id=w.ref("owner", spec["owner"]) or w.users[0])
            for status, due in spec["tasks"]
        ]  # fmt: skip
        for status, *stamps in spec["messages"]:
            n = next(_serial)
            sent, opened, clicked, replied = (at(s) for s in stamps)
            messages.append(
                Message(
                    channel=MessageChannel.EMAIL, category=Category.MARKETING, customer=customer,
                    recipient="x@example.com", idempotency_key=f"prop:{n}", token=f"prop{n}",
                    status=status, created_at=now - dt.timedelta(days=70), sent_at=sent,
                    opened_at=opened, clicked_at=clicked, replied_at=replied,
                )
            )  # fmt: skip
    FollowUp.objects.bulk_create(followups)
    Task.objects.bulk_create(tasks)
    Message.objects.bulk_create(messages)


# --- the property ----------------------------------------------------------------------


def _disagreements(tree: dict, now: dt.datetime) -> tuple[set[int], set[int], list[str]]:
    everyone = list(Customer.objects.order_by("pk"))
    in_sql = set(matching(tree, now=now).values_list("pk", flat=True))
    in_python = {c.pk for c in everyone if matches(tree, customer=c, now=now)}
    why = [
        f"customer {c.pk}: sql={c.pk in in_sql} python={c.pk in in_python} "
        f"{evaluate(tree, customer=c, now=now).as_json()}"
        for c in everyone
        if (c.pk in in_sql) != (c.pk in in_python)
    ]
    return in_sql, in_python, why


@pytest.mark.django_db
@settings(
    # GUANXI_PROPERTY_EXAMPLES=2000 for a longer hunt.
    max_examples=int(os.environ.get("GUANXI_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(now=st.sampled_from(NOWS), drawn=trees, specs=st.lists(customers, min_size=10, max_size=20))
def test_compiled_sql_and_python_evaluation_agree(world, now, drawn, specs):
    tree = validate(resolve(drawn, world, now))
    note(f"tree: {tree}")
    with transaction.atomic():
        create_customers(specs, world, now)
        assert Customer.objects.count() == len(specs)
        in_sql, in_python, why = _disagreements(tree, now)
        transaction.set_rollback(True)  # the next example starts from no customers
    share = "none" if not in_python else "all" if len(in_python) == len(specs) else "some"
    event(f"customers matching: {share}")
    for line in why:
        note(line)
    assert in_sql == in_python


# --- exact examples ----------------------------------------------------------------------

NOW = timezone.make_aware(dt.datetime(2026, 11, 2, 10, 0))
TODAY = timezone.localdate(NOW)


def decided(tree: dict, customers: list[Customer], now: dt.datetime = NOW) -> tuple[set, set]:
    """(ids matching in SQL, ids matching in Python) among `customers`."""
    tree = validate(tree)
    ids = [c.pk for c in customers]
    in_sql = set(matching(tree, now=now).filter(pk__in=ids).values_list("pk", flat=True))
    fresh = Customer.objects.filter(pk__in=ids)
    in_python = {c.pk for c in fresh if matches(tree, customer=c, now=now)}
    return in_sql, in_python


def assert_decides(tree: dict, customers: list[Customer], expected: set, now: dt.datetime = NOW):
    in_sql, in_python = decided(tree, customers, now)
    assert in_sql == expected, ("sql", tree)
    assert in_python == expected, ("python", tree)


@pytest.mark.django_db
class TestOperators:
    def test_text_ne_is_true_for_an_empty_text(self):
        empty = CustomerFactory(demand="")
        other = CustomerFactory(demand="需要报价")
        same = CustomerFactory(demand="预算")
        leaf = {"field": "demand", "op": "ne", "value": "预算"}
        assert_decides(leaf, [empty, other, same], {empty.pk, other.pk})
        assert_decides({**leaf, "op": "eq"}, [empty, other, same], {same.pk})
        assert_decides({"field": "demand", "op": "empty"}, [empty, other, same], {empty.pk})
        assert_decides(
            {"field": "demand", "op": "not_contains", "value": "预"},
            [empty, other, same],
            {empty.pk, other.pk},
        )

    def test_contains_folds_case_as_the_database_does(self):
        # Full-width Latin letters are common in Chinese input. SQLite's LIKE folds ASCII
        # only; PostgreSQL's UPPER() folds every letter. Python folds as the database does,
        # so a rule decides the same for one customer as for the set.
        full_upper, full_lower = CustomerFactory(name="ＡＢ科技"), CustomerFactory(name="ａｂ科技")
        accented, ascii_upper = CustomerFactory(name="élan"), CustomerFactory(name="ELAN")
        everyone = [full_upper, full_lower, accented, ascii_upper]
        assert_decides(
            {"field": "name", "op": "contains", "value": "ａｂ"},
            everyone,
            {full_upper.pk, full_lower.pk} if ON_POSTGRES else {full_lower.pk},
        )
        assert_decides(
            {"field": "name", "op": "contains", "value": "ÉLAN"},
            everyone,
            {accented.pk} if ON_POSTGRES else set(),
        )
        assert_decides(
            {"field": "name", "op": "contains", "value": "lan"},
            everyone,
            {accented.pk, ascii_upper.pk},
        )

    def test_custom_text_ne_and_empty_for_a_missing_key(self):
        missing = CustomerFactory(custom_fields={})
        null = CustomerFactory(custom_fields={"size": None})  # a cleared field is stored so
        large = CustomerFactory(custom_fields={"size": "large"})
        everyone = [missing, null, large]
        leaf = {"field": "custom.size", "op": "ne", "value": "large"}
        assert_decides(leaf, everyone, {missing.pk, null.pk})
        assert_decides({**leaf, "op": "eq", "value": "null"}, everyone, set())
        assert_decides({"field": "custom.size", "op": "empty"}, everyone, {missing.pk, null.pk})
        assert_decides({**leaf, "op": "contains", "value": "LAR"}, everyone, {large.pk})

    def test_custom_numbers_and_booleans_read_as_their_text(self):
        five, half, yes = (CustomerFactory(custom_fields={"人数": v}) for v in (5, 12.5, True))
        text_five = CustomerFactory(custom_fields={"人数": "5"})
        everyone = [five, half, yes, text_five]
        leaf = {"field": "custom.人数", "op": "eq", "value": "5"}
        assert_decides(leaf, everyone, {five.pk, text_five.pk})
        assert_decides({**leaf, "value": "12.5"}, everyone, {half.pk})
        assert_decides({**leaf, "value": "true"}, everyone, {yes.pk})
        assert_decides(
            {**leaf, "op": "in", "value": ["5", "true"]}, everyone, {five.pk, yes.pk, text_five.pk}
        )
        assert_decides({**leaf, "op": "not_empty"}, everyone, {c.pk for c in everyone})

    def test_level_ne_and_not_in_include_customers_without_a_level(self):
        none = CustomerFactory(level=None)
        high = CustomerFactory(level=Level.objects.get(code="high_value"))
        potential = CustomerFactory(level=Level.objects.get(code="potential"))
        everyone = [none, high, potential]
        assert_decides(
            {"field": "level", "op": "ne", "value": "high_value"}, everyone, {none.pk, potential.pk}
        )
        assert_decides({"field": "level", "op": "eq", "value": "high_value"}, everyone, {high.pk})
        assert_decides(
            {"field": "level", "op": "not_in", "value": ["high_value", "potential"]},
            everyone,
            {none.pk},
        )
        assert_decides({"field": "level", "op": "empty"}, everyone, {none.pk})
        # An unknown code: nobody is it, everybody is "not" it.
        assert_decides({"field": "level", "op": "eq", "value": "none-such"}, everyone, set())
        assert_decides(
            {"field": "level", "op": "ne", "value": "none-such"}, everyone, {c.pk for c in everyone}
        )

    def test_owner_ne_includes_customers_without_an_owner(self):
        nobody = CustomerFactory(owner=None)
        someone = CustomerFactory()
        leaf = {"field": "owner", "op": "ne", "value": str(someone.owner_id)}
        assert_decides(leaf, [nobody, someone], {nobody.pk})

    def test_older_than_days_includes_exactly_n_days_ago(self):
        exactly = CustomerFactory(last_contact_at=NOW - dt.timedelta(days=90))
        a_second_less = CustomerFactory(
            last_contact_at=NOW - dt.timedelta(days=90) + dt.timedelta(seconds=1)
        )
        a_microsecond_less = CustomerFactory(
            last_contact_at=NOW - dt.timedelta(days=90) + dt.timedelta(microseconds=1)
        )
        longer = CustomerFactory(last_contact_at=NOW - dt.timedelta(days=91))
        never = CustomerFactory(last_contact_at=None)
        Customer.objects.filter(pk=never.pk).update(created_at=NOW - dt.timedelta(days=10))
        everyone = [exactly, a_second_less, a_microsecond_less, longer, never]
        leaf = {"field": "last_contact_at", "op": "older_than_days", "value": 90}
        assert_decides(leaf, everyone, {exactly.pk, longer.pk})
        # The coalesced "last interaction" falls back to the creation time.
        Customer.objects.filter(pk=never.pk).update(created_at=NOW - dt.timedelta(days=90))
        assert_decides(
            {**leaf, "field": "last_interaction"}, everyone, {exactly.pk, longer.pk, never.pk}
        )

    def test_older_than_days_on_a_date_counts_calendar_days(self):
        exactly = CustomerFactory(expected_close_date=TODAY - dt.timedelta(days=30))
        a_day_less = CustomerFactory(expected_close_date=TODAY - dt.timedelta(days=29))
        empty = CustomerFactory(expected_close_date=None)
        leaf = {"field": "expected_close_date", "op": "older_than_days", "value": 30}
        assert_decides(leaf, [exactly, a_day_less, empty], {exactly.pk})

    def test_within_next_days_is_today_through_the_nth_day(self):
        days = {
            n: CustomerFactory(expected_close_date=TODAY + dt.timedelta(days=n))
            for n in (-1, 0, 1, 7, 8)
        }
        empty = CustomerFactory(expected_close_date=None)
        everyone = [*days.values(), empty]
        leaf = {"field": "expected_close_date", "op": "within_next_days", "value": 7}
        assert_decides(leaf, everyone, {days[0].pk, days[1].pk, days[7].pk})
        assert_decides({**leaf, "value": 0}, everyone, {days[0].pk})

    def test_within_next_days_on_a_date_time_counts_from_the_instant(self):
        soon = CustomerFactory(last_contact_at=NOW + dt.timedelta(days=7))
        later = CustomerFactory(last_contact_at=NOW + dt.timedelta(days=7, microseconds=1))
        past = CustomerFactory(last_contact_at=NOW - dt.timedelta(microseconds=1))
        now = CustomerFactory(last_contact_at=NOW)
        leaf = {"field": "last_contact_at", "op": "within_next_days", "value": 7}
        assert_decides(leaf, [soon, later, past, now], {soon.pk, now.pk})

    def test_anniversary_of_29_february_is_kept_on_the_28th_without_a_29th(self):
        leap_born = CustomerFactory(birthday=dt.date(2000, 2, 29))
        born_28 = CustomerFactory(birthday=dt.date(1999, 2, 28))
        born_1_march = CustomerFactory(birthday=dt.date(2001, 3, 1))
        no_birthday = CustomerFactory(birthday=None)
        everyone = [leap_born, born_28, born_1_march, no_birthday]
        today = {"field": "birthday", "op": "anniversary_in_days", "value": 0}
        non_leap_28 = timezone.make_aware(dt.datetime(2027, 2, 28, 9, 0))
        assert_decides(today, everyone, {leap_born.pk, born_28.pk}, now=non_leap_28)
        # The day before, "in one day" sees both as well.
        assert_decides(
            {**today, "value": 1},
            everyone,
            {leap_born.pk, born_28.pk},
            now=non_leap_28 - dt.timedelta(days=1),
        )
        # 1 March of that year is 1 March only.
        assert_decides(today, everyone, {born_1_march.pk}, now=non_leap_28 + dt.timedelta(days=1))
        # In a leap year the 29th is its own day.
        leap_28 = timezone.make_aware(dt.datetime(2028, 2, 28, 9, 0))
        assert_decides(today, everyone, {born_28.pk}, now=leap_28)
        assert_decides(today, everyone, {leap_born.pk}, now=leap_28 + dt.timedelta(days=1))

    def test_anniversary_of_a_date_time_uses_the_local_day(self):
        # 2026-03-01 20:00 UTC is 2 March, 04:00 in Shanghai.
        created = CustomerFactory()
        Customer.objects.filter(pk=created.pk).update(
            created_at=dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC)
        )
        leaf = {"field": "created_at", "op": "anniversary_in_days", "value": 0}
        with timezone.override("Asia/Shanghai"):
            march_2 = timezone.make_aware(dt.datetime(2027, 3, 2, 12, 0))
            assert_decides(leaf, [created], {created.pk}, now=march_2)
            assert_decides(leaf, [created], set(), now=march_2 - dt.timedelta(days=1))

    def test_counts_eq_zero_for_a_customer_without_rows(self):
        nothing = CustomerFactory()
        one = CustomerFactory()
        FollowUp.objects.create(
            customer=one, occurred_at=NOW - dt.timedelta(days=3), content="拜访"
        )
        old = CustomerFactory()
        FollowUp.objects.create(
            customer=old, occurred_at=NOW - dt.timedelta(days=45), content="拜访"
        )
        everyone = [nothing, one, old]
        assert_decides({"field": "followups", "op": "eq", "value": 0}, everyone, {nothing.pk})
        assert_decides(
            {"field": "followups", "op": "eq", "value": 0, "days": 30},
            everyone,
            {nothing.pk, old.pk},
        )
        assert_decides({"field": "followups", "op": "lt", "value": 1}, everyone, {nothing.pk})
        assert_decides({"field": "followups", "op": "gte", "value": 1}, everyone, {one.pk, old.pk})
        assert_decides(
            {"field": "followups", "op": "ne", "value": 0, "days": 30}, everyone, {one.pk}
        )
        assert_decides(
            {"field": "open_tasks", "op": "eq", "value": 0}, everyone, {c.pk for c in everyone}
        )
        assert_decides(
            {"field": "messages_opened", "op": "lte", "value": 0},
            everyone,
            {c.pk for c in everyone},
        )

    def test_followups_ahead_of_now_do_not_count(self):
        planned = CustomerFactory()
        FollowUp.objects.create(
            customer=planned, occurred_at=NOW + dt.timedelta(seconds=1), content="计划"
        )
        assert_decides({"field": "followups", "op": "eq", "value": 0}, [planned], {planned.pk})

    def test_tags_has_none(self):
        untagged = CustomerFactory()
        silent = CustomerFactory()
        vip = CustomerFactory()
        silent.tags.add(Tag.objects.create(name="沉默客户"))
        vip.tags.add(Tag.objects.create(name="VIP"))
        everyone = [untagged, silent, vip]
        leaf = {"field": "tags", "op": "has_none", "value": ["沉默客户", "无此标签"]}
        assert_decides(leaf, everyone, {untagged.pk, vip.pk})
        assert_decides({**leaf, "op": "has_any"}, everyone, {silent.pk})
        assert_decides({**leaf, "op": "has_all"}, everyone, set())

    def test_an_empty_any_group_matches_nobody_and_an_empty_all_group_everybody(self):
        blank, busy = CustomerFactory(demand=""), CustomerFactory(demand="预算")
        everyone = [blank, busy]
        ids = {c.pk for c in everyone}
        assert_decides({"any": []}, everyone, set())
        assert_decides({"all": []}, everyone, ids)
        assert_decides({"all": [{"any": []}]}, everyone, set())
        assert_decides({"any": [{"any": []}]}, everyone, set())
        assert_decides({"any": [{"all": []}]}, everyone, ids)
        assert_decides(
            {"all": [{"all": []}, {"field": "demand", "op": "empty"}]}, everyone, {blank.pk}
        )
        assert_decides(
            {"any": [{"any": []}, {"field": "demand", "op": "empty"}]}, everyone, {blank.pk}
        )

    def test_an_empty_all_group_inside_an_any_group_is_true(self):
        """Regression: "any of (everything, X)" must match everybody, not only X."""
        matches_x = CustomerFactory(demand="预算")
        not_x = CustomerFactory(demand="")
        x = {"field": "demand", "op": "contains", "value": "预算"}
        everyone = {matches_x.pk, not_x.pk}
        assert_decides({"any": [{"all": []}, x]}, [matches_x, not_x], everyone)
        assert_decides({"any": [x, {"all": [{"all": []}]}]}, [matches_x, not_x], everyone)
        assert_decides({"any": [{"any": []}, {"all": []}]}, [matches_x, not_x], everyone)


@pytest.mark.django_db
class TestValidate:
    def errors(self, tree: Any) -> list[str]:
        with translation.override("en"), pytest.raises(ConditionError) as info:
            validate(tree)
        return info.value.errors

    def test_unknown_field(self):
        tree = {"all": [{"field": "shoe_size", "op": "eq", "value": "42"}]}
        assert self.errors(tree) == ["conditions.all[0]: unknown field “shoe_size”."]

    def test_bad_custom_key(self):
        assert self.errors({"field": "custom.a b", "op": "eq", "value": "x"}) == [
            "conditions: unknown field “custom.a b”."
        ]

    def test_operator_the_field_does_not_have(self):
        tree = {"any": [{"field": "level", "op": "contains", "value": "high"}]}
        assert self.errors(tree) == [
            "conditions.any[0]: “level” cannot use the operator “contains”."
        ]

    def test_missing_and_wrong_values(self):
        tree = {
            "all": [
                {"field": "demand", "op": "eq"},
                {"field": "demand", "op": "contains", "value": "  "},
                {"field": "tags", "op": "has_any", "value": []},
                {"field": "followups", "op": "gte"},
                {"field": "followups", "op": "gte", "value": "three"},
                {"field": "followups", "op": "gte", "value": -1},
                {"field": "birthday", "op": "before", "value": "31/12/2026"},
                {"field": "followups", "op": "gte", "value": 1, "days": 0},
            ]
        }
        assert self.errors(tree) == [
            "conditions.all[0]: “demand” needs a value.",
            "conditions.all[1]: “demand” needs a value.",
            "conditions.all[2]: “tags” needs at least one value.",
            "conditions.all[3]: “followups” needs a value.",
            "conditions.all[4]: “followups” needs a whole number.",
            "conditions.all[5]: “followups” needs a number from 0 to 100000.",
            "conditions.all[6]: “birthday” needs a date like 2026-12-31.",
            "conditions.all[7]: days must be from 1 to 3650.",
        ]

    def test_not_a_tree(self):
        assert self.errors({"all": "level"}) == ["conditions: a group holds a list."]
        assert self.errors({"all": ["level"]}) == [
            "conditions.all[0]: expected a group or a condition."
        ]

    def test_valid_trees_are_normalised(self):
        tree = {"all": [{"field": "followups", "op": "gte", "value": "3", "days": "30"},
                        {"field": "tags", "op": "has_any", "value": "VIP, 沉默客户"}]}  # fmt: skip
        assert validate(tree) == {
            "all": [
                {"field": "followups", "op": "gte", "value": 3, "days": 30},
                {"field": "tags", "op": "has_any", "value": ["VIP", "沉默客户"]},
            ]
        }
        assert validate(None) == {"all": []}
