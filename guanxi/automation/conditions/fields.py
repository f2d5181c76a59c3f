"""What a condition can look at, and how each field compiles to SQL and evaluates in Python.

Each field kind has two implementations of every operator: `q()` builds a Django Q for set
evaluation (one SQL query over all customers), `test()` decides for one customer from its
`Facts`. They must agree on every customer — the hypothesis tests hold them to it — so the
null rules are explicit here rather than left to SQL: text treats NULL as "", a comparison
on an empty date is false, and "not equal" is true for an empty reference.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.db.models import Count, Exists, F, Func, OuterRef, Q
from django.db.models.functions import Coalesce
from django.db.models.lookups import In
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.customers.models import (
    Contact,
    Customer,
    CustomerSource,
    Industry,
    Intent,
    Kind,
    Level,
    Stage,
)
from guanxi.deals.models import VOID_STATUSES, Order
from guanxi.followups.models import FollowUp, Task, TaskStatus
from guanxi.messaging.models import Message, MessageStatus

OPS: dict[str, Any] = {
    "eq": pgettext_lazy("condition", "is"),
    "ne": pgettext_lazy("condition", "is not"),
    "in": pgettext_lazy("condition", "is one of"),
    "not_in": pgettext_lazy("condition", "is none of"),
    "contains": pgettext_lazy("condition", "contains"),
    "not_contains": pgettext_lazy("condition", "does not contain"),
    "empty": pgettext_lazy("condition", "is empty"),
    "not_empty": pgettext_lazy("condition", "is not empty"),
    "gt": pgettext_lazy("condition", "more than"),
    "gte": pgettext_lazy("condition", "at least"),
    "lt": pgettext_lazy("condition", "fewer than"),
    "lte": pgettext_lazy("condition", "at most"),
    "before": pgettext_lazy("condition", "before"),
    "after": pgettext_lazy("condition", "after"),
    "on": pgettext_lazy("condition", "on"),
    "older_than_days": pgettext_lazy("condition", "more than N days ago"),
    "within_last_days": pgettext_lazy("condition", "within the last N days"),
    "within_next_days": pgettext_lazy("condition", "within the next N days"),
    "anniversary_in_days": pgettext_lazy("condition", "anniversary in N days (0 = today)"),
    "has_any": pgettext_lazy("condition", "has any of"),
    "has_all": pgettext_lazy("condition", "has all of"),
    "has_none": pgettext_lazy("condition", "has none of"),
    "is_true": pgettext_lazy("condition", "yes"),
    "is_false": pgettext_lazy("condition", "no"),
}


@dataclass
class Clock:
    """The instant a condition is evaluated at, and its local calendar day."""

    now: dt.datetime

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.now)

    def day_start(self, day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class Facts:
    """One customer's values, loaded lazily, for evaluating (and explaining) a condition."""

    def __init__(self, customer: Customer) -> None:
        self.customer = customer
        self._tags: set[str] | None = None
        self._counts: dict[tuple, int] = {}
        self._contacts: list[Contact] | None = None

    @property
    def tags(self) -> set[str]:
        if self._tags is None:
            self._tags = set(self.customer.tags.values_list("name", flat=True))
        return self._tags

    @property
    def contacts(self) -> list[Contact]:
        if self._contacts is None:
            self._contacts = list(Contact.objects.filter(customer_id=self.customer.pk))
        return self._contacts

    def count(self, key: tuple, compute: Callable[[], int]) -> int:
        if key not in self._counts:
            self._counts[key] = compute()
        return self._counts[key]


def _fold(text: str) -> str:
    """Case-folds text the way the database's case-insensitive LIKE does, so "contains" decides
    the same in Python as in SQL: SQLite's LIKE folds ASCII letters only; PostgreSQL's UPPER()
    maps every letter with a one-letter upper case (full-width Ａ, É …), not ß → SS."""
    if connection.vendor == "postgresql":
        return "".join(up if len(up := c.upper()) == 1 else c for c in text)
    return "".join(c.lower() if c.isascii() else c for c in text)


