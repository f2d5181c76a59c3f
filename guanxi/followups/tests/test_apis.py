import datetime as dt

import pytest
from django.utils import timezone

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.api.tests.clients import api_client
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.followups.models import FollowUp, Task, TaskSource, TaskStatus
from guanxi.followups.services import task_create

pytestmark = pytest.mark.django_db

FOLLOWUPS = "/api/v1/followups/"
TASKS = "/api/v1/tasks/"


def _in(days: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


# --- follow-ups ------------------------------------------------------------------------------


def test_record_followup_updates_last_contact_and_creates_the_next_task():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    contact = ContactFactory(customer=customer)

    response = api_client(sales).post(
        FOLLOWUPS,
        {
            "customer": customer.pk,
            "contact": contact.pk,
            "channel": "wechat",
            "content": "确认了预算",
            "next_step": "发报价",
            "next_followup_at": _in(3).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["customer"] == {"id": customer.pk, "code": customer.code, "name": customer.name}
    assert (body["channel"], body["contact"], body["author"]["id"]) == (
        "wechat",
        contact.pk,
        sales.pk,
    )
    customer.refresh_from_db()
    assert customer.last_contact_at is not None
    task = Task.objects.get()
    assert (task.title, task.source, task.assignee) == ("发报价", TaskSource.FOLLOWUP, sales)
    event = ActivityEvent.objects.get(verb=Verb.FOLLOWED_UP)
    assert event.source == "api"


def test_record_followup_without_content_is_400_and_saves_nothing():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    response = api_client(sales).post(
        FOLLOWUPS, {"customer": customer.pk, "content": "  "}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["content"]
    assert FollowUp.objects.count() == 0


def test_record_followup_on_an_invisible_customer_is_refused():
    sales = UserFactory(role_slug="sales")
    theirs = CustomerFactory()
    response = api_client(sales).post(
        FOLLOWUPS, {"customer": theirs.pk, "content": "打过电话"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["customer"]
    assert FollowUp.objects.count() == 0


def test_finance_cannot_record_followups():
    customer = CustomerFactory()
    response = api_client(UserFactory(role_slug="finance")).post(
        FOLLOWUPS, {"customer": customer.pk, "content": "打过电话"}, format="json"
    )
    assert response.status_code == 403
    assert FollowUp.objects.count() == 0


def test_followup_list_filters_by_customer_within_scope():
    sales = UserFactory(role_slug="sales")
    mine, other_mine = CustomerFactory(owner=sales), CustomerFactory(owner=sales)
    client = api_client(sales)
    for customer in (mine, other_mine):
        client.post(FOLLOWUPS, {"customer": customer.pk, "content": "电话"}, format="json")
    theirs = CustomerFactory()
    FollowUp.objects.create(
        customer=theirs, author=theirs.owner, occurred_at=timezone.now(), content="别人的"
    )

    everything = client.get(FOLLOWUPS).json()["results"]
    one = client.get(FOLLOWUPS, {"customer": mine.pk}).json()["results"]

    assert sorted(r["customer"]["id"] for r in everything) == sorted([mine.pk, other_mine.pk])
    assert [r["customer"]["id"] for r in one] == [mine.pk]


def test_followup_detail_out_of_scope_is_404():
    theirs = CustomerFactory()
    followup = FollowUp.objects.create(
        customer=theirs, author=theirs.owner, occurred_at=timezone.now(), content="别人的"
    )
    sales = UserFactory(role_slug="sales")
    assert api_client(sales).get(f"{FOLLOWUPS}{followup.pk}/").status_code == 404
    assert api_client(theirs.owner).get(f"{FOLLOWUPS}{followup.pk}/").status_code == 200


# --- tasks -------------------------------------------------------------------------------------


def test_create_task_defaults_to_me():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    due = _in(1)
    response = api_client(sales).post(
        TASKS, {"title": "回访", "customer": customer.pk, "due_at": due.isoformat()}, format="json"
    )
    assert response.status_code == 201
    task = Task.objects.get()
    assert (task.assignee, task.created_by, task.priority) == (sales, sales, 2)
    assert task.remind_at == task.due_at - dt.timedelta(minutes=60)
    assert response.json()["assignee"] == {"id": sales.pk, "name": sales.label}
    assert ActivityEvent.objects.get(target_type="followups.task").source == "api"


def test_create_task_without_due_time_is_400():
    sales = UserFactory(role_slug="sales")
    response = api_client(sales).post(TASKS, {"title": "回访"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["due_at"]
    assert Task.objects.count() == 0


def test_sales_cannot_assign_a_task_to_a_colleague():
    sales = UserFactory(role_slug="sales")
    colleague = UserFactory(role_slug="sales", team=sales.team)
    response = api_client(sales).post(
        TASKS,
        {"title": "回访", "assignee": colleague.pk, "due_at": _in(1).isoformat()},
        format="json",
    )
    assert response.status_code == 403
    assert Task.objects.count() == 0


def test_supervisor_assigns_a_task_to_a_team_member():
    supervisor = UserFactory(role_slug="supervisor")
    sales = UserFactory(role_slug="sales", team=supervisor.team)
    response = api_client(supervisor).post(
        TASKS,
        {
            "title": "回访",
            "assignee": sales.pk,
            "due_at": _in(1).isoformat(),
            "priority": 4,
            "remind_minutes": None,
        },
        format="json",
    )
    assert response.status_code == 201
    task = Task.objects.get()
    assert (task.assignee, task.priority, task.remind_at) == (sales, 4, None)


def _task(user, **kwargs):
    return task_create(
        actor=user,
        title=kwargs.pop("title", "回访"),
        assignee=user,
        due_at=kwargs.pop("due_at", _in(1)),
        **kwargs,
    )


def test_task_list_filters_by_status_and_hides_others_tasks():
    sales = UserFactory(role_slug="sales")
    open_task, done_task = _task(sales, title="开着"), _task(sales, title="做完")
    done_task.status = TaskStatus.DONE
    done_task.save()
    stranger = UserFactory(role_slug="sales")
    _task(stranger, title="别人的")
    client = api_client(sales)

    assert sorted(r["id"] for r in client.get(TASKS).json()["results"]) == [
        open_task.pk,
        done_task.pk,
    ]
    assert [r["id"] for r in client.get(TASKS, {"status": "open"}).json()["results"]] == [
        open_task.pk
    ]


def test_task_patch_changes_due_time_and_reminder():
    sales = UserFactory(role_slug="sales")
    task = _task(sales)
    due = _in(5).replace(microsecond=0)
    response = api_client(sales).patch(
        f"{TASKS}{task.pk}/", {"due_at": due.isoformat(), "title": "改期回访"}, format="json"
    )
    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.title, task.due_at, task.remind_at) == (
        "改期回访",
        due,
        due - dt.timedelta(minutes=60),
    )


def test_task_of_someone_else_is_404_and_unchanged():
    task = _task(UserFactory(role_slug="sales"), title="别人的")
    response = api_client(UserFactory(role_slug="sales")).patch(
        f"{TASKS}{task.pk}/", {"title": "偷改"}, format="json"
    )
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.title == "别人的"


def test_complete_and_cancel():
    sales = UserFactory(role_slug="sales")
    first, second = _task(sales), _task(sales)
    client = api_client(sales)

    done = client.post(f"{TASKS}{first.pk}/complete/")
    cancelled = client.post(f"{TASKS}{second.pk}/cancel/")

    assert (done.status_code, done.json()["status"]) == (200, "done")
    assert done.json()["completed_by"] == {"id": sales.pk, "name": sales.label}
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert set(
        ActivityEvent.objects.filter(verb__in=[Verb.COMPLETED, Verb.CANCELLED]).values_list(
            "source", flat=True
        )
    ) == {"api"}


def test_a_visible_task_on_a_team_customer_cannot_be_completed_by_a_peer():
    supervisor = UserFactory(role_slug="supervisor")
    sales = UserFactory(role_slug="sales", team=supervisor.team)
    customer = CustomerFactory(owner=sales)
    task = _task(sales, customer=customer)
    peer = UserFactory(role_slug="sales", team=supervisor.team)
    peer.data_scope = "team"
    peer.save()

    response = api_client(peer).post(f"{TASKS}{task.pk}/complete/")

    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
