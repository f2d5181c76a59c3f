"""Keyset cursor pagination over whatever order the selector chose.

DRF's CursorPagination keys the cursor on the first ordering column only and skips repeats
with an offset (capped at 1000). That breaks on sorts whose first column repeats a lot or is
NULL — "last contact" for customers never contacted, pinyin of common names. Here the
cursor holds the values of *every* ordering column of the last row (the selector's order,
with the primary key as the final tie-breaker), so each page is one indexed range query,
no row is skipped or repeated, and NULLs sort last in either direction on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination as _DrfCursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


@dataclass(frozen=True)
class _Key:
    attname: str
    descending: bool
    nullable: bool


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class CursorPagination(_DrfCursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"
    invalid_cursor_message = _("Invalid cursor.")

    # --- ordering ------------------------------------------------------------------

    def _keys(self, queryset: QuerySet) -> list[_Key]:
        model: type[Model] = queryset.model
        names = [o for o in (queryset.query.order_by or model._meta.ordering) if o]
        if not names or not all(isinstance(n, str) for n in names):
            names = [self.ordering]
        keys: list[_Key] = []
        pk = model._meta.pk
        for name in names:
            descending = name.startswith("-")
            bare = name.lstrip("-")
            try:
                field = pk if bare == "pk" else model._meta.get_field(bare)
            except FieldDoesNotExist:
                field = None
            if field is None or not getattr(field, "concrete", False):
                # An annotation or a relation path: not something a cursor can hold safely.
                return [_Key(pk.attname, True, False)]
            keys.append(_Key(field.attname, descending, bool(getattr(field, "null", False))))
            if field.attname == pk.attname:
                return keys  # the primary key is unique: later columns never decide anything
        keys.append(_Key(pk.attname, keys[-1].descending if keys else True, False))
        return keys

    @staticmethod
    def _order_by(keys: list[_Key], reverse: bool) -> list[Any]:
        exprs = []
        for key in keys:
            descending = key.descending != reverse
            expr = F(key.attname)
            if key.nullable:
                # NULLs after every value when paging forward, before them when paging back.
                nulls = {"nulls_first": True} if reverse else {"nulls_last": True}
                exprs.append(expr.desc(**nulls) if descending else expr.asc(**nulls))
            else:
                exprs.append(expr.desc() if descending else expr.asc())
        return exprs

    @staticmethod
    def _after(keys: list[_Key], values: list[Any], reverse: bool) -> Q:
        """Rows strictly after `values` in the (possibly reversed) order."""
        nulls_after = not reverse
        result = Q(pk__in=[])
        equal_so_far = Q()
        for key, value in zip(keys, values, strict=True):
            descending = key.descending != reverse
            if value is None:
                after = Q(**{f"{key.attname}__isnull": False}) if not nulls_after else Q(pk__in=[])
                same = Q(**{f"{key.attname}__isnull": True})
            else:
                after = Q(**{f"{key.attname}__{'lt' if descending else 'gt'}": value})
                if key.nullable and nulls_after:
                    after |= Q(**{f"{key.attname}__isnull": True})
                same = Q(**{key.attname: value})
            result |= equal_so_far & after
            equal_so_far &= same
        return result

    # --- cursors -------------------------------------------------------------------

    def _signature(self, keys: list[_Key]) -> str:
        return ",".join(("-" if k.descending else "") + k.attname for k in keys)

    def _encode(self, *, values: list[Any], reverse: bool, keys: list[_Key]) -> str:
        payload = {
            "v": [_jsonable(v) for v in values],
            "r": int(reverse),
            "o": self._signature(keys),
        }
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def _decode(self, encoded: str, keys: list[_Key]) -> tuple[list[Any], bool]:
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            payload = json.loads(raw)
            values, reverse = payload["v"], bool(payload["r"])
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise NotFound(self.invalid_cursor_message) from exc
        # A cursor from another sort order would land somewhere meaningless.
        if payload.get("o") != self._signature(keys) or len(values) != len(keys):
            raise NotFound(self.invalid_cursor_message)
        return values, reverse

    # --- DRF interface -------------------------------------------------------------

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.keys = self._keys(queryset)
        encoded = request.query_params.get(self.cursor_query_param)
        values, reverse = self._decode(encoded, self.keys) if encoded else (None, False)

        qs = queryset.order_by(*self._order_by(self.keys, reverse))
        try:
            if values is not None:
                qs = qs.filter(self._after(self.keys, values, reverse))
            rows = list(qs[: self.page_size + 1])
        except (ValueError, TypeError, ValidationError) as exc:  # a tampered cursor value
            raise NotFound(self.invalid_cursor_message) from exc
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if reverse:
            rows.reverse()
        came_from_cursor = values is not None
        self.has_next = came_from_cursor if reverse else more
        self.has_previous = more if reverse else came_from_cursor
        self.page = rows
        return rows

    def _row_values(self, row: Model | dict) -> list[Any]:
        if isinstance(row, dict):  # a values() row from a hot-path selector
            return [row[key.attname] for key in self.keys]
        return [getattr(row, key.attname) for key in self.keys]

    def _link(self, *, row: Model, reverse: bool) -> str:
        cursor = self._encode(values=self._row_values(row), reverse=reverse, keys=self.keys)
        return replace_query_param(self.base_url, self.cursor_query_param, cursor)

    def get_next_link(self) -> str | None:
        if not self.has_next or not self.page:
            return None
        return self._link(row=self.page[-1], reverse=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if not self.page:  # stepped past the end: the previous page is the first one
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self._link(row=self.page[0], reverse=True)

    def get_paginated_response(self, data) -> Response:
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )
