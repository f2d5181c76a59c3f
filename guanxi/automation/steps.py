"""A rule's steps: their JSON shape, validation, and the way a journey moves through them.

Steps are an ordered list; a `branch` holds two lists (`then`, `else`) of its own. Every
step has an `id` unique within the rule ("s1", "s2", … given on validation when missing);
executions name the step by that id, so a journey can be followed through any version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.automation.conditions.tree import ConditionError, validate

ACTIONS: dict[str, Any] = {
    "send_email": gettext_lazy("Send an email"),
    "send_sms": gettext_lazy("Send an SMS"),
    "notify": gettext_lazy("Notify in the app"),
    "assign_owner": gettext_lazy("Assign an owner"),
    "create_task": gettext_lazy("Create a task"),
    "set_field": gettext_lazy("Set a field"),
    "add_tag": gettext_lazy("Add tags"),
    "remove_tag": gettext_lazy("Remove tags"),
    "issue_coupon": gettext_lazy("Issue a coupon code"),
    "webhook": gettext_lazy("Call a webhook"),
    "wait": gettext_lazy("Wait"),
    "branch": gettext_lazy("Branch"),
}
SETTABLE_FIELDS = ("level", "intent", "stage", "industry", "source", "province", "city")
MESSAGE_EVENTS = ("opened", "clicked", "replied", "opened_or_clicked", "any_response")
MAX_STEPS = 50


class StepError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _int(params: dict, key: str, *, low: int, high: int, default: int | None = None) -> int:
    raw = params.get(key, default)
    value = int(raw)
    if not low <= value <= high:
        raise ValueError
    return value


def validate_steps(steps: Any) -> list[dict]:
    """Check a step list and return it with ids filled in."""
    errors: list[str] = []
    if not isinstance(steps, list) or not steps:
        raise StepError([_("A rule needs at least one step.")])
    used: set[str] = set()
    counter = [0]
    flat: list[dict] = []

    def fresh_id() -> str:
        while True:
            counter[0] += 1
            candidate = f"s{counter[0]}"
            if candidate not in used:
                return candidate

    def collect_ids(items: list) -> None:
        for step in items:
            if isinstance(step, dict):
                if isinstance(step.get("id"), str) and step["id"]:
                    if step["id"] in used:
                        errors.append(_("Two steps have the id “%(id)s”.") % {"id": step["id"]})
                    used.add(step["id"])
                for arm in ("then", "else"):
                    if isinstance(step.get(arm), list):
                        collect_ids(step[arm])

    def walk(items: list, path: str) -> list[dict]:
        out = []
        for i, step in enumerate(items):
            where = f"{path}[{i + 1}]"
            if not isinstance(step, dict) or step.get("action") not in ACTIONS:
                errors.append(_("%(where)s: unknown action.") % {"where": where})
                continue
            step = dict(step)
            step["id"] = step.get("id") or fresh_id()
            flat.append(step)
            try:
                _check(step, flat)
            except (TypeError, ValueError, KeyError) as exc:
                detail = exc.errors if isinstance(exc, StepError | ConditionError) else None
                message = "; ".join(detail) if detail else _("check its settings")
                errors.append(
                    _("%(where)s %(action)s: %(message)s")
                    % {"where": where, "action": ACTIONS[step["action"]], "message": message}
                )
            if step["action"] == "branch":
                step["then"] = walk(step.get("then") or [], f"{where}.then")
                step["else"] = walk(step.get("else") or [], f"{where}.else")
            out.append(step)
        return out

    collect_ids(steps)
    result = walk(steps, _("step"))
    if len(flat) > MAX_STEPS:
        errors.append(_("A rule can have at most %(n)d steps.") % {"n": MAX_STEPS})
    if errors:
        raise StepError(errors)
    return result


def _check(step: dict, earlier: list[dict]) -> None:
    action = step["action"]
    if action in ("send_email", "send_sms"):
        if not str(step.get("template", "")).strip():
            raise StepError([_("choose a template")])
    elif action == "notify":
        if step.get("to", "owner") not in ("owner", "supervisor", "user"):
            raise ValueError
        if step.get("to") == "user":
            int(step["user"])
        if not str(step.get("title", "")).strip():
            raise StepError([_("give the notice a title")])
    elif action == "assign_owner":
        mode = step.get("mode", "round_robin")
        if mode == "user":
            int(step["user"])
        elif mode in ("round_robin", "least_loaded"):
            if step.get("team") not in (None, ""):
                int(step["team"])
        else:
            raise ValueError
    elif action == "create_task":
        if not str(step.get("title", "")).strip():
            raise StepError([_("give the task a title")])
        if str(step.get("assignee", "owner")) not in ("owner", "supervisor"):
            int(step["assignee"])
        _int(step, "due_hours", low=0, high=24 * 365, default=24)
    elif action == "set_field":
        if step.get("field") not in SETTABLE_FIELDS:
            raise StepError([_("choose a field")])
        if "value" not in step:
            raise StepError([_("give a value")])
    elif action in ("add_tag", "remove_tag"):
        tags = step.get("tags")
        if not isinstance(tags, list) or not [t for t in tags if str(t).strip()]:
            raise StepError([_("give at least one tag")])
    elif action == "issue_coupon":
        if not str(step.get("pool", "")).strip():
            raise StepError([_("choose a coupon pool")])
    elif action == "webhook":
        url = str(step.get("url", ""))
        if not url.startswith(("http://", "https://")):
            raise StepError([_("give an http(s) address")])
        _int(step, "timeout", low=1, high=30, default=10)
    elif action == "wait":
        _check_wait(step)
    elif action == "branch":
        _check_branch(step, earlier)


def _check_wait(step: dict) -> None:
    if step.get("until_weekday") not in (None, ""):
        _int(step, "until_weekday", low=0, high=6)
        _time_of(step.get("at", "09:00"))
    elif step.get("until_field"):
        if step["until_field"] not in ("birthday", "anniversary", "expected_close_date"):
            raise ValueError
        _int(step, "offset_days", low=-365, high=365, default=0)
        _time_of(step.get("at", "09:00"))
    else:
        total = sum(int(step.get(k) or 0) for k in ("minutes", "hours", "days"))
        if total <= 0:
            raise StepError([_("wait at least one minute")])


def _check_branch(step: dict, earlier: list[dict]) -> None:
    condition = step.get("if")
    if not isinstance(condition, dict):
        raise StepError([_("give the condition to branch on")])
    if "message_step" in condition:
        target = next((s for s in earlier if s["id"] == condition["message_step"]), None)
        if target is None or target["action"] not in ("send_email", "send_sms"):
            raise StepError([_("branch on an earlier email or SMS step")])
        if condition.get("event") not in MESSAGE_EVENTS:
            raise ValueError
        if condition.get("within_days") not in (None, ""):
            _int(condition, "within_days", low=0, high=365)
    else:
        step["if"] = validate(condition)


def _time_of(value: Any) -> dt.time:
    hour, minute = (int(part) for part in str(value).strip().split(":")[:2])
    return dt.time(hour, minute)


@dataclass(frozen=True)
class Position:
    step: dict
    next_id: str | None  # the step after this one when it is not a branch


def index(steps: list[dict]) -> dict[str, Position]:
    """id → step and what follows it; a branch's arms run on into the step after the branch."""
    positions: dict[str, Position] = {}

    def walk(items: list[dict], after: str | None) -> None:
        for i, step in enumerate(items):
            following = items[i + 1]["id"] if i + 1 < len(items) else after
            positions[step["id"]] = Position(step=step, next_id=following)
            if step["action"] == "branch":
                walk(step.get("then") or [], following)
                walk(step.get("else") or [], following)

    walk(steps, None)
    return positions


