"""`guanxi automation`: one engine pass (text and JSON), rules list / export / import / enable /
disable, templates list / install; exit codes and what a bad file leaves behind (nothing)."""

import datetime as dt
import json

import pytest
from django.utils import timezone, translation

from guanxi.accounts.tests.factories import UserFactory
from guanxi.automation.catalog import templates_list
from guanxi.automation.definition import validate_definition
from guanxi.automation.models import Enrollment, Rule, RuleStatus, RuleVersion
from guanxi.automation.tests.factories import active_rule
from guanxi.cli import COMMANDS, main
from guanxi.core import clock
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 10, 5, 10, 0))
DORMANT = {
    "trigger": {"kind": "condition", "scan_minutes": 60},
    "conditions": {"all": [{"field": "last_interaction", "op": "older_than_days", "value": 90}]},
    "steps": [{"action": "add_tag", "tags": ["CLI测试"]}, {"action": "wait", "days": 1}],
}


def guanxi(*args: str) -> int:
    with translation.override("en"):
        return main(["automation", "--skip-checks", *args])


@pytest.fixture(autouse=True)
def _admin():
    Rule.objects.filter(is_system=True).update(status=RuleStatus.PAUSED)
    return UserFactory(username="root", role_slug="admin", is_superuser=True)


def _dormant_customer() -> Customer:
    row = CustomerFactory(last_contact_at=T0 - dt.timedelta(days=120))
    Customer.objects.filter(pk=row.pk).update(created_at=T0 - dt.timedelta(days=400))
    return row


def test_the_command_is_listed_after_outbox():
    names = list(COMMANDS)
    assert names[names.index("outbox") + 1] == "automation"
    assert COMMANDS["automation"].command == "automation"


def test_tick_json_has_exactly_the_counts(capsys):
    dormant = _dormant_customer()
    CustomerFactory(last_contact_at=T0 - dt.timedelta(days=3))
    with clock.frozen_at(T0):
        rule = active_rule(definition=DORMANT)
    assert guanxi("tick", "--now", "2026-10-05T10:01", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "enrolled": 1, "executed": 1, "failed": 0, "skipped": 0, "waiting": 1,
    }  # fmt: skip
    assert Enrollment.objects.get(rule=rule).customer == dormant
    assert guanxi("tick", "--now", "2026-10-05T10:02+08:00", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "enrolled": 0, "executed": 0, "failed": 0, "skipped": 0, "waiting": 1,
    }  # fmt: skip


def test_tick_text_and_a_bad_instant(capsys):
    assert guanxi("tick", "--now", "2026-10-05T10:01") == 0
    assert capsys.readouterr().out == ("Enrolled 0, executed 0, failed 0, skipped 0, waiting 0.\n")
    assert guanxi("tick", "--now", "yesterday") == 1
    assert "--now takes a date and time in ISO 8601" in capsys.readouterr().err


def test_rules_list_json_and_text(capsys):
    with clock.frozen_at(T0):
        rule = active_rule(definition=DORMANT, name="沉睡标记")
    assert guanxi("rules", "list", "--json") == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows[rule.pk] == {
        "id": rule.pk, "name": "沉睡标记", "status": "active", "trigger": "condition",
        "event": "", "template_key": "", "is_system": False, "version": 1,
        "next_run_at": "2026-10-05T10:00:00+08:00",
    }  # fmt: skip
    assert sum(row["is_system"] for row in rows.values()) == 7
    assert guanxi("rules", "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == ["id", "name", "status", "trigger", "template", "version"]
    assert f"{rule.pk}\t沉睡标记\tactive\tcondition\t\t1" in lines


def test_rules_export_then_import_round_trip(tmp_path, capsys):
    assert guanxi("templates", "install", "monthly-care", "--enable") == 0
    with clock.frozen_at(T0):
        plain = active_rule(definition=DORMANT, name="沉睡标记")
    Rule.objects.filter(pk=plain.pk).update(description="手工规则")
    out = tmp_path / "rules.json"
    capsys.readouterr()
    assert guanxi("rules", "export", str(out)) == 0
    assert capsys.readouterr().out == f"Exported 2 rules to {out}.\n"  # not the system rules
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert [sorted(item) for item in exported] == [
        ["definition", "description", "name", "status", "template_key"]
    ] * 2
    assert [(i["name"], i["status"], i["template_key"]) for i in exported] == [
        ("Monthly care of high-value customers", "active", "monthly-care"),
        ("沉睡标记", "active", ""),
    ]

    # Into an installation without them: the same rules, as drafts, template key kept.
    for rule in Rule.objects.filter(is_system=False):
        Rule.objects.filter(pk=rule.pk).update(current_version=None)
        rule.delete()
    assert guanxi("rules", "import", str(out)) == 0
    assert capsys.readouterr().out.startswith("Imported 2 rules as drafts: ")
    imported = list(Rule.objects.filter(is_system=False).order_by("pk"))
    assert [(r.name, r.description, r.status, r.template_key) for r in imported] == [
        ("Monthly care of high-value customers", exported[0]["description"], "draft", "monthly-care"),
        ("沉睡标记", "手工规则", "draft", ""),
    ]  # fmt: skip
    assert [r.current_version.definition for r in imported] == [i["definition"] for i in exported]
    assert [r.owner.username for r in imported] == ["root", "root"]

    # Into the same installation again: the template is installed already, so its copy is a
    # plain rule.
    assert guanxi("rules", "import", str(out)) == 0
    output = capsys.readouterr().out
    assert "the template “monthly-care” is already installed; imported as a plain rule." in output
    assert Rule.objects.filter(template_key="monthly-care").count() == 1
    assert Rule.objects.filter(is_system=False).count() == 4


def test_a_bad_import_file_changes_nothing_and_names_every_problem(tmp_path, capsys):
    good = {"name": "好规则", "definition": validate_definition(DORMANT)}
    bad_field = {
        "name": "坏规则",
        "definition": {**DORMANT, "conditions": {"all": [{"field": "shoe_size", "op": "eq", "value": 1}]}},
    }  # fmt: skip
    nameless = {"name": "", "definition": DORMANT}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps([good, bad_field, nameless, "x"], ensure_ascii=False), "utf-8")
    rules, versions = Rule.objects.count(), RuleVersion.objects.count()

    assert guanxi("rules", "import", str(path)) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "rule 2 “坏规则”: conditions: conditions.all[0]: unknown field “shoe_size”.",
        "rule 3: name: Give the rule a name.",
        "rule 4: expected an object.",
        "guanxi automation: Nothing was imported: the file has 3 problems.",
    ]
    assert (Rule.objects.count(), RuleVersion.objects.count()) == (rules, versions)
    assert not Rule.objects.filter(name="好规则").exists()

    path.write_text("[{", "utf-8")
    assert guanxi("rules", "import", str(path)) == 1
    assert "is not valid JSON" in capsys.readouterr().err
    path.write_text('{"name": "x"}', "utf-8")
    assert guanxi("rules", "import", str(path)) == 1
    assert "must hold a list of rules" in capsys.readouterr().err
    assert guanxi("rules", "import", str(tmp_path / "missing.json")) == 1
    assert "Cannot read" in capsys.readouterr().err
    assert Rule.objects.count() == rules


