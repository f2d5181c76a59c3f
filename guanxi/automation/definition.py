"""A rule's whole definition — trigger, conditions, steps, enrollment and goal — validated
and normalised in one place, for the UI, the API, JSON import and the templates alike."""

from __future__ import annotations

import datetime as dt
from typing import Any

from croniter import croniter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.automation.conditions.tree import ConditionError, validate
from guanxi.automation.models import TriggerKind
from guanxi.automation.steps import StepError, validate_steps

EVENTS: dict[str, Any] = {
    "customer.created": gettext_lazy("Customer created"),
    "customer.updated": gettext_lazy("Customer updated"),
    "customer.reassigned": gettext_lazy("Customer reassigned"),
    "customer.tag_added": gettext_lazy("Tag added"),
    "customer.tag_removed": gettext_lazy("Tag removed"),
    "followup.recorded": gettext_lazy("Follow-up recorded"),
    "followup.reviewed": gettext_lazy("Follow-up reviewed by a supervisor"),
    "task.done": gettext_lazy("Task done"),
    "message.opened": gettext_lazy("Message opened"),
    "message.clicked": gettext_lazy("Link clicked"),
    "message.replied": gettext_lazy("Message replied to"),
    "message.unsubscribed": gettext_lazy("Unsubscribed"),
    "message.bounced": gettext_lazy("Email bounced"),
    "message.complained": gettext_lazy("Marked as spam"),
    "deal.stage_changed": gettext_lazy("Deal stage changed"),
    "order.created": gettext_lazy("Order created"),
    "ticket.created": gettext_lazy("Ticket created"),
    "ticket.closed": gettext_lazy("Ticket closed"),
    "form.submitted": gettext_lazy("Form submitted"),
}
ANNIVERSARY_FIELDS = ("birthday", "anniversary")
DEFAULT_SCAN_MINUTES = 15


class DefinitionError(ValueError):
    """Everything wrong with a definition, keyed like a form: trigger / conditions / steps …"""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(e for v in errors.values() for e in v))
        self.errors = errors


def _time(value: Any) -> str:
    """ "9:00", "09:00" or "09:00:00" → "09:00"."""
    text = str(value or "09:00").strip()
    try:
        hour, minute = (int(part) for part in text.split(":")[:2])
        return dt.time(hour, minute).strftime("%H:%M")
    except (TypeError, ValueError):
        raise ValueError(_("Give the time as HH:MM, for example 09:00.")) from None


def schedule_cron(trigger: dict) -> str:
    """The cron expression of a schedule or anniversary trigger."""
    if trigger.get("cron"):
        return str(trigger["cron"])
    hour, minute = _time(trigger.get("at")).split(":")
    every = trigger.get("every", "daily")
    if every == "weekly":
        # weekday as in Python and in wait steps: 0 = Monday … 6 = Sunday; cron counts from Sunday.
        return f"{int(minute)} {int(hour)} * * {(int(trigger.get('weekday', 0)) + 1) % 7}"
    if every == "monthly":
        return f"{int(minute)} {int(hour)} {int(trigger.get('day', 1))} * *"
    return f"{int(minute)} {int(hour)} * * *"


def next_runs(trigger: dict, *, after: dt.datetime, count: int = 1) -> list[dt.datetime]:
    """The next run times of a schedule, in the installation's time zone."""
    local = timezone.localtime(after)
    it = croniter(schedule_cron(trigger), local)
    return [it.get_next(dt.datetime) for _ in range(count)]


