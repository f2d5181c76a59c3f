"""What every exportable entity has: columns to pick from, a scoped query, a description of
the filter, and rows read in keyset chunks of raw database values, converted column by column.

Why raw values and columns: at a million rows the ORM's per-row work (values() dicts, SQLite
datetime converters) and a Python call per cell cost more than reading and writing the file
(docs/decisions.md, "Exports"). Each chunk runs the scoped queryset's own compiled SQL, so scope
and filters are exactly the list's; each column is then converted in one pass (`map` over a
label dict, one time-zone converter), never by a per-cell getter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import DateField, DateTimeField, F, Func, Model, QuerySet, TextField
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from guanxi.accounts.models import Department, Team, User
from guanxi.accounts.permissions import can_see_contact_details
from guanxi.exports.localtime import LocalMinutes

TAG_JOINER = "、"


@dataclass
class Chunk:
    """One keyset chunk: raw values by column name (pk first), plus per-chunk lookups."""

    ids: Sequence[int]
    columns: dict[str, Sequence[Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def col(self, name: str) -> Sequence[Any]:
        return self.columns[name]


# A column's values for a whole chunk, in row order.
Values = Callable[[Chunk, "Context"], Sequence[Any]]


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise | str
    values: Values
    needs: tuple[str, ...] = ()  # database column names (values_list) the column reads
    default: bool = False


class Choices(dict):
    """code → translated label; an unknown code shows as itself, a missing one as ""."""

    def __missing__(self, key: Any) -> Any:
        return key or ""


@dataclass
class Context:
    """Per export: what the viewer may see and the labels of related rows, loaded once."""

    user: User
    sees: bool
    users: dict[int, str] = field(default_factory=dict)
    teams: dict[int, str] = field(default_factory=dict)
    departments: dict[int, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    tz: dt.tzinfo = field(default_factory=timezone.get_current_timezone)
    local_text: LocalMinutes = field(init=False)

    def __post_init__(self) -> None:
        self.local_text = LocalMinutes(self.tz)

    @classmethod
    def for_user(cls, user: User) -> Context:
        users = {
            pk: display or f"{first} {last}".strip() or username
            for pk, display, first, last, username in User.objects.values_list(
                "pk", "display_name", "first_name", "last_name", "username"
            )
        }
        return cls(
            user=user,
            sees=can_see_contact_details(user),
            users=users,
            teams=dict(Team.objects.values_list("pk", "name")),
            departments=dict(Department.objects.values_list("pk", "name")),
        )


def choice(labels: dict[Any, Any]) -> Choices:
    """code → translated label, resolved once per export rather than once per cell."""
    return Choices({k: str(v) for k, v in labels.items()})


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


# --- column makers: one pass over a chunk's column -------------------------------------------


def raw(name: str) -> Values:
    """The value as stored (text, or a date the writer prints as YYYY-MM-DD)."""
    return lambda chunk, ctx: chunk.col(name)


def text(name: str) -> Values:
    """Text from a nullable join (a follow-up without a contact): None → ""."""
    return lambda chunk, ctx: [v or "" for v in chunk.col(name)]


def looked_up(name: str, table: Callable[[Context], dict[Any, str]]) -> Values:
    """An id by its label from a dict loaded once per export (a missing one → "")."""
    return lambda chunk, ctx: list(map(table(ctx).get, chunk.col(name), repeat("")))


def coded(name: str, extra_key: str | None = None) -> Values:
    """A choice code by its translated label (ctx.extra[extra_key] is a Choices)."""
    key = extra_key or name
    return lambda chunk, ctx: list(map(ctx.extra[key].__getitem__, chunk.col(name)))


def local_time(name: str) -> Values:
    """An instant in local time as the UI shows it: YYYY-MM-DD HH:MM."""
    return lambda chunk, ctx: list(map(ctx.local_text, chunk.col(name)))


def yes_no_of(name: str) -> Values:
    def values(chunk: Chunk, ctx: Context) -> list[str]:
        yes, no = yes_no(True), yes_no(False)
        return [yes if v else no for v in chunk.col(name)]

    return values


# --- reading --------------------------------------------------------------------------------


class StoredText(Func):
    """A date/time column as text, converted by the export rather than by the driver.

    SQLite: the stored text itself. Python's sqlite3 module would parse every value of a
    column declared datetime/date (Django registers converters for them, ~3 µs a value); an
    expression has no declared type, so its text arrives untouched. PostgreSQL: the instant as
    UTC text in the same shape (`to_char` on the server instead of a datetime object per
    value). Either way `LocalMinutes` then converts it in well under a microsecond."""

    output_field = TextField()

    def __init__(self, name: str, *, instant: bool) -> None:
        super().__init__(F(name))
        self.instant = instant

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return compiler.compile(self.source_expressions[0])

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="(%(expressions)s || '')", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = (
            "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
            if self.instant
            else "to_char(%(expressions)s, 'YYYY-MM-DD')"
        )
        return super().as_sql(compiler, connection, template=template, **extra)


def _selected(model: type[Model], name: str) -> str | StoredText:
    """What to select for a values_list name: the name, or a date/time as text."""
    *path, last = name.split("__")
    try:
        for part in path:
            model = model._meta.get_field(part).related_model
        field = model._meta.get_field(last)
    except FieldDoesNotExist:  # an annotation, e.g. a FilteredRelation's alias
        return name
    if isinstance(field, DateField):  # DateTimeField is one too
        return StoredText(name, instant=isinstance(field, DateTimeField))
    return name


def fetch_raw(qs: QuerySet) -> list[tuple]:
    """The queryset's own SQL (scope, filters, joins) run on a plain cursor: rows as the
    driver returns them, without the ORM's per-row conversion."""
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def keyset_chunks(qs: QuerySet, *, names: Sequence[str], size: int) -> Iterator[Chunk]:
    """All rows of qs, newest id first, `size` at a time. Each chunk is one indexed range
    query (`id < last`), so the millionth row costs what the first did — no OFFSET."""
    names = list(dict.fromkeys(names))
    selected = [_selected(qs.model, n) for n in names]
    last = None
    while True:
        page = qs if last is None else qs.filter(pk__lt=last)
        rows = fetch_raw(page.order_by("-pk").values_list("pk", *selected)[:size])
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        yield Chunk(ids=columns[0], columns=dict(zip(names, columns[1:], strict=True)))
        if len(rows) < size:
            return
        last = rows[-1][0]


