"""Orders from spreadsheets: all or nothing, the check equals the import, the page, the CLI."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent
from guanxi.core.errors import ApplicationError, PermissionDeniedError
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.deals.models import Order
from guanxi.deals.order_import import orders_import
from guanxi.imports.tests.factories import csv_bytes, write, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["订单号", "客户编号", "手机号", "下单时间", "订单金额", "订单状态", "商品明细"]


def rows(*extra):
    return [
        HEADER,
        ["SO-1", "C1", "", dt.datetime(2026, 5, 1, 10, 30), 1999, "已付款", "门锁 ×2"],
        ["SO-2", "", "138 0000 1111", "2026/5/2", "299.50", "已完成", ""],
        *extra,
    ]


@pytest.fixture
def customers():
    c1 = CustomerFactory(code="C1")
    c2 = ContactFactory(phone="+8613800001111").customer
    return c1, c2


@pytest.fixture
def finance():
    return UserFactory(role_slug="finance")


def test_check_writes_nothing_and_counts_what_the_import_will_do(tmp_path, customers, finance):
    path = write(tmp_path, "orders.xlsx", xlsx_bytes(rows()))

    report = orders_import(
        actor=finance, path=path, file_name="orders.xlsx", source="pos", dry_run=True
    )

    assert (report.rows, report.created, report.invalid, report.written) == (2, 2, 0, False)
    assert not Order.objects.exists() and not ActivityEvent.objects.exists()


def test_import_creates_the_orders_and_again_changes_nothing(tmp_path, customers, finance):
    c1, c2 = customers
    path = write(tmp_path, "orders.xlsx", xlsx_bytes(rows()))

    first = orders_import(
        actor=finance, path=path, file_name="orders.xlsx", source="pos", dry_run=False
    )
    second = orders_import(
        actor=finance, path=path, file_name="orders.xlsx", source="pos", dry_run=False
    )

    assert (first.created, first.written) == (2, True)
    assert (second.created, second.unchanged) == (0, 2)
    one, two = Order.objects.order_by("number")
    assert (one.customer, one.amount, one.status, one.items_summary, one.source) == (
        c1, Decimal("1999.00"), "paid", "门锁 ×2", "pos",
    )  # fmt: skip
    assert timezone.localtime(one.ordered_at).replace(tzinfo=None) == dt.datetime(
        2026, 5, 1, 10, 30
    )
    assert (two.customer, two.amount, two.status) == (c2, Decimal("299.50"), "completed")
    assert set(ActivityEvent.objects.values_list("source", flat=True)) == {"import"}


def test_one_bad_row_and_nothing_is_imported(tmp_path, customers, finance):
    path = write(
        tmp_path,
        "orders.csv",
        csv_bytes(rows(["SO-3", "C404", "", "2026-05-03", "-1", "已付款", ""])),
    )
    with translation.override("en"):
        report = orders_import(
            actor=finance, path=path, file_name="orders.csv", source="pos", dry_run=False
        )
    assert (report.invalid, report.written) == (1, False)
    [(row, reason)] = report.problems
    assert row == 4  # the sheet row a person sees (the header is row 1)
    assert "Customer not found." in reason and "The amount cannot be negative." in reason
    assert not Order.objects.exists()


def test_a_file_without_a_required_column_is_rejected(tmp_path, customers, finance):
    path = write(tmp_path, "orders.csv", csv_bytes([["订单号", "客户编号"], ["SO-1", "C1"]]))
    with pytest.raises(ApplicationError) as exc:
        orders_import(actor=finance, path=path, file_name="orders.csv", source="pos", dry_run=False)
    assert "file" in exc.value.errors


def test_needs_order_sync(tmp_path, customers):
    path = write(tmp_path, "orders.xlsx", xlsx_bytes(rows()))
    with pytest.raises(PermissionDeniedError):
        orders_import(
            actor=UserFactory(role_slug="sales"), path=path, file_name="orders.xlsx",
            source="pos", dry_run=False,
        )  # fmt: skip
    assert not Order.objects.exists()


def test_the_page_checks_then_imports_the_same_file(client, customers, finance):
    client.force_login(finance)
    upload = SimpleUploadedFile("orders.xlsx", xlsx_bytes(rows()))

    checked = client.post(
        reverse("deals:order_import"), {"file": upload, "source": "pos", "dry_run": "on"}
    )
    report, token = checked.context["report"], checked.context["token"]
    assert (report.created, report.written) == (2, False)
    assert not Order.objects.exists()

    done = client.post(reverse("deals:order_import_run", args=[token]), {"source": "pos"})
    assert done.context["report"].written
    assert Order.objects.count() == 2


def test_someone_elses_upload_cannot_be_imported(client, customers, finance):
    client.force_login(finance)
    upload = SimpleUploadedFile("orders.xlsx", xlsx_bytes(rows()))
    token = client.post(
        reverse("deals:order_import"), {"file": upload, "source": "pos", "dry_run": "on"}
    ).context["token"]
    other = UserFactory(role_slug="finance")
    client.force_login(other)
    response = client.post(reverse("deals:order_import_run", args=[token]), {"source": "pos"})
    assert response.status_code == 302
    assert not Order.objects.exists()


def test_the_page_is_refused_without_order_sync(client):
    client.force_login(UserFactory(role_slug="sales"))
    assert client.get(reverse("deals:order_import")).status_code == 403


def test_cli_imports_and_prints_json(tmp_path, customers, finance):
    path = write(tmp_path, "orders.xlsx", xlsx_bytes(rows()))
    out = io.StringIO()
    call_command("orders", "import", str(path), "--source", "pos", "--user", finance.username,
                 "--json", stdout=out)  # fmt: skip
    result = json.loads(out.getvalue())
    assert (result["created"], result["written"], result["invalid"]) == (2, True, 0)


def test_cli_exits_1_when_a_row_is_invalid(tmp_path, customers, finance):
    path = write(
        tmp_path, "orders.csv", csv_bytes(rows(["SO-3", "C404", "", "2026-05-03", "1", "x", ""]))
    )
    with pytest.raises(CommandError) as exc:
        call_command(
            "orders", "import", str(path), "--user", finance.username, stdout=io.StringIO()
        )
    assert exc.value.returncode == 1
    assert not Order.objects.exists()
