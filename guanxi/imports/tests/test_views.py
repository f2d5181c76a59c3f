import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.accounts.tests.factories import PASSWORD, UserFactory
from guanxi.customers.models import Customer
from guanxi.imports.models import ImportJob
from guanxi.imports.tests.factories import run, xlsx_bytes

pytestmark = pytest.mark.django_db
DATA = xlsx_bytes([["公司名称", "联系电话"], ["甲公司", "13812345678"]])


def _login(client, role="admin"):
    user = UserFactory(role_slug=role)
    client.login(username=user.username, password=PASSWORD)
    return user


def test_upload_mapping_check_start_flow(client):
    _login(client)
    response = client.post(
        reverse("imports:new"),
        {"file": SimpleUploadedFile("c.xlsx", DATA), "entity": "customers", "mode": "skip"},
    )
    job = ImportJob.objects.get()
    assert response.url == reverse("imports:mapping", args=[job.pk])
    page = client.get(response.url)
    assert page.status_code == 200 and "甲公司" in page.content.decode()
    checked = client.post(response.url, {"col_0": "name", "col_1": "phone"})
    assert checked.url == reverse("imports:detail", args=[job.pk])
    assert Customer.objects.count() == 0
    client.post(reverse("imports:start", args=[job.pk]))
    detail = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert Customer.objects.count() == 1 and reverse("imports:undo", args=[job.pk]) in detail


def test_bad_file_shows_the_reason_in_place(client):
    _login(client)
    response = client.post(
        reverse("imports:new"),
        {"file": SimpleUploadedFile("c.csv", b""), "entity": "customers", "mode": "skip"},
    )
    assert response.status_code == 200
    assert ImportJob.objects.count() == 0
    assert response.context["form"].errors["file"]


def test_mapping_without_a_name_column_is_refused(client):
    user = _login(client)
    job = run.__globals__["job_from"](user, DATA)
    response = client.post(reverse("imports:mapping", args=[job.pk]), {"col_1": "phone"})
    assert response.status_code == 200 and response.context["form"].errors
    job.refresh_from_db()
    assert job.status == "pending"


def test_progress_partial_asks_for_a_reload_when_finished(client):
    user = _login(client)
    job = run(user, DATA)
    response = client.get(
        reverse("imports:detail", args=[job.pk]) + "?part=progress", HTTP_HX_REQUEST="true"
    )
    assert response["HX-Refresh"] == "true"


@pytest.mark.parametrize("role", ["sales", "service"])
def test_pages_are_refused_without_the_permission(client, role):
    _login(client, role)
    assert client.get(reverse("imports:list")).status_code == 403
    assert (
        client.post(
            reverse("imports:new"),
            {"file": SimpleUploadedFile("c.xlsx", DATA), "entity": "customers", "mode": "skip"},
        ).status_code
        == 403
    )
    assert ImportJob.objects.count() == 0


def test_list_shows_own_jobs(client):
    user = _login(client, "supervisor")
    mine = run(user, DATA)
    page = client.get(reverse("imports:list")).content.decode()
    assert reverse("imports:detail", args=[mine.pk]) in page


def test_list_shows_a_checked_jobs_expected_counts_marked_as_not_imported(client):
    user = _login(client, "supervisor")
    job = ImportJob.objects.create(
        created_by=user, file_name="c.xlsx", status="validated",
        check_counts={"created": 7, "updated": 0, "duplicates": 2, "likely": 0, "invalid": 1},
    )  # fmt: skip
    page = client.get(reverse("imports:list")).content.decode()
    assert reverse("imports:detail", args=[job.pk]) in page
    assert 'text-body-secondary fst-italic" title="检查预计的数量，尚未导入">7</td>' in page
