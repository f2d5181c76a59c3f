"""/api/v1/automation/…: who may do what, the rule lifecycle through the API (validate,
create, change, activate, enroll, retry and skip failed steps, board, metrics, delete),
bulk actions over what the caller can see, journeys, dry runs and the rule templates."""

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent
from guanxi.api.tests.clients import api_client, token_client
from guanxi.automation.enrollment import enroll_one
from guanxi.automation.executor import run_due
from guanxi.automation.models import (
    Enrollment,
    EnrollmentStatus,
    Execution,
    ExecutionStatus,
    Rule,
    RuleStatus,
    RuleVersion,
)
from guanxi.automation.services import rule_create
from guanxi.automation.tests.factories import active_rule
from guanxi.core import clock
from guanxi.customers.models import Customer, Level
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.messaging.models import MessageTemplate
from guanxi.messaging.tests.test_outbox_selectors import template

pytestmark = pytest.mark.django_db

BASE = "/api/v1/automation/"
MISSING_TEMPLATE = "api-test-welcome"  # no template has this key until a test makes one
FAILING = {
    "trigger": {"kind": "manual"},
    "conditions": {"all": []},
    "steps": [
        {"id": "mail", "action": "send_email", "template": MISSING_TEMPLATE},
        {"id": "tag", "action": "add_tag", "tags": ["API 测试"]},
    ],
}
BAD = {
    "trigger": {"kind": "sometimes"},
    "conditions": {"all": [{"field": "shoe_size", "op": "eq", "value": "42"}]},
    "steps": [],
}


def customer(owner=None, **kw):
    found = CustomerFactory(owner=owner, **kw) if owner else CustomerFactory(**kw)
    ContactFactory(customer=found)
    return found


def failed_journey(rule, who):
    """Enroll `who` and run the first step, which fails (its template does not exist)."""
    enrollment = enroll_one(rule=rule, customer_id=who.pk)
    run_due()
    execution = Execution.objects.get(enrollment=enrollment)
    assert execution.status == ExecutionStatus.FAILED
    return enrollment, execution


def snapshot():
    """Everything a request could change, to compare before and after a refusal."""
    return (
        list(Rule.objects.order_by("pk").values_list("pk", "name", "status", "current_version")),
        RuleVersion.objects.count(),
        list(Enrollment.objects.order_by("pk").values_list("pk", "status")),
        list(Execution.objects.order_by("pk").values_list("pk", "status", "attempts")),
        ActivityEvent.objects.count(),
    )


# --- the authorization matrix -------------------------------------------------------------


@pytest.fixture
def world():
    draft = rule_create(actor=None, name="草稿规则", definition=FAILING)
    rule = active_rule(name="失败规则", definition=FAILING)
    enrollment, execution = failed_journey(rule, customer())
    return {
        "rule": rule.pk,
        "draft": draft.pk,
        "enrollment": enrollment.pk,
        "execution": execution.pk,
        "other": customer().pk,
    }


