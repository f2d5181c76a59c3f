"""/api/v1/message-templates/: reading for customer users, writing for admins, preview."""

import pytest
from rest_framework.test import APIClient

from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.messaging import template_services as services
from guanxi.messaging.models import MessageTemplate, TemplateVersion

pytestmark = pytest.mark.django_db
LIST = "/api/v1/message-templates/"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _sms(admin, key="sms-test", text="{{ contact.salutation }}您好"):
    return services.template_create(
        actor=admin, key=key, name="短信", channel="sms", category="transactional",
        language="zh-hans", text_body=text,
    )  # fmt: skip


def test_list_filters_and_hides_inactive_from_non_managers():
    admin = UserFactory(role_slug="admin")
    hidden = _sms(admin, key="hidden")
    services.template_deactivate(actor=admin, template=hidden)
    body = api(UserFactory(role_slug="sales")).get(LIST, {"channel": "sms"}).json()
    keys = [t["key"] for t in body["results"]]
    assert "hidden" not in keys and "birthday-sms" in keys
    assert {t["channel"] for t in body["results"]} == {"sms"}
    admin_keys = [t["key"] for t in api(admin).get(LIST, {"active": "false"}).json()["results"]]
    assert admin_keys == ["hidden"]
    assert api(UserFactory(role_slug="sales")).get(f"{LIST}{hidden.pk}/").status_code == 404


def test_permission_matrix_for_reading():
    template = MessageTemplate.objects.get(key="birthday-sms")
    assert APIClient().get(LIST).status_code in (401, 403)
    no_role = UserFactory(role_slug="sales")
    no_role.role = None
    no_role.save()
    assert api(no_role).get(LIST).status_code == 403
    response = api(UserFactory(role_slug="service")).get(f"{LIST}{template.pk}/")
    assert response.status_code == 200
    assert response.json()["current_version"]["number"] == 1


def test_create_by_admin_and_refused_for_others_with_nothing_stored():
    payload = {
        "key": "api-made", "name": "接口", "channel": "email", "category": "marketing",
        "subject": "{{ customer.name }}", "html_body": "<p>hi</p>",
    }  # fmt: skip
    before = MessageTemplate.objects.count()
    assert APIClient().post(LIST, payload, format="json").status_code in (401, 403)
    assert (
        api(UserFactory(role_slug="supervisor")).post(LIST, payload, format="json").status_code
        == 403
    )
    assert MessageTemplate.objects.count() == before
    response = api(UserFactory(role_slug="admin")).post(LIST, payload, format="json")
    assert response.status_code == 201
    assert response.json()["current_version"]["number"] == 1
    assert MessageTemplate.objects.count() == before + 1