def test_rules_enable_and_disable(capsys):
    assert guanxi("templates", "install", "intent-upgrade") == 0
    rule = Rule.objects.get(template_key="intent-upgrade")
    capsys.readouterr()
    assert guanxi("rules", "enable", str(rule.pk)) == 0
    assert capsys.readouterr().out == f"Rule {rule.pk} “Intent upgrade” is active.\n"
    rule.refresh_from_db()
    assert rule.status == RuleStatus.ACTIVE and rule.next_run_at is not None
    assert guanxi("rules", "disable", str(rule.pk)) == 0
    assert capsys.readouterr().out == f"Rule {rule.pk} “Intent upgrade” is paused.\n"
    rule.refresh_from_db()
    assert (rule.status, rule.paused_reason) == (
        RuleStatus.PAUSED, "Paused by root from the command line.",
    )  # fmt: skip
    assert guanxi("rules", "enable", "999999") == 1
    assert "No rule 999999." in capsys.readouterr().err


def test_rules_commands_need_an_administrator_or_a_permitted_user(capsys):
    Rule.objects.filter(is_system=False).delete()
    from guanxi.accounts.models import User

    User.objects.filter(username="root").update(is_active=False)
    assert guanxi("templates", "install", "greetings") == 1
    assert "No active administrator" in capsys.readouterr().err
    UserFactory(username="li", role_slug="sales")
    assert guanxi("templates", "install", "greetings", "--as", "li") == 1
    assert "You do not have permission" in capsys.readouterr().err
    assert not Rule.objects.filter(template_key="greetings").exists()


def test_templates_list_and_install(capsys):
    keys = [t.key for t in templates_list()]
    assert guanxi("templates", "list", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["key"] for r in rows] == keys
    assert rows[0] | {"description": ""} == {
        "key": "first-followup", "name": "First follow-up of potential customers",
        "description": "", "installed_rule_id": None,
    }  # fmt: skip

    assert guanxi("templates", "install", "greetings", "--enable", "--json") == 0
    row = json.loads(capsys.readouterr().out)
    rule = Rule.objects.get(template_key="greetings")
    assert (row["id"], row["status"], row["template_key"], row["trigger"]) == (
        rule.pk, "active", "greetings", "anniversary",
    )  # fmt: skip
    assert guanxi("templates", "install", "first-followup") == 0
    first = Rule.objects.get(template_key="first-followup")
    assert capsys.readouterr().out == (
        f"Installed the template “first-followup” as rule {first.pk} “First follow-up of "
        f"potential customers”, a draft: check it, then `guanxi automation rules enable {first.pk}`.\n"
    )
    assert guanxi("templates", "install", "greetings") == 1
    assert capsys.readouterr().err == (
        "guanxi automation: The template “Birthday greetings” is already installed as the "
        "rule “Birthday greetings”.\n"
    )
    assert guanxi("templates", "install", "nope") == 1
    assert "There is no rule template “nope”." in capsys.readouterr().err

    assert guanxi("templates", "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "key\tname\tinstalled as rule"
    assert f"greetings\tBirthday greetings\t{rule.pk}" in lines
    assert "monthly-care\tMonthly care of high-value customers\t-" in lines
