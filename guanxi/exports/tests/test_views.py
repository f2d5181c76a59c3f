"""Export pages through the test client: the picker, jobs, downloads, the list's button."""

import datetime as dt

import pytest
from django.urls import reverse

from guanxi.accounts.tests.factories import UserFactory
from guanxi.core import clock
from guanxi.customers.models import Intent
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.exports import services
from guanxi.exports.models import ExportJob
from guanxi.exports.tests.helpers import xlsx_rows

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


def post_export(client, entity="customers", **data):
    payload = {"fields": ["code", "name"], "file_format": "xlsx", "query": "", "ids": ""}
    payload.update(data)
    return client.post(f"{reverse('exports:new')}?entity={entity}", payload)


def test_the_picker_shows_the_filter_in_words_and_the_row_count(client):
    admin = UserFactory(role_slug="admin")
    CustomerFactory(intent=Intent.HIGH)
    response = logged_in(client, admin).get(
        reverse("exports:new") + "?entity=customers&intent=high"
    )
    assert response.status_code == 200
    assert response.context["summary"] == {"description": "意向等级: 高", "count": 1}
    assert response.context["form"].initial["query"] == "intent=high"


def test_the_picker_remembers_the_last_choice(client):
    admin = UserFactory(role_slug="admin")
    services.export_request(actor=admin, entity="customers", file_format="csv", fields=["name"])
    response = logged_in(client, admin).get(reverse("exports:new") + "?entity=customers")
    assert (
        response.context["form"].initial["fields"],
        response.context["form"].initial["file_format"],
    ) == (["name"], "csv")


def test_the_picker_is_refused_to_a_role_without_the_export_permission(client):
    response = logged_in(client, UserFactory(role_slug="sales")).get(reverse("exports:new"))
    assert response.status_code == 403


def test_posting_is_refused_to_a_role_without_the_export_permission_and_writes_nothing(client):
    response = post_export(logged_in(client, UserFactory(role_slug="sales")))
    assert response.status_code == 403
    assert ExportJob.objects.count() == 0


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    assert client.get(reverse("exports:new")).status_code == 302


def test_posting_creates_the_job_and_shows_it(client):
    admin = UserFactory(role_slug="admin")
    CustomerFactory()
    response = post_export(logged_in(client, admin))
    job = ExportJob.objects.get()
    assert response.url == reverse("exports:detail", args=[job.pk])
    page = client.get(response.url)
    assert page.context["downloadable"] is True


def test_no_field_chosen_shows_the_error_in_place(client):
    response = post_export(logged_in(client, UserFactory(role_slug="admin")), fields=[])
    assert response.status_code == 200
    assert response.context["form"].errors["fields"]
    assert ExportJob.objects.count() == 0


def test_the_owner_downloads_the_file(client):
    admin = UserFactory(role_slug="admin")
    customer = CustomerFactory()
    job = services.export_request(
        actor=admin, entity="customers", file_format="xlsx", fields=["code"]
    )
    response = logged_in(client, admin).get(reverse("exports:download", args=[job.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    target = services.conf.export_dir() / "copy.xlsx"
    target.write_bytes(b"".join(response.streaming_content))
    assert xlsx_rows(target)[1] == [customer.code]


def test_someone_elses_export_is_not_found(client):
    job = services.export_request(actor=UserFactory(role_slug="admin"), entity="customers",
                                  file_format="xlsx", fields=["code"])  # fmt: skip
    other = logged_in(client, UserFactory(role_slug="admin"))
    assert other.get(reverse("exports:download", args=[job.pk])).status_code == 404
    assert other.get(reverse("exports:detail", args=[job.pk])).status_code == 404


def test_an_expired_export_is_not_downloadable(client):
    admin = UserFactory(role_slug="admin")
    job = services.export_request(
        actor=admin, entity="customers", file_format="xlsx", fields=["code"]
    )
    with clock.frozen_at(job.expires_at + dt.timedelta(minutes=1)):
        response = logged_in(client, admin).get(reverse("exports:download", args=[job.pk]))
    assert response.status_code == 404


def test_my_exports_lists_only_mine(client):
    admin = UserFactory(role_slug="admin")
    mine = services.export_request(
        actor=admin, entity="customers", file_format="xlsx", fields=["code"]
    )
    services.export_request(actor=UserFactory(role_slug="admin"), entity="customers",
                            file_format="xlsx", fields=["code"])  # fmt: skip
    response = logged_in(client, admin).get(reverse("exports:list"))
    assert [j.pk for j in response.context["jobs"]] == [mine.pk]


def test_a_running_job_polls_its_status_part(client):
    admin = UserFactory(role_slug="admin")
    job = services.export_request(actor=admin, entity="customers", file_format="xlsx",
                                  fields=["code"], run="caller")  # fmt: skip
    response = logged_in(client, admin).get(
        reverse("exports:detail", args=[job.pk]),
        headers={"HX-Request": "true", "HX-Target": f"job-{job.pk}"},
    )
    body = response.content.decode()
    assert body.lstrip().startswith(f'<div id="job-{job.pk}"')
    assert 'hx-trigger="every 2s"' in body


def test_the_customer_list_offers_export_to_a_supervisor(client):
    response = logged_in(client, UserFactory(role_slug="supervisor")).get(
        reverse("customers:list") + "?intent=high"
    )
    assert reverse("exports:new") + "?entity=customers&amp;intent=high" in response.content.decode()


def test_the_customer_list_offers_no_export_to_sales(client):
    response = logged_in(client, UserFactory(role_slug="sales")).get(reverse("customers:list"))
    assert reverse("exports:new") not in response.content.decode()


def test_the_finance_download_has_masked_phones(client):
    finance = UserFactory(role_slug="finance")
    ContactFactory(phone="+8613812348000")
    post_export(logged_in(client, finance), fields=["phone"])
    job = ExportJob.objects.get()
    content = b"".join(client.get(reverse("exports:download", args=[job.pk])).streaming_content)
    target = services.conf.export_dir() / "copy.xlsx"
    target.write_bytes(content)
    assert xlsx_rows(target)[1] == ["138****8000"]
