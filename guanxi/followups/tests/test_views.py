"""Follow-up and task pages through the Django test client."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.core import clock
from guanxi.customers.models import Attachment
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups import services
from guanxi.followups.models import FollowUp, Task, TaskSource, TaskStatus

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2024, 5, 6, 9, 30))


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen_at(NOW):
        yield


def logged_in(client, user):
    client.force_login(user)
    return client


# --- recording follow-ups --------------------------------------------------------------


def test_followup_via_htmx_updates_last_contact_and_creates_the_next_task(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    response = logged_in(client, sales).post(
        reverse("followups:record", args=[customer.pk]),
        {
            "occurred_at": "2024-05-06T09:00",
            "channel": "phone",
            "content": "介绍了新产品，客户有兴趣",
            "next_step": "发送报价单",
            "next_followup_at": "2024-05-08T10:00",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<li>")  # the new timeline entry, for the top of the list
    assert "介绍了新产品" in body
    assert 'id="open-tasks"' in body and 'hx-swap-oob="true"' in body
    customer.refresh_from_db()
    assert customer.last_contact_at == timezone.make_aware(dt.datetime(2024, 5, 6, 9, 0))
    task = Task.objects.get()
    assert (task.title, task.source, task.assignee) == ("发送报价单", TaskSource.FOLLOWUP, sales)
    assert task.due_at == timezone.make_aware(dt.datetime(2024, 5, 8, 10, 0))


def test_followup_without_a_next_date_creates_no_task(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    logged_in(client, sales).post(
        reverse("followups:record", args=[customer.pk]),
        {"channel": "wechat", "content": "微信沟通"},
        HTTP_HX_REQUEST="true",
    )
    assert FollowUp.objects.get().occurred_at == NOW
    assert not Task.objects.exists()


def test_followup_without_content_shows_the_error_in_place_and_saves_nothing(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    response = logged_in(client, sales).post(
        reverse("followups:record", args=[customer.pk]),
        {"channel": "phone", "content": " "},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Retarget"] == "#followup-form"
    assert response.context["followup_form"].errors["content"]
    customer.refresh_from_db()
    assert customer.last_contact_at is None
    assert not FollowUp.objects.exists()


def test_followup_with_a_forbidden_attachment_saves_nothing(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    response = logged_in(client, sales).post(
        reverse("followups:record", args=[customer.pk]),
        {
            "channel": "visit",
            "content": "拜访",
            "next_followup_at": "2024-05-08T10:00",
            "attachment": SimpleUploadedFile("x.exe", b"MZ"),
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.context["followup_form"].errors["attachment"]
    assert not FollowUp.objects.exists()
    assert not Task.objects.exists()
    assert not Attachment.objects.exists()


def test_followup_with_an_attachment_keeps_the_file_with_it(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    logged_in(client, sales).post(
        reverse("followups:record", args=[customer.pk]),
        {
            "channel": "visit",
            "content": "拜访",
            "attachment": SimpleUploadedFile("纪要.pdf", b"%PDF"),
        },
    )
    assert Attachment.objects.get().followup == FollowUp.objects.get()


def test_followup_on_an_out_of_scope_customer_is_404(client):
    customer = CustomerFactory()
    sales = UserFactory(role_slug="sales")
    response = logged_in(client, sales).post(
        reverse("followups:record", args=[customer.pk]), {"channel": "phone", "content": "x"}
    )
    assert response.status_code == 404
    assert not FollowUp.objects.exists()


def test_followup_by_finance_is_refused(client):
    customer = CustomerFactory()
    finance = UserFactory(role_slug="finance")
    response = logged_in(client, finance).post(
        reverse("followups:record", args=[customer.pk]), {"channel": "phone", "content": "x"}
    )
    assert response.status_code == 403
    assert not FollowUp.objects.exists()


def test_followup_without_javascript_redirects_to_the_customer(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    response = logged_in(client, sales).post(
        reverse("followups:record", args=[customer.pk]), {"channel": "phone", "content": "电话"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])


# --- follow-up list --------------------------------------------------------------------


def test_followup_list_shows_only_followups_in_scope(client):
    sales = UserFactory(role_slug="sales")
    mine = CustomerFactory(owner=sales)
    other_owner = UserFactory(role_slug="sales")
    theirs = CustomerFactory(owner=other_owner)
    services.followup_record(actor=sales, customer=mine, content="我的跟进")
    services.followup_record(actor=other_owner, customer=theirs, content="别人的跟进")
    response = logged_in(client, sales).get(reverse("followups:list"))
    body = response.content.decode()
    assert "我的跟进" in body
    assert "别人的跟进" not in body


def test_followup_list_filters_by_channel(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    services.followup_record(actor=sales, customer=customer, content="电话", channel="phone")
    services.followup_record(actor=sales, customer=customer, content="微信", channel="wechat")
    response = logged_in(client, sales).get(reverse("followups:list"), {"channel": "wechat"})
    assert [f.content for f in response.context["page"].items] == ["微信"]


# --- tasks -----------------------------------------------------------------------------


def make_task(assignee, *, due, **kwargs):
    return services.task_create(
        actor=assignee, title=kwargs.pop("title", "回访"), assignee=assignee, due_at=due, **kwargs
    )


def test_my_tasks_are_split_into_overdue_today_and_upcoming(client):
    sales = UserFactory(role_slug="sales")
    late = make_task(sales, due=NOW - dt.timedelta(hours=2), title="逾期的")
    today = make_task(sales, due=NOW + dt.timedelta(hours=3), title="今天的")
    later = make_task(sales, due=NOW + dt.timedelta(days=3), title="以后的")
    response = logged_in(client, sales).get(reverse("followups:tasks"))
    sections = response.context["sections"]
    assert [t.pk for t in sections["overdue"]] == [late.pk]
    assert [t.pk for t in sections["today"]] == [today.pk]
    assert [t.pk for t in sections["upcoming"]] == [later.pk]
    assert "border-danger" in response.content.decode()


def test_assignee_completes_a_task_via_htmx(client):
    sales = UserFactory(role_slug="sales")
    task = make_task(sales, due=NOW)
    response = logged_in(client, sales).post(
        reverse("followups:task_complete", args=[task.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert f'id="task-{task.pk}"' in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.completed_by) == (TaskStatus.DONE, sales)


def test_an_unrelated_sales_user_cannot_complete_a_task(client):
    owner = UserFactory(role_slug="sales")
    task = make_task(owner, due=NOW, customer=CustomerFactory(owner=owner))
    stranger = UserFactory(role_slug="sales")
    response = logged_in(client, stranger).post(reverse("followups:task_complete", args=[task.pk]))
    assert response.status_code in (403, 404)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_a_teammate_who_sees_the_task_but_may_not_change_it_gets_403(client):
    team = TeamFactory()
    owner = UserFactory(role_slug="sales", team=team)
    task = make_task(owner, due=NOW, customer=CustomerFactory(owner=owner))
    teammate = UserFactory(role_slug="sales", team=team, data_scope="team")
    response = logged_in(client, teammate).post(reverse("followups:task_cancel", args=[task.pk]))
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_cancel_a_task_without_javascript_goes_back(client):
    sales = UserFactory(role_slug="sales")
    task = make_task(sales, due=NOW)
    response = logged_in(client, sales).post(
        reverse("followups:task_cancel", args=[task.pk]), {"next": reverse("followups:tasks")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("followups:tasks")
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED


def test_create_a_task_for_a_customer_picked_by_code(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    response = logged_in(client, sales).post(
        reverse("followups:task_create"),
        {
            "title": "寄样品",
            "customer": f"{customer.code} {customer.name}",
            "due_at": "2024-05-07T10:00",
            "priority": "3",
        },
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.customer, task.assignee, task.priority) == (customer, sales, 3)


def test_create_a_task_for_an_out_of_scope_customer_is_an_error_in_place(client):
    customer = CustomerFactory()
    sales = UserFactory(role_slug="sales")
    response = logged_in(client, sales).post(
        reverse("followups:task_create"),
        {
            "title": "寄样品",
            "customer": customer.code,
            "due_at": "2024-05-07T10:00",
            "priority": "2",
        },
    )
    assert response.status_code == 200
    assert response.context["task_form"].errors["customer"]
    assert not Task.objects.exists()


def test_create_a_task_without_a_title_shows_the_error(client):
    sales = UserFactory(role_slug="sales")
    response = logged_in(client, sales).post(
        reverse("followups:task_create"),
        {"title": "", "due_at": "2024-05-07T10:00", "priority": "2"},
    )
    assert response.context["task_form"].errors["title"]
    assert not Task.objects.exists()


def test_only_a_supervisor_picks_the_assignee(client):
    team = TeamFactory()
    supervisor = UserFactory(role_slug="supervisor", team=team)
    sales = UserFactory(role_slug="sales", team=team)
    assert (
        "assignee"
        not in logged_in(client, sales).get(reverse("followups:tasks")).context["task_form"].fields
    )
    logged_in(client, supervisor).post(
        reverse("followups:task_create"),
        {"title": "跟进", "due_at": "2024-05-07T10:00", "priority": "2", "assignee": sales.pk},
    )
    assert Task.objects.get().assignee == sales


def test_task_detail_edits_the_task(client):
    sales = UserFactory(role_slug="sales")
    task = make_task(sales, due=NOW)
    response = logged_in(client, sales).post(
        reverse("followups:task_detail", args=[task.pk]),
        {"title": "改期回访", "due_at": "2024-05-09T15:00", "priority": "4"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.priority) == ("改期回访", 4)
    assert task.due_at == timezone.make_aware(dt.datetime(2024, 5, 9, 15, 0))


def test_task_detail_of_someone_elses_task_is_404(client):
    task = make_task(UserFactory(role_slug="sales"), due=NOW)
    stranger = UserFactory(role_slug="sales")
    response = logged_in(client, stranger).get(reverse("followups:task_detail", args=[task.pk]))
    assert response.status_code == 404
