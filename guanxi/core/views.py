"""The home dashboard: my tasks, my customers by level and intent, recent activity."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from guanxi.activity.selectors import activity_list
from guanxi.core import dashboard
from guanxi.followups.selectors import my_tasks

RECENT_ACTIVITY = 10


@login_required
def home(request):
    user = request.user
    tasks = my_tasks(user=user)
    levels = dashboard.customers_by_level(user=user)
    intents = dashboard.customers_by_intent(user=user)
    context = {
        "tasks": tasks,
        "task_rows": [*tasks["overdue"][:20], *tasks["today"]],
        "customer_total": sum(n for _name, n in levels),
        "level_chart": dashboard.level_chart(levels),
        "intent_chart": dashboard.intent_chart(intents),
        "activity": activity_list(user=user).select_related("customer")[:RECENT_ACTIVITY],
    }
    return render(request, "core/home.html", context)
