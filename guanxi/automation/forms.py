"""Forms of the automation pages: list filters, the settings form, the dry-run customer
picker, and the rule editor.

The editor is one HTML form whose field names spell a path into the definition:
`t_*` the trigger, `c-…` the condition tree (`c-join`, `c-0-kind`, `c-0-field`, `c-1-0-op` …),
`g-…` the goal, `s-…` the steps (`s-0-action`, `s-2-then-0-title` …) and `e_*` enrollment.
`RuleEditor` turns the posted data into a definition (checked by the services, not here),
applies the structural operation a button asked for (add a row, a group, a step; remove;
move; import JSON) and builds what the template shows for each part."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.http import QueryDict
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from guanxi.accounts.models import User
from guanxi.automation import selectors
from guanxi.automation.conditions.fields import OPS, REGISTRY, Kindred
from guanxi.automation.conditions.tree import LIST_OPS, NO_VALUE_OPS, NUMBER_OPS
from guanxi.automation.definition import (
    ANNIVERSARY_FIELDS,
    DEFAULT_SCAN_MINUTES,
    EVENTS,
    DefinitionError,
    validate_definition,
)
from guanxi.automation.models import (
    AutomationSettings,
    ExecutionStatus,
    Rule,
    RuleStatus,
    TriggerKind,
)
from guanxi.automation.services import SETTINGS_FIELDS
from guanxi.automation.steps import ACTIONS, MESSAGE_EVENTS, SETTABLE_FIELDS
from guanxi.automation.views.display import (
    anniversary_fields,
    cron_weekdays,
    message_events,
    python_weekdays,
    step_text,
)
from guanxi.core.forms import BootstrapMixin
from guanxi.customers.forms.inputs import customer_from_code
from guanxi.customers.forms.listing import IdListField
from guanxi.customers.models import Customer
from guanxi.followups.models import TaskPriority

ANY = [("", gettext_lazy("Any"))]
PERIODS = (7, 30, 90)


class RuleFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=ANY)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [*ANY, *RuleStatus.choices]
        self.fields["q"].widget.attrs["placeholder"] = _("Name or description")

    def selector_kwargs(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_valid() else {}
        return {"q": data.get("q", "").strip(), "status": data.get("status", "")}


class ExecutionFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=ANY)
    step = forms.ChoiceField(label=gettext_lazy("Step"), required=False, choices=ANY)
    waiting = forms.ChoiceField(
        label=pgettext_lazy("automation", "Waiting"),
        required=False,
        choices=[
            *ANY,
            ("1", gettext_lazy("Waiting for a later time")),
            ("0", gettext_lazy("Not waiting")),
        ],
    )

    def __init__(self, *args: Any, steps: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [*ANY, *ExecutionStatus.choices]
        self.fields["step"].choices = [*ANY, *steps]

    def filters(self) -> dict[str, str]:
        """The valid filters, as query parameters (empty ones left out)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {k: data[k] for k in ("status", "step", "waiting") if data.get(k)}

    def selector_kwargs(self) -> dict[str, Any]:
        data = self.filters()
        waiting = data.get("waiting")
        return {
            "status": data.get("status", ""),
            "step_id": data.get("step", ""),
            "waiting": None if not waiting else waiting == "1",
        }


def period_days(raw: str | None) -> int:
    try:
        days = int(raw or 30)
    except ValueError:
        return 30
    return days if days in PERIODS else 30


class AutomationSettingsForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = AutomationSettings
        fields = SETTINGS_FIELDS
        help_texts = {
            "failure_pause_ratio": gettext_lazy(
                "An active rule is paused, and its owner told, when this share of its finished "
                "steps failed."
            ),
            "failure_pause_minimum": gettext_lazy(
                "Rules with fewer finished steps are never paused automatically."
            ),
            "max_depth": gettext_lazy(
                "A rule's step can trigger another rule; chains longer than this stop."
            ),
            "webhook_allow_private": gettext_lazy(
                "Leave off unless your webhooks call servers inside your own network."
            ),
            "low_response_ratio": gettext_lazy(
                "Rules that sent at least 20 messages in 30 days and got fewer responses are "
                "flagged in the list."
            ),
        }


