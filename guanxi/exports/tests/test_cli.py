"""`guanxi export …`: the file, the acting user, exit codes."""

import pytest

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent, Source
from guanxi.cli import main
from guanxi.customers.models import Intent
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.exports.tests.helpers import csv_rows, xlsx_rows

pytestmark = pytest.mark.django_db(transaction=False)


def test_export_writes_the_file_as_the_first_administrator(tmp_path, capsys):
    UserFactory(username="root", role_slug="admin", is_superuser=True)
    high = CustomerFactory(intent=Intent.HIGH)
    CustomerFactory(intent=Intent.LOW)
    out = tmp_path / "c.xlsx"
    code = main(
        ["export", "customers", "-o", str(out), "--filter", "intent=high", "--fields", "code,name"]
    )
    assert code == 0
    assert xlsx_rows(out) == [["编码", "客户名称"], [high.code, high.name]]
    assert "1" in capsys.readouterr().out
    event = ActivityEvent.objects.filter(target_type="exports.exportjob").first()
    assert (event.actor.username, event.source) == ("root", Source.SYSTEM)


def test_export_as_a_user_uses_their_scope(tmp_path):
    boss = UserFactory(username="boss", role_slug="supervisor")
    mine = CustomerFactory(owner=UserFactory(team=boss.team))
    CustomerFactory()
    out = tmp_path / "c.csv"
    assert main(["export", "customers", "-o", str(out), "--as", "boss", "--fields", "code"]) == 0
    assert csv_rows(out.read_bytes()) == [["编码"], [mine.code]]


def test_a_user_without_the_permission_fails_with_exit_1(tmp_path, capsys):
    UserFactory(username="li", role_slug="sales")
    out = tmp_path / "c.csv"
    assert main(["export", "customers", "-o", str(out), "--as", "li"]) == 1
    assert not out.exists()
    assert capsys.readouterr().err


def test_an_unknown_field_fails_with_exit_1(tmp_path):
    UserFactory(username="root", role_slug="admin", is_superuser=True)
    assert main(["export", "customers", "-o", str(tmp_path / "c.csv"), "--fields", "nope"]) == 1


def test_an_unknown_entity_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit) as caught:
        main(["export", "invoices", "-o", str(tmp_path / "x.csv")])
    assert caught.value.code == 2


def test_custom_fields_are_listed_and_exported_by_the_cli_and_the_api(tmp_path, capsys):
    from rest_framework.test import APIClient

    from guanxi.customers.models import CustomFieldDefinition

    admin = UserFactory(username="root", role_slug="admin", is_superuser=True)
    CustomFieldDefinition.objects.create(key="scale", label="企业规模", label_en="Company size")
    customer = CustomerFactory(custom_fields={"scale": "100-500人"})
    assert main(["export", "customers", "--list-fields"]) == 0
    assert "custom.scale" in capsys.readouterr().out
    out = tmp_path / "c.csv"
    code = main(["export", "customers", "-o", str(out), "--format", "csv",
                 "--fields", "code,custom.scale"])  # fmt: skip
    assert code == 0
    assert csv_rows(out.read_bytes())[1:] == [[customer.code, "100-500人"]]
    client = APIClient()
    client.force_authenticate(admin)
    fields = client.get("/api/v1/exports/fields/").json()
    labels = [f["label"] for f in fields if f["key"] == "custom.scale"]
    assert labels in (["企业规模"], ["Company size"])  # in the requester's language
