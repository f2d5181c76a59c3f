"""Template pages: list, detail with history, preview, test send, editor."""

import pytest
from django.urls import reverse

from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.messaging import template_services as services
from guanxi.messaging.models import Message, MessageTemplate, TemplateVersion

pytestmark = pytest.mark.django_db


def _login(client, role):
    user = UserFactory(role_slug=role, email=f"{role}@example.com")
    client.force_login(user)
    return user


def test_list_requires_login_and_searches_by_key(client):
    url = reverse("message_templates:list")
    assert client.get(url).status_code == 302
    _login(client, "sales")
    page = client.get(url, {"q": "birthday", "channel": "sms"}).context["page"]
    assert [t.key for t in page.object_list] == ["birthday-sms-en", "birthday-sms"]


def test_detail_shows_current_and_an_old_version(client):
    admin = _login(client, "admin")
    template = MessageTemplate.objects.get(key="birthday-sms")
    services.template_update(actor=admin, template=template, text_body="第二版{{ owner.name }}")
    current = client.get(reverse("message_templates:detail", args=[template.pk]))
    assert current.context["shown"].number == 2
    assert [v.number for v in current.context["versions"]] == [2, 1]
    old = client.get(reverse("message_templates:version", args=[template.pk, 1]))
    assert old.context["shown"].number == 1
    assert (
        client.get(reverse("message_templates:version", args=[template.pk, 9])).status_code == 404
    )


def test_preview_renders_in_a_sandboxed_iframe_for_a_customer_in_scope(client):
    sales = _login(client, "sales")
    customer = CustomerFactory(owner=sales, name="华兴科技")
    template = MessageTemplate.objects.get(key="product-intro")
    url = reverse("message_templates:preview", args=[template.pk])
    response = client.get(url, {"customer": customer.code}, HTTP_HX_REQUEST="true")
    assert response.context["preview"].subject.startswith("华兴科技，")
    assert '<iframe sandbox=""' in response.content.decode()
    theirs = CustomerFactory(owner=UserFactory(role_slug="sales"))
    refused = client.get(url, {"customer": theirs.code})
    assert "preview" not in refused.context and refused.context["form"].errors["customer"]


def test_draft_preview_counts_sms_segments_and_needs_a_manager(client):
    draft = {"draft": "1", "channel": "sms", "text_body": "字" * 71}
    url = reverse("message_templates:draft_preview")
    _login(client, "sales")
    assert client.post(url, draft).status_code == 403
    _login(client, "admin")
    preview = client.post(url, draft).context["preview"]
    assert (preview.characters, preview.segments) == (71, 2)
    bad = client.post(url, {**draft, "text_body": "{{ nope }}"})
    assert len(bad.context["problems"]) == 1


def test_send_test_queues_to_my_own_address(client):
    sales = _login(client, "sales")
    customer = CustomerFactory(owner=sales)
    ContactFactory(customer=customer, email="buyer@example.com")
    template = MessageTemplate.objects.get(key="usage-report")
    url = reverse("message_templates:send_test", args=[template.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"customer": customer.code})
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.recipient, message.customer, message.created_by) == (
        "sales@example.com", customer, sales,
    )  # fmt: skip


def test_send_test_for_a_customer_out_of_scope_sends_nothing(client):
    _login(client, "sales")
    theirs = CustomerFactory(owner=UserFactory(role_slug="sales"))
    template = MessageTemplate.objects.get(key="usage-report")
    client.post(
        reverse("message_templates:send_test", args=[template.pk]), {"customer": theirs.code}
    )
    assert Message.objects.count() == 0


@pytest.mark.parametrize(("role", "status"), [("sales", 403), ("supervisor", 403), ("admin", 302)])
def test_create_page_permission_matrix(client, role, status):
    _login(client, role)
    before = MessageTemplate.objects.count()
    response = client.post(
        reverse("message_templates:create"),
        {"key": "page-made", "name": "页面", "channel": "sms", "category": "transactional",
         "language": "zh-hans", "text_body": "您好{{ contact.salutation }}"},
    )  # fmt: skip
    assert response.status_code == status
    assert MessageTemplate.objects.count() == before + (1 if status == 302 else 0)


