"""Plan pages through the Django test client: list with templates and the approval queue,
the form, submit / approve / reject, applying a template; who may open and post what."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.core import clock
from guanxi.customers.models import Level
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import MaintenancePlan, PlanStatus, Task
from guanxi.followups.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2024, 6, 5, 9, 0))


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen_at(NOW):
        yield


def logged_in(client, user):
    client.force_login(user)
    return client


def team_of():
    team = TeamFactory()
    leader = UserFactory(role_slug="supervisor", team=team)
    team.leader = leader
    team.save()
    return team, leader, UserFactory(role_slug="sales", team=team)


def test_list_shows_my_plans_the_templates_and_what_awaits_my_approval(client):
    _team, leader, sales = team_of()
    mine = PlanFactory(customer=CustomerFactory(owner=leader), name="我的计划")
    waiting = PlanFactory(
        customer=CustomerFactory(owner=sales),
        name="待批计划",
        status=PlanStatus.SUBMITTED,
        submitted_by=sales,
        submitted_at=NOW,
    )
    PlanFactory(name="别人的计划")  # another team's

    response = logged_in(client, leader).get(reverse("followups:plan_list"))

    assert response.status_code == 200
    assert [p.pk for p in response.context["awaiting"]] == [waiting.pk]
    assert {p.pk for p in response.context["page"].items} == {mine.pk, waiting.pk}
    body = response.content.decode()
    assert "别人的计划" not in body
    assert body.count("plans/templates/") == 3


def test_create_a_segment_plan_from_the_form(client):
    _team, leader, _sales = team_of()
    response = logged_in(client, leader).post(
        reverse("followups:plan_create"),
        {
            "name": "潜在客户双周电话",
            "level": str(Level.objects.get(code="potential").pk),
            "cycle": "days",
            "interval_days": "14",
            "channel": "phone",
            "assign_to": "owner",
            "start_date": "2024-06-05",
        },
    )
    plan = MaintenancePlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("followups:plan_detail", args=[plan.pk])
    assert (plan.name, plan.level.code, plan.interval_days, plan.status) == (
        "潜在客户双周电话", "potential", 14, PlanStatus.DRAFT,
    )  # fmt: skip


def test_form_errors_are_shown_in_place_and_nothing_is_saved(client):
    _team, leader, _sales = team_of()
    response = logged_in(client, leader).post(
        reverse("followups:plan_create"),
        {"name": "无对象", "cycle": "weekly", "weekday": "0", "channel": "phone",
         "assign_to": "owner", "start_date": "2024-06-05"},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert response.status_code == 200
    with translation.override("en"):
        assert response.context["form"].errors["customer"] == [
            "Choose a customer, or a level, stage or tag for a segment."
        ]
    assert not MaintenancePlan.objects.exists()


def test_submit_then_approve_through_the_pages(client, django_capture_on_commit_callbacks):
    _team, leader, sales = team_of()
    plan = PlanFactory(customer=CustomerFactory(owner=sales), created_by=sales)

    response = logged_in(client, sales).post(reverse("followups:plan_submit", args=[plan.pk]))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED

    page = logged_in(client, leader).get(reverse("followups:plan_detail", args=[plan.pk]))
    assert page.context["can_decide"] is True
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("followups:plan_approve", args=[plan.pk]), {"comment": "同意"})
    plan.refresh_from_db()
    assert (plan.status, plan.decision_comment) == (PlanStatus.APPROVED, "同意")
    assert Task.objects.filter(plan_occurrence__plan=plan).count() == 1


def test_reject_without_a_comment_shows_the_reason_and_changes_nothing(client):
    _team, leader, sales = team_of()
    plan = PlanFactory(
        customer=CustomerFactory(owner=sales), created_by=sales,
        status=PlanStatus.SUBMITTED, submitted_by=sales,
    )  # fmt: skip
    response = logged_in(client, leader).post(
        reverse("followups:plan_reject", args=[plan.pk]),
        {"comment": ""},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert [str(m) for m in response.context["messages"]] == ["Say why the plan is rejected."]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


@pytest.mark.parametrize("who", ["anonymous", "sales", "other_supervisor", "leader"])
def test_approve_authorization_matrix(client, who):
    _team, leader, sales = team_of()
    _other_team, other_supervisor, _ = team_of()
    plan = PlanFactory(
        customer=CustomerFactory(owner=sales), created_by=sales,
        status=PlanStatus.SUBMITTED, submitted_by=sales,
    )  # fmt: skip
    users = {"sales": sales, "other_supervisor": other_supervisor, "leader": leader}
    if who != "anonymous":
        client.force_login(users[who])

    response = client.post(reverse("followups:plan_approve", args=[plan.pk]))

    plan.refresh_from_db()
    expected = {"anonymous": 302, "sales": 403, "other_supervisor": 404, "leader": 302}[who]
    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))
    assert plan.status == (PlanStatus.APPROVED if who == "leader" else PlanStatus.SUBMITTED)


def test_editing_an_approved_plan_warns_it_goes_back_to_approval(client):
    _team, leader, sales = team_of()
    customer = CustomerFactory(owner=sales)
    plan = PlanFactory(customer=customer, created_by=sales, status=PlanStatus.APPROVED)
    form = logged_in(client, sales).get(reverse("followups:plan_edit", args=[plan.pk]))
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None}
    data.update(content="新增：推荐新品", start_date="2024-06-01")

    response = client.post(reverse("followups:plan_edit", args=[plan.pk]), data, follow=True)

    plan.refresh_from_db()
    assert (plan.status, plan.content) == (PlanStatus.SUBMITTED, "新增：推荐新品")
    assert response.context["messages"]._loaded_messages[0].level_tag == "warning"


def test_apply_a_template_from_the_list(client):
    _team, leader, _sales = team_of()
    response = logged_in(client, leader).post(
        reverse("followups:plan_template", args=["high_value"]), {"start_date": "2024-07-01"}
    )
    assert response.status_code == 302
    plans = MaintenancePlan.objects.order_by("pk")
    assert [(p.template_key, p.start_date, p.created_by) for p in plans] == [
        ("high_value", dt.date(2024, 7, 1), leader),
        ("high_value", dt.date(2024, 7, 1), leader),
    ]


def test_unknown_template_is_404(client):
    _team, leader, _sales = team_of()
    response = logged_in(client, leader).post(reverse("followups:plan_template", args=["nope"]))
    assert response.status_code == 404
    assert not MaintenancePlan.objects.exists()


def test_a_plan_of_another_team_is_404(client):
    _team, _leader, sales = team_of()
    plan = PlanFactory()
    response = logged_in(client, sales).get(reverse("followups:plan_detail", args=[plan.pk]))
    assert response.status_code == 404


def test_a_salesperson_sees_the_supervisors_segment_plan_that_gave_them_a_task(client):
    from guanxi.followups.plans.generation import plan_generate

    _team, leader, sales = team_of()
    CustomerFactory(owner=sales, level=Level.objects.get(code="high_value"))
    plan = PlanFactory(
        customer=None, level=Level.objects.get(code="high_value"), created_by=leader,
        status=PlanStatus.APPROVED,
    )  # fmt: skip
    url = reverse("followups:plan_detail", args=[plan.pk])
    assert logged_in(client, sales).get(url).status_code == 404

    plan_generate(plan=plan)

    task = Task.objects.get(assignee=sales)
    assert client.get(url).status_code == 200
    page = client.get(reverse("followups:task_detail", args=[task.pk]))
    assert url in page.content.decode()


def test_detail_shows_the_date_a_draft_would_start_and_how_many_customers_it_covers(client):
    _team, leader, sales = team_of()
    level = Level.objects.create(name="重点客户")
    CustomerFactory(owner=sales, level=level)
    CustomerFactory(owner=leader, level=level)
    CustomerFactory(level=level)  # another team's: neither counted nor shown
    CustomerFactory(owner=sales)  # not in the segment
    plan = PlanFactory(customer=None, level=level, created_by=leader)  # weekly on Monday

    response = logged_in(client, leader).get(reverse("followups:plan_detail", args=[plan.pk]))

    assert response.context["matching"] == 2
    # 2024-06-05 is a Wednesday: the next Monday, shown as a prediction until approval.
    assert response.context["upcoming"] == (dt.date(2024, 6, 10), True)
    body = response.content.decode()
    assert "2024-06-10" in body
    listing = client.get(reverse("followups:plan_list"))
    assert "2024-06-10" in listing.content.decode()
    plan.status = PlanStatus.REJECTED
    plan.save()
    assert client.get(reverse("followups:plan_detail", args=[plan.pk])).context["upcoming"] == (
        None,
        False,
    )