@dataclass(kw_only=True)
class Kindred:
    """Base of a field kind. Subclasses implement `q` and `test` for their `ops`."""

    key: str
    label: Any
    ops: tuple[str, ...]
    needs_value: frozenset[str] = frozenset()
    choices: Callable[[], list[tuple[str, str]]] | None = None
    value_type: str = "text"  # what the editor asks for: text, list, number, date, days
    param_days: bool = False  # counts over "the last N days"

    def q(self, op: str, value: Any, days: int | None, clock: Clock) -> Q:
        raise NotImplementedError

    def test(self, op: str, value: Any, days: int | None, facts: Facts, clock: Clock) -> bool:
        raise NotImplementedError

    def actual(self, facts: Facts, days: int | None, clock: Clock) -> Any:
        """The customer's value, shown in an explanation."""
        raise NotImplementedError


def _text_test(op: str, value: Any, actual: str) -> bool:
    if op == "eq":
        return actual == value
    if op == "ne":
        return actual != value
    if op == "in":
        return actual in value
    if op == "not_in":
        return actual not in value
    if op == "contains":
        return _fold(value) in _fold(actual)
    if op == "not_contains":
        return _fold(value) not in _fold(actual)
    if op == "empty":
        return actual == ""
    if op == "not_empty":
        return actual != ""
    raise ValueError(op)


def _text_q(op: str, value: Any, path: str) -> Q:
    if op == "eq":
        return Q(**{path: value})
    if op == "ne":
        return ~Q(**{path: value})
    if op == "in":
        return Q(**{f"{path}__in": value})
    if op == "not_in":
        return ~Q(**{f"{path}__in": value})
    if op == "contains":
        return Q(**{f"{path}__icontains": value})
    if op == "not_contains":
        return ~Q(**{f"{path}__icontains": value})
    if op == "empty":
        return Q(**{path: ""})
    if op == "not_empty":
        return ~Q(**{path: ""})
    raise ValueError(op)


TEXT_OPS = ("eq", "ne", "in", "not_in", "contains", "not_contains", "empty", "not_empty")
CHOICE_OPS = ("eq", "ne", "in", "not_in", "empty", "not_empty")


@dataclass(kw_only=True)
class TextField(Kindred):
    """A non-null text column (Django stores blank text as "")."""

    column: str = ""
    ops: tuple[str, ...] = TEXT_OPS

    def q(self, op, value, days, clock):
        return _text_q(op, value, self.column)

    def test(self, op, value, days, facts, clock):
        return _text_test(op, value, self.actual(facts, days, clock))

    def actual(self, facts, days, clock):
        return getattr(facts.customer, self.column) or ""


class CustomText(Func):
    """The value of one custom_fields key as the text `CustomTextField.actual` reads: "" when
    the key is missing or JSON null, true/false as "true"/"false", numbers as written.

    Not KeyTextTransform: on SQLite that gives JSON null as the text 'null' and numbers as
    SQL numbers (5 is not '5'), so a cleared field (stored as null) was not "empty" and a
    number field never equalled its value there."""

    output_field = models.TextField()

    def __init__(self, json_key: str, column: str = "custom_fields") -> None:
        super().__init__(F(column))
        self.json_key = json_key

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "sqlite":
            # SQLite matches a path's key as spelled: a non-ASCII key is stored \u-escaped by
            # the ORM and as is by the bulk writers, so both spellings are tried. Quoted:
            # always an object key, even "5".
            paths = dict.fromkeys(
                "$." + json.dumps(self.json_key, ensure_ascii=escaped) for escaped in (True, False)
            )
            one = (
                f"CASE JSON_TYPE({column}, %s) WHEN 'null' THEN NULL "
                f"WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
                f"ELSE CAST(JSON_EXTRACT({column}, %s) AS TEXT) END"
            )
            sql = f"COALESCE({', '.join([one] * len(paths))}, '')"
            return sql, tuple(p for path in paths for p in (*params, path, *params, path))
        # PostgreSQL: ->> gives JSON null as NULL, strings unquoted, the rest as JSON text.
        return f"COALESCE(({column} ->> (%s)::text), '')", (*params, self.json_key)


