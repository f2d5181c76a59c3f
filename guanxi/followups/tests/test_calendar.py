"""The calendar: month / week / day grids of tasks and plan dates, mine or my team's, overdue
marked; moving a task (drag or date input) through the task service; the JSON feed."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.api.tests.clients import api_client
from guanxi.core import clock
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import PlanStatus, Task, TaskStatus
from guanxi.followups.plans import calendar
from guanxi.followups.plans.generation import plan_generate
from guanxi.followups.tests.factories import PlanFactory, TaskFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2024, 6, 5, 9, 0))  # a Wednesday
CALENDAR = "/api/v1/calendar/"


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen_at(NOW):
        yield


def at(day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2024, 6, day, hour, 0))


def team_of():
    team = TeamFactory()
    supervisor = UserFactory(role_slug="supervisor", team=team)
    return team, supervisor, UserFactory(role_slug="sales", team=team)


def test_bounds_cover_whole_weeks():
    assert calendar.bounds("month", dt.date(2024, 6, 5)) == (
        dt.date(2024, 5, 27),
        dt.date(2024, 6, 30),
    )
    assert calendar.bounds("week", dt.date(2024, 6, 5)) == (
        dt.date(2024, 6, 3),
        dt.date(2024, 6, 9),
    )
    assert calendar.bounds("day", dt.date(2024, 6, 5)) == (dt.date(2024, 6, 5), dt.date(2024, 6, 5))
    assert calendar.step("month", dt.date(2024, 12, 15), 1) == dt.date(2025, 1, 1)


def test_my_week_has_my_tasks_by_day_with_the_overdue_one_marked():
    _team, _supervisor, sales = team_of()
    late = TaskFactory(assignee=sales, due_at=at(4))
    today = TaskFactory(assignee=sales, due_at=at(5, 15))
    TaskFactory(assignee=sales, due_at=at(6), status=TaskStatus.CANCELLED)
    TaskFactory(due_at=at(6))  # someone else's

    days, truncated = calendar.calendar_days(user=sales, view="week", day=dt.date(2024, 6, 5))

    by_day = {d.date.day: [t.pk for t in d.tasks] for d in days if d.tasks}
    assert by_day == {4: [late.pk], 5: [today.pk]}
    assert [t.is_overdue for d in days for t in d.tasks] == [True, False]
    assert [d.is_today for d in days].index(True) == 2
    assert truncated is False


def test_team_view_shows_the_members_tasks_only_to_whom_the_scope_covers():
    team, supervisor, sales = team_of()
    task = TaskFactory(assignee=sales, customer=CustomerFactory(owner=sales), due_at=at(6))

    days, _ = calendar.calendar_days(
        user=supervisor, view="week", day=dt.date(2024, 6, 5), team=team
    )
    assert [t.pk for d in days for t in d.tasks] == [task.pk]
    assert list(calendar.teams_for(sales)) == []
    assert list(calendar.teams_for(supervisor)) == [team]


def test_plan_dates_beyond_the_generated_task_are_shown_once_per_plan():
    _team, _supervisor, sales = team_of()
    plan = PlanFactory(customer=CustomerFactory(owner=sales), status=PlanStatus.APPROVED)
    plan_generate(plan=plan)  # the task for Monday 10 June

    days, _ = calendar.calendar_days(user=sales, view="month", day=dt.date(2024, 6, 5))

    dated = {d.date: d for d in days}
    assert [t.title for t in dated[dt.date(2024, 6, 10)].tasks] == [Task.objects.get().title]
    assert dated[dt.date(2024, 6, 10)].occurrences == []
    projected = sorted(o.date for d in days for o in d.occurrences)
    assert projected == [dt.date(2024, 6, 17), dt.date(2024, 6, 24)]


def test_calendar_page_renders_each_view(client):
    _team, _supervisor, sales = team_of()
    TaskFactory(assignee=sales, due_at=at(4), title="逾期回访")
    client.force_login(sales)
    for view in ("month", "week", "day"):
        response = client.get(reverse("followups:calendar"), {"view": view, "date": "2024-06-04"})
        assert response.status_code == 200
        body = response.content.decode()
        assert "逾期回访" in body and "cal-task-overdue" in body


def test_team_outside_my_scope_is_404(client):
    team, _supervisor, sales = team_of()
    client.force_login(sales)
    response = client.get(reverse("followups:calendar"), {"team": team.pk})
    assert response.status_code == 404


def test_dragging_a_task_to_another_day_keeps_its_time_and_is_audited(client):
    _team, _supervisor, sales = team_of()
    task = TaskFactory(assignee=sales, due_at=at(6, 15))
    client.force_login(sales)

    response = client.post(
        reverse("followups:task_move", args=[task.pk]) + "?view=week&date=2024-06-05",
        {"date": "2024-06-07"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="calendar",
    )

    assert response.status_code == 200
    assert 'id="calendar"' in response.content.decode()
    task.refresh_from_db()
    assert task.due_at == at(7, 15)
    assert task.remind_at == at(7, 14)
    event = ActivityEvent.objects.get(target_id=task.pk, verb=Verb.UPDATED)
    before, after = (dt.datetime.fromisoformat(v) for v in event.changes["due_at"])
    assert (before, after) == (at(6, 15), at(7, 15))


def test_the_date_input_without_javascript_redirects_back(client):
    _team, _supervisor, sales = team_of()
    task = TaskFactory(assignee=sales, due_at=at(6, 15))
    client.force_login(sales)
    back = reverse("followups:calendar") + "?view=day&date=2024-06-06"
    response = client.post(
        reverse("followups:task_move", args=[task.pk]), {"date": "2024-06-10", "next": back}
    )
    assert (response.status_code, response["Location"]) == (302, back)
    task.refresh_from_db()
    assert task.due_at == at(10, 15)


@pytest.mark.parametrize("who", ["anonymous", "stranger", "teammate", "assignee"])
def test_move_authorization_matrix(client, who):
    team, _supervisor, sales = team_of()
    customer = CustomerFactory(owner=sales)
    task = TaskFactory(assignee=sales, customer=customer, due_at=at(6, 15))
    users = {
        "stranger": UserFactory(role_slug="sales"),
        "teammate": UserFactory(role_slug="sales", team=team, data_scope="team"),
        "assignee": sales,
    }
    if who != "anonymous":
        client.force_login(users[who])

    response = client.post(reverse("followups:task_move", args=[task.pk]), {"date": "2024-06-07"})

    expected = {"anonymous": 302, "stranger": 404, "teammate": 403, "assignee": 302}[who]
    assert response.status_code == expected
    task.refresh_from_db()
    assert task.due_at == (at(7, 15) if who == "assignee" else at(6, 15))


def test_a_done_task_cannot_be_moved(client):
    _team, _supervisor, sales = team_of()
    task = TaskFactory(assignee=sales, due_at=at(6, 15), status=TaskStatus.DONE)
    client.force_login(sales)
    client.post(reverse("followups:task_move", args=[task.pk]), {"date": "2024-06-07"})
    task.refresh_from_db()
    assert task.due_at == at(6, 15)


def test_api_calendar_feed_has_tasks_and_plan_dates():
    _team, _supervisor, sales = team_of()
    plan = PlanFactory(customer=CustomerFactory(owner=sales), status=PlanStatus.APPROVED)
    plan_generate(plan=plan)
    late = TaskFactory(assignee=sales, due_at=at(4))

    response = api_client(sales).get(CALENDAR, {"start": "2024-06-03", "end": "2024-06-17"})

    assert response.status_code == 200
    body = response.json()
    assert [(t["id"], t["overdue"], t["plan"]) for t in body["tasks"]] == [
        (late.pk, True, None),
        (Task.objects.get(source="plan").pk, False, plan.pk),
    ]
    assert body["occurrences"] == [
        {"date": "2024-06-17", "plan": plan.pk, "name": plan.name, "channel": "phone"}
    ]
    assert body["team"] is None


def test_api_calendar_refuses_a_long_range_and_a_team_out_of_scope():
    team, _supervisor, sales = team_of()
    too_long = api_client(sales).get(CALENDAR, {"start": "2024-01-01", "end": "2024-06-30"})
    assert too_long.status_code == 400
    assert list(too_long.json()["errors"]) == ["end"]
    other = api_client(sales).get(
        CALENDAR, {"start": "2024-06-01", "end": "2024-06-30", "team": team.pk}
    )
    assert other.status_code == 404
    assert (
        api_client(None).get(CALENDAR, {"start": "2024-06-01", "end": "2024-06-30"}).status_code
        == 401
    )