def branch_target(positions: dict[str, Position], step_id: str, taken: bool) -> str | None:
    position = positions[step_id]
    arm = position.step.get("then" if taken else "else") or []
    return arm[0]["id"] if arm else position.next_id


def wait_until(step: dict, *, start: dt.datetime, customer: Any) -> dt.datetime | None:
    """When a wait that starts at `start` ends (None: the date field it waits for is empty)."""
    if step.get("until_weekday") not in (None, ""):
        local = timezone.localtime(start)
        at = _time_of(step.get("at", "09:00"))
        days = (int(step["until_weekday"]) - local.weekday()) % 7
        candidate = timezone.make_aware(
            dt.datetime.combine(local.date() + dt.timedelta(days=days), at)
        )
        return candidate if candidate > start else candidate + dt.timedelta(days=7)
    if step.get("until_field"):
        day = getattr(customer, step["until_field"], None)
        if day is None:
            return None
        day = day + dt.timedelta(days=int(step.get("offset_days") or 0))
        if step["until_field"] in ("birthday", "anniversary"):
            # The next occurrence of the day in the calendar, not the year it was born.
            today = timezone.localdate(start)
            day = _next_yearly(day, today)
        at = _time_of(step.get("at", "09:00"))
        return max(start, timezone.make_aware(dt.datetime.combine(day, at)))
    return start + dt.timedelta(
        minutes=int(step.get("minutes") or 0),
        hours=int(step.get("hours") or 0),
        days=int(step.get("days") or 0),
    )


def _next_yearly(day: dt.date, today: dt.date) -> dt.date:
    for year in (today.year, today.year + 1):
        try:
            candidate = day.replace(year=year)
        except ValueError:  # 29 February in a year without one
            candidate = dt.date(year, 2, 28)
        if candidate >= today:
            return candidate
    return today
