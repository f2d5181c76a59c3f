import datetime as dt

import pytest
from django.utils import timezone

from guanxi.automation.engine import tick
from guanxi.automation.models import Enrollment, EnrollmentStatus, Execution, ExecutionStatus
from guanxi.automation.tests.factories import active_rule
from guanxi.core import clock
from guanxi.customers.models import Customer
from guanxi.customers.services import customer_create
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import Task

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 11, 2, 10, 0))


def _new_customer_rule(owner):
    return active_rule(
        owner=owner,
        definition={
            "trigger": {"kind": "event", "event": "customer.created"},
            "conditions": {"all": []},
            "steps": [
                {"action": "add_tag", "tags": ["新客培育"]},
                {"action": "wait", "days": 3},
                {"action": "create_task", "title": "首次跟进 {customer}", "due_hours": 4},
            ],
        },
    )


def test_event_rule_runs_first_steps_then_waits_and_resumes_on_the_clock(
    django_capture_on_commit_callbacks,
):
    owner = CustomerFactory().owner
    rule = _new_customer_rule(owner)
    with clock.frozen_at(T0), django_capture_on_commit_callbacks(execute=True):
        customer = customer_create(
            actor=None, data={"name": "新客甲", "owner": owner, "phone": "13800138000"}
        )
    enrollment = Enrollment.objects.get(rule=rule, customer=customer)
    assert set(customer.tags.values_list("name", flat=True)) == {"新客培育"}
    wait = Execution.objects.get(enrollment=enrollment, step_id="s2")
    assert wait.status == ExecutionStatus.PENDING
    assert wait.next_run_at == T0 + dt.timedelta(days=3)
    assert not Task.objects.filter(customer=customer).exists()

    report = tick(now=T0 + dt.timedelta(days=2))
    assert report.executed == 0
    report = tick(now=T0 + dt.timedelta(days=3, minutes=1))
    assert report.executed == 2  # the wait ends, the task is created
    task = Task.objects.get(customer=customer)
    assert task.title == "首次跟进 新客甲"
    assert task.assignee == owner
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED
    assert tick(now=T0 + dt.timedelta(days=4)).executed == 0
    assert Task.objects.filter(customer=customer).count() == 1


def test_condition_rule_enrolls_on_transition_only_once():
    owner = CustomerFactory().owner
    silent = CustomerFactory(owner=owner, last_contact_at=T0 - dt.timedelta(days=120))
    active = CustomerFactory(owner=owner, last_contact_at=T0 - dt.timedelta(days=5))
    Customer.objects.filter(pk__in=[silent.pk, active.pk]).update(
        created_at=T0 - dt.timedelta(days=400)
    )
    with clock.frozen_at(T0):
        rule = active_rule(
            owner=owner,
            definition={
                "trigger": {"kind": "condition", "scan_minutes": 60},
                "conditions": {
                    "all": [{"field": "last_interaction", "op": "older_than_days", "value": 90}]
                },
                "steps": [{"action": "add_tag", "tags": ["沉睡客户"]}],
            },
        )
    report = tick(now=T0 + dt.timedelta(minutes=1))
    assert report.enrolled == 1
    assert list(Enrollment.objects.filter(rule=rule).values_list("customer_id", flat=True)) == [
        silent.pk
    ]
    assert tick(now=T0 + dt.timedelta(hours=2)).enrolled == 0
    assert "沉睡客户" in set(silent.tags.values_list("name", flat=True))
