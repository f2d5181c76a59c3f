"""A rule's definition in words: the trigger as a sentence, the condition tree as nested
ALL/ANY lists, the steps as a numbered list (branches indented). Used by the list, the
detail page, the status board and the editor's dry-run panel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from guanxi.automation.conditions.fields import REGISTRY
from guanxi.automation.conditions.tree import describe
from guanxi.automation.definition import EVENTS
from guanxi.automation.models import TriggerKind
from guanxi.automation.steps import ACTIONS

# Cron counts weekdays from Sunday (0); a wait's `until_weekday` counts from Monday (0).


def cron_weekdays() -> list[tuple[int, str]]:
    return [
        (1, pgettext("weekday", "Monday")),
        (2, pgettext("weekday", "Tuesday")),
        (3, pgettext("weekday", "Wednesday")),
        (4, pgettext("weekday", "Thursday")),
        (5, pgettext("weekday", "Friday")),
        (6, pgettext("weekday", "Saturday")),
        (0, pgettext("weekday", "Sunday")),
    ]


def python_weekdays() -> list[tuple[int, str]]:
    return [((n - 1) % 7, label) for n, label in cron_weekdays()]


def message_events() -> list[tuple[str, str]]:
    return [
        ("opened", _("opened")),
        ("clicked", _("clicked a link")),
        ("replied", _("replied")),
        ("opened_or_clicked", _("opened or clicked")),
        ("any_response", _("opened, clicked or replied")),
    ]


def anniversary_fields() -> list[tuple[str, str]]:
    return [("birthday", _("birthday")), ("anniversary", _("cooperation anniversary"))]


def event_label(name: str) -> str:
    return str(EVENTS.get(name, name))


def trigger_text(trigger: dict | None) -> str:
    """One sentence: when does this rule start a journey."""
    if not trigger:
        return ""
    kind = trigger.get("kind")
    if kind == TriggerKind.EVENT:
        text = _("When “%(event)s” happens") % {"event": event_label(trigger.get("event", ""))}
        if trigger.get("fields"):
            text += _(", only when %(fields)s change") % {
                "fields": "、".join(_customer_field_label(f) for f in trigger["fields"])
            }
        if trigger.get("tag"):
            text += _(", tag “%(tag)s”") % {"tag": trigger["tag"]}
        return text
    if kind == TriggerKind.NO_ACTION:
        unless = "、".join(event_label(e) for e in trigger.get("unless_events") or [])
        return _("When none of %(unless)s happens within %(hours)s hours after “%(event)s”") % {
            "hours": _number(trigger.get("hours")),
            "event": event_label(trigger.get("event", "")),
            "unless": unless,
        }
    if kind == TriggerKind.SCHEDULE:
        return schedule_text(trigger)
    if kind == TriggerKind.ANNIVERSARY:
        label = dict(anniversary_fields()).get(trigger.get("field", ""), trigger.get("field", ""))
        days = int(trigger.get("days_before") or 0)
        if days:
            return _("%(days)d days before the customer's %(field)s, at %(at)s") % {
                "days": days, "field": label, "at": trigger.get("at", "09:00"),
            }  # fmt: skip
        return _("On the customer's %(field)s, at %(at)s") % {
            "field": label, "at": trigger.get("at", "09:00"),
        }  # fmt: skip
    if kind == TriggerKind.CONDITION:
        return _("When a customer starts to match the conditions (checked every %(n)s minutes)") % {
            "n": trigger.get("scan_minutes", 15)
        }
    if kind == TriggerKind.MANUAL:
        return _("When customers are enrolled by hand or through the API")
    return str(kind)


def schedule_text(trigger: dict) -> str:
    if trigger.get("cron"):
        return _("On the schedule “%(cron)s” (cron)") % {"cron": trigger["cron"]}
    at = trigger.get("at", "09:00")
    every = trigger.get("every", "daily")
    if every == "weekly":
        day = dict(cron_weekdays()).get(int(trigger.get("weekday", 1)) % 7, "")
        return _("Every week on %(day)s at %(at)s") % {"day": day, "at": at}
    if every == "monthly":
        return _("Every month on day %(day)s at %(at)s") % {"day": trigger.get("day", 1), "at": at}
    return _("Every day at %(at)s") % {"at": at}


def _number(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value or "")
    return str(int(number)) if number == int(number) else str(number)


def _customer_field_label(name: str) -> str:
    from guanxi.customers.models import Customer

    try:
        return str(Customer._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - an unknown name is shown as it is
        return name


# --- conditions ---------------------------------------------------------------------------


def tree_view(tree: dict | None) -> dict:
    """{"join", "label", "children"} for groups, {"text"} for leaves (nested lists)."""
    tree = tree or {"all": []}
    for key in ("all", "any"):
        if key in tree:
            return {
                "join": key,
                "label": _("All of these") if key == "all" else _("Any of these"),
                "children": [tree_view(child) for child in tree[key] or []],
            }
    return {"text": _leaf_text(tree)}


def _leaf_text(leaf: dict) -> str:
    if REGISTRY.get(str(leaf.get("field", ""))) is None or "op" not in leaf:
        return str(leaf)
    try:
        return describe(leaf)
    except Exception:  # noqa: BLE001 - a broken leaf is shown raw rather than failing the page
        return str(leaf)


def tree_text(tree: dict | None) -> str:
    """The tree on one line, for a branch step."""
    tree = tree or {"all": []}
    for key, word in (("all", _(" and ")), ("any", _(" or "))):
        if key in tree:
            parts = [tree_text(child) for child in tree[key] or []]
            if not parts:
                return _("always") if key == "all" else _("never")
            joined = word.join(parts)
            return f"({joined})" if len(parts) > 1 else joined
    return _leaf_text(tree)


# --- steps ----------------------------------------------------------------------------------


@dataclass
class StepLine:
    id: str
    number: str
    action: str
    label: str
    text: str
    then: list[StepLine] = field(default_factory=list)
    otherwise: list[StepLine] = field(default_factory=list)
    is_branch: bool = False


def template_names() -> dict[str, str]:
    from guanxi.messaging.models import MessageTemplate

    return dict(MessageTemplate.objects.values_list("key", "name"))


def step_lines(steps: list[dict], *, templates: dict[str, str] | None = None) -> list[StepLine]:
    """The steps numbered 1, 2, …; a branch's arms 3a.1 … (then) and 3b.1 … (otherwise)."""
    templates = template_names() if templates is None else templates
    numbers: dict[str, str] = {}

    def walk(items: list[dict], prefix: str) -> list[StepLine]:
        lines = []
        for i, step in enumerate(items or [], start=1):
            number = f"{prefix}{i}"
            numbers[str(step.get("id", ""))] = number
            line = StepLine(
                id=str(step.get("id", "")),
                number=number,
                action=str(step.get("action", "")),
                label=str(ACTIONS.get(step.get("action"), step.get("action"))),
                text=step_text(step, templates=templates, numbers=numbers),
                is_branch=step.get("action") == "branch",
            )
            if line.is_branch:
                line.then = walk(step.get("then") or [], f"{number}a.")
                line.otherwise = walk(step.get("else") or [], f"{number}b.")
            lines.append(line)
        return lines

    return walk(steps, "")


