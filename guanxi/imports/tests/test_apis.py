"""/api/v1/imports/: upload + check, start, follow, undo, error report; the permission first."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.models import Customer
from guanxi.imports.models import ImportJob
from guanxi.imports.tests.factories import run, xlsx_bytes

pytestmark = pytest.mark.django_db
LIST = "/api/v1/imports/"
DATA = xlsx_bytes([["客户名称", "手机号"], ["甲公司", "13812345678"], ["乙公司", "123"]])


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _upload(**extra):
    return {"file": SimpleUploadedFile("c.xlsx", DATA), **extra}


def test_post_checks_the_file_without_writing():
    response = api(UserFactory(role_slug="admin")).post(LIST, _upload(), format="multipart")
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["check_counts"]["created"], body["check_counts"]["invalid"]) == (
        "validated", 1, 1,
    )  # fmt: skip
    assert body["problems"][0]["row"] == 3
    assert Customer.objects.count() == 0


def test_start_then_undo():
    admin = UserFactory(role_slug="admin")
    job_id = api(admin).post(LIST, _upload(), format="multipart").json()["id"]
    started = api(admin).post(f"{LIST}{job_id}/start/")
    assert (started.status_code, started.json()["status"], started.json()["counts"]["created"]) == (
        202,
        "done",
        1,
    )
    report = api(admin).get(f"{LIST}{job_id}/error-report/")
    assert report.status_code == 200 and report["Content-Type"].startswith(
        "application/vnd.openxml"
    )
    undone = api(admin).post(f"{LIST}{job_id}/undo/")
    assert (undone.status_code, undone.json()["status"], Customer.objects.count()) == (
        200,
        "undone",
        0,
    )


def test_dry_run_false_imports_in_one_call():
    response = api(UserFactory(role_slug="admin")).post(
        LIST, _upload(dry_run="false"), format="multipart"
    )
    assert ImportJob.objects.get(pk=response.json()["id"]).status == "done"
    assert Customer.objects.count() == 1


def test_rejected_file_is_400_with_the_reason():
    bad = {"file": SimpleUploadedFile("c.csv", "客户名称,手机号\n".encode())}
    response = api(UserFactory(role_slug="admin")).post(LIST, bad, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"]["file"] == ["文件只有表头，没有数据行。"]


@pytest.mark.parametrize(("role", "code"), [(None, 401), ("sales", 403), ("finance", 403)])
def test_upload_matrix_changes_nothing_on_denial(role, code):
    user = UserFactory(role_slug=role) if role else None
    assert api(user).post(LIST, _upload(dry_run="false"), format="multipart").status_code == code
    assert (ImportJob.objects.count(), Customer.objects.count()) == (0, 0)


def test_another_supervisors_job_is_not_found_and_not_undone():
    owner = UserFactory(role_slug="supervisor")
    job = run(owner, DATA)
    other = UserFactory(role_slug="supervisor")
    assert api(other).get(f"{LIST}{job.pk}/").status_code == 404
    assert api(other).post(f"{LIST}{job.pk}/undo/").status_code == 404
    assert api(owner).get(LIST).json()["results"][0]["id"] == job.pk
    assert api(other).get(LIST).json()["results"] == []
    assert Customer.objects.count() == 1


def test_template_download_is_a_workbook_with_dropdowns():
    from openpyxl import load_workbook

    response = api(UserFactory(role_slug="admin")).get(f"{LIST}template/?entity=customers")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    assert sheet["B1"].value == "客户名称 *"
    assert len(sheet.data_validations.dataValidation) >= 5


def test_schema_documents_the_import_endpoints():
    schema = api().get("/api/schema/?format=json").json()
    assert {
        "/api/v1/imports/",
        "/api/v1/imports/{id}/undo/",
        "/api/v1/imports/{id}/error-report/",
    } <= set(schema["paths"])
