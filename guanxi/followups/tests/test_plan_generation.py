"""Approved plans generate the next occurrence's task per customer, once, and move on when it
is done or skipped; `guanxi plans generate` and the scheduler run the same code."""

import datetime as dt
import json

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent, Source, Verb
from guanxi.cli import main
from guanxi.core import clock
from guanxi.core.schedule import JOBS
from guanxi.customers.models import Level, Stage, Tag
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import (
    Assignment,
    Cycle,
    PlanOccurrence,
    PlanStatus,
    Task,
    TaskSource,
    TaskStatus,
)
from guanxi.followups.plans.generation import plan_generate, plans_generate
from guanxi.followups.services import task_cancel, task_complete
from guanxi.followups.tests.factories import PlanFactory
from guanxi.messaging.models import UserMessagingPreference

pytestmark = pytest.mark.django_db

# Wednesday 2024-06-05 09:00 in Shanghai; the weekly plans fall on Mondays.
NOW = timezone.make_aware(dt.datetime(2024, 6, 5, 9, 0))
MONDAY = dt.date(2024, 6, 10)


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen_at(NOW):
        yield


def high_value():
    return Level.objects.get(code="high_value")


def segment_plan(author, **kwargs):
    values = {
        "customer": None,
        "level": high_value(),
        "created_by": author,
        "status": PlanStatus.APPROVED,
        **kwargs,
    }
    return PlanFactory(**values)


def team_with_supervisor():
    team = TeamFactory()
    supervisor = UserFactory(role_slug="supervisor", team=team)
    return team, supervisor


def test_segment_plan_makes_one_task_per_matching_customer_in_its_authors_scope():
    team, supervisor = team_with_supervisor()
    sales = UserFactory(role_slug="sales", team=team)
    mine = [CustomerFactory(owner=sales, level=high_value()) for _ in range(3)]
    CustomerFactory(owner=sales)  # potential: not in the segment
    CustomerFactory(level=high_value())  # another team's: outside the author's scope
    plan = segment_plan(supervisor, channel="visit")

    with translation.override("en"):
        assert plan_generate(plan=plan) == 3

    tasks = Task.objects.order_by("customer_id")
    assert [t.customer_id for t in tasks] == [c.pk for c in mine]
    task = tasks[0]
    assert (task.assignee, task.source, task.status) == (sales, TaskSource.PLAN, TaskStatus.OPEN)
    assert task.due_at == timezone.make_aware(dt.datetime(2024, 6, 10, 18, 0))
    assert task.remind_at == timezone.make_aware(dt.datetime(2024, 6, 10, 17, 0))
    assert task.title == f"Visit: {mine[0].name}"
    assert task.plan_occurrence.occurrence_date == MONDAY
    plan.refresh_from_db()
    assert (plan.next_date, plan.last_generated_at) == (MONDAY, NOW)
    audit = ActivityEvent.objects.filter(target_type="followups.task", verb=Verb.CREATED)
    assert sorted(audit.values_list("customer_id", flat=True)) == [c.pk for c in mine]
    assert {e.source for e in audit} == {Source.SYSTEM}


def test_running_twice_creates_nothing_new():
    team, supervisor = team_with_supervisor()
    CustomerFactory(owner=UserFactory(team=team), level=high_value())
    plan = segment_plan(supervisor)

    assert plan_generate(plan=plan) == 1
    assert plan_generate(plan=plan) == 0
    assert (Task.objects.count(), PlanOccurrence.objects.count()) == (1, 1)


