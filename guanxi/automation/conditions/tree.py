"""Condition trees: validate, compile to one SQL query, evaluate and explain for one customer.

A tree is JSON: a group `{"all": [node, …]}` or `{"any": [node, …]}` (nested freely), or a
leaf `{"field": "level", "op": "eq", "value": "high_value"}` with `"days": N` for counts over
the last N days. An empty `{"all": []}` matches every customer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.automation.conditions.fields import OPS, REGISTRY, Clock, Facts, Kindred
from guanxi.core import clock as core_clock
from guanxi.customers.models import Customer

MAX_DEPTH = 6
MAX_LEAVES = 60
NO_VALUE_OPS = {"empty", "not_empty", "is_true", "is_false"}
LIST_OPS = {"in", "not_in", "has_any", "has_all", "has_none"}
NUMBER_OPS = {
    "gt",
    "gte",
    "lt",
    "lte",
    "older_than_days",
    "within_last_days",
    "within_next_days",
    "anniversary_in_days",
}
DATE_VALUE_OPS = {"before", "after", "on"}

MATCH_ALL: dict[str, list] = {"all": []}


class ConditionError(ValueError):
    """A tree that cannot be compiled; `errors` are readable, one per problem, with a path."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _group(node: dict) -> tuple[str, list] | None:
    for key in ("all", "any"):
        if key in node:
            return key, node[key]
    return None


def validate(tree: Any) -> dict:
    """Check a tree and return it normalised (numbers as int, lists as lists)."""
    errors: list[str] = []
    leaves = [0]

    def walk(node: Any, path: str, depth: int) -> Any:
        if not isinstance(node, dict):
            errors.append(_("%(path)s: expected a group or a condition.") % {"path": path})
            return node
        group = _group(node)
        if group is not None:
            key, children = group
            if depth >= MAX_DEPTH:
                errors.append(_("%(path)s: groups are nested too deeply.") % {"path": path})
                return node
            if not isinstance(children, list):
                errors.append(_("%(path)s: a group holds a list.") % {"path": path})
                return node
            return {key: [walk(c, f"{path}.{key}[{i}]", depth + 1) for i, c in enumerate(children)]}
        leaves[0] += 1
        return _leaf(node, path, errors)

    normalised = walk(tree if tree not in (None, {}) else MATCH_ALL, "conditions", 0)
    if leaves[0] > MAX_LEAVES:
        errors.append(_("A rule can have at most %(n)d conditions.") % {"n": MAX_LEAVES})
    if errors:
        raise ConditionError(errors)
    return normalised


def _leaf(node: dict, path: str, errors: list[str]) -> dict:
    key = node.get("field", "")
    kind = REGISTRY.get(str(key))
    if kind is None:
        errors.append(_("%(path)s: unknown field “%(field)s”.") % {"path": path, "field": key})
        return node
    op = node.get("op")
    if op not in kind.ops:
        errors.append(
            _("%(path)s: “%(field)s” cannot use the operator “%(op)s”.")
            % {"path": path, "field": key, "op": op}
        )
        return node
    leaf: dict[str, Any] = {"field": key, "op": op}
    value = node.get("value")
    try:
        if op in NO_VALUE_OPS:
            pass
        elif op in LIST_OPS:
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list) or not value:
                raise ValueError(_("at least one value"))
            leaf["value"] = [str(v) for v in value]
        elif op in NUMBER_OPS or kind.value_type == "number":
            if value in (None, ""):
                raise ValueError(_("a value"))
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise ValueError(_("a whole number")) from None
            if number < 0 or number > 100_000:
                raise ValueError(_("a number from 0 to 100000"))
            leaf["value"] = number
        elif op in DATE_VALUE_OPS:
            try:
                leaf["value"] = dt.date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise ValueError(_("a date like 2026-12-31")) from None
        else:
            if value is None or (isinstance(value, str) and not value.strip()):
                raise ValueError(_("a value"))
            leaf["value"] = str(value).strip()
    except (TypeError, ValueError) as exc:
        errors.append(
            _("%(path)s: “%(field)s” needs %(what)s.")
            % {"path": path, "field": key, "what": exc.args[0] if exc.args else _("a value")}
        )
        return node
    if kind.param_days and node.get("days") not in (None, ""):
        try:
            days = int(node["days"])
            if not 1 <= days <= 3650:
                raise ValueError
            leaf["days"] = days
        except (TypeError, ValueError):
            errors.append(_("%(path)s: days must be from 1 to 3650.") % {"path": path})
    return leaf


