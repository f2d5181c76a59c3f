"""Read-only figures for the home page, always through the viewer's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from guanxi.customers.models import Intent, Level
from guanxi.customers.selectors import CustomerFilters, customer_list

INTENT_COLOURS = {"high": "#dc3545", "medium": "#fd7e14", "low": "#6c757d", "": "#adb5bd"}


def _mine(user):
    # "My customers": the ones I own. Grouping a supervisor's whole team scope would read
    # hundreds of thousands of rows on every home page; the (owner, level) index answers this.
    return customer_list(user=user, filters=CustomerFilters(owner=[user.pk])).order_by()


def customers_by_level(*, user) -> list[tuple[str, int]]:
    rows = _mine(user).values("level_id").annotate(n=Count("pk"))
    counts = {row["level_id"]: row["n"] for row in rows}
    levels = {lv.pk: str(lv) for lv in Level.objects.filter(pk__in=[k for k in counts if k])}
    result = [(levels[pk], counts[pk]) for pk in sorted(levels, key=lambda k: -counts[k])]
    if counts.get(None):
        result.append((_("No level"), counts[None]))
    return result


def customers_by_intent(*, user) -> list[tuple[str, str, int]]:
    rows = _mine(user).values("intent").annotate(n=Count("pk"))
    counts = {row["intent"]: row["n"] for row in rows}
    result = [(c.value, str(c.label), counts.get(c.value, 0)) for c in Intent]
    if counts.get(""):
        result.append(("", _("Not set"), counts[""]))
    return result


def level_chart(levels: list[tuple[str, int]]) -> dict[str, Any]:
    """A full ECharts option (static/js/app.js renders it): a doughnut of customer levels."""
    return {
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        # Names in the legend, counts on the ring: outside labels get clipped on a phone.
        "legend": {"bottom": 0, "left": "center"},
        "series": [
            {
                "type": "pie",
                "radius": ["38%", "66%"],
                "center": ["50%", "44%"],
                "label": {"position": "inside", "formatter": "{c}", "color": "#fff"},
                "minShowLabelAngle": 12,
                "data": [{"name": name, "value": n} for name, n in levels],
            }
        ],
    }


def intent_chart(intents: list[tuple[str, str, int]]) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 40, "right": 16, "top": 24, "bottom": 32},
        "xAxis": {"type": "category", "data": [label for _code, label, _n in intents]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "type": "bar",
                "barMaxWidth": 56,
                "label": {"show": True, "position": "top"},
                "data": [
                    {"value": n, "itemStyle": {"color": INTENT_COLOURS.get(code, "#0d6efd")}}
                    for code, _label, n in intents
                ],
            }
        ],
    }
