"""Arranging rules for tests: through the services, so versions and audit are as in use."""

from __future__ import annotations

from typing import Any

from guanxi.automation.models import Rule
from guanxi.automation.services import rule_activate, rule_create


def active_rule(*, definition: dict[str, Any], name: str = "测试规则", owner=None) -> Rule:
    rule = rule_create(actor=None, name=name, definition=definition)
    if owner is not None:
        Rule.objects.filter(pk=rule.pk).update(owner=owner)
        rule.refresh_from_db()
    return rule_activate(actor=None, rule=rule)