READ, WRITE = "read", "write"
# (kind, method, path, body, status for an allowed caller, rows hang off a customer)
CASES = [
    (READ, "get", "rules/", None, 200, False),
    (READ, "get", "rules/{rule}/", None, 200, False),
    (READ, "get", "rules/{rule}/versions/", None, 200, False),
    (READ, "get", "rules/{rule}/board/", None, 200, False),
    (READ, "get", "rules/{rule}/metrics/", None, 200, False),
    (READ, "post", "rules/{rule}/dry-run/", {}, 200, False),
    (READ, "post", "rules/dry-run/", {"definition": FAILING}, 200, False),
    (READ, "post", "rules/validate/", {"definition": FAILING}, 200, False),
    (READ, "get", "executions/", None, 200, False),
    (READ, "get", "executions/{execution}/", None, 200, True),
    (READ, "get", "enrollments/", None, 200, False),
    (READ, "get", "enrollments/{enrollment}/", None, 200, True),
    (READ, "get", "templates/", None, 200, False),
    (WRITE, "post", "rules/", {"name": "新规则", "definition": FAILING}, 201, False),
    (WRITE, "patch", "rules/{rule}/", {"name": "改名"}, 200, False),
    (WRITE, "delete", "rules/{draft}/", None, 204, False),
    (WRITE, "post", "rules/{draft}/activate/", None, 200, False),
    (WRITE, "post", "rules/{rule}/pause/", {"reason": "维护"}, 200, False),
    (WRITE, "post", "rules/{rule}/enroll/", {"customer_ids": ["{other}"]}, 200, False),
    (WRITE, "post", "executions/{execution}/retry/", None, 200, True),
    (WRITE, "post", "executions/{execution}/skip/", None, 200, True),
    (WRITE, "post", "executions/retry/", {"rule": "{rule}"}, 200, False),
    (WRITE, "post", "executions/skip/", {"rule": "{rule}"}, 200, False),
    (WRITE, "post", "enrollments/{enrollment}/exit/", None, 200, True),
    (WRITE, "post", "templates/monthly-care/install/", {"enable": False}, 201, False),
]


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict) and "trigger" not in value:
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("kind", "method", "path", "body", "allowed", "scoped"),
    CASES,
    ids=[f"{c[1]} {c[2]}" for c in CASES],
)
def test_authorization_matrix(
    world, django_capture_on_commit_callbacks, kind, method, path, body, allowed, scoped
):
    url = BASE + path.format(**world)
    body = _fill(body, world)

    def call(client):
        with django_capture_on_commit_callbacks(execute=True):
            if method == "get":
                return client.get(url)
            return getattr(client, method)(url, body, format="json")

    allowed_client = token_client(UserFactory(role_slug="marketing"))  # its token is audited
    before = snapshot()
    assert call(api_client()).status_code == 401
    refused = call(api_client(UserFactory(role_slug="sales")))  # no automation permission
    assert refused.status_code == 403
    assert set(refused.json()) == {"detail", "errors"}
    if kind == WRITE:  # a supervisor may look, not change
        assert call(api_client(UserFactory(role_slug="supervisor"))).status_code == 403
    if scoped:  # may use automation, but the customer is not theirs
        outsider = UserFactory(role_slug="marketing", data_scope="own")
        assert call(api_client(outsider)).status_code == 404
    assert snapshot() == before

    response = call(allowed_client)
    assert response.status_code == allowed, response.content
    assert (snapshot() == before) is (kind == READ)


# --- validation ---------------------------------------------------------------------------


