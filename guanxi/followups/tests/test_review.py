"""Follow-up review: a supervisor marks the team's follow-ups reviewed with a comment (page
and API); plan dates with no follow-up recorded within 2 hours are listed as missing."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.api.tests.clients import api_client
from guanxi.core import clock
from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.core.events import subscribe, unsubscribe
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import FollowUp, PlanStatus, Task
from guanxi.followups.plans.generation import plan_generate
from guanxi.followups.review import followup_review, missing_followups, review_list
from guanxi.followups.services import task_cancel, task_complete
from guanxi.followups.tests.factories import FollowUpFactory, PlanFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2024, 6, 5, 9, 0))
MONDAY_DUE = timezone.make_aware(dt.datetime(2024, 6, 10, 18, 0))


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen_at(NOW):
        yield


def team_of():
    team = TeamFactory()
    supervisor = UserFactory(role_slug="supervisor", team=team)
    return team, supervisor, UserFactory(role_slug="sales", team=team)


def test_supervisor_sees_the_teams_recent_followups_to_review():
    _team, supervisor, sales = team_of()
    recent = FollowUpFactory(customer=CustomerFactory(owner=sales), occurred_at=NOW)
    FollowUpFactory(customer=CustomerFactory(owner=sales), occurred_at=NOW - dt.timedelta(days=20))
    FollowUpFactory(occurred_at=NOW)  # another team's

    assert [f.pk for f in review_list(user=supervisor, reviewed=False)] == [recent.pk]
    assert list(review_list(user=sales)) == []  # no review permission


def test_mark_reviewed_with_a_comment_is_audited_and_published(django_capture_on_commit_callbacks):
    _team, supervisor, sales = team_of()
    followup = FollowUpFactory(customer=CustomerFactory(owner=sales), author=sales)
    heard = []
    subscribe(heard.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            followup_review(actor=supervisor, followup=followup, comment="记录清楚")
    finally:
        unsubscribe(heard.append)

    followup.refresh_from_db()
    assert (followup.reviewed_by, followup.reviewed_at, followup.review_comment) == (
        supervisor, NOW, "记录清楚",
    )  # fmt: skip
    event = ActivityEvent.objects.get(target_type="followups.followup", verb=Verb.UPDATED)
    assert event.changes["review_comment"] == [None, "记录清楚"]
    assert [(e.name, e.payload) for e in heard] == [
        ("followup.reviewed", {"followup_id": followup.pk, "author_id": sales.pk})
    ]


def test_sales_and_another_teams_supervisor_cannot_review_and_nothing_changes():
    _team, _supervisor, sales = team_of()
    _other, other_supervisor, _ = team_of()
    followup = FollowUpFactory(customer=CustomerFactory(owner=sales))
    with pytest.raises(PermissionDeniedError):
        followup_review(actor=sales, followup=followup)
    with pytest.raises(NotFoundError):
        followup_review(actor=other_supervisor, followup=followup)
    followup.refresh_from_db()
    assert followup.reviewed_at is None
    assert not ActivityEvent.objects.exists()


def _plan_task(sales):
    customer = CustomerFactory(owner=sales)
    plan = PlanFactory(customer=customer, status=PlanStatus.APPROVED)
    plan_generate(plan=plan)
    return customer, Task.objects.get(customer=customer)


def test_a_plan_date_with_nothing_recorded_two_hours_after_the_due_time_is_missing():
    _team, supervisor, sales = team_of()
    customer, task = _plan_task(sales)
    just_before = MONDAY_DUE + dt.timedelta(hours=2)
    after = MONDAY_DUE + dt.timedelta(hours=2, minutes=1)

    assert list(missing_followups(user=supervisor, now=just_before)) == []
    missing = list(missing_followups(user=supervisor, now=after))
    assert [(m.customer_id, m.task_id) for m in missing] == [(customer.pk, task.pk)]


def test_a_followup_recorded_in_time_clears_it_even_if_the_task_was_marked_done():
    _team, supervisor, sales = team_of()
    customer, task = _plan_task(sales)
    recorded = FollowUpFactory(customer=customer)
    FollowUp.objects.filter(pk=recorded.pk).update(created_at=MONDAY_DUE + dt.timedelta(hours=1))
    later = MONDAY_DUE + dt.timedelta(days=1)

    assert list(missing_followups(user=supervisor, now=later)) == []
    FollowUp.objects.filter(pk=recorded.pk).update(created_at=MONDAY_DUE + dt.timedelta(hours=3))
    with clock.frozen_at(later):
        task_complete(actor=sales, task=task)
    assert [m.task_id for m in missing_followups(user=supervisor, now=later)] == [task.pk]


def test_a_skipped_plan_date_is_not_missing():
    _team, supervisor, sales = team_of()
    _customer, task = _plan_task(sales)
    task_cancel(actor=sales, task=task)
    later = MONDAY_DUE + dt.timedelta(days=1)
    assert list(missing_followups(user=supervisor, now=later)) == []


def test_review_page_lists_both_and_marks_reviewed_with_htmx(client):
    _team, supervisor, sales = team_of()
    followup = FollowUpFactory(customer=CustomerFactory(owner=sales), occurred_at=NOW)
    client.force_login(supervisor)

    page = client.get(reverse("followups:review"))
    assert page.status_code == 200
    assert [f.pk for f in page.context["page"].items] == [followup.pk]
    response = client.post(
        reverse("followups:followup_review", args=[followup.pk]),
        {"comment": "好"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f'id="review-{followup.pk}"' in response.content.decode()
    followup.refresh_from_db()
    assert followup.review_comment == "好"


def test_review_page_filters_by_who_recorded_among_the_viewers_people_only(client):
    team, supervisor, sales = team_of()
    colleague = UserFactory(role_slug="sales", team=team)
    mine = FollowUpFactory(customer=CustomerFactory(owner=sales), author=sales, occurred_at=NOW)
    FollowUpFactory(customer=CustomerFactory(owner=colleague), author=colleague, occurred_at=NOW)
    stranger = UserFactory(role_slug="sales")  # another team: not a choice, so no filter
    client.force_login(supervisor)

    page = client.get(reverse("followups:review"), {"author": sales.pk})
    assert [f.pk for f in page.context["page"].items] == [mine.pk]
    assert page.context["author"] == sales
    assert {u.pk for u in page.context["authors"]} >= {sales.pk, colleague.pk}
    assert stranger not in page.context["authors"]
    everyone = client.get(reverse("followups:review"), {"author": stranger.pk})
    assert everyone.context["author"] is None
    assert len(everyone.context["page"].items) == 2


@pytest.mark.parametrize("who", ["anonymous", "sales", "other_supervisor", "supervisor"])
def test_review_page_authorization_matrix(client, who):
    _team, supervisor, sales = team_of()
    _other, other_supervisor, _ = team_of()
    followup = FollowUpFactory(customer=CustomerFactory(owner=sales))
    users = {"sales": sales, "other_supervisor": other_supervisor, "supervisor": supervisor}
    if who != "anonymous":
        client.force_login(users[who])

    response = client.post(reverse("followups:followup_review", args=[followup.pk]))

    expected = {"anonymous": 302, "sales": 403, "other_supervisor": 404, "supervisor": 302}[who]
    assert response.status_code == expected
    followup.refresh_from_db()
    assert (followup.reviewed_by == supervisor) is (who == "supervisor")


def test_api_review_filter_and_missing_list():
    _team, supervisor, sales = team_of()
    followup = FollowUpFactory(customer=CustomerFactory(owner=sales))
    client = api_client(supervisor)

    response = client.post(f"/api/v1/followups/{followup.pk}/review/", {"comment": "OK"})
    assert response.status_code == 200
    assert (response.json()["review_comment"], response.json()["reviewed_by"]["id"]) == (
        "OK", supervisor.pk,
    )  # fmt: skip
    assert client.get("/api/v1/followups/", {"reviewed": "false"}).json()["results"] == []
    assert [
        r["id"] for r in client.get("/api/v1/followups/", {"reviewed": "true"}).json()["results"]
    ] == [followup.pk]
    assert api_client(sales).post(f"/api/v1/followups/{followup.pk}/review/").status_code == 403

    customer, task = _plan_task(sales)
    with clock.frozen_at(MONDAY_DUE + dt.timedelta(days=1)):
        missing = client.get("/api/v1/followups/missing/").json()["results"]
    assert [(m["customer"]["id"], m["task"], m["task_status"]) for m in missing] == [
        (customer.pk, task.pk, "open")
    ]
    assert api_client(sales).get("/api/v1/followups/missing/").status_code == 403
