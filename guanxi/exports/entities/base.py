"""What every exportable entity has: columns to pick from, a scoped query, a description of
the filter, and rows read in keyset chunks (plain values, labels from small dicts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from guanxi.accounts.models import Department, Team, User
from guanxi.accounts.permissions import can_see_contact_details

Getter = Callable[[dict[str, Any], "Context"], Any]
TAG_JOINER = "、"


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise | str
    get: Getter
    needs: tuple[str, ...] = ()  # values() names the getter reads
    default: bool = False


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

    def local(self, value: dt.datetime | None) -> dt.datetime | None:
        """An instant as naive local time: what a spreadsheet cell shows."""
        return value.astimezone(self.tz).replace(tzinfo=None) if value else None

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


def choice(labels: dict[Any, Any]) -> Callable[[Any], str]:
    """code → translated label, resolved once per export rather than once per cell."""
    resolved = {k: str(v) for k, v in labels.items()}
    return lambda code: resolved.get(code, code or "")


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def keyset_chunks(qs: QuerySet, *, names: Sequence[str], size: int) -> Iterator[list[dict]]:
    """All rows of qs as dicts, newest id first, `size` at a time. Each chunk is one indexed
    range query (`id < last`), so the millionth row costs what the first did — no OFFSET."""
    last = None
    while True:
        page = qs if last is None else qs.filter(pk__lt=last)
        rows = list(page.order_by("-pk").values("pk", *names)[:size])
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = rows[-1]["pk"]


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

    def column_map(self) -> dict[str, Column]:
        return {c.key: c for c in self.columns}

    def default_keys(self) -> list[str]:
        return [c.key for c in self.columns if c.default]

    def filter_form(self, *, user: User, query: QueryDict) -> forms.Form:
        raise NotImplementedError

    def queryset(self, *, user: User, query: QueryDict, ids: Sequence[int]) -> QuerySet:
        """Every row the export will contain: scoped by visible_to, filtered, not ordered."""
        raise NotImplementedError

    def describe(self, *, user: User, query: QueryDict, ids: Sequence[int]) -> str:
        return describe_form(self.filter_form(user=user, query=query), ids=ids)

    def prepare(self, ctx: Context) -> None:
        """Load the small label dicts this entity needs, once per export."""

    def enrich(self, rows: list[dict], ctx: Context, keys: set[str]) -> None:
        """Add related values for a chunk (a bounded number of queries per chunk)."""

    def rows(
        self, *, user: User, qs: QuerySet, columns: Sequence[Column], size: int
    ) -> Iterator[list[list[Any]]]:
        ctx = Context.for_user(user)
        self.prepare(ctx)
        names = sorted({n for c in columns for n in c.needs})
        keys = {c.key for c in columns}
        getters = [c.get for c in columns]
        for chunk in keyset_chunks(qs, names=names, size=size):
            self.enrich(chunk, ctx, keys)
            yield [[get(row, ctx) for get in getters] for row in chunk]