def test_the_same_occurrence_cannot_be_stored_twice():
    team, supervisor = team_with_supervisor()
    customer = CustomerFactory(owner=supervisor, level=high_value())
    plan = segment_plan(supervisor)
    PlanOccurrence.objects.create(
        plan=plan, customer=customer, occurrence_date=MONDAY, created_at=NOW
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanOccurrence.objects.create(
            plan=plan, customer=customer, occurrence_date=MONDAY, created_at=NOW
        )


@pytest.mark.parametrize("status", [PlanStatus.DRAFT, PlanStatus.SUBMITTED, PlanStatus.REJECTED])
def test_only_approved_plans_generate(status):
    team, supervisor = team_with_supervisor()
    CustomerFactory(owner=supervisor, level=high_value())
    plan = segment_plan(supervisor, status=status)

    assert plan_generate(plan=plan) == 0
    assert Task.objects.count() == 0


def test_done_task_moves_the_customer_on_to_the_next_date_at_once():
    sales = UserFactory(role_slug="sales")
    plan = PlanFactory(customer=CustomerFactory(owner=sales), status=PlanStatus.APPROVED)
    plan_generate(plan=plan)
    first = Task.objects.get()

    task_complete(actor=sales, task=first)

    following = Task.objects.exclude(pk=first.pk).get()
    assert following.plan_occurrence.occurrence_date == dt.date(2024, 6, 17)
    assert first.plan_occurrence.handled_at == NOW
    plan.refresh_from_db()
    assert plan.next_date == dt.date(2024, 6, 17)
    assert plan_generate(plan=plan) == 0  # the new one is open: nothing more


def test_skipped_task_moves_on_too():
    sales = UserFactory(role_slug="sales")
    plan = PlanFactory(customer=CustomerFactory(owner=sales), status=PlanStatus.APPROVED)
    plan_generate(plan=plan)

    task_cancel(actor=sales, task=Task.objects.get())

    assert list(
        PlanOccurrence.objects.order_by("occurrence_date").values_list(
            "occurrence_date", "task__status"
        )
    ) == [(MONDAY, TaskStatus.CANCELLED), (dt.date(2024, 6, 17), TaskStatus.OPEN)]


def test_open_task_holds_the_next_occurrence_back():
    sales = UserFactory(role_slug="sales")
    plan = PlanFactory(customer=CustomerFactory(owner=sales), status=PlanStatus.APPROVED)
    plan_generate(plan=plan)
    later = NOW + dt.timedelta(days=20)

    with clock.frozen_at(later):
        assert plan_generate(plan=plan, now=later) == 0
    assert Task.objects.count() == 1


def test_a_task_done_late_leads_to_the_next_date_from_today_not_the_missed_ones():
    sales = UserFactory(role_slug="sales")
    plan = PlanFactory(customer=CustomerFactory(owner=sales), status=PlanStatus.APPROVED)
    plan_generate(plan=plan)
    three_weeks_later = timezone.make_aware(dt.datetime(2024, 7, 3, 9, 0))  # a Wednesday

    with clock.frozen_at(three_weeks_later):
        task_complete(actor=sales, task=Task.objects.get())

    dates = PlanOccurrence.objects.order_by("occurrence_date").values_list(
        "occurrence_date", flat=True
    )
    assert list(dates) == [MONDAY, dt.date(2024, 7, 8)]


def test_a_customer_joining_the_segment_later_gets_the_next_date():
    team, supervisor = team_with_supervisor()
    CustomerFactory(owner=supervisor, level=high_value())
    plan = segment_plan(supervisor)
    plan_generate(plan=plan)
    newcomer = CustomerFactory(owner=supervisor)
    newcomer.level = high_value()
    newcomer.save()
    friday = timezone.make_aware(dt.datetime(2024, 6, 14, 9, 0))

    with clock.frozen_at(friday):
        assert plan_generate(plan=plan, now=friday) == 1
    assert PlanOccurrence.objects.get(customer=newcomer).occurrence_date == dt.date(2024, 6, 17)


def test_team_leader_plans_go_to_the_owners_team_leader_else_the_owner():
    led, leader = team_with_supervisor()
    led.leader = leader
    led.save()
    unled = TeamFactory()
    with_leader = CustomerFactory(owner=UserFactory(team=led), stage=Stage.CHURN_RISK)
    without = CustomerFactory(owner=UserFactory(team=unled), stage=Stage.CHURN_RISK)
    admin = UserFactory(role_slug="admin")
    plan = segment_plan(admin, level=None, stage=Stage.CHURN_RISK, assign_to=Assignment.TEAM_LEADER)

    assert plan_generate(plan=plan) == 2
    assignees = dict(Task.objects.values_list("customer_id", "assignee_id"))
    assert assignees == {with_leader.pk: leader.pk, without.pk: without.owner_id}


def test_named_person_gets_every_task_and_a_customer_without_owner_is_skipped_otherwise():
    admin = UserFactory(role_slug="admin")
    tag = Tag.objects.create(name="重点")
    tagged = CustomerFactory()
    tagged.tags.add(tag)
    ownerless = CustomerFactory(owner=None)
    ownerless.tags.add(tag)
    named = UserFactory(role_slug="sales")
    by_owner = segment_plan(admin, level=None, tag=tag)
    by_named = segment_plan(admin, level=None, tag=tag, assign_to=Assignment.USER, owner=named)

    assert plan_generate(plan=by_owner) == 1
    assert plan_generate(plan=by_named) == 2
    assert set(
        Task.objects.filter(plan_occurrence__plan=by_named).values_list("assignee_id", flat=True)
    ) == {named.pk}


def test_ended_plan_generates_nothing():
    sales = UserFactory(role_slug="sales")
    plan = PlanFactory(
        customer=CustomerFactory(owner=sales),
        status=PlanStatus.APPROVED,
        end_date=dt.date(2024, 6, 9),
    )
    assert plan_generate(plan=plan) == 0
    plan.refresh_from_db()
    assert plan.next_date is None


def test_reminder_follows_the_assignees_preference():
    sales = UserFactory(role_slug="sales")
    UserMessagingPreference.objects.create(user=sales, task_reminder_minutes=24 * 60)
    plan = PlanFactory(customer=CustomerFactory(owner=sales), status=PlanStatus.APPROVED)
    plan_generate(plan=plan)
    assert Task.objects.get().remind_at == timezone.make_aware(dt.datetime(2024, 6, 9, 18, 0))


def test_monthly_plan_starting_later_makes_its_first_date_only():
    sales = UserFactory(role_slug="sales")
    plan = PlanFactory(
        customer=CustomerFactory(owner=sales),
        status=PlanStatus.APPROVED,
        cycle=Cycle.MONTHLY,
        weekday=None,
        day_of_month=10,
        start_date=dt.date(2024, 8, 1),
    )
    assert plan_generate(plan=plan) == 1
    assert Task.objects.get().plan_occurrence.occurrence_date == dt.date(2024, 8, 10)


def test_plans_generate_runs_every_approved_plan():
    sales = UserFactory(role_slug="sales")
    approved = PlanFactory(customer=CustomerFactory(owner=sales), status=PlanStatus.APPROVED)
    PlanFactory(customer=CustomerFactory(owner=sales))

    summary = plans_generate()

    assert (summary["plans"], summary["tasks"]) == (1, 1)
    assert summary["results"] == [{"plan": approved.pk, "name": approved.name, "tasks": 1}]


def test_cli_generate_as_of_an_instant_prints_json_and_a_second_run_creates_nothing(capsys):
    sales = UserFactory(role_slug="sales")
    plan = PlanFactory(customer=CustomerFactory(owner=sales), status=PlanStatus.APPROVED)

    with translation.override("en"):
        assert main(["plans", "generate", "--now", "2024-06-12T09:00", "--json"]) == 0
        first = json.loads(capsys.readouterr().out)
        assert main(["plans", "generate", "--now", "2024-06-12T09:00"]) == 0
        second = capsys.readouterr().out

    assert (first["plans"], first["tasks"]) == (1, 1)
    assert first["results"] == [{"plan": plan.pk, "name": plan.name, "tasks": 1}]
    assert second.splitlines()[0] == "1 approved plans, 0 tasks created."
    assert Task.objects.get().plan_occurrence.occurrence_date == dt.date(2024, 6, 17)


def test_cli_rejects_a_bad_instant(capsys):
    with translation.override("en"):
        assert main(["plans", "generate", "--now", "yesterday"]) == 1
    assert "--now takes a date and time in ISO 8601" in capsys.readouterr().err


def test_the_scheduler_runs_generation_hourly():
    job = next(j for j in JOBS if j.name == "followups.generate_plan_tasks")
    assert job.cron == "7 * * * *"
    assert job.task().name == "generate_plan_tasks"
