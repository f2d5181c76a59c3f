"""Merging from the customer list in real Chromium: select two customers, open the merge page,
choose the other record to keep — every field's choice follows it, except where it has no
value — and merge."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CustomerFactory
from tests.browser.test_customer_flow import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("django_db_serialized_rollback", "builtin_rows"),
]


def test_admin_merges_two_customers_picked_on_the_list(page, live_server, transactional_db):
    admin = UserFactory(role_slug="admin")
    first = CustomerFactory(
        name="上海甲科技有限公司", province="上海市", city="上海市", district="", address=""
    )
    second = CustomerFactory(
        name="上海甲科技公司", province="", city="", district="", address="浦东新区一号"
    )
    log_in(page, live_server, admin.username)

    page.goto(live_server.url + reverse("customers:list"))
    page.check(f"input[name=ids][value='{first.pk}']")
    page.check(f"input[name=ids][value='{second.pk}']")
    page.click("button[name=action][value=merge]")
    page.wait_for_load_state("networkidle")
    assert reverse("quality:merge") in page.url

    page.check(f"#survivor-{first.pk}")
    expect(page.locator("input[name='choice-name']:checked")).to_have_value(str(first.pk))
    expect(page.locator("input[name='choice-region']:checked")).to_have_value(str(first.pk))
    page.check(f"#survivor-{second.pk}")
    # The kept record's values are chosen now, but not its empty region.
    expect(page.locator("input[name='choice-name']:checked")).to_have_value(str(second.pk))
    expect(page.locator("input[name='choice-address']:checked")).to_have_value(str(second.pk))
    expect(page.locator("input[name='choice-region']:checked")).to_have_value(str(first.pk))
    assert not page.console_errors

    page.on("dialog", lambda dialog: dialog.accept())
    page.click("form button.btn-danger[type=submit]")
    page.wait_for_load_state("networkidle")
    kept = Customer.objects.get()
    assert (kept.pk, kept.name, kept.province, kept.address) == (
        second.pk, "上海甲科技公司", "上海市", "浦东新区一号",
    )  # fmt: skip
