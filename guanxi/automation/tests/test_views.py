"""The automation pages: rules list, rule page, executions, dry-run, editor, settings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.tests.factories import UserFactory
from guanxi.automation.engine import tick
from guanxi.automation.models import (
    AutomationSettings,
    Execution,
    ExecutionStatus,
    Rule,
    RuleStatus,
)
from guanxi.automation.services import rule_create
from guanxi.automation.tests.factories import active_rule
from guanxi.core import clock
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 11, 2, 10, 0))
TAG_RULE = {
    "trigger": {"kind": "manual"},
    "conditions": {"all": [{"field": "level", "op": "eq", "value": "potential"}]},
    "steps": [
        {"action": "add_tag", "tags": ["培育"]},
        {"action": "wait", "days": 3},
        {"action": "webhook", "url": "http://127.0.0.1:1/none", "timeout": 1},
    ],
}


@pytest.fixture
def manager():
    return UserFactory(role_slug="marketing")  # automation.view + automation.manage


@pytest.fixture
def viewer():
    return UserFactory(role_slug="supervisor")  # automation.view only


@pytest.fixture
def outsider():
    return UserFactory(role_slug="sales")  # no automation permission


def login(client, user):
    client.force_login(user)
    return client


def manual_rule(owner=None, **kwargs) -> Rule:
    return active_rule(definition=TAG_RULE, owner=owner, **kwargs)


def with_runs(rule: Rule, owner, n: int = 3) -> list[Execution]:
    """n customers enrolled by hand, their first step run and the wait armed, except the
    first customer, whose first step failed."""
    customers = [CustomerFactory(owner=owner) for _ in range(n)]
    from guanxi.automation.enrollment import enroll_set
    from guanxi.customers.models import Customer

    enroll_set(rule=rule, customers=Customer.objects.filter(pk__in=[c.pk for c in customers]),
               reason="manual")  # fmt: skip
    tick(now=clock.now())
    first = Execution.objects.filter(rule=rule, step_id="s1").order_by("pk").first()
    Execution.objects.filter(pk=first.pk).update(
        status=ExecutionStatus.FAILED, reason="boom", attempts=3
    )
    Execution.objects.filter(enrollment=first.enrollment).exclude(pk=first.pk).delete()
    return list(Execution.objects.filter(rule=rule).order_by("pk"))


# --- permissions, every page ----------------------------------------------------------------


def _pages(rule: Rule) -> list[str]:
    return [
        reverse("automation:rules"),
        reverse("automation:rule", kwargs={"pk": rule.pk}),
        reverse("automation:executions", kwargs={"pk": rule.pk}),
        reverse("automation:catalog"),
    ]


def test_anonymous_is_sent_to_login(client):
    rule = manual_rule()
    for url in _pages(rule):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_every_page_renders_for_a_viewer_and_refuses_others(client, viewer, outsider):
    rule = manual_rule()
    login(client, viewer)
    for url in _pages(rule):
        assert client.get(url).status_code == 200, url
    for url in (reverse("automation:rule_create"), reverse("automation:settings"),
                reverse("automation:rule_edit", kwargs={"pk": rule.pk})):  # fmt: skip
        assert client.get(url).status_code == 403, url
    login(client, outsider)
    for url in _pages(rule):
        assert client.get(url).status_code == 403, url


def test_manager_pages_render(client, manager):
    rule = manual_rule()
    login(client, manager)
    for url in (reverse("automation:rule_create"), reverse("automation:settings"),
                reverse("automation:rule_edit", kwargs={"pk": rule.pk})):  # fmt: skip
        assert client.get(url).status_code == 200, url


def test_navigation_shows_automation_only_with_the_permission(client, viewer, outsider):
    url = reverse("automation:rules")
    assert url in login(client, viewer).get(reverse("core:home")).content.decode()
    assert url not in login(client, outsider).get(reverse("core:home")).content.decode()


# --- rules list --------------------------------------------------------------------------------


def test_list_shows_rules_with_trigger_status_and_counts(client, manager):
    rule = manual_rule(owner=manager, name="潜客培育")
    with_runs(rule, manager)
    rule_create(actor=None, name="草稿规则", definition=TAG_RULE)
    response = login(client, manager).get(reverse("automation:rules"))
    assert response.status_code == 200
    rows = {row["rule"].name: row for row in response.context["rows"] if not row["rule"].is_system}
    assert set(rows) == {"潜客培育", "草稿规则"}
    assert rows["潜客培育"]["summary"] == {"active": 3, "failed": 1}
    html = response.content.decode()
    assert 'data-rule-status="active"' in html and 'data-rule-status="draft"' in html
    assert reverse("automation:rule_create") in html


def test_list_filters_by_status_and_search(client, viewer):
    manual_rule(name="生日祝福")
    rule_create(actor=None, name="沉睡唤醒", definition=TAG_RULE)
    login(client, viewer)
    names = lambda r: [row["rule"].name for row in r.context["rows"]]  # noqa: E731
    assert names(client.get(reverse("automation:rules"), {"status": "draft"})) == ["沉睡唤醒"]
    assert names(client.get(reverse("automation:rules"), {"q": "生日"})) == ["生日祝福"]
    response = client.get(
        reverse("automation:rules"), {"q": "生日"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in response.content.decode()
    assert "生日祝福" in response.content.decode()


def test_list_hides_write_buttons_from_viewers(client, viewer):
    manual_rule()
    html = login(client, viewer).get(reverse("automation:rules")).content.decode()
    assert reverse("automation:rule_create") not in html


def test_list_flags_low_response_rules(client, manager, monkeypatch):
    from guanxi.automation import metrics

    rule = manual_rule()
    real = metrics.rule_metrics

    def low(**kwargs):
        result = real(**kwargs)
        result.low_response = True
        return result

    monkeypatch.setattr(metrics, "rule_metrics", low)
    response = login(client, manager).get(reverse("automation:rules"))
    assert response.context["rows"][0]["rule"] == rule
    assert response.context["rows"][0]["low_response"] is True
    assert "data-low-response" in response.content.decode()


# --- rule page ---------------------------------------------------------------------------------


def test_detail_shows_the_definition_in_words_and_the_status_board(client, manager):
    rule = manual_rule(owner=manager)
    runs = with_runs(rule, manager)
    response = login(client, manager).get(reverse("automation:rule", kwargs={"pk": rule.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "潜在客户" in html or "potential" in html  # the level condition, described
    board = {row["step_id"]: row for row in response.context["board"]}
    assert board["s1"]["done"] == 2 and board["s1"]["failed"] == 1
    assert board["s2"]["waiting"] == 2
    url = reverse("automation:executions", kwargs={"pk": rule.pk})
    assert f"{url}?step=s1&amp;status=failed" in html
    assert f"{url}?step=s2&amp;waiting=1" in html
    assert response.context["metrics"]["days"] == 30
    assert len(runs) == 5
    assert reverse("automation:rule_pause", kwargs={"pk": rule.pk}) in html


def test_detail_metrics_period_is_a_partial_for_htmx(client, viewer):
    rule = manual_rule()
    login(client, viewer)
    url = reverse("automation:rule", kwargs={"pk": rule.pk})
    response = client.get(url, {"days": "7"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.context["metrics"]["days"] == 7
    assert 'id="metrics"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert client.get(url, {"days": "13"}).context["metrics"]["days"] == 30


def test_paused_reason_is_shown(client, viewer):
    from guanxi.automation.services import rule_pause

    rule = rule_pause(actor=None, rule=manual_rule(), reason="12 of 20 steps failed")
    html = login(client, viewer).get(reverse("automation:rule", kwargs={"pk": rule.pk})).content
    assert "12 of 20 steps failed" in html.decode()
    assert b'id="paused-reason"' in html
    assert reverse("automation:rule_activate", kwargs={"pk": rule.pk}).encode() not in html


def test_activate_and_pause_only_for_managers(client, manager, viewer):
    rule = rule_create(actor=None, name="草稿", definition=TAG_RULE)
    activate = reverse("automation:rule_activate", kwargs={"pk": rule.pk})
    pause = reverse("automation:rule_pause", kwargs={"pk": rule.pk})
    assert login(client, viewer).post(activate).status_code == 403
    rule.refresh_from_db()
    assert rule.status == RuleStatus.DRAFT
    response = login(client, manager).post(activate)
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.status == RuleStatus.ACTIVE
    assert login(client, viewer).post(pause).status_code == 403
    rule.refresh_from_db()
    assert rule.status == RuleStatus.ACTIVE
    login(client, manager).post(pause)
    rule.refresh_from_db()
    assert rule.status == RuleStatus.PAUSED
    assert client.get(activate).status_code == 405


# --- executions ------------------------------------------------------------------------------


def test_executions_list_filters_and_shows_what_each_step_did(client, manager):
    rule = manual_rule(owner=manager)
    runs = with_runs(rule, manager)
    failed = runs[0]
    url = reverse("automation:executions", kwargs={"pk": rule.pk})
    login(client, manager)
    response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["items"]) == 5
    html = response.content.decode()
    assert reverse("customers:detail", kwargs={"pk": failed.customer_id}) in html
    assert "培育" in html  # the tags the first step added
    only_failed = client.get(url, {"status": "failed"}).context["items"]
    assert [i["e"].pk for i in only_failed] == [failed.pk]
    waiting = client.get(url, {"waiting": "1"}).context["items"]
    assert {i["e"].step_id for i in waiting} == {"s2"} and len(waiting) == 2
    by_step = client.get(url, {"step": "s1", "status": "done"}).context["items"]
    assert len(by_step) == 2
    assert reverse("automation:execution_retry", kwargs={"pk": failed.pk}) in html


def test_executions_list_is_scoped_to_the_viewers_customers(client):
    mine = UserFactory(role_slug="marketing")
    rule = manual_rule(owner=mine)
    with_runs(rule, mine)
    other = UserFactory(role_slug="supervisor")  # team scope: another team
    response = login(client, other).get(reverse("automation:executions", kwargs={"pk": rule.pk}))
    assert response.status_code == 200
    assert response.context["items"] == []


def test_retry_and_skip_a_row_only_for_managers(client, manager, viewer):
    rule = manual_rule(owner=manager)
    failed = with_runs(rule, manager)[0]
    retry = reverse("automation:execution_retry", kwargs={"pk": failed.pk})
    skip = reverse("automation:execution_skip", kwargs={"pk": failed.pk})
    assert login(client, viewer).post(retry).status_code == 403
    assert login(client, viewer).post(skip).status_code == 403
    failed.refresh_from_db()
    assert failed.status == ExecutionStatus.FAILED
    back = reverse("automation:executions", kwargs={"pk": rule.pk}) + "?status=failed"
    response = login(client, manager).post(retry, {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    failed.refresh_from_db()
    assert failed.status == ExecutionStatus.PENDING
    Execution.objects.filter(pk=failed.pk).update(status=ExecutionStatus.FAILED)
    client.post(skip, {"next": "https://evil.example.com/"})
    failed.refresh_from_db()
    assert failed.status == ExecutionStatus.SKIPPED


def test_bulk_retry_and_skip_follow_the_filter(client, manager, viewer):
    rule = manual_rule(owner=manager)
    runs = with_runs(rule, manager)
    Execution.objects.filter(pk=runs[1].pk).update(status=ExecutionStatus.FAILED)
    s2 = Execution.objects.filter(rule=rule, step_id="s2").first()
    Execution.objects.filter(pk=s2.pk).update(status=ExecutionStatus.FAILED)
    bulk = reverse("automation:executions_bulk", kwargs={"pk": rule.pk})
    assert login(client, viewer).post(bulk, {"action": "retry"}).status_code == 403
    assert Execution.objects.filter(rule=rule, status=ExecutionStatus.FAILED).count() == 3
    response = login(client, manager).post(bulk, {"action": "retry", "step": "s1"})
    assert response.status_code == 302
    assert "step=s1" in response["Location"]
    assert list(
        Execution.objects.filter(rule=rule, status=ExecutionStatus.FAILED).values_list(
            "pk", flat=True
        )
    ) == [s2.pk]
    client.post(bulk, {"action": "skip"})
    s2.refresh_from_db()
    assert s2.status == ExecutionStatus.SKIPPED


# --- dry run ----------------------------------------------------------------------------------


def test_dry_run_of_a_saved_rule_shows_the_matching_count(client, viewer):
    rule = manual_rule()
    matching = [CustomerFactory(owner=viewer) for _ in range(2)]
    from guanxi.customers.models import Level

    CustomerFactory(owner=viewer, level=Level.objects.exclude(code="potential").first())
    response = login(client, viewer).post(
        reverse("automation:rule_dryrun", kwargs={"pk": rule.pk}), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.context["result"].matching == 2
    html = response.content.decode()
    assert 'data-matching="2"' in html
    assert matching[0].code in html
    assert "✓" in html


def test_dry_run_explains_one_customer_by_code(client, viewer):
    from guanxi.customers.models import Level

    rule = manual_rule()
    other = CustomerFactory(owner=viewer, level=Level.objects.exclude(code="potential").first())
    response = login(client, viewer).post(
        reverse("automation:rule_dryrun", kwargs={"pk": rule.pk}), {"customer": other.code}
    )
    html = response.content.decode()
    assert response.context["explained"] == other
    assert f'data-sample="{other.code}"' in html
    assert "✗" in html and "data-actual" in html
    unknown = client.post(
        reverse("automation:rule_dryrun", kwargs={"pk": rule.pk}), {"customer": "NOPE-1"}
    )
    assert "NOPE-1" in unknown.content.decode()


# --- editor -------------------------------------------------------------------------------------


def _form(**extra) -> dict:
    """A rule built in the editor: new customers with a high intent get a tag, wait a day,
    then a task."""
    data = {
        "name": "高意向新客",
        "description": "编辑器建的规则",
        "t_kind": "event",
        "t_event": "customer.created",
        "c-join": "all",
        "c-0-kind": "leaf",
        "c-0-field": "intent",
        "c-0-op": "eq",
        "c-0-value": "high",
        "c-1-kind": "group",
        "c-1-join": "any",
        "c-1-0-kind": "leaf",
        "c-1-0-field": "tags",
        "c-1-0-op": "has_any",
        "c-1-0-value": "展会, 官网",
        "c-1-1-kind": "leaf",
        "c-1-1-field": "followups",
        "c-1-1-op": "lt",
        "c-1-1-value": "1",
        "c-1-1-days": "30",
        "s-0-id": "s1",
        "s-0-action": "add_tag",
        "s-0-tags": "高意向，新客",
        "s-1-id": "s2",
        "s-1-action": "wait",
        "s-1-wait_mode": "duration",
        "s-1-days": "1",
        "s-2-id": "s3",
        "s-2-action": "create_task",
        "s-2-title": "致电 {customer}",
        "s-2-assignee": "owner",
        "s-2-due_hours": "4",
        "s-2-priority": "3",
        "e_min_interval_days": "0",
        "op": "save",
    }
    data.update(extra)
    return data


def test_editor_saves_a_rule_built_from_form_data(client, manager):
    response = login(client, manager).post(reverse("automation:rule_create"), _form())
    rule = Rule.objects.get(name="高意向新客")
    assert response.status_code == 302
    assert response["Location"] == reverse("automation:rule", kwargs={"pk": rule.pk})
    definition = rule.current_version.definition
    assert rule.status == RuleStatus.DRAFT
    assert definition["trigger"] == {"kind": "event", "event": "customer.created"}
    assert definition["conditions"] == {
        "all": [
            {"field": "intent", "op": "eq", "value": "high"},
            {"any": [
                {"field": "tags", "op": "has_any", "value": ["展会", "官网"]},
                {"field": "followups", "op": "lt", "value": 1, "days": 30},
            ]},
        ]
    }  # fmt: skip
    assert [s["action"] for s in definition["steps"]] == ["add_tag", "wait", "create_task"]
    assert definition["steps"][0]["tags"] == ["高意向", "新客"]
    assert definition["steps"][1]["days"] == 1
    assert definition["steps"][2]["due_hours"] == 4
    assert definition["goal"] is None


def test_editor_re_renders_with_errors_in_place_and_saves_nothing(client, manager):
    before = Rule.objects.count()
    data = _form(**{"t_event": "", "s-2-title": "", "c-0-value": ""})
    response = login(client, manager).post(reverse("automation:rule_create"), data)
    assert response.status_code == 200
    assert Rule.objects.count() == before
    errors = response.context["editor"].errors
    assert set(errors) >= {"trigger", "conditions", "steps"}
    html = response.content.decode()
    assert 'data-error-for="trigger"' in html
    assert 'data-error-for="steps"' in html
    assert 'value="高意向新客"' in html  # what was typed stays


def test_editor_needs_a_name(client, manager):
    response = login(client, manager).post(reverse("automation:rule_create"), _form(name=""))
    assert response.status_code == 200
    assert "name" in response.context["editor"].errors
    assert not Rule.objects.filter(description="编辑器建的规则").exists()


def test_editor_buttons_add_and_remove_rows_groups_and_steps(client, manager):
    login(client, manager)
    url = reverse("automation:rule_create")
    htmx = {"HX-Request": "true"}
    response = client.post(url, _form(op="add_leaf:c-1"), headers=htmx)
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    tree = response.context["editor"].definition["conditions"]
    assert len(tree["all"][1]["any"]) == 3
    response = client.post(url, _form(op="add_group:c"), headers=htmx)
    assert len(response.context["editor"].definition["conditions"]["all"]) == 3
    response = client.post(url, _form(op="remove:c-1"), headers=htmx)
    assert response.context["editor"].definition["conditions"] == {
        "all": [{"field": "intent", "op": "eq", "value": "high"}]
    }
    response = client.post(url, _form(op="add_step:s:branch"), headers=htmx)
    steps = response.context["editor"].definition["steps"]
    assert [s["action"] for s in steps] == ["add_tag", "wait", "create_task", "branch"]
    assert steps[3]["id"] == "s4"
    assert 'name="s-3-then-0-action"' not in response.content.decode()
    response = client.post(url, _form(op="up:s-2"), headers=htmx)
    assert [s["id"] for s in response.context["editor"].definition["steps"]] == ["s1", "s3", "s2"]
    assert not Rule.objects.filter(name="高意向新客").exists()


def test_editor_changing_a_field_offers_its_operators(client, manager):
    login(client, manager)
    data = _form(**{"c-0-field": "created_at", "op": "refresh"})
    response = client.post(reverse("automation:rule_create"), data, headers={"HX-Request": "true"})
    leaf = response.context["conditions"]["children"][0]
    assert leaf["field"] == "created_at"
    assert leaf["op"] == "before"  # "eq" is not a date operator: the first one is chosen
    assert leaf["widget"] == "date"


def test_editor_saves_a_branch_on_an_earlier_message(client, manager):
    from guanxi.messaging.models import MessageTemplate

    key = MessageTemplate.objects.filter(channel="email").values_list("key", flat=True).first()
    if key is None:
        pytest.skip("no seeded email template")
    data = _form(**{
        "s-0-action": "send_email", "s-0-template": key,
        "s-1-action": "branch", "s-1-if_kind": "message", "s-1-message_step": "s1",
        "s-1-event": "opened", "s-1-within_days": "3",
        "s-1-then-0-id": "s4", "s-1-then-0-action": "add_tag", "s-1-then-0-tags": "已读",
        "s-1-else-0-id": "s5", "s-1-else-0-action": "send_sms", "s-1-else-0-template": "x",
    })  # fmt: skip
    data.pop("s-2-action")
    response = login(client, manager).post(reverse("automation:rule_create"), data)
    assert response.status_code == 302, response.context["editor"].errors
    steps = Rule.objects.get(name="高意向新客").current_version.definition["steps"]
    assert steps[1]["if"] == {"message_step": "s1", "event": "opened", "within_days": 3}
    assert steps[1]["then"][0]["tags"] == ["已读"]
    assert steps[1]["else"][0]["action"] == "send_sms"


def test_json_tab_imports_a_definition_into_the_editor(client, manager):
    import json

    login(client, manager)
    data = _form(op="import_json", definition_json=json.dumps(TAG_RULE))
    response = client.post(reverse("automation:rule_create"), data, headers={"HX-Request": "true"})
    editor = response.context["editor"]
    assert editor.definition["trigger"] == {"kind": "manual"}
    assert [s["id"] for s in editor.definition["steps"]] == ["s1", "s2", "s3"]
    bad = client.post(
        reverse("automation:rule_create"), _form(op="import_json", definition_json="{")
    )
    assert "json" in bad.context["editor"].errors


def test_editing_an_active_rule_makes_a_new_version(client, manager):
    rule = manual_rule()
    url = reverse("automation:rule_edit", kwargs={"pk": rule.pk})
    login(client, manager)
    page = client.get(url)
    assert 'id="version-note"' in page.content.decode()
    assert page.context["editor"].definition["steps"][0]["tags"] == ["培育"]
    response = client.post(url, _form(name=rule.name))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.current_version.number == 2
    assert rule.trigger_event == "customer.created"


def test_editor_refuses_viewers(client, viewer):
    rule = manual_rule()
    login(client, viewer)
    assert client.post(reverse("automation:rule_create"), _form()).status_code == 403
    assert (
        client.post(reverse("automation:rule_edit", kwargs={"pk": rule.pk}), _form()).status_code
        == 403
    )
    assert not Rule.objects.filter(name="高意向新客").exists()
    rule.refresh_from_db()
    assert rule.current_version.number == 1


def test_dry_run_of_the_editor_draft(client, manager):
    from guanxi.customers.models import Customer

    Customer.objects.all().delete()
    CustomerFactory(owner=manager, intent="high")
    CustomerFactory(owner=manager, intent="low")
    login(client, manager)
    response = client.post(
        reverse("automation:draft_dryrun"), _form(), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.context["result"].matching == 1
    assert 'data-matching="1"' in response.content.decode()
    broken = client.post(reverse("automation:draft_dryrun"), _form(t_event=""))
    assert "data-dryrun-problems" in broken.content.decode()


def test_schedule_dry_run_lists_the_next_runs(client, manager):
    data = _form(t_kind="schedule", t_every="weekly", t_weekday="1", t_at="08:30")
    response = login(client, manager).post(reverse("automation:draft_dryrun"), data)
    assert len(response.context["result"].next_runs) == 5
    assert "data-next-runs" in response.content.decode()


# --- settings ---------------------------------------------------------------------------------


def test_settings_save_for_managers_and_refuse_others(client, manager, viewer):
    from guanxi.activity.models import ActivityEvent

    url = reverse("automation:settings")
    data = {"failure_pause_ratio": 25, "failure_pause_minimum": 40, "max_depth": 2,
            "low_response_ratio": 8}  # fmt: skip
    assert login(client, viewer).post(url, data).status_code == 403
    response = login(client, manager).post(url, data)
    assert response.status_code == 302
    row = AutomationSettings.objects.get(pk=1)
    assert (row.failure_pause_ratio, row.failure_pause_minimum, row.max_depth) == (25, 40, 2)
    assert row.webhook_allow_private is False
    assert ActivityEvent.objects.filter(target_type="automation.automationsettings").exists()
    bad = client.post(url, {**data, "failure_pause_ratio": 0})
    assert bad.status_code == 200
    assert "failure_pause_ratio" in bad.context["form"].errors


# --- templates ----------------------------------------------------------------------------------


def test_catalog_lists_templates_and_installs_for_managers(client, manager, viewer):
    from guanxi.automation import catalog

    free = [
        t for t in catalog.templates_list() if not Rule.objects.filter(template_key=t.key).exists()
    ]
    assert free, "every template is already installed"
    template = free[0]
    url = reverse("automation:catalog_install", kwargs={"key": template.key})
    page = login(client, viewer).get(reverse("automation:catalog"))
    assert page.status_code == 200
    assert str(template.name) in page.content.decode()
    assert url not in page.content.decode()
    assert client.post(url).status_code == 403
    assert not Rule.objects.filter(template_key=template.key).exists()
    assert url in login(client, manager).get(reverse("automation:catalog")).content.decode()
    response = client.post(url, {"enable": "1"})
    rule = Rule.objects.get(template_key=template.key)
    assert response["Location"] == reverse("automation:rule", kwargs={"pk": rule.pk})
    assert rule.status == RuleStatus.ACTIVE
    again = client.post(url, follow=True)
    assert Rule.objects.filter(template_key=template.key).count() == 1
    assert again.status_code == 200


# --- the editor round trip ------------------------------------------------------------------------


def _posted_form(html: str) -> list[tuple[str, str]]:
    """What a browser would post from the rule form: its inputs, checked boxes, selected
    options (the first one of a single select when none is marked) and text areas."""
    from html.parser import HTMLParser

    class Form(HTMLParser):
        def __init__(self):
            super().__init__()
            self.data: list[tuple[str, str]] = []
            self.inside = False
            self.select: dict | None = None
            self.textarea: str | None = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form" and a.get("id") == "rule-form":
                self.inside = True
            if not self.inside or not a.get("name") and tag not in ("option",):
                if tag == "option" and self.select is not None:
                    pass
                else:
                    return
            if tag == "input":
                kind = a.get("type", "text")
                if kind in ("checkbox", "radio") and "checked" not in a:
                    return
                if kind not in ("submit", "button"):
                    self.data.append((a["name"], a.get("value", "")))
            elif tag == "select":
                self.select = {"name": a["name"], "multiple": "multiple" in a, "first": None,
                               "chosen": []}  # fmt: skip
            elif tag == "option" and self.select is not None:
                if self.select["first"] is None:
                    self.select["first"] = a.get("value", "")
                if "selected" in a:
                    self.select["chosen"].append(a.get("value", ""))
            elif tag == "textarea":
                self.textarea = a["name"]
                self.data.append((a["name"], ""))

        def handle_data(self, data):
            if self.textarea is not None:
                name, text = self.data[-1]
                self.data[-1] = (name, text + data)

        def handle_endtag(self, tag):
            if tag == "form":
                self.inside = False
            if tag == "textarea":
                self.textarea = None
            if tag == "select" and self.select is not None:
                chosen = self.select["chosen"]
                if not chosen and not self.select["multiple"] and self.select["first"] is not None:
                    chosen = [self.select["first"]]
                self.data.extend((self.select["name"], v) for v in chosen)
                self.select = None

    parser = Form()
    parser.feed(html)
    return parser.data


EVERY_KIND = {
    "trigger": {"kind": "schedule", "every": "weekly", "weekday": 5, "at": "08:30"},
    "conditions": {"any": [
        {"field": "custom.budget", "op": "contains", "value": "已确认"},
        {"field": "birthday", "op": "anniversary_in_days", "value": 0},
        {"all": [{"field": "has_email", "op": "is_true"},
                 {"field": "expected_close_date", "op": "before", "value": "2027-01-01"}]},
    ]},
    "steps": [
        {"id": "a", "action": "send_sms", "template": "birthday-sms", "coupon_pool": "vip"},
        {"id": "b", "action": "wait", "until_weekday": 0, "at": "10:00"},
        {"id": "c", "action": "wait", "until_field": "birthday", "offset_days": -2, "at": "09:00"},
        {"id": "d", "action": "branch", "if": {"all": [{"field": "intent", "op": "in",
                                                        "value": ["high", "medium"]}]},
         "then": [{"id": "e", "action": "set_field", "field": "level", "value": "high_value"},
                  {"id": "f", "action": "remove_tag", "tags": ["沉睡客户"]}],
         "else": [{"id": "g", "action": "issue_coupon", "pool": "vip"},
                  {"id": "h", "action": "notify", "to": "supervisor", "title": "看看 {code}",
                   "body": "正文"}]},
        {"id": "i", "action": "assign_owner", "mode": "least_loaded", "only_if_unowned": False},
        {"id": "j", "action": "create_task", "title": "回访", "assignee": "supervisor",
         "due_hours": 48, "priority": 4, "description": "说明"},
        {"id": "k", "action": "webhook", "url": "https://example.com/hook", "timeout": 5,
         "secret": "s3cret"},
        {"id": "l", "action": "wait", "hours": 2, "minutes": 30},
    ],
    "enrollment": {"reenroll": True, "min_interval_days": 30, "exit_when_unmatched": True,
                   "exit_events": ["message.unsubscribed"]},
    "goal": {"any": [{"field": "stage", "op": "eq", "value": "repeat"},
                     {"field": "messages_replied", "op": "gte", "value": 1, "days": 14}]},
}  # fmt: skip


def test_saving_the_editor_unchanged_keeps_the_version(client, manager):
    """Every template and the system rules survive the editor: opening a rule and saving it
    without touching anything makes no new version."""
    from guanxi.automation import catalog

    for template in catalog.templates_list():
        if not Rule.objects.filter(template_key=template.key).exists():
            catalog.template_install(actor=None, key=template.key)
    manual_rule()
    rule_create(actor=None, name="全部动作", definition=EVERY_KIND)
    login(client, manager)
    rules = list(Rule.objects.all())
    assert len(rules) > 10
    for rule in rules:
        url = reverse("automation:rule_edit", kwargs={"pk": rule.pk})
        fields = _posted_form(client.get(url).content.decode())
        data: dict[str, list[str]] = {}
        for name, value in [*fields, ("op", "save")]:
            data.setdefault(name, []).append(value)
        response = client.post(url, data)
        assert response.status_code == 302, (rule.name, response.context["editor"].errors)
        rule.refresh_from_db()
        if rule.current_version.number != 1:
            before = rule.versions.get(number=1).definition
            after = rule.current_version.definition
            diff = {
                k: (before.get(k), after.get(k)) for k in before if before.get(k) != after.get(k)
            }
            raise AssertionError(f"{rule.name}: {diff}")


def test_definitions_read_as_sentences():
    from guanxi.automation.views import display

    assert "09:00" in display.trigger_text({"kind": "schedule", "every": "daily", "at": "09:00"})
    assert "0 9 * * 1" in display.trigger_text({"kind": "schedule", "cron": "0 9 * * 1"})
    no_answer = display.trigger_text(
        {"kind": "no_action", "event": "customer.created", "hours": 1.0,
         "unless_events": ["followup.recorded"]}
    )  # fmt: skip
    assert "1" in no_answer and "1.0" not in no_answer
    lines = display.step_lines(EVERY_KIND["steps"], templates={})
    numbers = [line.number for line in display.flat_lines(lines)]
    assert numbers == ["1", "2", "3", "4", "4a.1", "4a.2", "4b.1", "4b.2", "5", "6", "7", "8"]
    assert "2" in display.wait_text({"until_field": "birthday", "offset_days": -2})
