"""The deal board in real Chromium: drag a card to another stage, then move one to "lost" with
the keyboard way (the card's stage menu), which asks for the reason in a dialog."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.urls import reverse
from playwright.sync_api import expect

from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.deals.models import Deal, DealStage
from guanxi.deals.tests.factories import DealFactory
from tests.browser.test_customer_flow import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("django_db_serialized_rollback", "builtin_rows", "deal_stages"),
]


@pytest.fixture
def deal_stages(builtin_rows) -> None:
    """The pipeline stages of deals/0002, and the later permission migrations (deal.edit):
    builtin_rows puts back the roles as accounts/0002 made them."""
    for module in (
        "guanxi.accounts.migrations.0004_automation_permissions",
        "guanxi.accounts.migrations.0005_sales_workflow_permissions",
        "guanxi.deals.migrations.0002_default_stages",
        "guanxi.deals.migrations.0003_cooperation_stage_field",
    ):
        for operation in import_module(module).Migration.operations:
            operation.code(apps, None)


def column(page, code: str):
    stage = DealStage.objects.get(code=code)
    return page.locator(f'[data-deal-column][data-stage="{stage.pk}"]')


def test_drag_a_card_and_lose_a_deal_with_a_reason(page, live_server, transactional_db):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales, name="拖拽测试有限公司")
    dragged = DealFactory(customer=customer, title="门禁系统采购")
    lost = DealFactory(customer=customer, title="会议平板项目")
    log_in(page, live_server, sales.username)

    page.goto(live_server.url + reverse("deals:board"))
    card = page.locator(f'[data-deal="{dragged.pk}"]')
    expect(card).to_be_visible()

    # Drag and drop: the card lands in 方案报价 and the move is saved.
    target = column(page, "proposal")
    card.locator("a").first.hover()
    page.mouse.down()
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 20, steps=12)
    page.mouse.up()
    expect(column(page, "proposal").locator(f'[data-deal="{dragged.pk}"]')).to_be_visible()
    page.wait_for_load_state("networkidle")
    dragged.refresh_from_db()
    assert dragged.stage.code == "proposal"

    # The keyboard way: the card's stage menu, then the reason in the dialog.
    menu = page.locator(f"#move-{lost.pk}")
    menu.select_option(label="已流失")
    menu.locator("xpath=following-sibling::button").click()
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("textarea[name=reason]").fill("选择了竞品")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    expect(column(page, "lost").locator(f'[data-deal="{lost.pk}"]')).to_be_visible()
    lost.refresh_from_db()
    assert (lost.stage.code, lost.close_reason) == ("lost", "选择了竞品")
    assert Deal.objects.filter(stage__code="initial").count() == 0
    assert page.console_errors == []
