"""The audit log: read-only, filtered, paginated, exportable. Nobody edits it."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import batched

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.activity import display
from guanxi.activity.forms import AuditFilterForm
from guanxi.activity.selectors import activity_list

PER_PAGE = 50
# Cells starting with these are formulas to a spreadsheet; a leading quote makes them text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


@login_required
def audit_list(request):
    require_perm(request.user, Perm.AUDIT_VIEW)
    form = AuditFilterForm(request.GET or None)
    events = activity_list(user=request.user, **form.selector_kwargs())
    number = _page_number(request.GET.get("page"))
    # No COUNT(*): the log grows to millions of rows; one extra row tells if there is a next page.
    rows = list(events[(number - 1) * PER_PAGE : number * PER_PAGE + 1])
    page = rows[:PER_PAGE]
    changes = display.readable_change_rows(page, request.user)
    for event in page:
        event.readable_changes = changes[event.pk]
    context = {
        "form": form,
        "events": page,
        "number": number,
        "has_next": len(rows) > PER_PAGE,
        "has_previous": number > 1,
    }
    template = "activity/audit.html#results" if request.htmx else "activity/audit.html"
    return render(request, template, context)


def _safe(value: object) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(events, viewer) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # lets Excel read the UTF-8 Chinese text
    yield writer.writerow(
        [
            _("Time"),
            _("Actor"),
            _("Action"),
            _("Source"),
            _("Object type"),
            _("Object"),
            _("Customer"),
            _("Changes"),
            _("Summary"),
        ]  # fmt: skip
    )
    for chunk in batched(events.iterator(chunk_size=2000), 2000):
        readable = display.readable_change_rows(list(chunk), viewer)
        for event in chunk:
            yield writer.writerow([_safe(c) for c in _csv_cells(event, readable[event.pk])])


def _csv_cells(event, rows) -> list[object]:
    changes = "; ".join(f"{r.label}: {r.before} → {r.after}" for r in rows)
    return [
        timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
        event.actor.label if event.actor else "",
        event.get_verb_display(),
        event.get_source_display(),
        display.target_type_label(event.target_type),
        event.target_repr,
        event.customer_id or "",
        changes,
        event.summary,
    ]


@login_required
def audit_export(request):
    require_perm(request.user, Perm.AUDIT_VIEW)
    form = AuditFilterForm(request.GET or None)
    events = activity_list(user=request.user, **form.selector_kwargs())
    response = StreamingHttpResponse(
        _csv_rows(events, request.user), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
