"""The rule templates and the system rules: every one validates, names message templates that
exist, installs once; the system rules are installed by the migration and idempotently."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone, translation

from guanxi.accounts.tests.factories import UserFactory
from guanxi.automation import catalog
from guanxi.automation.definition import validate_definition
from guanxi.automation.models import Rule, RuleStatus, RuleVersion
from guanxi.automation.services import rule_delete, rule_pause
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from guanxi.messaging.models import MessageTemplate

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 9, 20, 12, 0))
TEMPLATE_KEYS = [
    "first-followup",
    "monthly-care",
    "silent-reactivation",
    "intent-upgrade",
    "new-customer-nurture",
    "unanswered-inquiry",
    "new-order-assign",
    "greetings",
]
SYSTEM_KEYS = [
    "system-active-tag",
    "system-active-tag-remove",
    "system-dormant-tag",
    "system-dormant-tag-remove",
    "system-silent-level",
    "system-repeat-stage",
    "system-churn-risk-stage",
]


def _steps(steps):
    for step in steps:
        yield step
        yield from _steps(step.get("then") or [])
        yield from _steps(step.get("else") or [])


def test_the_catalog_holds_the_seed_templates_and_the_system_rules():
    assert [t.key for t in catalog.templates_list()] == TEMPLATE_KEYS
    assert [t.key for t in catalog.system_rules()] == SYSTEM_KEYS
    assert all(not t.is_system for t in catalog.templates_list())
    assert all(t.is_system for t in catalog.system_rules())


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_definition_validates_unchanged_in_both_languages(language):
    for template in [*catalog.templates_list(), *catalog.system_rules()]:
        definition = template.definition_for(language)
        clean = validate_definition(definition)
        assert [s["id"] for s in _steps(clean["steps"])] == [
            s["id"] for s in _steps(definition["steps"])
        ], template.key  # every step has its own stable id: nothing was filled in


def test_every_message_step_names_a_seeded_template_of_its_channel():
    channels = dict(MessageTemplate.objects.values_list("key", "channel"))
    for language in ("zh-hans", "en"):
        for template in catalog.templates_list():
            for step in _steps(template.definition_for(language)["steps"]):
                if step["action"] in ("send_email", "send_sms"):
                    assert step["template"].endswith("-en") == (language == "en")
                    expected = "email" if step["action"] == "send_email" else "sms"
                    assert channels.get(step["template"]) == expected, (template.key, language)


def test_texts_follow_the_active_language():
    first = catalog.template_get("first-followup")
    with translation.override("zh-hans"):
        steps = {s["id"]: s for s in _steps(first.definition["steps"])}
        assert steps["intro"]["template"] == "product-intro"
        assert steps["call"]["title"] == "电话跟进 {customer}"
    with translation.override("en"):
        steps = {s["id"]: s for s in _steps(first.definition["steps"])}
        assert steps["intro"]["template"] == "product-intro-en"
        assert steps["call"]["title"] == "Phone follow-up: {customer}"
        assert str(first.name) == "First follow-up of potential customers"


def test_system_thresholds_come_from_the_settings_dict(monkeypatch):
    dormant = next(t for t in catalog.system_rules() if t.key == "system-dormant-tag")
    leaf = dormant.definition["conditions"]["all"][1]
    assert leaf == {"field": "last_interaction", "op": "older_than_days", "value": 90}
    active = next(t for t in catalog.system_rules() if t.key == "system-active-tag")
    assert active.definition["conditions"]["all"][1] == {
        "field": "followups", "op": "gte", "value": 3, "days": 30,
    }  # fmt: skip
    assert active.definition["trigger"] == {"kind": "condition", "scan_minutes": 60}


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_every_template_installs_as_a_draft_once(key):
    admin = UserFactory(role_slug="admin")
    with clock.frozen_at(T0):
        rule = catalog.template_install(actor=admin, key=key)
    rule.refresh_from_db()
    template = catalog.template_get(key)
    assert rule.status == RuleStatus.DRAFT
    assert (rule.template_key, rule.is_system, rule.owner) == (key, False, admin)
    assert rule.name == str(template.name)
    assert rule.current_version.number == 1
    assert rule.current_version.definition == validate_definition(template.definition)
    assert rule.trigger_kind == template.definition["trigger"]["kind"]

    with pytest.raises(ApplicationError) as refused, translation.override("en"):
        catalog.template_install(actor=admin, key=key, enable=True)
    with translation.override("en"):
        expected = f"The template “{template.name}” is already installed as the rule “{rule.name}”."
    assert refused.value.message == expected
    assert Rule.objects.filter(template_key=key).count() == 1
    rule.refresh_from_db()
    assert rule.status == RuleStatus.DRAFT


def test_installing_with_enable_activates_and_schedules():
    with clock.frozen_at(T0):
        care = catalog.template_install(actor=None, key="monthly-care", enable=True)
        scan = catalog.template_install(actor=None, key="intent-upgrade", enable=True)
        event = catalog.template_install(actor=None, key="new-customer-nurture", enable=True)
    assert care.status == RuleStatus.ACTIVE
    assert care.next_run_at == timezone.make_aware(dt.datetime(2026, 10, 1, 9, 0))
    assert (scan.status, scan.next_run_at) == (RuleStatus.ACTIVE, T0)
    assert (event.status, event.next_run_at, event.trigger_event) == (
        RuleStatus.ACTIVE, None, "customer.created",
    )  # fmt: skip


def test_an_unknown_template_or_an_actor_without_permission_installs_nothing():
    before = Rule.objects.count()
    with pytest.raises(NotFoundError) as unknown, translation.override("en"):
        catalog.template_install(actor=None, key="no-such-template")
    assert unknown.value.message == "There is no rule template “no-such-template”."
    with pytest.raises(PermissionDeniedError):
        catalog.template_install(actor=UserFactory(role_slug="sales"), key="greetings")
    assert Rule.objects.count() == before


def test_the_migration_installed_the_system_rules_active():
    rules = {r.template_key: r for r in Rule.objects.filter(is_system=True)}
    assert sorted(rules) == sorted(SYSTEM_KEYS)
    for template in catalog.system_rules():
        rule = rules[template.key]
        assert rule.status == RuleStatus.ACTIVE
        assert rule.next_run_at is not None
        assert rule.trigger_kind == "condition"
        assert rule.current_version.number == 1
        assert rule.current_version.definition == validate_definition(template.definition)
    assert not Rule.objects.filter(is_system=False).exists()


def _delete(rule):
    admin = UserFactory(role_slug="admin")
    rule_delete(actor=admin, rule=rule_pause(actor=admin, rule=rule))


def test_system_rules_install_adds_only_the_missing_ones():
    assert catalog.system_rules_install() == []
    _delete(Rule.objects.get(template_key="system-silent-level"))
    with clock.frozen_at(T0):
        added = catalog.system_rules_install()
    assert [r.template_key for r in added] == ["system-silent-level"]
    assert (added[0].status, added[0].is_system, added[0].next_run_at) == (
        RuleStatus.ACTIVE, True, T0,
    )  # fmt: skip
    assert catalog.system_rules_install() == []
    assert Rule.objects.filter(is_system=True).count() == len(SYSTEM_KEYS)


def test_the_migration_function_is_idempotent():
    migration = importlib.import_module("guanxi.automation.migrations.0002_system_rules")
    edited = Rule.objects.get(template_key="system-dormant-tag")
    Rule.objects.filter(pk=edited.pk).update(status=RuleStatus.PAUSED)
    migration.install(apps, None)
    assert Rule.objects.filter(is_system=True).count() == len(SYSTEM_KEYS)
    edited.refresh_from_db()
    assert edited.status == RuleStatus.PAUSED  # an admin's change is left alone

    for rule in Rule.objects.filter(is_system=True):
        _delete(rule)
    assert not RuleVersion.objects.exists()
    migration.install(apps, None)
    assert sorted(Rule.objects.filter(is_system=True).values_list("template_key", flat=True)) == (
        sorted(SYSTEM_KEYS)
    )
    assert RuleVersion.objects.count() == len(SYSTEM_KEYS)
