"""The customer flow in real Chromium: log in, create a customer (a bad phone first), record a
follow-up, find the customer by pinyin initials, and a Sales user cannot see another team's
customer."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import FollowUp, Task

# transactional_db empties every table after the test; the serialized rollback puts back what
# the migrations created (roles, industries, levels) for the tests that run after this one,
# and builtin_rows puts them back for this one if a test before it flushed them.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("django_db_serialized_rollback", "builtin_rows"),
]


def log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert reverse("accounts:login") not in page.url, "login failed"


def not_found_errors(errors: list[str]) -> list[str]:
    # Chromium logs the 404 of a page it was asked to open; that one is expected.
    return [e for e in errors if "404" not in e]


def test_sales_user_creates_a_customer_follows_up_and_finds_it(page, live_server, transactional_db):
    sales = UserFactory(role_slug="sales", team=TeamFactory(name="华东一组"))
    other = CustomerFactory(
        name="外组客户有限公司",
        owner=UserFactory(role_slug="sales", team=TeamFactory(name="华南组")),
    )
    CustomerFactory(name="李四商行", owner=sales)
    log_in(page, live_server, sales.username)

    # A bad phone: the error appears under the phone field, nothing is saved.
    page.goto(live_server.url + reverse("customers:create"))
    page.fill("#id_name", "张三贸易")
    page.fill("#id_contact_name", "张三")
    page.fill("#id_phone", "12345")
    page.click("#customer-form button[type=submit]")
    phone_error = page.locator("#id_phone ~ .invalid-feedback")
    expect(phone_error).to_contain_text("12345")
    expect(page.locator("#id_name")).to_have_value("张三贸易")
    assert not Customer.objects.filter(name="张三贸易").exists()

    # A good phone: the customer page opens.
    page.fill("#id_phone", "138 1234 5678")
    page.click("#customer-form button[type=submit]")
    page.wait_for_url("**/customers/*/")
    customer = Customer.objects.get(name="张三贸易")
    assert customer.contacts.get().phone == "+8613812345678"
    expect(page.locator("h1")).to_contain_text("张三贸易")

    # Record a follow-up with a next date: it appears on top of the timeline, a task appears.
    page.fill("#id_content", "电话沟通，客户对新产品感兴趣")
    page.fill("#id_next_step", "发送报价单")
    page.click("button[data-next-followup='2d']")
    page.click("#followup-form button[type=submit]")
    expect(page.locator("#timeline-list > li").first).to_contain_text(
        "电话沟通，客户对新产品感兴趣"
    )
    expect(page.locator("#open-tasks")).to_contain_text("发送报价单")
    assert FollowUp.objects.filter(customer=customer).count() == 1
    assert Task.objects.filter(customer=customer, title="发送报价单").exists()
    customer.refresh_from_db()
    assert customer.last_contact_at is not None

    # Find the customer by pinyin initials (zsmy = 张三贸易) in the list search.
    page.goto(live_server.url + reverse("customers:list"))
    expect(page.locator("#results tbody")).to_contain_text("李四商行")
    page.fill("input[name=q]", "zsmy")
    page.wait_for_url("**q=zsmy**")  # the search goes into the address: shareable, reloadable
    expect(page.locator("#results tbody")).not_to_contain_text("李四商行")
    expect(page.locator("#results tbody")).to_contain_text("张三贸易")

    # Another team's customer: absent from the list and 404 on its own URL.
    page.fill("input[name=q]", "外组客户")
    expect(page.locator("#results tbody")).not_to_contain_text("外组客户有限公司")
    response = page.goto(live_server.url + reverse("customers:detail", args=[other.pk]))
    assert response.status == 404

    assert not_found_errors(page.console_errors) == []