def test_create_shows_template_errors_in_place(client):
    _login(client, "admin")
    response = client.post(
        reverse("message_templates:create"),
        {"key": "bad", "name": "坏", "channel": "email", "category": "marketing",
         "language": "zh-hans", "subject": "", "html_body": "{{ x }}"},
    )  # fmt: skip
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"subject", "html_body"}
    assert len(response.context["variables"]) == 23


def test_edit_saves_a_new_version_and_refuses_stale_edits(client):
    _login(client, "admin")
    template = MessageTemplate.objects.get(key="satisfaction-sms")
    url = reverse("message_templates:edit", args=[template.pk])
    data = {"name": "回访", "category": "transactional", "language": "zh-hans",
            "text_body": "新{{ owner.name }}", "expected_version": "1"}  # fmt: skip
    assert client.post(url, data).status_code == 302
    stale = client.post(url, {**data, "text_body": "再改"})
    assert stale.status_code == 200 and stale.context["conflict"] is True
    assert list(
        TemplateVersion.objects.filter(template=template).values_list("number", flat=True)
    ) == [2, 1]


def test_deactivate_hides_it_from_sales(client):
    _login(client, "admin")
    template = MessageTemplate.objects.get(key="birthday-email")
    client.post(reverse("message_templates:set_active", args=[template.pk]), {"active": "0"})
    template.refresh_from_db()
    assert template.is_active is False
    _login(client, "sales")
    assert client.get(reverse("message_templates:detail", args=[template.pk])).status_code == 404
    client.post(reverse("message_templates:set_active", args=[template.pk]), {"active": "1"})
    template.refresh_from_db()
    assert template.is_active is False


def test_the_editor_saves_shows_and_previews_a_provider_template(client, settings):
    settings.LANGUAGE_CODE = "en"
    _login(client, "admin")
    lines = "name = {{ contact.salutation }}\r\n\r\ncode={{ coupon_code }}\r\n"
    response = client.post(
        reverse("message_templates:create"),
        {"key": "mapped-sms", "name": "映射", "channel": "sms", "category": "transactional",
         "language": "zh-hans", "text_body": "{{ contact.salutation }}您好",
         "provider_template_code": "SMS_154950909", "provider_params": lines},
    )  # fmt: skip
    assert response.status_code == 302
    template = MessageTemplate.objects.get(key="mapped-sms")
    version = template.current_version
    assert (version.provider_template_code, version.provider_params) == (
        "SMS_154950909", [["name", "{{ contact.salutation }}"], ["code", "{{ coupon_code }}"]],
    )  # fmt: skip
    detail = client.get(reverse("message_templates:detail", args=[template.pk])).content.decode()
    assert 'id="provider-template-code">SMS_154950909<' in detail
    edit = client.get(reverse("message_templates:edit", args=[template.pk]))
    assert edit.context["form"]["provider_params"].value() == (
        "name={{ contact.salutation }}\ncode={{ coupon_code }}"
    )
    draft = {"draft": "1", "channel": "sms", "text_body": "您好",
             "provider_template_code": "SMS_1", "provider_params": "name={{ customer.name }}"}  # fmt: skip
    preview = client.post(reverse("message_templates:draft_preview"), draft)
    assert preview.context["preview"].provider_params == [["name", "华兴科技有限公司"]]
    assert 'data-provider-param="name"' in preview.content.decode()


def test_the_editor_names_a_bad_provider_template_line_in_place(client, settings):
    settings.LANGUAGE_CODE = "en"
    _login(client, "admin")
    template = MessageTemplate.objects.get(key="satisfaction-sms")
    response = client.post(
        reverse("message_templates:edit", args=[template.pk]),
        {"name": "回访", "category": "transactional", "language": "zh-hans",
         "text_body": "新{{ owner.name }}", "expected_version": "1",
         "provider_template_code": "SMS_1", "provider_params": "name={{ owner.name }}\njust text"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors["provider_params"] == [
        "Line 2: write name=value, e.g. name={{ contact.salutation }}."
    ]
    unknown = client.post(
        reverse("message_templates:edit", args=[template.pk]),
        {"name": "回访", "category": "transactional", "language": "zh-hans",
         "text_body": "新", "expected_version": "1",
         "provider_template_code": "SMS_1", "provider_params": "name={{ owner.secret }}"},
    )  # fmt: skip
    assert unknown.context["form"].errors["provider_params"][0].startswith("name: ")
    assert TemplateVersion.objects.filter(template=template).count() == 1
