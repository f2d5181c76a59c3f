"""Deals and orders through the export machinery: the list's filters, the viewer's scope."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.deals.tests.factories import DealFactory, OrderFactory, stage
from guanxi.exports import services
from guanxi.exports.tests.helpers import job_rows

pytestmark = pytest.mark.django_db


def test_deals_export_follows_the_list_filters_and_the_scope():
    team = TeamFactory()
    boss = UserFactory(role_slug="supervisor", team=team)
    customer = CustomerFactory(owner=UserFactory(team=team), name="本组客户")
    DealFactory(
        customer=customer, title="赢单", stage=stage("won"), amount=Decimal("1234.50"),
        probability=100, expected_close_date=dt.date(2026, 5, 1), closed_on=dt.date(2026, 5, 2),
    )  # fmt: skip
    DealFactory(customer=customer, title="进行中")
    DealFactory(title="别组的", stage=stage("won"))

    with translation.override("zh-hans"):
        job = services.export_request(
            actor=boss,
            entity="deals",
            file_format="xlsx",
            fields=["title", "customer_name", "stage", "amount", "weighted", "closed_on"],
            query="status=won",
        )
    rows = job_rows(job)
    assert rows[1:] == [["赢单", "本组客户", "已成交", 1234.5, 1234.5, "2026-05-02"]]


def test_orders_export_has_number_cells_and_status_labels():
    finance = UserFactory(role_slug="finance")
    OrderFactory(number="SO-1", amount=Decimal("88.80"), status="refunded")
    with translation.override("en"):
        job = services.export_request(
            actor=finance, entity="orders", file_format="csv",
            fields=["number", "amount", "status"],
        )  # fmt: skip
    assert job_rows(job)[1:] == [["SO-1", "88.8", "Refunded"]]


def test_the_cli_exports_orders_with_a_filter(tmp_path):
    from guanxi.cli import main
    from guanxi.exports.tests.helpers import csv_rows

    UserFactory(username="root", role_slug="admin", is_superuser=True)
    OrderFactory(number="SO-PAID", status="paid")
    OrderFactory(number="SO-GONE", status="cancelled")
    out = tmp_path / "orders.csv"
    code = main(
        ["export", "orders", "-o", str(out), "--filter", "status=paid", "--fields", "number"]
    )
    assert code == 0
    assert csv_rows(out.read_bytes())[1:] == [["SO-PAID"]]
