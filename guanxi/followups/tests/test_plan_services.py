"""Plans: create, submit, approve / reject by the team's supervisor, changes back to approval,
templates; audit and notices; who may do what."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from guanxi.customers.models import Level, Stage
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import (
    Assignment,
    Cycle,
    MaintenancePlan,
    PlanChannel,
    PlanStatus,
    Task,
)
from guanxi.followups.plans import defaults
from guanxi.followups.plans.selectors import plan_get, plans_awaiting
from guanxi.followups.plans.services import (
    plan_approve,
    plan_create,
    plan_delete,
    plan_reject,
    plan_submit,
    plan_update,
)
from guanxi.messaging.models import Notification

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2024, 6, 5, 9, 0))


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen_at(NOW):
        yield


def team_of(leader_role: str = "supervisor"):
    team = TeamFactory()
    leader = UserFactory(role_slug=leader_role, team=team)
    team.leader = leader
    team.save()
    sales = UserFactory(role_slug="sales", team=team)
    return team, leader, sales


def plan_data(customer, **kwargs):
    return {
        "name": "每周电话回访",
        "customer": kwargs.pop("customer", customer),
        "cycle": Cycle.WEEKLY,
        "weekday": 0,
        "channel": PlanChannel.PHONE,
        "content": "了解近况",
        "assign_to": Assignment.CUSTOMER_OWNER,
        "start_date": dt.date(2024, 6, 1),
        **kwargs,
    }


def notices(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("title", flat=True))


def test_sales_creates_a_draft_plan_for_their_customer_audited():
    _team, _leader, sales = team_of()
    customer = CustomerFactory(owner=sales)

    plan = plan_create(actor=sales, data=plan_data(customer, interval_days=9))

    assert (plan.status, plan.created_by, plan.customer) == (PlanStatus.DRAFT, sales, customer)
    assert plan.interval_days is None  # a weekly plan keeps no "every N days"
    event = ActivityEvent.objects.get(target_type="followups.maintenanceplan")
    assert (event.verb, event.actor, event.customer_id) == (Verb.CREATED, sales, customer.pk)
    assert event.changes["name"] == [None, "每周电话回访"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"customer": None}, "customer"),
        ({"cycle": Cycle.EVERY_N_DAYS, "interval_days": None}, "interval_days"),
        ({"weekday": None}, "weekday"),
        ({"cycle": Cycle.MONTHLY, "day_of_month": 32}, "day_of_month"),
        ({"end_date": dt.date(2024, 5, 1)}, "end_date"),
        ({"assign_to": Assignment.USER, "owner": None}, "owner"),
    ],
)
def test_invalid_plans_are_refused_field_by_field(changes, field):
    _team, _leader, sales = team_of()
    customer = CustomerFactory(owner=sales)
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        plan_create(actor=sales, data={**plan_data(customer), **changes})
    assert list(caught.value.errors) == [field]
    assert MaintenancePlan.objects.count() == 0


def test_plan_for_a_customer_out_of_scope_is_refused():
    _team, _leader, sales = team_of()
    stranger = CustomerFactory()
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        plan_create(actor=sales, data=plan_data(stranger))
    assert caught.value.errors == {"customer": ["Customer not found."]}


def test_giving_plan_tasks_to_the_team_leader_is_a_supervisors():
    _team, leader, sales = team_of()
    data = plan_data(None, level=Level.objects.get(code="potential"),
                     assign_to=Assignment.TEAM_LEADER)  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        plan_create(actor=sales, data=data)
    assert plan_create(actor=leader, data=data).assign_to == Assignment.TEAM_LEADER


def test_submit_notifies_the_team_leader_and_approval_notifies_the_submitter(
    django_capture_on_commit_callbacks,
):
    _team, leader, sales = team_of()
    plan = plan_create(actor=sales, data=plan_data(CustomerFactory(owner=sales)))

    with translation.override("en"):
        plan_submit(actor=sales, plan=plan)
    assert plan.status == PlanStatus.SUBMITTED
    assert notices(leader) == [f"Plan to approve: 每周电话回访 (from {sales.label})"]
    assert [p.pk for p in plans_awaiting(user=leader)] == [plan.pk]

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        plan_approve(actor=leader, plan=plan, comment="可以")
    plan.refresh_from_db()
    assert (plan.status, plan.decided_by, plan.decision_comment) == (
        PlanStatus.APPROVED, leader, "可以",
    )  # fmt: skip
    assert notices(sales) == ["Plan approved: 每周电话回访"]
    # Approval generated the first task (ImmediateBackend in tests).
    assert Task.objects.get().plan_occurrence.plan == plan
    statuses = [
        e.changes["status"]
        for e in ActivityEvent.objects.filter(target_id=plan.pk, verb=Verb.UPDATED).order_by("id")
    ]
    assert statuses == [["draft", "submitted"], ["submitted", "approved"]]


def test_reject_needs_a_comment_and_tells_the_submitter_why():
    _team, leader, sales = team_of()
    plan = plan_create(actor=sales, data=plan_data(CustomerFactory(owner=sales)))
    plan_submit(actor=sales, plan=plan)

    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        plan_reject(actor=leader, plan=plan, comment=" ")
    assert caught.value.errors == {"comment": ["Say why the plan is rejected."]}
    assert MaintenancePlan.objects.get().status == PlanStatus.SUBMITTED

    with translation.override("en"):
        plan_reject(actor=leader, plan=plan, comment="频率太高")
    assert plan.status == PlanStatus.REJECTED
    notice = Notification.objects.get(user=sales)
    assert (notice.title, notice.body) == ("Plan rejected: 每周电话回访", "频率太高")
    assert Task.objects.count() == 0


def test_rejected_plan_changed_becomes_a_draft_and_can_be_submitted_again():
    _team, leader, sales = team_of()
    plan = plan_create(actor=sales, data=plan_data(CustomerFactory(owner=sales)))
    plan_submit(actor=sales, plan=plan)
    plan_reject(actor=leader, plan=plan, comment="频率太高")

    plan_update(actor=sales, plan=plan, data={"cycle": Cycle.MONTHLY, "day_of_month": 5})
    assert plan.status == PlanStatus.DRAFT
    plan_submit(actor=sales, plan=plan)
    assert plan.status == PlanStatus.SUBMITTED


def test_changing_an_approved_plan_sends_it_back_to_approval_and_stops_generation():
    _team, leader, sales = team_of()
    plan = plan_create(actor=sales, data=plan_data(CustomerFactory(owner=sales)))
    plan_submit(actor=sales, plan=plan)
    plan_approve(actor=leader, plan=plan)
    Notification.objects.all().delete()

    plan_update(actor=sales, plan=plan, data={"content": "了解近况并推荐新品"})

    plan.refresh_from_db()
    assert (plan.status, plan.submitted_by, plan.decided_by) == (
        PlanStatus.SUBMITTED, sales, None,
    )  # fmt: skip
    assert len(notices(leader)) == 1
    from guanxi.followups.plans.generation import plan_generate

    Task.objects.all().delete()
    assert plan_generate(plan=plan) == 0


def test_saving_an_approved_plan_unchanged_keeps_it_approved():
    _team, leader, sales = team_of()
    plan = plan_create(actor=sales, data=plan_data(CustomerFactory(owner=sales)))
    plan_submit(actor=sales, plan=plan)
    plan_approve(actor=leader, plan=plan)

    plan_update(actor=sales, plan=plan, data={"content": "了解近况"})

    assert MaintenancePlan.objects.get().status == PlanStatus.APPROVED


# --- who may approve --------------------------------------------------------------------


def _submitted(sales):
    plan = plan_create(actor=sales, data=plan_data(CustomerFactory(owner=sales)))
    return plan_submit(actor=sales, plan=plan)


def test_a_supervisor_of_another_team_cannot_approve_and_nothing_changes():
    _team, _leader, sales = team_of()
    _other, other_leader, _ = team_of()
    plan = _submitted(sales)
    with pytest.raises((PermissionDeniedError, NotFoundError)):
        plan_approve(actor=other_leader, plan=plan)
    assert MaintenancePlan.objects.get().status == PlanStatus.SUBMITTED
    assert Task.objects.count() == 0


def test_sales_cannot_approve_even_their_own_plan():
    _team, _leader, sales = team_of()
    plan = _submitted(sales)
    with pytest.raises(PermissionDeniedError):
        plan_approve(actor=sales, plan=plan)
    assert MaintenancePlan.objects.get().status == PlanStatus.SUBMITTED


def test_a_supervisor_who_is_not_the_team_leader_cannot_approve():
    team, _leader, sales = team_of()
    colleague = UserFactory(role_slug="supervisor", team=team)
    plan = _submitted(sales)
    with pytest.raises(PermissionDeniedError):
        plan_reject(actor=colleague, plan=plan, comment="不行")
    assert MaintenancePlan.objects.get().status == PlanStatus.SUBMITTED


def test_an_admin_with_all_scope_can_approve_any_plan():
    _team, _leader, sales = team_of()
    admin = UserFactory(role_slug="admin")
    plan = _submitted(sales)
    plan_approve(actor=admin, plan=plan)
    assert MaintenancePlan.objects.get().status == PlanStatus.APPROVED


def test_only_a_submitted_plan_can_be_decided():
    _team, leader, sales = team_of()
    plan = plan_create(actor=sales, data=plan_data(CustomerFactory(owner=sales)))
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        plan_approve(actor=leader, plan=plan)
    assert caught.value.message == "This plan is not awaiting approval."


def test_another_salesperson_cannot_see_change_or_submit_the_plan():
    _team, _leader, sales = team_of()
    colleague = UserFactory(role_slug="sales", team=sales.team)
    plan = plan_create(actor=sales, data=plan_data(CustomerFactory(owner=sales)))
    with pytest.raises(NotFoundError):
        plan_get(user=colleague, pk=plan.pk)
    with pytest.raises(PermissionDeniedError):
        plan_update(actor=colleague, plan=plan, data={"name": "改名"})
    with pytest.raises(PermissionDeniedError):
        plan_submit(actor=colleague, plan=plan)
    assert MaintenancePlan.objects.get().name == "每周电话回访"


def test_an_approved_plan_cannot_be_deleted_a_draft_can():
    _team, leader, sales = team_of()
    plan = _submitted(sales)
    plan_approve(actor=leader, plan=plan)
    with pytest.raises(ApplicationError):
        plan_delete(actor=sales, plan=plan)
    draft = plan_create(actor=sales, data=plan_data(CustomerFactory(owner=sales)))
    draft_pk = draft.pk
    plan_delete(actor=sales, plan=draft)
    assert list(MaintenancePlan.objects.values_list("pk", flat=True)) == [plan.pk]
    assert ActivityEvent.objects.filter(verb=Verb.DELETED, target_id=draft_pk).count() == 1


# --- templates ------------------------------------------------------------------------------


def test_the_three_seed_templates_create_draft_segment_plans():
    _team, leader, _sales = team_of()
    with translation.override("en"):
        made = [
            plan
            for key in ("high_value", "potential", "churn_risk")
            for plan in defaults.template_apply(actor=leader, key=key)
        ]
    rows = [
        (p.name, getattr(p.level, "code", None), p.stage, p.cycle, p.channel, p.assign_to)
        for p in made
    ]
    assert rows == [
        ("High-value customers: monthly deep visit", "high_value", "", Cycle.MONTHLY,
         PlanChannel.VISIT, Assignment.CUSTOMER_OWNER),
        ("High-value customers: quarterly business review", "high_value", "", Cycle.QUARTERLY,
         PlanChannel.BUSINESS_REVIEW, Assignment.CUSTOMER_OWNER),
        ("Potential customers: call every two weeks", "potential", "", Cycle.EVERY_N_DAYS,
         PlanChannel.PHONE, Assignment.CUSTOMER_OWNER),
        ("Churn-risk customers: weekly contact", None, Stage.CHURN_RISK, Cycle.WEEKLY,
         PlanChannel.PHONE, Assignment.TEAM_LEADER),
    ]  # fmt: skip
    assert {p.status for p in made} == {PlanStatus.DRAFT}
    assert {p.start_date for p in made} == {dt.date(2024, 6, 5)}
    assert made[2].interval_days == 14


def test_a_salesperson_cannot_apply_the_team_leader_template():
    _team, _leader, sales = team_of()
    with pytest.raises(PermissionDeniedError):
        defaults.template_apply(actor=sales, key="churn_risk")
    assert MaintenancePlan.objects.count() == 0


def test_unknown_template_is_not_found():
    _team, leader, _sales = team_of()
    with pytest.raises(NotFoundError):
        defaults.template_apply(actor=leader, key="nope")


def test_plan_stats_count_only_the_customers_the_viewer_may_see():
    import datetime as dt

    from django.utils import timezone

    from guanxi.accounts.tests.factories import UserFactory
    from guanxi.customers.tests.factories import CustomerFactory
    from guanxi.followups.plans.models import PlanOccurrence
    from guanxi.followups.plans.selectors import plan_stats
    from guanxi.followups.tests.factories import PlanFactory

    sales = UserFactory(role_slug="sales")
    mine, theirs = CustomerFactory(owner=sales), CustomerFactory()
    plan = PlanFactory()
    for customer in (mine, theirs):
        PlanOccurrence.objects.create(
            plan=plan, customer=customer, occurrence_date=dt.date(2026, 12, 1),
            created_at=timezone.now(),
        )  # fmt: skip
    assert plan_stats(user=sales, plan=plan) == {"total": 1, "open": 1, "customers": 1}
    admin = UserFactory(role_slug="admin")
    assert plan_stats(user=admin, plan=plan) == {"total": 2, "open": 2, "customers": 2}