def flat_lines(lines: list[StepLine]) -> list[StepLine]:
    out = []
    for line in lines:
        out.append(line)
        out.extend(flat_lines(line.then))
        out.extend(flat_lines(line.otherwise))
    return out


def _person(who: Any) -> str:
    if who in (None, "", "owner"):
        return _("the customer's owner")
    if who == "supervisor":
        return _("the owner's supervisor")
    from guanxi.accounts.models import User

    user = User.objects.filter(pk=who).first() if str(who).isdigit() else None
    return user.label if user else str(who)


def step_text(
    step: dict, *, templates: dict[str, str] | None = None, numbers: dict[str, str] | None = None
) -> str:
    """What one step does, in a sentence."""
    templates = templates or {}
    action = step.get("action")
    if action in ("send_email", "send_sms"):
        key = str(step.get("template", ""))
        name = templates.get(key, key)
        text = (
            _("Send the email “%(name)s”")
            if action == "send_email"
            else _("Send the SMS “%(name)s”")
        ) % {"name": name}
        if step.get("coupon_pool"):
            text += _(" with a coupon code from “%(pool)s”") % {"pool": step["coupon_pool"]}
        return text
    if action == "notify":
        who = step.get("user") if step.get("to") == "user" else step.get("to")
        return _("Notify %(who)s: “%(title)s”") % {
            "who": _person(who),
            "title": step.get("title", ""),
        }
    if action == "assign_owner":
        mode = step.get("mode", "round_robin")
        if mode == "user":
            return _("Assign the customer to %(who)s") % {"who": _person(step.get("user"))}
        how = _("in turn") if mode == "round_robin" else _("to the least loaded salesperson")
        return _("Assign an owner %(how)s") % {"how": how}
    if action == "create_task":
        return _("Create the task “%(title)s” for %(who)s, due in %(hours)s hours") % {
            "title": step.get("title", ""),
            "who": _person(step.get("assignee", "owner")),
            "hours": _number(step.get("due_hours", 24)),
        }
    if action == "set_field":
        return _("Set %(field)s to “%(value)s”") % {
            "field": _customer_field_label(str(step.get("field", ""))),
            "value": step.get("value", ""),
        }
    if action in ("add_tag", "remove_tag"):
        tags = "、".join(str(t) for t in step.get("tags") or [])
        return (
            _("Add the tags %(tags)s") if action == "add_tag" else _("Remove the tags %(tags)s")
        ) % {"tags": tags}
    if action == "issue_coupon":
        return _("Issue a coupon code from “%(pool)s”") % {"pool": step.get("pool", "")}
    if action == "webhook":
        return _("Call the webhook %(url)s") % {"url": step.get("url", "")}
    if action == "wait":
        return wait_text(step)
    if action == "branch":
        condition = step.get("if") or {}
        if "message_step" in condition:
            number = (numbers or {}).get(str(condition["message_step"]), condition["message_step"])
            event = dict(message_events()).get(condition.get("event", ""), condition.get("event"))
            text = _("If the message of step %(n)s was %(event)s") % {"n": number, "event": event}
            if condition.get("within_days") not in (None, ""):
                text += _(" within %(days)s days") % {"days": condition["within_days"]}
            return text
        return _("If %(condition)s") % {"condition": tree_text(condition)}
    return str(ACTIONS.get(action, action))