def _trigger(raw: Any) -> dict:
    if not isinstance(raw, dict) or raw.get("kind") not in TriggerKind.values:
        raise ValueError(_("Choose a trigger."))
    kind = raw["kind"]
    out: dict[str, Any] = {"kind": kind}
    if kind in (TriggerKind.EVENT, TriggerKind.NO_ACTION):
        if raw.get("event") not in EVENTS:
            raise ValueError(_("Choose the event that starts the rule."))
        out["event"] = raw["event"]
        if raw.get("fields"):
            out["fields"] = [str(f) for f in raw["fields"]]
        if raw.get("tag"):
            out["tag"] = str(raw["tag"]).strip()
    if kind == TriggerKind.NO_ACTION:
        hours = float(raw.get("hours") or 0)
        if not 0 < hours <= 24 * 90:
            raise ValueError(_("Give the waiting time in hours (more than 0)."))
        out["hours"] = hours
        unless = [e for e in raw.get("unless_events") or [] if e in EVENTS]
        if not unless:
            raise ValueError(_("Choose what counts as an answer."))
        out["unless_events"] = unless
    if kind in (TriggerKind.SCHEDULE, TriggerKind.ANNIVERSARY):
        if kind == TriggerKind.ANNIVERSARY:
            if raw.get("field") not in ANNIVERSARY_FIELDS:
                raise ValueError(_("Choose the birthday or the cooperation anniversary."))
            out["field"] = raw["field"]
            out["days_before"] = int(raw.get("days_before") or 0)
            out["at"] = _time(raw.get("at"))
        elif raw.get("cron"):
            if not croniter.is_valid(str(raw["cron"])):
                raise ValueError(_("The cron expression is not valid."))
            out["cron"] = str(raw["cron"]).strip()
        else:
            every = raw.get("every", "daily")
            if every not in ("daily", "weekly", "monthly"):
                raise ValueError(_("Choose daily, weekly or monthly."))
            out["every"] = every
            out["at"] = _time(raw.get("at"))
            if every == "weekly":
                weekday = int(raw.get("weekday", 0))
                if not 0 <= weekday <= 6:
                    raise ValueError(_("Choose a weekday (0 = Monday … 6 = Sunday)."))
                out["weekday"] = weekday
            if every == "monthly":
                day = int(raw.get("day", 1))
                if not 1 <= day <= 28:
                    raise ValueError(_("Choose a day of the month from 1 to 28."))
                out["day"] = day
    if kind == TriggerKind.CONDITION:
        minutes = int(raw.get("scan_minutes") or DEFAULT_SCAN_MINUTES)
        if not 1 <= minutes <= 24 * 60:
            raise ValueError(_("Check the conditions every 1 to 1440 minutes."))
        out["scan_minutes"] = minutes
    return out


def _enrollment(raw: Any) -> dict:
    raw = raw if isinstance(raw, dict) else {}
    out = {
        "reenroll": bool(raw.get("reenroll", False)),
        "min_interval_days": max(0, int(raw.get("min_interval_days") or 0)),
        "exit_when_unmatched": bool(raw.get("exit_when_unmatched", False)),
        "exit_events": [e for e in raw.get("exit_events") or [] if e in EVENTS],
    }
    return out


def validate_definition(raw: Any) -> dict:
    """The definition normalised, or DefinitionError with every problem found."""
    if not isinstance(raw, dict):
        raise DefinitionError({"definition": [_("A rule definition is a JSON object.")]})
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    try:
        out["trigger"] = _trigger(raw.get("trigger"))
    except (TypeError, ValueError) as exc:
        errors["trigger"] = [str(exc) if exc.args else _("Check the trigger.")]
    for key, check in (("conditions", validate), ("goal", validate)):
        value = raw.get(key)
        if key == "goal" and not value:
            out["goal"] = None
            continue
        try:
            out[key] = check(value)
        except ConditionError as exc:
            errors[key] = exc.errors
    try:
        out["steps"] = validate_steps(raw.get("steps"))
    except StepError as exc:
        errors["steps"] = exc.errors
    try:
        out["enrollment"] = _enrollment(raw.get("enrollment"))
    except (TypeError, ValueError):
        errors["enrollment"] = [_("Check the enrollment settings.")]
    if errors:
        raise DefinitionError(errors)
    return out


def effective_conditions(definition: dict) -> dict:
    """The conditions a customer must meet, with an anniversary trigger's day folded in."""
    conditions = definition.get("conditions") or {"all": []}
    trigger = definition["trigger"]
    if trigger["kind"] != TriggerKind.ANNIVERSARY:
        return conditions
    day = {"field": trigger["field"], "op": "anniversary_in_days", "value": trigger["days_before"]}
    return {"all": [day, conditions]}