@dataclass(kw_only=True)
class CustomTextField(Kindred):
    """A key of custom_fields; a missing key reads as ""."""

    json_key: str = ""
    ops: tuple[str, ...] = TEXT_OPS

    def _expr(self):
        return CustomText(self.json_key)

    def q(self, op, value, days, clock):
        expr = self._expr()
        if op in ("eq", "ne"):
            base = Q(expr.get_lookup("exact")(expr, value))
        elif op in ("in", "not_in"):
            base = Q(expr.get_lookup("in")(expr, list(value)))
        elif op in ("contains", "not_contains"):
            base = Q(expr.get_lookup("icontains")(expr, value))
        elif op in ("empty", "not_empty"):
            base = Q(expr.get_lookup("exact")(expr, ""))
        else:
            raise ValueError(op)
        return ~base if op in ("ne", "not_in", "not_contains", "not_empty") else base

    def test(self, op, value, days, facts, clock):
        return _text_test(op, value, self.actual(facts, days, clock))

    def actual(self, facts, days, clock):
        raw = (facts.customer.custom_fields or {}).get(self.json_key)
        if raw is None:
            return ""
        if isinstance(raw, bool):
            return "true" if raw else "false"
        return str(raw)


@dataclass(kw_only=True)
class RefField(Kindred):
    """A nullable foreign key compared by a key of the referenced row (a level's code, a
    user's id). Compiled as `fk IN (subquery)`, so no join can drop customers without one."""

    fk: str = ""
    model: Any = None
    ref_key: str = "code"
    ops: tuple[str, ...] = CHOICE_OPS

    def _ids(self, values: list[Any]):
        if self.ref_key == "pk":
            return [int(v) for v in values]
        return self.model.objects.filter(**{f"{self.ref_key}__in": values}).values("pk")

    def q(self, op, value, days, clock):
        if op in ("empty", "not_empty"):
            return Q(**{f"{self.fk}__isnull": op == "empty"})
        values = value if op in ("in", "not_in") else [value]
        base = Q(**{f"{self.fk}__in": self._ids(values)})
        return ~base if op in ("ne", "not_in") else base

    def test(self, op, value, days, facts, clock):
        actual = self.actual(facts, days, clock)
        if op == "empty":
            return actual is None
        if op == "not_empty":
            return actual is not None
        if self.ref_key == "pk":
            value = [int(v) for v in value] if op in ("in", "not_in") else int(value)
        if op == "eq":
            return actual == value
        if op == "ne":
            return actual != value
        if op == "in":
            return actual in value
        if op == "not_in":
            return actual not in value
        raise ValueError(op)

    def actual(self, facts, days, clock):
        if self.ref_key == "pk":
            return getattr(facts.customer, f"{self.fk}_id")
        related = getattr(facts.customer, self.fk)
        return getattr(related, self.ref_key) if related is not None else None


DATE_OPS = (
    "before",
    "after",
    "on",
    "older_than_days",
    "within_last_days",
    "within_next_days",
    "anniversary_in_days",
    "empty",
    "not_empty",
)


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


class MonthDay(Func):
    """A date column's "MM-DD" text, with the database's own function: SQLite calls Django's
    Python date-extract function twice per row for __month and __day (2–3× the built-in
    strftime on a million birthdays)."""

    output_field = models.CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="strftime",
                           template="%(function)s('%%%%m-%%%%d', %(expressions)s)", **extra)  # fmt: skip

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="to_char",
                           template="%(function)s(%(expressions)s, 'MM-DD')", **extra)  # fmt: skip


def _anniversary_days(target: dt.date) -> list[tuple[int, int]]:
    """(month, day) pairs that celebrate on `target`: 29 February is kept on the 28th in
    years without one."""
    pairs = [(target.month, target.day)]
    if target.month == 2 and target.day == 28:
        try:
            dt.date(target.year, 2, 29)
        except ValueError:
            pairs.append((2, 29))
    return pairs