def wait_text(step: dict) -> str:
    if step.get("until_weekday") not in (None, ""):
        day = dict(python_weekdays()).get(int(step["until_weekday"]), "")
        return _("Wait until %(day)s at %(at)s") % {"day": day, "at": step.get("at", "09:00")}
    if step.get("until_field"):
        labels = {**dict(anniversary_fields()), "expected_close_date": _("expected close date")}
        label = labels.get(step["until_field"], step["until_field"])
        offset = int(step.get("offset_days") or 0)
        if offset < 0:
            return _("Wait until %(days)d days before the %(field)s, at %(at)s") % {
                "days": -offset, "field": label, "at": step.get("at", "09:00"),
            }  # fmt: skip
        if offset > 0:
            return _("Wait until %(days)d days after the %(field)s, at %(at)s") % {
                "days": offset, "field": label, "at": step.get("at", "09:00"),
            }  # fmt: skip
        return _("Wait until the %(field)s, at %(at)s") % {
            "field": label,
            "at": step.get("at", "09:00"),
        }
    parts = []
    for key, one in (
        ("days", _("%(n)s days")),
        ("hours", _("%(n)s hours")),
        ("minutes", _("%(n)s minutes")),
    ):
        if step.get(key) not in (None, "", 0, "0"):
            parts.append(one % {"n": step[key]})
    return _("Wait %(time)s") % {"time": " ".join(parts) or "0"}


def step_label(step_id: str, lines_by_id: dict[str, StepLine]) -> tuple[str, str]:
    """(number, text) of a step id on the board; the no-action trigger's wait is "trigger"."""
    if step_id == "trigger":
        return "0", _("Waiting to see whether the customer answers (trigger)")
    line = lines_by_id.get(step_id)
    if line is None:
        return "–", _("Step %(id)s (only in an older version)") % {"id": step_id}
    return line.number, line.text