class DryRunForm(forms.Form):
    """The customer to explain (a code, as the customer picker suggests it)."""

    customer = forms.CharField(label=gettext_lazy("Customer"), required=False, max_length=200)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["customer"].widget.attrs.update(
            {
                "class": "form-control form-control-sm",
                "list": "customer-options",
                "autocomplete": "off",
                "placeholder": _("Customer code, e.g. C000123"),
                "hx-get": reverse_lazy("customers:lookup"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#customer-options",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )

    def clean_customer(self) -> Customer | None:
        return customer_from_code(user=self.user, text=self.cleaned_data.get("customer"))


class EnrollSelectedForm(forms.Form):
    """The customer list's selection, enrolled by hand into one active rule."""

    ids = IdListField(error_messages={"required": gettext_lazy("Select at least one customer.")})
    rule = forms.ModelChoiceField(
        queryset=Rule.objects.none(),
        error_messages={
            "required": gettext_lazy("Choose the rule to enroll the customers in."),
            "invalid_choice": gettext_lazy("That rule is not active any more."),
        },
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = selectors.enrollable_rules(user=user)


class CouponLoadForm(BootstrapMixin, forms.Form):
    """Codes for a pool: typed or pasted one per line, or a text / CSV file (first column)."""

    pool = forms.CharField(
        label=gettext_lazy("Pool"), max_length=50,
        help_text=gettext_lazy("A new name creates the pool; letters, digits, “-” and “_”."),
        widget=forms.TextInput(attrs={"list": "pool-options", "autocomplete": "off"}),
    )  # fmt: skip
    codes = forms.CharField(
        label=gettext_lazy("Codes, one per line"), required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )  # fmt: skip
    file = forms.FileField(
        label=gettext_lazy("…or a file"), required=False,
        help_text=gettext_lazy("Text or CSV, UTF-8; the first column of each line."),
    )  # fmt: skip

    MAX_FILE_BYTES = 5 * 1024 * 1024

    def clean(self) -> dict[str, Any]:
        from guanxi.automation.coupons import first_column

        data = super().clean()
        upload = data.get("file")
        text = data.get("codes") or ""
        if upload is not None:
            if upload.size > self.MAX_FILE_BYTES:
                self.add_error("file", _("The file is larger than 5 MB."))
                return data
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", _("The file is not UTF-8 text."))
                return data
        if not text.strip():
            self.add_error("codes", _("Give at least one code."))
        data["lines"] = first_column(text)
        return data


# --- the rule editor ------------------------------------------------------------------------

DEFAULT_LEAF = {"field": "level", "op": "eq", "value": ""}
NEW_DEFINITION: dict[str, Any] = {
    "trigger": {"kind": TriggerKind.EVENT, "event": "customer.created"},
    "conditions": {"all": []},
    "steps": [{"id": "s1", "action": "add_tag", "tags": []}],
    "enrollment": {"reenroll": False, "min_interval_days": 0, "exit_when_unmatched": False,
                   "exit_events": []},
    "goal": None,
}  # fmt: skip
TAG_EVENTS = ("customer.tag_added", "customer.tag_removed")
WATCHED_FIELDS = (
    "level", "intent", "stage", "industry", "source", "owner", "team", "province", "city",
    "expected_close_date", "birthday", "anniversary", "name", "demand", "remarks",
    "custom_fields",
)  # fmt: skip
STEP_DEFAULTS: dict[str, dict[str, Any]] = {
    "send_email": {"template": ""},
    "send_sms": {"template": ""},
    "notify": {"to": "owner", "title": ""},
    "assign_owner": {"mode": "round_robin"},
    "create_task": {"title": "", "assignee": "owner", "due_hours": 24, "priority": 2},
    "set_field": {"field": "intent", "value": ""},
    "add_tag": {"tags": []},
    "remove_tag": {"tags": []},
    "issue_coupon": {"pool": ""},
    "webhook": {"url": "", "timeout": 10},
    "wait": {"days": 1},
    "branch": {"if": {"all": [dict(DEFAULT_LEAF)]}, "then": [], "else": []},
}
_SPLIT = re.compile(r"[,，、\n]+")


def _number(raw: Any) -> Any:
    """A typed number from an input ("3" → 3, "1.5" → 1.5); other text as it is."""
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _words(raw: str) -> list[str]:
    return [w.strip() for w in _SPLIT.split(raw or "") if w.strip()]


def _indices(data: QueryDict, prefix: str, suffix: str) -> list[int]:
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)-{suffix}$")
    found = {int(m.group(1)) for key in data for m in [pattern.match(key)] if m}
    return sorted(found)


class RuleEditor:
    """The editor's state: name, description, the (unchecked) definition being built."""

    def __init__(self, *, name: str = "", description: str = "", definition: dict | None = None):
        self.name = name
        self.description = description
        self.definition: dict[str, Any] = json.loads(json.dumps(definition or NEW_DEFINITION))
        self.errors: dict[str, list[str]] = {}
        self.op = ""
        self.json_text = ""
        self._nodes: dict[str, tuple[list | None, Any]] = {}
        _fill_ids(self.definition.get("steps") or [])

    # -- reading the post ------------------------------------------------------------------

    @classmethod
    def from_post(cls, data: QueryDict) -> RuleEditor:
        editor = cls.__new__(cls)
        editor.name = data.get("name", "").strip()
        editor.description = data.get("description", "").strip()
        editor.errors = {}
        editor.op = data.get("op", "") or "save"
        editor.json_text = data.get("definition_json", "")
        editor._nodes = {}
        definition: dict[str, Any] = {
            "trigger": _trigger(data),
            "conditions": editor._group(data, "c"),
        }
        goal = editor._group(data, "g")
        definition["steps"] = editor._steps(data, "s")
        definition["enrollment"] = {
            "reenroll": data.get("e_reenroll") == "1",
            "min_interval_days": _number(data.get("e_min_interval_days")) or 0,
            "exit_when_unmatched": data.get("e_exit_when_unmatched") == "1",
            "exit_events": [e for e in data.getlist("e_exit_events") if e in EVENTS],
        }
        definition["goal"] = goal
        editor.definition = definition
        return editor

    def _group(self, data: QueryDict, prefix: str) -> dict:
        join = data.get(f"{prefix}-join")
        join = join if join in ("all", "any") else "all"
        children: list[Any] = []
        for i in _indices(data, prefix, "kind"):
            p = f"{prefix}-{i}"
            nested = data.get(f"{p}-kind") == "group"
            node = self._group(data, p) if nested else _leaf(data, p)
            self._nodes[p] = (children, node)
            children.append(node)
        group = {join: children}
        self._nodes[prefix] = (None, group)
        return group

    def _steps(self, data: QueryDict, prefix: str) -> list[dict]:
        steps: list[dict] = []
        self._nodes[prefix] = (None, steps)
        for i in _indices(data, prefix, "action"):
            p = f"{prefix}-{i}"
            step = self._step(data, p)
            self._nodes[p] = (steps, step)
            steps.append(step)
        return steps

    def _step(self, data: QueryDict, p: str) -> dict:
        def get(key: str, default: str = "") -> str:
            return data.get(f"{p}-{key}", default).strip()

        action = get("action")
        step: dict[str, Any] = {"id": get("id"), "action": action}
        if action in ("send_email", "send_sms"):
            step["template"] = get("template")
            if get("coupon_pool"):
                step["coupon_pool"] = get("coupon_pool")
        elif action == "notify":
            step["to"] = get("to", "owner") or "owner"
            if step["to"] == "user":
                step["user"] = _number(get("user")) or ""
            step["title"] = get("title")
            if get("body"):
                step["body"] = get("body")
        elif action == "assign_owner":
            step["mode"] = get("mode", "round_robin") or "round_robin"
            if step["mode"] == "user":
                step["user"] = _number(get("user")) or ""
            elif get("team"):
                step["team"] = _number(get("team"))
            step["only_if_unowned"] = get("only_if_unowned", "1") != "0"
        elif action == "create_task":
            step["title"] = get("title")
            if get("description"):
                step["description"] = get("description")
            assignee = get("assignee", "owner") or "owner"
            step["assignee"] = _number(assignee) if assignee.isdigit() else assignee
            step["due_hours"] = _number(get("due_hours")) if get("due_hours") else 24
            step["priority"] = _number(get("priority")) or 2
        elif action == "set_field":
            step["field"] = get("field")
            step["value"] = get("value")
        elif action in ("add_tag", "remove_tag"):
            step["tags"] = _words(get("tags"))
        elif action == "issue_coupon":
            step["pool"] = get("pool")
        elif action == "webhook":
            step["url"] = get("url")
            if get("secret"):
                step["secret"] = get("secret")
            step["timeout"] = _number(get("timeout")) or 10
        elif action == "wait":
            mode = get("wait_mode", "duration")
            if mode == "weekday":
                step["until_weekday"] = _number(get("until_weekday")) or 0
                step["at"] = get("at") or "09:00"
            elif mode == "field":
                step["until_field"] = get("until_field") or "birthday"
                step["offset_days"] = _number(get("offset_days")) or 0
                step["at"] = get("at") or "09:00"
            else:
                for key in ("days", "hours", "minutes"):
                    if _number(get(key)):
                        step[key] = _number(get(key))
        elif action == "branch":
            if get("if_kind", "condition") == "message":
                condition: dict[str, Any] = {
                    "message_step": get("message_step"),
                    "event": get("event") or "opened",
                }
                if get("within_days"):
                    condition["within_days"] = _number(get("within_days"))
                step["if"] = condition
            else:
                step["if"] = self._group(data, f"{p}-if")
            step["then"] = self._steps(data, f"{p}-then")
            step["else"] = self._steps(data, f"{p}-else")
        return step

    # -- structural operations -------------------------------------------------------------

    def apply(self) -> bool:
        """Carry out the button's operation. False when it is "save" (nothing to apply)."""
        op, _sep, target = self.op.partition(":")
        if op == "save":
            return False
        if op == "import_json":
            self._import_json()
        elif op == "add_leaf" and target in self._nodes:
            group = self._nodes[target][1]
            next(iter(group.values())).append(dict(DEFAULT_LEAF))
        elif op == "add_group" and target in self._nodes:
            group = self._nodes[target][1]
            inner = "any" if "all" in group else "all"
            next(iter(group.values())).append({inner: [dict(DEFAULT_LEAF)]})
        elif op == "add_step":
            where, _sep, action = target.partition(":")
            if where in self._nodes and action in ACTIONS:
                step = {"id": self._fresh_id(), "action": action}
                step.update(json.loads(json.dumps(STEP_DEFAULTS[action])))
                self._nodes[where][1].append(step)
        elif op in ("remove", "up", "down") and target in self._nodes:
            siblings, node = self._nodes[target]
            if siblings is not None:
                i = next(n for n, s in enumerate(siblings) if s is node)
                if op == "remove":
                    siblings.pop(i)
                else:
                    j = i - 1 if op == "up" else i + 1
                    if 0 <= j < len(siblings):
                        siblings[i], siblings[j] = siblings[j], siblings[i]
        return True

    def _import_json(self) -> None:
        try:
            raw = json.loads(self.json_text or "{}")
        except ValueError as exc:
            self.errors["json"] = [_("This is not valid JSON: %(error)s") % {"error": exc}]
            return
        if not isinstance(raw, dict):
            self.errors["json"] = [_("A rule definition is a JSON object.")]
            return
        if isinstance(raw.get("definition"), dict):  # a whole exported rule
            self.name = self.name or str(raw.get("name", ""))
            raw = raw["definition"]
        raw.setdefault("conditions", {"all": []})
        raw.setdefault("steps", [])
        _fill_ids(raw["steps"])
        self.definition = raw
        self.json_text = ""

    def _fresh_id(self) -> str:
        used = {str(s.get("id")) for s in _flat(self.definition.get("steps") or [])}
        n = 1
        while f"s{n}" in used:
            n += 1
        return f"s{n}"

    # -- checking and showing --------------------------------------------------------------

    def to_service(self) -> dict[str, Any]:
        """What the services are given: the definition with an empty goal left out."""
        definition = dict(self.definition)
        goal = definition.get("goal")
        if not goal or not next(iter(goal.values()), None):
            definition["goal"] = None
        return definition

    def shown_json(self) -> str:
        if self.json_text and "json" in self.errors:
            return self.json_text
        try:
            clean = validate_definition(self.to_service())
        except (DefinitionError, TypeError, ValueError, KeyError):
            clean = self.to_service()
        return json.dumps(clean, ensure_ascii=False, indent=2)

    def step_errors(self) -> tuple[list[str], dict[str, list[str]]]:
        """The steps' errors split into those of the whole list and those of one step, by
        the step's number ("step[3].else[1] …" is step 3b.1)."""
        general: list[str] = []
        by_number: dict[str, list[str]] = {}
        for message in self.errors.get("steps") or []:
            match = _STEP_PATH.match(message)
            if match is None:
                general.append(message)
                continue
            number = match.group(1)
            for arm, i in re.findall(r"\.(then|else)\[(\d+)\]", match.group(2)):
                number += f"{'a' if arm == 'then' else 'b'}.{i}"
            by_number.setdefault(number, []).append(match.group(3))
        return general, by_number

    def context(self) -> dict[str, Any]:
        options = EditorOptions()
        definition = self.definition
        steps = definition.get("steps") or []
        general, by_number = self.step_errors()
        steps_view = _steps_view(steps, "s", "", 0, options, earlier=[])
        _attach_errors(steps_view, by_number)
        return {
            "editor": self,
            "opts": options,
            "trigger": TriggerView(definition.get("trigger") or {}),
            "conditions": _group_view(definition.get("conditions") or {"all": []}, "c", options),
            "goal": _group_view(
                definition.get("goal") or {"all": []}, "g", options, allow_groups=False
            ),
            "steps": steps_view,
            "steps_errors": general,
            "enrollment": definition.get("enrollment") or NEW_DEFINITION["enrollment"],
            "definition_json": self.shown_json(),
        }


_STEP_PATH = re.compile(r"^\S*?\[(\d+)\]((?:\.(?:then|else)\[\d+\])*)\s+(.*)$", re.S)


def _attach_errors(steps_view: dict, by_number: dict[str, list[str]]) -> None:
    for item in steps_view["items"]:
        item["errors"] = by_number.get(item["number"], [])
        for arm in ("then_list", "else_list"):
            if arm in item:
                _attach_errors(item[arm], by_number)


def _flat(steps: list) -> list[dict]:
    out = []
    for step in steps or []:
        if isinstance(step, dict):
            out.append(step)
            out.extend(_flat(step.get("then") or []))
            out.extend(_flat(step.get("else") or []))
    return out


def _fill_ids(steps: list) -> None:
    used = {str(s["id"]) for s in _flat(steps) if s.get("id")}
    n = 0
    for step in _flat(steps):
        if not step.get("id"):
            n += 1
            while f"s{n}" in used:
                n += 1
            step["id"] = f"s{n}"
            used.add(step["id"])


def _trigger(data: QueryDict) -> dict[str, Any]:
    kind = data.get("t_kind") or TriggerKind.EVENT
    out: dict[str, Any] = {"kind": kind}
    if kind in (TriggerKind.EVENT, TriggerKind.NO_ACTION):
        out["event"] = data.get("t_event", "")
        if kind == TriggerKind.EVENT and out["event"] == "customer.updated":
            fields = [f for f in data.getlist("t_fields") if f]
            if fields:
                out["fields"] = fields
        if out["event"] in TAG_EVENTS and data.get("t_tag", "").strip():
            out["tag"] = data["t_tag"].strip()
    if kind == TriggerKind.NO_ACTION:
        out["hours"] = _number(data.get("t_hours")) or ""
        out["unless_events"] = [e for e in data.getlist("t_unless") if e]
    if kind == TriggerKind.SCHEDULE:
        if data.get("t_mode") == "cron":
            out["cron"] = data.get("t_cron", "").strip() or "0 9 * * *"
        else:
            out["every"] = data.get("t_every") or "daily"
            out["at"] = data.get("t_at") or "09:00"
            if out["every"] == "weekly":
                out["weekday"] = _number(data.get("t_weekday")) or 0
            if out["every"] == "monthly":
                out["day"] = _number(data.get("t_day")) or 1
    if kind == TriggerKind.ANNIVERSARY:
        out["field"] = data.get("t_field") or "birthday"
        out["days_before"] = _number(data.get("t_days_before")) or 0
        out["at"] = data.get("t_at") or "09:00"
    if kind == TriggerKind.CONDITION:
        out["scan_minutes"] = _number(data.get("t_scan_minutes")) or DEFAULT_SCAN_MINUTES
    return out


def _leaf(data: QueryDict, p: str) -> dict[str, Any]:
    key = data.get(f"{p}-field", "")
    kind = REGISTRY.get(key)
    op = data.get(f"{p}-op", "")
    if kind is not None and op not in kind.ops:
        op = kind.ops[0]
    leaf: dict[str, Any] = {"field": key, "op": op}
    if op not in NO_VALUE_OPS:
        values = [v.strip() for v in data.getlist(f"{p}-value")]
        if op in LIST_OPS:
            leaf["value"] = [w for v in values for w in _words(v)]
        else:
            value = values[0] if values else ""
            number = op in NUMBER_OPS or (kind is not None and kind.value_type == "number")
            leaf["value"] = _number(value) if number and value else value
    days = data.get(f"{p}-days", "").strip()
    if kind is not None and kind.param_days and days:
        leaf["days"] = _number(days)
    return leaf


# --- what the template shows --------------------------------------------------------------


class EditorOptions:
    """Choices the editor's selects offer (loaded once per render)."""

    def __init__(self) -> None:
        from guanxi.accounts.models import Department, Team
        from guanxi.messaging.models import MessageTemplate

        self.kinds = TriggerKind.choices
        self.events = [(k, str(v)) for k, v in EVENTS.items()]
        self.watched = [(f, _field_label(f)) for f in WATCHED_FIELDS]
        self.fields = [(k, str(kind.label)) for k, kind in REGISTRY.fields.items()]
        self.actions = [(k, str(v)) for k, v in ACTIONS.items()]
        self.arm_actions = [(k, v) for k, v in self.actions if k != "branch"]
        self.cron_weekdays = cron_weekdays()
        self.python_weekdays = python_weekdays()
        self.message_events = [(k, v) for k, v in message_events() if k in MESSAGE_EVENTS]
        self.anniversary_fields = [
            (k, v) for k, v in anniversary_fields() if k in ANNIVERSARY_FIELDS
        ]
        self.wait_fields = [
            *self.anniversary_fields,
            ("expected_close_date", _("expected close date")),
        ]
        self.users = [
            (str(u.pk), u.label) for u in User.objects.filter(is_active=True).order_by("username")
        ]
        self.teams = [(str(t.pk), t.name) for t in Team.objects.order_by("name")]
        self.departments = [(str(d.pk), d.name) for d in Department.objects.order_by("name")]
        templates = MessageTemplate.objects.filter(is_active=True).order_by("name")
        self.email_templates = [(t.key, t.name) for t in templates if t.channel == "email"]
        self.sms_templates = [(t.key, t.name) for t in templates if t.channel == "sms"]
        self.template_names = dict([*self.email_templates, *self.sms_templates])
        self.settable = [(f, _field_label(f)) for f in SETTABLE_FIELDS]
        self.people = [
            ("owner", _("the customer's owner")),
            ("supervisor", _("the owner's supervisor")),
        ]
        self.priorities = [(int(v), str(label)) for v, label in TaskPriority.choices]

    def ref_choices(self, value_type: str) -> list[tuple[str, str]] | None:
        return {"user": self.users, "team": self.teams, "department": self.departments}.get(
            value_type
        )


def _field_label(name: str) -> str:
    try:
        return str(Customer._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001
        return name


class TriggerView:
    def __init__(self, trigger: dict) -> None:
        self.t = trigger
        self.kind = trigger.get("kind", TriggerKind.EVENT)
        self.event = trigger.get("event", "")
        self.fields = [str(f) for f in trigger.get("fields") or []]
        self.tag = trigger.get("tag", "")
        self.hours = trigger.get("hours", "")
        self.unless = list(trigger.get("unless_events") or [])
        self.mode = "cron" if trigger.get("cron") else "simple"
        self.cron = trigger.get("cron", "")
        self.every = trigger.get("every", "daily")
        self.at = trigger.get("at", "09:00")
        self.weekday = str(trigger.get("weekday", 1))
        self.day = trigger.get("day", 1)
        self.field = trigger.get("field", "birthday")
        self.days_before = trigger.get("days_before", 0)
        self.scan_minutes = trigger.get("scan_minutes", DEFAULT_SCAN_MINUTES)
        self.shows_event = self.kind in (TriggerKind.EVENT, TriggerKind.NO_ACTION)
        self.shows_fields = self.kind == TriggerKind.EVENT and self.event == "customer.updated"
        self.shows_tag = self.shows_event and self.event in TAG_EVENTS


def _value_widget(kind: Kindred | None, op: str, options: EditorOptions) -> tuple[str, list]:
    if kind is None or op in NO_VALUE_OPS:
        return ("none" if kind is not None else "text"), []
    choices = kind.choices() if kind.choices is not None else options.ref_choices(kind.value_type)
    if choices is not None and op in ("eq", "ne"):
        return "select", choices
    if choices is not None and op in ("in", "not_in"):
        return "multi", choices
    if op in LIST_OPS:
        return "words", []
    if op in NUMBER_OPS or kind.value_type == "number":
        return "number", []
    if kind.value_type == "date":
        return "date", []
    return "text", []


def _group_view(
    group: dict, prefix: str, options: EditorOptions, *, nested: bool = False,
    allow_groups: bool = True,
) -> dict:  # fmt: skip
    join = "any" if "any" in group else "all"
    children = []
    for i, child in enumerate(group.get(join) or []):
        p = f"{prefix}-{i}"
        if isinstance(child, dict) and ("all" in child or "any" in child):
            children.append(_group_view(child, p, options, nested=True, allow_groups=allow_groups))
        else:
            children.append(_leaf_view(child if isinstance(child, dict) else {}, p, options))
    return {
        "is_group": True,
        "prefix": prefix,
        "join": join,
        "children": children,
        "nested": nested,
        "can_add_group": allow_groups and not nested,
    }


def _leaf_view(leaf: dict, prefix: str, options: EditorOptions) -> dict:
    key = str(leaf.get("field", ""))
    kind = REGISTRY.get(key)
    op = leaf.get("op", "")
    if kind is not None and op not in kind.ops:
        op = kind.ops[0]
    widget, choices = _value_widget(kind, op, options)
    value = leaf.get("value", "")
    values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    fields = options.fields
    if key and key not in REGISTRY.fields:
        fields = [*fields, (key, key)]
    return {
        "is_group": False,
        "prefix": prefix,
        "field": key,
        "fields": fields,
        "op": op,
        "ops": [(o, str(OPS[o])) for o in kind.ops] if kind is not None else [],
        "widget": widget,
        "choices": [(str(c), str(label)) for c, label in choices],
        "value": "、".join(values) if widget == "words" else (values[0] if values else ""),
        "values": values,
        "param_days": bool(kind and kind.param_days),
        "days": leaf.get("days", ""),
    }


def _steps_view(
    steps: list, prefix: str, number: str, depth: int, options: EditorOptions, *, earlier: list
) -> dict:
    items = []
    for i, step in enumerate(steps or []):
        step = step if isinstance(step, dict) else {}
        p = f"{prefix}-{i}"
        label = f"{number}{i + 1}"
        action = step.get("action", "")
        view: dict[str, Any] = {
            "prefix": p,
            "number": label,
            "id": step.get("id", ""),
            "action": action,
            "action_label": str(ACTIONS.get(action, action)),
            "s": step,
            "first": i == 0,
            "last": i == len(steps) - 1,
            "depth": depth,
        }
        if action in ("add_tag", "remove_tag"):
            view["tags"] = "、".join(str(t) for t in step.get("tags") or [])
        if action == "set_field":
            view["value_choices"] = _settable_choices(str(step.get("field", "")))
        if action == "wait":
            view["wait_mode"] = (
                "weekday"
                if step.get("until_weekday") not in (None, "")
                else "field"
                if step.get("until_field")
                else "duration"
            )
        if action == "create_task":
            view["priority"] = step.get("priority", 2)
        if action == "assign_owner":
            view["only_if_unowned"] = step.get("only_if_unowned", True) not in (False, "0", 0)
        if action == "branch":
            condition = step.get("if") or {"all": []}
            view["if_kind"] = "message" if "message_step" in condition else "condition"
            view["if_group"] = _group_view(
                condition if view["if_kind"] == "condition" else {"all": [dict(DEFAULT_LEAF)]},
                f"{p}-if", options, allow_groups=False,
            )  # fmt: skip
            view["cond"] = condition
            view["message_steps"] = [
                (
                    s["id"],
                    f"{s['number']} · {step_text(s['step'], templates=options.template_names)}",
                )
                for s in earlier
                if s["step"].get("action") in ("send_email", "send_sms")
            ]
        earlier.append({"id": step.get("id", ""), "number": label, "step": step})
        if action == "branch":
            view["then_list"] = _steps_view(
                step.get("then") or [], f"{p}-then", f"{label}a.", depth + 1, options,
                earlier=earlier,
            )  # fmt: skip
            view["else_list"] = _steps_view(
                step.get("else") or [], f"{p}-else", f"{label}b.", depth + 1, options,
                earlier=earlier,
            )  # fmt: skip
        items.append(view)
    actions = options.actions if depth == 0 else options.arm_actions
    return {"prefix": prefix, "items": items, "actions": actions, "depth": depth}


def _settable_choices(name: str) -> list[tuple[str, str]]:
    kind = REGISTRY.get(name)
    if kind is None or kind.choices is None:
        return []
    return [(str(c), str(label)) for c, label in kind.choices()]