@dataclass(kw_only=True)
class DateField(Kindred):
    """A nullable date or date-time column; every comparison on an empty value is false."""

    column: str = ""
    is_datetime: bool = False
    expr: Callable[[], Any] | None = None  # an expression instead of a plain column
    ops: tuple[str, ...] = DATE_OPS
    value_type: str = "date"

    def _bounds(self, op: str, value: Any, clock: Clock) -> tuple[Any, Any]:
        """[low, high) for range operators, in the column's own type."""
        today = clock.today
        if op in ("before", "after", "on"):
            day = _as_date(value)
            if op == "before":
                low, high = None, day
            elif op == "after":
                low, high = day + dt.timedelta(days=1), None
            else:
                low, high = day, day + dt.timedelta(days=1)
            if self.is_datetime:
                low = clock.day_start(low) if low else None
                high = clock.day_start(high) if high else None
            return low, high
        n = int(value)
        if self.is_datetime:
            if op == "older_than_days":
                return None, clock.now - dt.timedelta(days=n) + dt.timedelta(microseconds=1)
            if op == "within_last_days":
                return clock.now - dt.timedelta(days=n), clock.now + dt.timedelta(microseconds=1)
            return clock.now, clock.now + dt.timedelta(days=n) + dt.timedelta(microseconds=1)
        if op == "older_than_days":
            return None, today - dt.timedelta(days=n - 1)
        if op == "within_last_days":
            return today - dt.timedelta(days=n), today + dt.timedelta(days=1)
        return today, today + dt.timedelta(days=n + 1)

    def q(self, op, value, days, clock):
        path = self.column
        if self.expr is not None:
            # Expressions are filtered through an alias the compiler adds (see aliases()).
            path = f"_{self.key}"
        if op in ("empty", "not_empty"):
            return Q(**{f"{path}__isnull": op == "empty"})
        if op == "anniversary_in_days":
            target = clock.today + dt.timedelta(days=int(value))
            pairs = _anniversary_days(target)
            if not self.is_datetime and self.expr is None:
                days_text = [f"{month:02d}-{day:02d}" for month, day in pairs]
                return Q(In(MonthDay(F(path)), days_text))
            result = Q()
            for month, day in pairs:
                result |= Q(**{f"{path}__month": month, f"{path}__day": day})
            return result
        low, high = self._bounds(op, value, clock)
        result = Q(**{f"{path}__isnull": False})
        if low is not None:
            result &= Q(**{f"{path}__gte": low})
        if high is not None:
            result &= Q(**{f"{path}__lt": high})
        return result

    def test(self, op, value, days, facts, clock):
        actual = self.actual(facts, days, clock)
        if op == "empty":
            return actual is None
        if op == "not_empty":
            return actual is not None
        if actual is None:
            return False
        if op == "anniversary_in_days":
            local = timezone.localdate(actual) if self.is_datetime else actual
            target = clock.today + dt.timedelta(days=int(value))
            return (local.month, local.day) in _anniversary_days(target)
        low, high = self._bounds(op, value, clock)
        return (low is None or actual >= low) and (high is None or actual < high)

    def actual(self, facts, days, clock):
        if self.key == "last_interaction":
            c = facts.customer
            return c.last_contact_at or c.created_at
        return getattr(facts.customer, self.column)


COUNT_OPS = ("eq", "ne", "gt", "gte", "lt", "lte")


@dataclass(kw_only=True)
class CountField(Kindred):
    """How many related rows a customer has (in the last N days, when `days` is given).

    Compiled without a correlated subquery per customer: `pk IN (SELECT customer_id …
    GROUP BY customer_id HAVING COUNT(*) >= n)`, and every operator is written as "at least
    n" or its negation, so customers with no rows at all (count 0) come out right."""

    rows: Callable[[Clock, int | None], Any] = None  # queryset of related rows
    ops: tuple[str, ...] = COUNT_OPS
    value_type: str = "number"

    def _at_least(self, n: int, days: int | None, clock: Clock) -> Q:
        if n <= 0:
            return Q(pk__isnull=False)
        if n == 1:
            # "at least one" (and its negation "none") as EXISTS: an index probe per customer
            # instead of grouping every row ("never followed up" was 5.7× the raw SQL).
            return Q(Exists(self.rows(clock, days).filter(customer_id=OuterRef("pk"))))
        having = (
            self.rows(clock, days)
            .values("customer_id")
            .annotate(_n=Count("*"))
            .filter(_n__gte=n)
            .values("customer_id")
        )
        return Q(pk__in=having)

    def q(self, op, value, days, clock):
        n = int(value)
        if op == "gte":
            return self._at_least(n, days, clock)
        if op == "gt":
            return self._at_least(n + 1, days, clock)
        if op == "lt":
            return ~self._at_least(n, days, clock)
        if op == "lte":
            return ~self._at_least(n + 1, days, clock)
        exact = self._at_least(n, days, clock) & ~self._at_least(n + 1, days, clock)
        if op == "eq":
            return exact
        if op == "ne":
            return ~exact
        raise ValueError(op)

    def test(self, op, value, days, facts, clock):
        actual = self.actual(facts, days, clock)
        n = int(value)
        return {
            "eq": actual == n,
            "ne": actual != n,
            "gt": actual > n,
            "gte": actual >= n,
            "lt": actual < n,
            "lte": actual <= n,
        }[op]

    def actual(self, facts, days, clock):
        return facts.count(
            (self.key, days),
            lambda: self.rows(clock, days).filter(customer_id=facts.customer.pk).count(),
        )