def test_validate_normalises_a_good_definition():
    client = api_client(UserFactory(role_slug="marketing"))
    trigger = {"kind": "schedule", "every": "weekly", "weekday": 2, "at": "08:30:00"}
    body = {"definition": {"trigger": trigger, "steps": [{"action": "add_tag", "tags": ["周报"]}]}}
    response = client.post(f"{BASE}rules/validate/", body, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["valid"] is True
    assert data["definition"]["trigger"] == {
        "kind": "schedule", "every": "weekly", "at": "08:30", "weekday": 2,
    }  # fmt: skip
    assert data["definition"]["steps"][0]["id"] == "s1"
    assert data["definition"]["conditions"] == {"all": []}


def test_definition_errors_are_400_keyed_by_part_and_nothing_is_created():
    client = api_client(UserFactory(role_slug="marketing"))
    before = snapshot()
    response = client.post(f"{BASE}rules/validate/", {"definition": BAD}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"trigger", "conditions", "steps"}
    assert "shoe_size" in response.json()["errors"]["conditions"][0]

    response = client.post(f"{BASE}rules/", {"name": "坏规则", "definition": BAD}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"trigger", "conditions", "steps"}
    response = client.post(f"{BASE}rules/dry-run/", {"definition": BAD}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"trigger", "conditions", "steps"}
    assert snapshot() == before


def test_shape_errors_are_400_on_their_field():
    client = api_client(UserFactory(role_slug="marketing"))
    response = client.post(f"{BASE}rules/", {"definition": ["no"]}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "definition"}
    response = client.post(f"{BASE}rules/validate/", {}, format="json")
    assert set(response.json()["errors"]) == {"definition"}
    assert client.get(f"{BASE}rules/", {"status": "sleeping"}).status_code == 400
    assert client.get(f"{BASE}executions/", {"waiting": "maybe"}).status_code == 400


def test_a_missing_rule_is_404_and_a_stale_edit_409():
    client = api_client(UserFactory(role_slug="marketing"))
    assert client.get(f"{BASE}rules/999999/").status_code == 404
    rule = rule_create(actor=None, name="规则", definition=FAILING)
    body = {"name": "新名字", "expected_version": 2}
    response = client.patch(f"{BASE}rules/{rule.pk}/", body, format="json")
    assert response.status_code == 409
    rule.refresh_from_db()
    assert rule.name == "规则"


# --- the rule lifecycle -------------------------------------------------------------------


def test_create_change_activate_enroll_retry_skip_board_metrics_and_delete(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(role_slug="marketing")
    client = token_client(user)
    first, second = customer(), customer()

    response = client.post(
        f"{BASE}rules/",
        {"name": "欢迎邮件", "description": "新客户欢迎", "definition": {**FAILING, "steps": [
            {"action": "send_email", "template": MISSING_TEMPLATE}]}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201
    created = response.json()
    rule_id = created["id"]
    assert created["status"] == RuleStatus.DRAFT
    assert created["version"] == 1
    assert created["owner"]["id"] == user.pk
    assert created["definition"]["steps"][0]["id"] == "s1"

    # A new definition is version 2; the history lists both, newest first.
    response = client.patch(f"{BASE}rules/{rule_id}/", {"definition": FAILING}, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 2
    versions = client.get(f"{BASE}rules/{rule_id}/versions/").json()["results"]
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["created_by"]["id"] == user.pk
    assert versions[0]["definition"]["steps"][0]["id"] == "mail"

    enroll = f"{BASE}rules/{rule_id}/enroll/"
    ids = {"customer_ids": [first.pk, second.pk]}
    assert client.post(enroll, ids, format="json").status_code == 400  # a draft runs nothing
    response = client.post(f"{BASE}rules/{rule_id}/activate/")
    assert response.json()["status"] == RuleStatus.ACTIVE

    with django_capture_on_commit_callbacks(execute=True):  # the engine runs after commit
        response = client.post(enroll, ids, format="json")
    assert response.json() == {"enrolled": 2}
    assert client.post(enroll, ids, format="json").json() == {"enrolled": 0}  # once each

    listed = client.get(f"{BASE}executions/", {"rule": rule_id}).json()["results"]
    assert {(e["customer"]["id"], e["step_id"], e["status"]) for e in listed} == {
        (first.pk, "mail", "failed"), (second.pk, "mail", "failed"),
    }  # fmt: skip
    assert MISSING_TEMPLATE in listed[0]["reason"]
    failed = client.get(f"{BASE}executions/", {"rule": rule_id, "status": "failed"}).json()
    assert len(failed["results"]) == 2
    assert client.get(f"{BASE}executions/", {"waiting": "true"}).json()["results"] == []
    summary = next(r for r in client.get(f"{BASE}rules/").json()["results"] if r["id"] == rule_id)
    assert (summary["active_enrollments"], summary["failed_steps"]) == (2, 2)

    # The template appears: retrying the first customer's step sends the mail, then tags.
    tmpl = template("email")
    MessageTemplate.objects.filter(pk=tmpl.pk).update(key=MISSING_TEMPLATE)
    retried = next(e for e in listed if e["customer"]["id"] == first.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}executions/{retried['id']}/retry/")
    assert response.status_code == 200
    assert response.json()["status"] == ExecutionStatus.PENDING
    response = client.get(f"{BASE}executions/{retried['id']}/")
    assert response.json()["status"] == ExecutionStatus.DONE
    assert "message_id" in response.json()["result"]
    assert "API 测试" in set(first.tags.values_list("name", flat=True))
    assert client.post(f"{BASE}executions/{retried['id']}/retry/").status_code == 409

    # The second customer's mail is skipped: the journey goes on with the tag.
    skipped = next(e for e in listed if e["customer"]["id"] == second.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}executions/{skipped['id']}/skip/")
    assert response.json()["status"] == ExecutionStatus.SKIPPED
    assert "API 测试" in set(second.tags.values_list("name", flat=True))
    assert client.post(f"{BASE}executions/{skipped['id']}/skip/").status_code == 409

    board = client.get(f"{BASE}rules/{rule_id}/board/").json()
    assert board == [
        {"step_id": "mail", "action": "send_email", "counts": {"done": 1, "skipped": 1},
         "waiting": 0},
        {"step_id": "tag", "action": "add_tag", "counts": {"done": 2}, "waiting": 0},
    ]  # fmt: skip

    metrics = client.get(f"{BASE}rules/{rule_id}/metrics/").json()
    assert set(metrics) == {
        "since", "until", "enrolled", "converted", "conversion_rate", "attempted", "sent",
        "responded", "reach_rate", "response_rate", "low_response", "steps",
    }  # fmt: skip
    assert metrics["enrolled"] == 2
    assert metrics["converted"] is None  # no goal
    assert metrics["attempted"] == 2
    mail = next(s for s in metrics["steps"] if s["step_id"] == "mail")
    assert (mail["done"], mail["skipped"], mail["failed"]) == (1, 1, 0)
    since = dt.datetime.fromisoformat(metrics["since"])
    until = dt.datetime.fromisoformat(metrics["until"])
    assert until - since == dt.timedelta(days=31)  # 30 days before today, and today

    journeys = client.get(f"{BASE}enrollments/", {"rule": rule_id}).json()["results"]
    assert {j["status"] for j in journeys} == {EnrollmentStatus.COMPLETED}
    detail = client.get(f"{BASE}enrollments/{journeys[0]['id']}/").json()
    assert [e["step_id"] for e in detail["executions"]] == ["mail", "tag"]
    assert detail["version"] == 2

    # An active rule is not deleted; a paused one is.
    assert client.delete(f"{BASE}rules/{rule_id}/").status_code == 400
    assert Rule.objects.filter(pk=rule_id).exists()
    response = client.post(f"{BASE}rules/{rule_id}/pause/", {"reason": "换模板"}, format="json")
    assert (response.json()["status"], response.json()["paused_reason"]) == ("paused", "换模板")
    assert client.delete(f"{BASE}rules/{rule_id}/").status_code == 204
    assert not Rule.objects.filter(pk=rule_id).exists()


def test_metrics_take_a_period_of_whole_days():
    rule = active_rule(definition=FAILING)
    client = api_client(UserFactory(role_slug="marketing"))
    url = f"{BASE}rules/{rule.pk}/metrics/"
    data = client.get(url, {"since": "2026-03-01", "until": "2026-03-31"}).json()

    def day(value):
        return timezone.localtime(dt.datetime.fromisoformat(value)).date()

    assert (day(data["since"]), day(data["until"])) == (dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    response = client.get(url, {"since": "2026-04-01", "until": "2026-03-01"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["since"]
    assert list(client.get(url, {"until": "yesterday"}).json()["errors"]) == ["until"]


# --- bulk actions and scope ---------------------------------------------------------------


def test_bulk_skip_and_retry_touch_only_matching_rows_the_caller_can_see(
    django_capture_on_commit_callbacks,
):
    mine = UserFactory(role_slug="marketing", data_scope="own")
    rule = active_rule(definition=FAILING)
    _e1, own_a = failed_journey(rule, customer(owner=mine))
    _e2, own_b = failed_journey(rule, customer(owner=mine))
    _e3, foreign = failed_journey(rule, customer())
    client = api_client(mine)

    listed = client.get(f"{BASE}executions/", {"rule": rule.pk}).json()["results"]
    assert {e["id"] for e in listed} == {own_a.pk, own_b.pk}
    response = client.post(f"{BASE}executions/retry/", {"rule": rule.pk, "status": "pending"},
                           format="json")  # fmt: skip
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]
    body = {"rule": rule.pk, "step": "other"}
    assert client.post(f"{BASE}executions/skip/", body, format="json").json() == {"count": 0}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}executions/skip/", {"rule": rule.pk}, format="json")
    assert response.json() == {"count": 2}
    statuses = dict(Execution.objects.filter(step_id="mail").values_list("pk", "status"))
    assert statuses == {own_a.pk: "skipped", own_b.pk: "skipped", foreign.pk: "failed"}

    admin = api_client(UserFactory(role_slug="admin"))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"{BASE}executions/retry/", {"rule": rule.pk}, format="json")
    assert response.json() == {"count": 1}
    foreign.refresh_from_db()
    assert foreign.status == ExecutionStatus.FAILED  # ran again: the template is still missing
    assert foreign.attempts == 1
    missing = admin.post(f"{BASE}executions/retry/", {"rule": 999999}, format="json")
    assert missing.status_code == 404


def test_exit_ends_a_journey_and_skips_its_waiting_step():
    steps = [
        {"id": "pause", "action": "wait", "days": 2},
        {"id": "tag", "action": "add_tag", "tags": ["x"]},
    ]
    rule = active_rule(definition={"trigger": {"kind": "manual"}, "steps": steps})
    who = customer()
    enrollment = enroll_one(rule=rule, customer_id=who.pk)
    run_due()
    client = api_client(UserFactory(role_slug="marketing"))
    waiting = client.get(f"{BASE}executions/", {"waiting": "true"}).json()["results"]
    assert [e["step_id"] for e in waiting] == ["pause"]
    others = client.get(f"{BASE}executions/", {"waiting": "false", "rule": rule.pk}).json()
    assert others["results"] == []

    response = client.post(f"{BASE}enrollments/{enrollment.pk}/exit/")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == EnrollmentStatus.EXITED
    assert [e["status"] for e in data["executions"]] == [ExecutionStatus.SKIPPED]
    assert client.post(f"{BASE}enrollments/{enrollment.pk}/exit/").status_code == 409
    listed = client.get(f"{BASE}enrollments/", {"customer": who.pk, "status": "exited"}).json()
    assert [e["id"] for e in listed["results"]] == [enrollment.pk]


# --- dry runs -----------------------------------------------------------------------------


SCHEDULE = {
    "trigger": {"kind": "schedule", "every": "daily", "at": "09:00"},
    "conditions": {"all": [{"field": "level", "op": "eq", "value": "high_value"}]},
    "steps": [{"action": "add_tag", "tags": ["月度关怀"]}],
}


def test_dry_run_counts_explains_a_sample_and_lists_five_next_runs():
    high = Level.objects.get(code="high_value")
    matching = [customer(level=high) for _ in range(3)]
    other = customer()
    rule = rule_create(actor=None, name="每日关怀", definition=SCHEDULE)
    rules = Rule.objects.count()
    client = api_client(UserFactory(role_slug="supervisor"))  # reading is enough
    now = timezone.make_aware(dt.datetime(2026, 11, 2, 10, 0))

    with clock.frozen_at(now):
        response = client.post(f"{BASE}rules/{rule.pk}/dry-run/", {"sample": 2}, format="json")
    assert response.status_code == 200
    data = response.json()
    # A supervisor sees their team's customers: none of these.
    assert (data["matching"], data["sample"]) == (0, [])
    admin = api_client(UserFactory(role_slug="admin"))
    with clock.frozen_at(now):
        data = admin.post(f"{BASE}rules/{rule.pk}/dry-run/", {"sample": 2}, format="json").json()
    assert data["matching"] == 3
    assert [row["customer_id"] for row in data["sample"]] == [c.pk for c in matching[:2]]
    row = data["sample"][0]
    assert row["matched"] is True
    assert row["explanation"]["matched"] is True
    assert row["first_step"] == {"action": "add_tag"}
    runs = [dt.datetime.fromisoformat(t) for t in data["next_runs"]]
    assert len(runs) == 5
    assert timezone.localtime(runs[0]) == timezone.make_aware(dt.datetime(2026, 11, 3, 9, 0))
    assert runs[4] - runs[0] == dt.timedelta(days=4)

    # The saved rule with another definition, and a draft never saved, for chosen customers.
    body = {"definition": {**SCHEDULE, "conditions": {"all": []}}, "customer_ids": [other.pk]}
    data = admin.post(f"{BASE}rules/{rule.pk}/dry-run/", body, format="json").json()
    assert data["matching"] == Customer.objects.count()
    body = {"definition": SCHEDULE, "customer_ids": [other.pk]}
    data = admin.post(f"{BASE}rules/dry-run/", body, format="json").json()
    assert [(r["customer_id"], r["matched"]) for r in data["sample"]] == [(other.pk, False)]
    assert Rule.objects.count() == rules  # nothing saved


# --- templates ----------------------------------------------------------------------------


def test_templates_are_listed_and_installed_once(django_capture_on_commit_callbacks):
    client = api_client(UserFactory(role_slug="marketing"))
    listed = client.get(f"{BASE}templates/").json()
    assert "monthly-care" in {t["key"] for t in listed}
    assert {"key", "name", "description", "definition"} == set(listed[0])

    url = f"{BASE}templates/monthly-care/install/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"enable": True}, format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["template_key"], data["status"]) == ("monthly-care", RuleStatus.ACTIVE)
    assert data["next_run_at"] is not None
    assert client.post(url, {}, format="json").status_code == 400
    assert Rule.objects.filter(template_key="monthly-care").count() == 1
    assert client.post(f"{BASE}templates/no-such-thing/install/").status_code == 404


def test_the_schema_documents_the_automation_endpoints():
    paths = api_client().get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in (
        "rules/", "rules/{id}/", "rules/{id}/activate/", "rules/{id}/pause/",
        "rules/{id}/enroll/", "rules/{id}/board/", "rules/{id}/metrics/", "rules/{id}/dry-run/",
        "rules/{id}/versions/", "rules/validate/", "rules/dry-run/", "executions/",
        "executions/{id}/retry/", "executions/{id}/skip/", "executions/retry/",
        "executions/skip/", "enrollments/", "enrollments/{id}/", "enrollments/{id}/exit/",
        "templates/", "templates/{key}/install/",
    ):  # fmt: skip
        assert f"/api/v1/automation/{path}" in paths