def test_create_with_a_template_error_answers_400_with_the_field():
    response = api(UserFactory(role_slug="admin")).post(
        LIST,
        {"key": "bad", "name": "坏", "channel": "email", "category": "marketing",
         "subject": "{{ customer.password }}", "html_body": "<p>x</p>"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["subject"]
    assert not MessageTemplate.objects.filter(key="bad").exists()


def test_patch_text_makes_a_version_patch_name_does_not():
    admin = UserFactory(role_slug="admin")
    template = _sms(admin)
    url = f"{LIST}{template.pk}/"
    assert (
        api(admin).patch(url, {"name": "新名"}, format="json").json()["current_version"]["number"]
        == 1
    )
    body = api(admin).patch(url, {"text_body": "新的{{ owner.name }}"}, format="json").json()
    assert (body["name"], body["current_version"]["number"]) == ("新名", 2)
    versions = api(admin).get(f"{url}versions/").json()["results"]
    assert [v["number"] for v in versions] == [2, 1]
    stale = api(admin).patch(url, {"text_body": "再改", "expected_version": 1}, format="json")
    assert stale.status_code == 409
    assert (
        api(UserFactory(role_slug="sales")).patch(url, {"name": "x"}, format="json").status_code
        == 403
    )
    template.refresh_from_db()
    assert (template.name, template.current_version.number) == ("新名", 2)


def test_preview_for_a_customer_in_scope_counts_sms_segments():
    admin = UserFactory(role_slug="admin")
    template = _sms(admin, text="{{ contact.salutation }}" + "字" * 70)
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    ContactFactory(customer=customer, name="王芳")
    response = api(sales).post(
        f"{LIST}{template.pk}/preview/", {"customer": customer.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {
        "channel": "sms", "subject": "", "html": "", "text": "王芳" + "字" * 70,
        "characters": 72, "segments": 2, "provider_template_code": "", "provider_params": [],
    }  # fmt: skip


def test_preview_for_a_customer_out_of_scope_is_404():
    template = MessageTemplate.objects.get(key="birthday-sms")
    sales = UserFactory(role_slug="sales")
    theirs = CustomerFactory(owner=UserFactory(role_slug="sales"))
    response = api(sales).post(
        f"{LIST}{template.pk}/preview/", {"customer": theirs.pk}, format="json"
    )
    assert response.status_code == 404


def test_preview_of_a_draft_renders_it_and_reports_errors_without_saving():
    admin = UserFactory(role_slug="admin")
    template = MessageTemplate.objects.get(key="product-intro")
    url = f"{LIST}{template.pk}/preview/"
    ok = api(admin).post(
        url, {"subject": "给{{ customer.name }}", "html_body": "<p>草稿</p>"}, format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["subject"] == "给华兴科技有限公司"
    assert ok.json()["text"] == "草稿\n"
    bad = api(admin).post(url, {"subject": "x", "html_body": "{{ nope }}"}, format="json")
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["html_body"]
    draft_by_sales = api(UserFactory(role_slug="sales")).post(url, {"subject": "x"}, format="json")
    assert draft_by_sales.status_code == 403
    assert TemplateVersion.objects.filter(template=template).count() == 1


MAPPED = {
    "provider_template_code": "SMS_154950909",
    "provider_params": [["name", "{{ contact.salutation }}"], ["company", "{{ company.name }}"]],
}


def test_provider_template_is_created_shown_kept_on_patch_and_previewed():
    admin = UserFactory(role_slug="admin")
    payload = {
        "key": "mapped", "name": "映射", "channel": "sms", "category": "transactional",
        "text_body": "{{ contact.salutation }}您好，{{ company.name }}提醒您。", **MAPPED,
    }  # fmt: skip
    created = api(admin).post(LIST, payload, format="json")
    assert created.status_code == 201
    version = created.json()["current_version"]
    assert (version["provider_template_code"], version["provider_params"]) == (
        MAPPED["provider_template_code"], MAPPED["provider_params"],
    )  # fmt: skip
    url = f"{LIST}{created.json()['id']}/"
    # A PATCH of the text alone keeps the mapping (into version 2).
    patched = api(admin).patch(url, {"text_body": "{{ contact.salutation }}您好"}, format="json")
    assert patched.json()["current_version"]["number"] == 2
    assert patched.json()["current_version"]["provider_params"] == MAPPED["provider_params"]
    # Changing only the mapping is a new version too.
    swapped = list(reversed(MAPPED["provider_params"]))
    body = api(admin).patch(url, {"provider_params": swapped}, format="json").json()
    assert (body["current_version"]["number"], body["current_version"]["provider_params"]) == (
        3, swapped,
    )  # fmt: skip
    customer = CustomerFactory(owner=admin)
    ContactFactory(customer=customer, name="王芳")
    preview = api(admin).post(f"{url}preview/", {"customer": customer.pk}, format="json").json()
    assert preview["provider_template_code"] == "SMS_154950909"
    assert preview["provider_params"] == [["company", ""], ["name", "王芳"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"provider_template_code": "SMS 1"}, "provider_template_code"),
        ({"provider_params": [["name", "{{ customer.password }}"]]}, "provider_params"),
        ({"provider_params": [["name", "a"], ["name", "b"]]}, "provider_params"),
        ({"provider_params": [["name"]]}, "provider_params"),
    ],
)
def test_a_bad_provider_template_answers_400_on_its_field(change, field):
    admin = UserFactory(role_slug="admin")
    payload = {
        "key": "bad-map", "name": "坏", "channel": "sms", "category": "transactional",
        "text_body": "您好", **MAPPED, **change,
    }  # fmt: skip
    response = api(admin).post(LIST, payload, format="json")
    assert response.status_code == 400
    # A malformed pair is refused by the API's shape check, which names its index.
    assert [name.split(".")[0] for name in response.json()["errors"]] == [field]
    assert not MessageTemplate.objects.filter(key="bad-map").exists()