def _leaves(tree: dict) -> list[dict]:
    group = _group(tree)
    if group is None:
        return [tree]
    return [leaf for child in group[1] for leaf in _leaves(child)]


def compile_q(tree: dict, *, now: dt.datetime | None = None) -> Q:
    """The tree as one Q over Customer (use `matching()` to apply it with its aliases)."""
    at = Clock(now or core_clock.now())

    def build(node: dict) -> Q:
        group = _group(node)
        if group is None:
            kind = REGISTRY.get(node["field"])
            return kind.q(node["op"], node.get("value"), node.get("days"), at)
        key, children = group
        if key == "all" and not children:
            # "all of nothing" is true; an empty Q() would vanish inside an OR instead.
            return Q(pk__isnull=False)
        result = Q()
        for child in children:
            part = build(child)
            if key == "all":
                result &= part
            else:
                result = part if not result else result | part
        if key == "any" and not children:
            return Q(pk__isnull=True)  # "any of nothing" is false, as in Python's any([])
        return result

    return build(tree)


def matching(
    tree: dict, *, now: dt.datetime | None = None, base: QuerySet | None = None
) -> QuerySet:
    """Customers matching the tree: one SQL query, nothing loaded into Python."""
    qs = base if base is not None else Customer.objects.all()
    aliases = REGISTRY.aliases({leaf["field"] for leaf in _leaves(tree) if "field" in leaf})
    if aliases:
        qs = qs.alias(**aliases)
    return qs.filter(compile_q(tree, now=now))


@dataclass
class Explanation:
    matched: bool
    text: str
    actual: Any = None
    children: list[Explanation] = field(default_factory=list)

    def as_json(self) -> dict:
        out: dict[str, Any] = {"matched": self.matched, "text": self.text}
        if self.children:
            out["children"] = [c.as_json() for c in self.children]
        else:
            out["actual"] = _shown(self.actual)
        return out


def _shown(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def describe(leaf: dict) -> str:
    kind: Kindred = REGISTRY.get(leaf["field"])
    value = leaf.get("value")
    op_text = str(OPS[leaf["op"]])
    if isinstance(value, list):
        value = "、".join(_choice_label(kind, v) for v in value)
    elif value is not None and "N" in op_text:
        # "more than N days ago" reads as "more than 90 days ago".
        op_text, value = op_text.replace("N", str(value)), None
    elif value is not None:
        value = _choice_label(kind, value)
    field_text = str(kind.label)
    if leaf.get("days"):
        field_text = _("%(field)s in the last %(days)d days") % {
            "field": kind.label,
            "days": leaf["days"],
        }
    text = f"{field_text} {op_text}"
    return f"{text} {value}" if value not in (None, "") else text


def _choice_label(kind: Kindred, value: Any) -> str:
    if kind.choices is not None:
        for code, label in kind.choices():
            if code == value:
                return label
    return str(value)


def evaluate(tree: dict, *, customer: Customer, now: dt.datetime | None = None) -> Explanation:
    """Decide for one customer, condition by condition, saying why."""
    at = Clock(now or core_clock.now())
    facts = Facts(customer)

    def walk(node: dict) -> Explanation:
        group = _group(node)
        if group is None:
            kind = REGISTRY.get(node["field"])
            ok = kind.test(node["op"], node.get("value"), node.get("days"), facts, at)
            actual = kind.actual(facts, node.get("days"), at)
            return Explanation(matched=ok, text=describe(node), actual=actual)
        key, children = group
        parts = [walk(c) for c in children]
        ok = all(p.matched for p in parts) if key == "all" else any(p.matched for p in parts)
        text = _("all of") if key == "all" else _("any of")
        return Explanation(matched=ok, text=text, children=parts)

    return walk(tree)


def matches(tree: dict, *, customer: Customer, now: dt.datetime | None = None) -> bool:
    return evaluate(tree, customer=customer, now=now).matched