@dataclass(kw_only=True)
class TagsField(Kindred):
    ops: tuple[str, ...] = ("has_any", "has_all", "has_none")
    value_type: str = "list"

    def _has(self, names: list[str]) -> Exists:
        through = Customer.tags.through
        return Exists(through.objects.filter(customer_id=OuterRef("pk"), tag__name__in=names))

    def q(self, op, value, days, clock):
        names = list(value)
        if op == "has_any":
            return Q(self._has(names)) if names else Q(pk__isnull=True)
        if op == "has_none":
            return ~Q(self._has(names)) if names else Q()
        result = Q()
        for name in names:
            result &= Q(self._has([name]))
        return result

    def test(self, op, value, days, facts, clock):
        names = set(value)
        if op == "has_any":
            return bool(names & facts.tags)
        if op == "has_none":
            return not names & facts.tags
        return names <= facts.tags

    def actual(self, facts, days, clock):
        return sorted(facts.tags)


@dataclass(kw_only=True)
class ContactField(Kindred):
    """Whether any contact has a value in a column (an email, a phone)."""

    column: str = ""
    ops: tuple[str, ...] = ("is_true", "is_false")
    value_type: str = "none"

    def q(self, op, value, days, clock):
        has = Q(
            Exists(Contact.objects.filter(customer_id=OuterRef("pk")).exclude(**{self.column: ""}))
        )
        return has if op == "is_true" else ~has

    def test(self, op, value, days, facts, clock):
        actual = self.actual(facts, days, clock)
        return actual if op == "is_true" else not actual

    def actual(self, facts, days, clock):
        return any(getattr(c, self.column) for c in facts.contacts)


def _since(clock: Clock, days: int | None) -> dt.datetime | None:
    return clock.now - dt.timedelta(days=days) if days else None


def _followups(clock: Clock, days: int | None):
    since = _since(clock, days)
    qs = FollowUp.objects.filter(occurred_at__lte=clock.now)
    return qs.filter(occurred_at__gte=since) if since else qs


def _orders(clock: Clock, days: int | None):
    """Purchases: orders that were not cancelled or refunded, by their order date."""
    since = _since(clock, days)
    qs = Order.objects.filter(ordered_at__lte=clock.now).exclude(status__in=VOID_STATUSES)
    return qs.filter(ordered_at__gte=since) if since else qs


def _open_tasks(clock: Clock, days: int | None):
    return Task.objects.filter(status=TaskStatus.OPEN, customer__isnull=False)


def _overdue_tasks(clock: Clock, days: int | None):
    return _open_tasks(clock, days).filter(due_at__lt=clock.now)


_SENT = [MessageStatus.SENT, MessageStatus.DELIVERED]


def _messages(stamp: str) -> Callable[[Clock, int | None], Any]:
    def rows(clock: Clock, days: int | None):
        since = _since(clock, days)
        qs = Message.objects.filter(customer__isnull=False, **{f"{stamp}__isnull": False})
        if stamp == "sent_at":
            qs = qs.filter(status__in=_SENT)
        qs = qs.filter(**{f"{stamp}__lte": clock.now})
        return qs.filter(**{f"{stamp}__gte": since}) if since else qs

    return rows


