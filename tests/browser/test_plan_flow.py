"""Maintenance plans in real Chromium: a salesperson submits a plan, the team leader approves
it (its first task appears), and the salesperson drags that task to another day on the
calendar — then moves it back with the keyboard fallback (the date input on the task)."""

from __future__ import annotations

import datetime as dt
from importlib import import_module

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import MaintenancePlan, PlanStatus, Task
from guanxi.followups.tests.factories import PlanFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("django_db_serialized_rollback", "builtin_rows"),
]


@pytest.fixture
def plan_permissions(builtin_rows) -> None:
    """Built-in roles with the sales-workflow permissions (accounts/0005), as installed."""
    migration = import_module("guanxi.accounts.migrations.0005_sales_workflow_permissions")
    for operation in migration.Migration.operations:
        operation.code(apps, None)


def log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert reverse("accounts:login") not in page.url, "login failed"


def log_out(page) -> None:
    page.context.clear_cookies()


@pytest.mark.usefixtures("plan_permissions")
def test_submit_approve_and_drag_the_plan_task_on_the_calendar(page, live_server, transactional_db):
    team = TeamFactory(name="华东一组")
    leader = UserFactory(role_slug="supervisor", team=team)
    team.leader = leader
    team.save()
    sales = UserFactory(role_slug="sales", team=team)
    customer = CustomerFactory(name="维护测试有限公司", owner=sales)
    today = timezone.localdate()
    plan = PlanFactory(
        name="每周电话回访",
        customer=customer,
        created_by=sales,
        weekday=today.weekday(),  # the first occurrence is today
        start_date=today,
    )

    # The salesperson submits the draft.
    log_in(page, live_server, sales.username)
    page.goto(live_server.url + reverse("followups:plan_detail", args=[plan.pk]))
    page.click("#submit-plan")
    expect(page.locator("#submit-plan")).to_have_count(0)
    assert MaintenancePlan.objects.get().status == PlanStatus.SUBMITTED
    log_out(page)

    # The team leader sees it waiting and approves it: the first task is generated.
    log_in(page, live_server, leader.username)
    page.goto(live_server.url + reverse("followups:plan_list"))
    page.click(f"a[href='{reverse('followups:plan_detail', args=[plan.pk])}#decide']")
    page.fill("#decision-comment", "同意")
    page.click("#approve-plan")
    expect(page.locator("#approve-plan")).to_have_count(0)
    assert MaintenancePlan.objects.get().status == PlanStatus.APPROVED
    task = Task.objects.get()
    assert timezone.localdate(task.due_at) == today
    log_out(page)

    # The salesperson drags the task to another day of the week view.
    log_in(page, live_server, sales.username)
    page.goto(live_server.url + reverse("followups:calendar") + f"?view=week&date={today}")
    target = today + dt.timedelta(days=1 if today.weekday() < 6 else -1)
    chip = page.locator(f"[data-task='{task.pk}']")
    expect(chip).to_contain_text("维护测试有限公司")
    # Sortable moves the chip at once; the grid the server sends back confirms the move.
    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST"):
        chip.drag_to(page.locator(f".cal-list[data-date='{target}']"))
    expect(page.locator(f".cal-list[data-date='{target}'] [data-task='{task.pk}']")).to_be_visible()
    task.refresh_from_db()
    assert timezone.localdate(task.due_at) == target
    assert timezone.localtime(task.due_at).time() == dt.time(18, 0)

    # Keyboard fallback: the date input on the task moves it back.
    moved = page.locator(f"[data-task='{task.pk}']")
    moved.locator("summary").click()
    moved.locator("input[type=date]").fill(today.isoformat())
    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST"):
        moved.locator("button[type=submit]").click()
    expect(page.locator(f".cal-list[data-date='{today}'] [data-task='{task.pk}']")).to_be_visible()
    task.refresh_from_db()
    assert timezone.localdate(task.due_at) == today
    assert page.console_errors == []
