import json

import pytest

from guanxi.accounts.tests.factories import UserFactory
from guanxi.cli import main
from guanxi.customers.models import Customer
from guanxi.imports.tests.factories import write, xlsx_bytes

pytestmark = pytest.mark.django_db(transaction=False)
DATA = xlsx_bytes([["客户名称", "手机号"], ["甲公司", "13812345678"], ["乙公司", "bad"]])


def test_json_result_and_exit_0_with_invalid_rows(tmp_path, capsys):
    UserFactory(role_slug="admin", username="boss")
    code = main(
        ["import", "customers", str(write(tmp_path, "c.xlsx", DATA)), "--user", "boss", "--json"]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {k: out[k] for k in ("created", "updated", "skipped_duplicates", "invalid")} == {
        "created": 1, "updated": 0, "skipped_duplicates": 0, "invalid": 1,
    }  # fmt: skip
    assert out["error_report"].endswith(".xlsx")


def test_dry_run_writes_nothing(tmp_path, capsys):
    UserFactory(role_slug="admin", username="boss")
    code = main(
        [
            "import",
            "customers",
            str(write(tmp_path, "c.xlsx", DATA)),
            "--user",
            "boss",
            "--dry-run",
            "--json",
        ]
    )
    assert (code, json.loads(capsys.readouterr().out)["created"], Customer.objects.count()) == (
        0,
        1,
        0,
    )


def test_rejected_file_exits_2(tmp_path, capsys):
    UserFactory(role_slug="admin", username="boss")
    code = main(
        ["import", "customers", str(write(tmp_path, "c.csv", b"")), "--user", "boss", "--json"]
    )
    assert code == 2
    assert "error" in json.loads(capsys.readouterr().out)


def test_update_mode_twice_creates_nothing_new(tmp_path, capsys):
    UserFactory(role_slug="admin", username="boss")
    path = str(write(tmp_path, "c.xlsx", DATA))
    main(["import", "customers", path, "--user", "boss", "--json"])
    main(["import", "customers", path, "--user", "boss", "--mode", "update", "--json"])
    assert Customer.objects.count() == 1