def _labelled(choices) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(value, str(label)) for value, label in choices]


def _refs(model) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(row.code, row.name) for row in model.objects.order_by("order", "pk")]


def _last_interaction():
    return Coalesce("last_contact_at", "created_at")


@dataclass
class Registry:
    fields: dict[str, Kindred] = field(default_factory=dict)

    def add(self, kind: Kindred) -> None:
        self.fields[kind.key] = kind

    def get(self, key: str) -> Kindred | None:
        if key.startswith("custom."):
            json_key = key.removeprefix("custom.")
            if not json_key or not json_key.replace("_", "").replace("-", "").isalnum():
                return None
            return CustomTextField(key=key, label=json_key, json_key=json_key)
        return self.fields.get(key)

    def aliases(self, keys: set[str]) -> dict[str, Any]:
        """Expressions a compiled Q refers to by alias (fields computed from columns)."""
        return {
            f"_{k}": self.fields[k].expr()
            for k in keys
            if k in self.fields and getattr(self.fields[k], "expr", None)
        }


REGISTRY = Registry()
for _kind in [
    TextField(key="name", label=_("customer name"), column="name"),
    TextField(key="code", label=_("customer code"), column="code"),
    TextField(key="kind", label=_("type"), column="kind", ops=CHOICE_OPS, choices=_labelled(Kind.choices)),
    RefField(key="level", label=_("customer level"), fk="level", model=Level, choices=_refs(Level)),
    RefField(key="industry", label=_("industry"), fk="industry", model=Industry, choices=_refs(Industry)),
    TextField(key="intent", label=_("intent"), column="intent", ops=CHOICE_OPS, choices=_labelled(Intent.choices)),
    TextField(key="stage", label=_("lifecycle stage"), column="stage", ops=CHOICE_OPS, choices=_labelled(Stage.choices)),
    TextField(key="source", label=_("source"), column="source", ops=CHOICE_OPS, choices=_labelled(CustomerSource.choices)),
    TextField(key="province", label=_("province"), column="province"),
    TextField(key="city", label=_("city"), column="city"),
    TextField(key="district", label=_("district"), column="district"),
    TextField(key="demand", label=_("demand description"), column="demand"),
    TextField(key="remarks", label=_("remarks"), column="remarks"),
    RefField(key="owner", label=_("owner"), fk="owner", ref_key="pk", value_type="user"),
    RefField(key="team", label=_("team"), fk="team", ref_key="pk", value_type="team"),
    RefField(key="department", label=_("department"), fk="department", ref_key="pk", value_type="department"),
    TagsField(key="tags", label=_("tags")),
    DateField(key="created_at", label=_("created at"), column="created_at", is_datetime=True),
    DateField(key="last_contact_at", label=_("last contact"), column="last_contact_at", is_datetime=True),
    DateField(
        key="last_interaction",
        label=_("last interaction (or creation)"),
        is_datetime=True,
        expr=_last_interaction,
    ),
    DateField(key="expected_close_date", label=_("expected close date"), column="expected_close_date"),
    DateField(key="birthday", label=_("birthday"), column="birthday"),
    DateField(key="anniversary", label=_("cooperation anniversary"), column="anniversary"),
    CountField(key="followups", label=_("follow-ups"), rows=_followups, param_days=True),
    CountField(key="orders", label=_("orders"), rows=_orders, param_days=True),
    CountField(key="open_tasks", label=_("open tasks"), rows=_open_tasks),
    CountField(key="overdue_tasks", label=_("overdue tasks"), rows=_overdue_tasks),
    CountField(key="messages_sent", label=_("messages sent"), rows=_messages("sent_at"), param_days=True),
    CountField(key="messages_opened", label=_("messages opened"), rows=_messages("opened_at"), param_days=True),
    CountField(key="messages_clicked", label=_("messages clicked"), rows=_messages("clicked_at"), param_days=True),
    CountField(key="messages_replied", label=_("messages replied to"), rows=_messages("replied_at"), param_days=True),
    ContactField(key="has_email", label=_("has an email address"), column="email"),
    ContactField(key="has_phone", label=_("has a phone number"), column="phone"),
]:  # fmt: skip
    REGISTRY.add(_kind)