def describe_form(form: forms.Form, *, ids: Sequence[int] = ()) -> str:
    """The filter in words ("Level: High value; Intent: High"), in the current language."""
    parts = []
    if ids:
        parts.append(_("Selected records: %(count)d") % {"count": len(ids)})
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    for name, form_field in form.fields.items():
        value = data.get(name)
        if value in (None, "", False, []) or name == "sort":
            continue
        if isinstance(form_field, forms.ModelChoiceField):
            shown = form_field.label_from_instance(value)
        elif isinstance(form_field, forms.ChoiceField):
            shown = str(dict(form_field.choices).get(value, value))
        elif isinstance(form_field, forms.BooleanField):
            shown = yes_no(True)
        else:
            shown = str(value)
        parts.append(f"{form_field.label}: {shown}")
    return "; ".join(parts) or _("Everything you may see")


class ExportEntity:
    """One kind of record that can be exported. Subclasses fill in the blanks."""

    name: str = ""
    title: Promise | str = ""
    columns: tuple[Column, ...] = ()

    def all_columns(self) -> tuple[Column, ...]:
        """The columns to choose from: the fixed ones, and for some entities more that the
        configuration defines (customers: one per custom field)."""
        return self.columns

    def column_map(self) -> dict[str, Column]:
        return {c.key: c for c in self.all_columns()}

    def default_keys(self) -> list[str]:
        return [c.key for c in self.all_columns() if c.default]

    def filter_form(self, *, user: User, query: QueryDict) -> forms.Form:
        raise NotImplementedError

    def queryset(self, *, user: User, query: QueryDict, ids: Sequence[int]) -> QuerySet:
        """Every row the export will contain: scoped by visible_to, filtered, not ordered."""
        raise NotImplementedError

    def describe(self, *, user: User, query: QueryDict, ids: Sequence[int]) -> str:
        return describe_form(self.filter_form(user=user, query=query), ids=ids)

    def prepare(self, ctx: Context) -> None:
        """Load the small label dicts this entity needs, once per export."""

    def reading(self, qs: QuerySet) -> QuerySet:
        """The queryset the chunks read (e.g. with a join the columns select from)."""
        return qs

    def enrich(self, chunk: Chunk, ctx: Context, keys: set[str]) -> None:
        """Add related values for a chunk (a bounded number of queries per chunk)."""

    def chunks(
        self, *, user: User, qs: QuerySet, columns: Sequence[Column], size: int
    ) -> Iterator[tuple[int, list[Sequence[Any]]]]:
        """The export's cells a chunk at a time: (rows, one sequence of cells per column)."""
        ctx = Context.for_user(user)
        self.prepare(ctx)
        names = [n for c in columns for n in c.needs]
        keys = {c.key for c in columns}
        for chunk in keyset_chunks(self.reading(qs), names=names, size=size):
            self.enrich(chunk, ctx, keys)
            yield len(chunk), [c.values(chunk, ctx) for c in columns]

    def rows(
        self, *, user: User, qs: QuerySet, columns: Sequence[Column], size: int
    ) -> Iterator[list[tuple]]:
        """The same cells row by row (tests, small callers)."""
        for _count, cols in self.chunks(user=user, qs=qs, columns=columns, size=size):
            yield list(zip(*cols, strict=True))
