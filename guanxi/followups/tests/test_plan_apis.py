"""/api/v1/plans/: CRUD, submit / approve / reject, templates; errors in the house shape."""

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent
from guanxi.api.tests.clients import api_client
from guanxi.core import clock
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import MaintenancePlan, PlanStatus, Task
from guanxi.followups.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2024, 6, 5, 9, 0))
PLANS = "/api/v1/plans/"


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen_at(NOW):
        yield


def team_of():
    team = TeamFactory()
    leader = UserFactory(role_slug="supervisor", team=team)
    team.leader = leader
    team.save()
    return team, leader, UserFactory(role_slug="sales", team=team)


def test_create_submit_approve_over_the_api(django_capture_on_commit_callbacks):
    _team, leader, sales = team_of()
    customer = CustomerFactory(owner=sales)

    created = api_client(sales).post(
        PLANS,
        {
            "name": "月度拜访",
            "customer": customer.pk,
            "cycle": "monthly",
            "day_of_month": 10,
            "channel": "visit",
            "content": "深度拜访",
            "start_date": "2024-06-01",
        },
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["customer"]["id"], body["assign_to"]) == (
        "draft",
        customer.pk,
        "owner",
    )
    pk = body["id"]

    submitted = api_client(sales).post(f"{PLANS}{pk}/submit/")
    assert submitted.json()["status"] == "submitted"
    with django_capture_on_commit_callbacks(execute=True):
        approved = api_client(leader).post(
            f"{PLANS}{pk}/approve/", {"comment": "好"}, format="json"
        )
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["decision_comment"]) == ("approved", "好")
    assert Task.objects.get().plan_occurrence.occurrence_date == dt.date(2024, 6, 10)
    assert ActivityEvent.objects.filter(target_id=pk, source="api").count() == 3


def test_segment_plan_by_level_code_and_tag_name():
    _team, leader, _sales = team_of()
    response = api_client(leader).post(
        PLANS,
        {"name": "高价值", "level": "high_value", "cycle": "quarterly", "day_of_month": 20,
         "channel": "business_review", "start_date": "2024-06-01"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201
    assert response.json()["level"]["code"] == "high_value"
    assert response.json()["customer"] is None


def test_invalid_plan_is_400_with_field_errors_and_nothing_saved():
    _team, _leader, sales = team_of()
    response = api_client(sales).post(
        PLANS,
        {"name": "", "cycle": "weekly", "channel": "phone", "start_date": "2024-06-01"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "customer", "weekday"}
    assert not MaintenancePlan.objects.exists()


def test_reject_needs_a_comment():
    _team, leader, sales = team_of()
    plan = PlanFactory(
        customer=CustomerFactory(owner=sales), created_by=sales,
        status=PlanStatus.SUBMITTED, submitted_by=sales,
    )  # fmt: skip
    response = api_client(leader).post(f"{PLANS}{plan.pk}/reject/", {}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["comment"]
    ok = api_client(leader).post(f"{PLANS}{plan.pk}/reject/", {"comment": "太频繁"}, format="json")
    assert ok.json()["status"] == "rejected"


@pytest.mark.parametrize("who", ["anonymous", "sales", "other_supervisor", "leader"])
def test_approve_authorization_matrix(who):
    _team, leader, sales = team_of()
    _other, other_supervisor, _ = team_of()
    plan = PlanFactory(
        customer=CustomerFactory(owner=sales), created_by=sales,
        status=PlanStatus.SUBMITTED, submitted_by=sales,
    )  # fmt: skip
    user = {"anonymous": None, "sales": sales, "other_supervisor": other_supervisor,
            "leader": leader}[who]  # fmt: skip

    response = api_client(user).post(f"{PLANS}{plan.pk}/approve/")

    assert response.status_code == {"anonymous": 401, "sales": 403,
                                    "other_supervisor": 404, "leader": 200}[who]  # fmt: skip
    plan.refresh_from_db()
    assert plan.status == (PlanStatus.APPROVED if who == "leader" else PlanStatus.SUBMITTED)


def test_patch_an_approved_plan_puts_it_back_to_submitted():
    _team, _leader, sales = team_of()
    plan = PlanFactory(customer=CustomerFactory(owner=sales), created_by=sales,
                       status=PlanStatus.APPROVED)  # fmt: skip
    response = api_client(sales).patch(f"{PLANS}{plan.pk}/", {"channel": "wechat"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["channel"]) == ("submitted", "wechat")


def test_delete_a_draft_but_not_an_approved_plan():
    _team, _leader, sales = team_of()
    draft = PlanFactory(customer=CustomerFactory(owner=sales), created_by=sales)
    approved = PlanFactory(customer=CustomerFactory(owner=sales), created_by=sales,
                           status=PlanStatus.APPROVED)  # fmt: skip
    assert api_client(sales).delete(f"{PLANS}{draft.pk}/").status_code == 204
    assert api_client(sales).delete(f"{PLANS}{approved.pk}/").status_code == 400
    assert list(MaintenancePlan.objects.values_list("pk", flat=True)) == [approved.pk]


def test_list_is_scoped_and_filtered():
    _team, leader, sales = team_of()
    mine = PlanFactory(customer=CustomerFactory(owner=sales), created_by=sales)
    PlanFactory()
    listed = api_client(sales).get(PLANS).json()["results"]
    assert [p["id"] for p in listed] == [mine.pk]
    assert api_client(leader).get(PLANS, {"status": "approved"}).json()["results"] == []
    assert api_client(sales).get(f"{PLANS}{mine.pk + 1}/").status_code == 404


def test_templates_list_and_apply():
    _team, leader, _sales = team_of()
    keys = [t["key"] for t in api_client(leader).get(f"{PLANS}templates/").json()]
    assert keys == ["high_value", "potential", "churn_risk"]
    response = api_client(leader).post(
        f"{PLANS}templates/churn_risk/apply/", {"start_date": "2024-06-10"}, format="json"
    )
    assert response.status_code == 201
    assert [(p["stage"], p["assign_to"], p["start_date"]) for p in response.json()] == [
        ("churn_risk", "team_leader", "2024-06-10")
    ]
    assert api_client(leader).post(f"{PLANS}templates/nope/apply/").status_code == 404


def test_schema_documents_the_new_endpoints():
    admin = UserFactory(role_slug="admin")
    schema = api_client(admin).get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/plans/{id}/approve/", "/api/v1/calendar/",
                 "/api/v1/suggestions/{id}/confirm/", "/api/v1/followups/{id}/review/",
                 "/api/v1/followups/missing/", "/api/v1/plans/templates/{key}/apply/"):  # fmt: skip
        assert path in schema["paths"], path
