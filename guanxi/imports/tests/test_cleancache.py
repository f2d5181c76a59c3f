"""The import reuses the check's cleaned rows, only while they are still valid."""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.models import Customer, Level
from guanxi.imports import running, services
from guanxi.imports.models import Status
from guanxi.imports.tests.factories import job_from, xlsx_bytes

pytestmark = pytest.mark.django_db

ROWS = [
    ["客户名称", "联系人", "手机号", "层级"],
    ["上海甲科技有限公司", "王经理", "13812345678", "潜在客户"],
    ["北京乙贸易有限公司", "李总", "13912345678", ""],
]


def _checked(admin):
    job = job_from(admin, xlsx_bytes(ROWS))
    return services.import_job_check(actor=admin, job=job, background=False)


def _cache_files(job) -> list[Path]:
    folder = (Path(settings.DATA_DIR) / "imports" / job.stored_path).parent
    return sorted(folder.glob("clean-*"))


def _no_cleaning(*args, **kwargs):
    raise AssertionError("the import cleaned the file again")


def test_check_keeps_its_cleaned_rows_beside_the_upload():
    job = _checked(UserFactory(role_slug="admin"))
    assert [p.suffix for p in _cache_files(job)] == [".pickle"]


def test_import_after_a_check_does_not_clean_the_rows_again(monkeypatch):
    admin = UserFactory(role_slug="admin")
    job = _checked(admin)
    monkeypatch.setattr(running, "clean_row", _no_cleaning)
    job = services.import_job_start(actor=admin, job=job, background=False)
    assert (job.status, job.created_count, Customer.objects.count()) == (Status.DONE, 2, 2)


def test_changed_lookups_make_the_import_clean_the_rows_itself(monkeypatch):
    admin = UserFactory(role_slug="admin")
    job = _checked(admin)
    Level.objects.create(code="vip2", name="钻石客户", name_en="Diamond")
    calls = []
    real = running.clean_row
    monkeypatch.setattr(running, "clean_row", lambda *a: calls.append(1) or real(*a))
    job = services.import_job_start(actor=admin, job=job, background=False)
    assert (job.status, job.created_count, len(calls)) == (Status.DONE, 2, 2)


def test_finished_import_removes_the_cleaned_rows():
    admin = UserFactory(role_slug="admin")
    job = services.import_job_start(actor=admin, job=_checked(admin), background=False)
    assert _cache_files(job) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 name index")
def test_imported_customers_are_in_the_name_search_index():
    admin = UserFactory(role_slug="admin")
    services.import_job_start(actor=admin, job=_checked(admin), background=False)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM customers_customer_name_fts WHERE customers_customer_name_fts "
            "MATCH %s",
            ['"甲科技"'],
        )
        found = [row[0] for row in cursor.fetchall()]
    assert found == [Customer.objects.get(name=ROWS[1][0]).pk]


def test_rows_insert_writes_every_row_across_statement_chunks():
    from guanxi.customers.bulk import rows_insert
    from guanxi.imports.models import ImportRecord

    job = _checked(UserFactory(role_slug="admin"))
    rows = [(job.pk, n, "created", None, None, None, None) for n in range(1, 1202)]
    rows_insert(ImportRecord._meta.db_table, running._RECORD_COLUMNS, rows)
    assert sorted(ImportRecord.objects.values_list("row", flat=True)) == list(range(1, 1202))
