"""Customer pages through the Django test client: scope, masking, errors in place, conflicts,
bulk actions, attachments and saved views. Denials assert that nothing changed."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.customers import services
from guanxi.customers.models import (
    Attachment,
    Contact,
    Customer,
    CustomFieldDefinition,
    Industry,
    SavedView,
)
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.customers.views import listing

pytestmark = pytest.mark.django_db

REQUIRED = "请补充完整客户名称或联系电话"


def logged_in(client, user):
    client.force_login(user)
    return client


def create_data(**overrides):
    data = {
        "kind": "company",
        "name": "张三贸易",
        "stage": "new",
        "contact_name": "张三",
        "phone": "138 1234 5678",
    }
    data.update(overrides)
    return data


def field_errors(response, field):
    return list(response.context["form"].errors.get(field, []))


# --- list ------------------------------------------------------------------------------


def test_list_shows_only_the_sales_users_own_customers(client):
    sales = UserFactory(role_slug="sales")
    mine = CustomerFactory(owner=sales, name="我的客户")
    CustomerFactory(name="别人的客户")
    response = logged_in(client, sales).get(reverse("customers:list"))
    assert response.status_code == 200
    assert [c.pk for c in response.context["page"].items] == [mine.pk]
    assert "别人的客户" not in response.content.decode()


def test_list_requires_login(client):
    response = client.get(reverse("customers:list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_search_by_pinyin_initials_finds_zhangsan(client):
    supervisor = UserFactory(role_slug="supervisor")
    zhangsan = CustomerFactory(owner=supervisor, name="张三")
    CustomerFactory(owner=supervisor, name="李四")
    response = logged_in(client, supervisor).get(reverse("customers:list"), {"q": "zs"})
    assert [c.pk for c in response.context["page"].items] == [zhangsan.pk]


def test_search_by_full_pinyin_and_phone_in_any_format(client):
    supervisor = UserFactory(role_slug="supervisor")
    zhangsan = CustomerFactory(owner=supervisor, name="张三")
    ContactFactory(customer=zhangsan, phone="+8613812345678")
    CustomerFactory(owner=supervisor, name="李四")
    client = logged_in(client, supervisor)
    by_pinyin = client.get(reverse("customers:list"), {"q": "zhangsan"})
    by_phone = client.get(reverse("customers:list"), {"q": "138-1234-5678"})
    assert [c.pk for c in by_pinyin.context["page"].items] == [zhangsan.pk]
    assert [c.pk for c in by_phone.context["page"].items] == [zhangsan.pk]


def test_list_masks_phones_for_finance(client):
    customer = CustomerFactory()
    ContactFactory(customer=customer, phone="+8613812345678")
    finance = UserFactory(role_slug="finance")
    body = logged_in(client, finance).get(reverse("customers:list")).content.decode()
    assert "138****5678" in body
    assert "138 1234 5678" not in body
    assert "13812345678" not in body


def test_list_shows_full_phone_to_the_owner(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    ContactFactory(customer=customer, phone="+8613812345678")
    body = logged_in(client, sales).get(reverse("customers:list")).content.decode()
    assert "138 1234 5678" in body
    assert "138****5678" not in body


def test_list_filters_by_intent_and_level(client):
    supervisor = UserFactory(role_slug="supervisor")
    hot = CustomerFactory(owner=supervisor, intent="high")
    CustomerFactory(owner=supervisor, intent="low")
    response = logged_in(client, supervisor).get(reverse("customers:list"), {"intent": "high"})
    assert [c.pk for c in response.context["page"].items] == [hot.pk]


def test_list_ignores_an_invalid_filter_value(client):
    supervisor = UserFactory(role_slug="supervisor")
    customer = CustomerFactory(owner=supervisor)
    response = logged_in(client, supervisor).get(
        reverse("customers:list"), {"created_from": "not-a-date", "owner": "99999"}
    )
    assert response.status_code == 200
    assert [c.pk for c in response.context["page"].items] == [customer.pk]


def test_htmx_filter_request_gets_only_the_results_table(client):
    supervisor = UserFactory(role_slug="supervisor")
    CustomerFactory(owner=supervisor, name="张三")
    response = logged_in(client, supervisor).get(
        reverse("customers:list"), {"q": "zs"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body
    assert "张三" in body
    assert "HX-Request" in response["Vary"]


def test_list_count_is_capped_instead_of_counting_everything(client, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_CAP", 2)
    supervisor = UserFactory(role_slug="supervisor")
    CustomerFactory.create_batch(3, owner=supervisor)
    response = logged_in(client, supervisor).get(reverse("customers:list"))
    assert response.context["page"].total_display == "2+"
    assert len(response.context["page"].items) == 3


def test_list_pages_by_fifty(client):
    supervisor = UserFactory(role_slug="supervisor")
    CustomerFactory.create_batch(51, owner=supervisor)
    client = logged_in(client, supervisor)
    first = client.get(reverse("customers:list"))
    second = client.get(reverse("customers:list"), {"page": 2})
    assert len(first.context["page"].items) == 50
    assert first.context["page"].has_next
    assert len(second.context["page"].items) == 1
    assert not second.context["page"].has_next


# --- saved views -----------------------------------------------------------------------


def test_saved_view_round_trip(client):
    sales = UserFactory(role_slug="sales")
    client = logged_in(client, sales)
    response = client.post(
        reverse("customers:view_save"), {"name": "高意向", "query": "intent=high"}
    )
    assert response.status_code == 302
    view = SavedView.objects.get(user=sales)
    assert (view.name, view.query) == ("高意向", "intent=high")
    page = client.get(reverse("customers:list")).content.decode()
    assert 'href="/customers/?intent=high"' in page
    client.post(reverse("customers:view_delete", args=[view.pk]), HTTP_HX_REQUEST="true")
    assert not SavedView.objects.filter(user=sales).exists()


def test_saved_views_of_others_cannot_be_deleted(client):
    owner = UserFactory(role_slug="sales")
    view = services.saved_view_save(user=owner, name="我的", query="intent=high")
    other = UserFactory(role_slug="sales")
    logged_in(client, other).post(reverse("customers:view_delete", args=[view.pk]))
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_list_query_saved_without_page_and_empty_fields(client):
    sales = UserFactory(role_slug="sales")
    response = logged_in(client, sales).get(
        reverse("customers:list"), {"q": "", "intent": "high", "page": "2"}
    )
    assert response.context["query"] == "intent=high"


# --- bulk actions ----------------------------------------------------------------------


def test_bulk_reassign_by_sales_is_refused_and_changes_nothing(client):
    sales = UserFactory(role_slug="sales")
    other = UserFactory(role_slug="sales", team=sales.team)
    customer = CustomerFactory(owner=sales)
    response = logged_in(client, sales).post(
        reverse("customers:bulk"), {"action": "reassign", "ids": [customer.pk], "owner": other.pk}
    )
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.owner == sales
    assert not ActivityEvent.objects.filter(verb=Verb.REASSIGNED).exists()


def test_bulk_reassign_by_supervisor_changes_the_owner(client):
    team = TeamFactory()
    supervisor = UserFactory(role_slug="supervisor", team=team)
    sales_a = UserFactory(role_slug="sales", team=team)
    sales_b = UserFactory(role_slug="sales", team=team)
    customers = CustomerFactory.create_batch(2, owner=sales_a)
    response = logged_in(client, supervisor).post(
        reverse("customers:bulk"),
        {"action": "reassign", "ids": [c.pk for c in customers], "owner": sales_b.pk},
    )
    assert response.status_code == 302
    assert set(Customer.objects.values_list("owner_id", flat=True)) == {sales_b.pk}


def test_bulk_reassign_buttons_only_shown_to_those_who_may(client):
    sales = UserFactory(role_slug="sales")
    supervisor = UserFactory(role_slug="supervisor")
    assert (
        'value="reassign"'
        not in logged_in(client, sales).get(reverse("customers:list")).content.decode()
    )
    assert (
        'value="reassign"'
        in logged_in(client, supervisor).get(reverse("customers:list")).content.decode()
    )


def test_bulk_tag_affects_only_the_users_own_customers(client):
    sales = UserFactory(role_slug="sales")
    mine = CustomerFactory(owner=sales)
    theirs = CustomerFactory()
    logged_in(client, sales).post(
        reverse("customers:bulk"),
        {"action": "tag", "ids": [mine.pk, theirs.pk], "tags": "重点、展会"},
    )
    assert sorted(mine.tags.values_list("name", flat=True)) == ["展会", "重点"]
    assert not theirs.tags.exists()


def test_bulk_without_selection_changes_nothing(client):
    sales = UserFactory(role_slug="sales")
    CustomerFactory(owner=sales)
    response = logged_in(client, sales).post(
        reverse("customers:bulk"), {"action": "tag", "tags": "重点"}
    )
    assert response.status_code == 302
    assert not ActivityEvent.objects.filter(verb=Verb.TAGGED).exists()


def test_bulk_merge_opens_the_merge_page_with_the_selection_and_changes_nothing(client):
    admin = UserFactory(role_slug="admin")
    a, b = CustomerFactory.create_batch(2)
    response = logged_in(client, admin).post(
        reverse("customers:bulk"), {"action": "merge", "ids": [a.pk, b.pk, a.pk]}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('quality:merge')}?ids={a.pk}&ids={b.pk}"
    page = client.get(response["Location"])
    assert page.status_code == 200 and a.name in page.content.decode()
    assert Customer.objects.count() == 2
    assert not ActivityEvent.objects.filter(verb=Verb.MERGED).exists()


def _says(response, message: str, **values) -> bool:
    """The page shows `message` in whichever language it was rendered in."""
    from django.utils import translation

    page = response.content.decode()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            if (
                translation.gettext(message) % values if values else translation.gettext(message)
            ) in page:
                return True
    return False


def test_bulk_merge_needs_two_customers_and_the_merge_permission(client):
    admin = UserFactory(role_slug="admin")
    a = CustomerFactory()
    response = logged_in(client, admin).post(
        reverse("customers:bulk"), {"action": "merge", "ids": [a.pk]}, follow=True
    )
    assert _says(response, "Select at least two customers to merge.")
    many = CustomerFactory.create_batch(11)
    response = client.post(
        reverse("customers:bulk"), {"action": "merge", "ids": [c.pk for c in many]}, follow=True
    )
    assert _says(response, "Select at most %(n)d customers to merge at once.", n=10)
    sales = UserFactory(role_slug="sales")
    mine = CustomerFactory.create_batch(2, owner=sales)
    response = logged_in(client, sales).post(
        reverse("customers:bulk"), {"action": "merge", "ids": [c.pk for c in mine]}
    )
    assert response.status_code == 403
    assert 'value="merge"' not in client.get(reverse("customers:list")).content.decode()
    assert (
        'value="merge"' in logged_in(client, admin).get(reverse("customers:list")).content.decode()
    )


# --- create / edit ---------------------------------------------------------------------


def test_create_stores_the_phone_normalised_and_opens_the_customer(client):
    sales = UserFactory(role_slug="sales")
    response = logged_in(client, sales).post(
        reverse("customers:create"), create_data(tags="重点，展会")
    )
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.contacts.get().phone == "+8613812345678"
    assert customer.owner == sales
    assert sorted(customer.tags.values_list("name", flat=True)) == ["展会", "重点"]


def test_create_with_bad_phone_shows_the_error_under_the_phone_and_saves_nothing(client):
    sales = UserFactory(role_slug="sales")
    response = logged_in(client, sales).post(
        reverse("customers:create"), create_data(phone="12345")
    )
    assert response.status_code == 200
    errors = field_errors(response, "phone")
    assert len(errors) == 1 and "12345" in errors[0]
    body = response.content.decode()
    assert 'name="phone"' in body and 'aria-invalid="true"' in body
    assert 'value="张三贸易"' in body  # the user's input is kept
    assert Customer.objects.count() == 0
    assert Contact.objects.count() == 0


def test_create_without_name_shows_the_message_in_chinese(client):
    sales = UserFactory(role_slug="sales")
    response = logged_in(client, sales).post(reverse("customers:create"), create_data(name=""))
    assert field_errors(response, "name") == [REQUIRED]
    assert REQUIRED in response.content.decode()
    assert Customer.objects.count() == 0


def test_create_is_refused_without_permission(client):
    finance = UserFactory(role_slug="finance")
    client = logged_in(client, finance)
    assert client.get(reverse("customers:create")).status_code == 403
    assert client.post(reverse("customers:create"), create_data()).status_code == 403
    assert Customer.objects.count() == 0


def test_owner_field_only_for_those_who_may_reassign(client):
    sales = UserFactory(role_slug="sales")
    supervisor = UserFactory(role_slug="supervisor")
    assert (
        "owner"
        not in logged_in(client, sales).get(reverse("customers:create")).context["form"].fields
    )
    assert (
        "owner"
        in logged_in(client, supervisor).get(reverse("customers:create")).context["form"].fields
    )


def test_custom_fields_of_the_chosen_industry_are_rendered_and_saved(client):
    retail = Industry.objects.get(code="retail")
    CustomFieldDefinition.objects.create(
        industry=retail, key="frequency", label="购买频次", field_type="number"
    )
    sales = UserFactory(role_slug="sales")
    client = logged_in(client, sales)
    partial = client.get(
        reverse("customers:custom_fields"), {"industry": retail.pk}, HTTP_HX_REQUEST="true"
    )
    assert 'name="cf_frequency"' in partial.content.decode()
    client.post(reverse("customers:create"), create_data(industry=retail.pk, cf_frequency="12"))
    assert Customer.objects.get().custom_fields == {"frequency": 12}


def test_edit_with_a_stale_version_shows_a_conflict_and_keeps_the_newer_data(client):
    sales = UserFactory(role_slug="sales")
    customer = services.customer_create(actor=sales, data={"name": "原名", "phone": "13812345678"})
    stale_version = customer.version
    services.customer_update(actor=sales, customer=customer, data={"name": "同事改的名"})
    response = logged_in(client, sales).post(
        reverse("customers:edit", args=[customer.pk]),
        create_data(name="我改的名", version=stale_version),
    )
    assert response.status_code == 200
    assert response.context["conflict"] is True
    assert "其他人修改了该客户" in response.content.decode()
    assert 'value="我改的名"' in response.content.decode()
    customer.refresh_from_db()
    assert customer.name == "同事改的名"


def test_edit_with_the_current_version_saves(client):
    sales = UserFactory(role_slug="sales")
    customer = services.customer_create(actor=sales, data={"name": "原名", "phone": "13812345678"})
    response = logged_in(client, sales).post(
        reverse("customers:edit", args=[customer.pk]),
        create_data(name="新名", version=customer.version, intent="high"),
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.intent, customer.version) == ("新名", "high", 2)


def test_edit_of_another_sales_users_customer_is_404(client):
    customer = CustomerFactory()
    sales = UserFactory(role_slug="sales")
    response = logged_in(client, sales).post(
        reverse("customers:edit", args=[customer.pk]), create_data(name="改", version=1)
    )
    assert response.status_code == 404
    customer.refresh_from_db()
    assert customer.name != "改"


# --- detail ----------------------------------------------------------------------------


def test_detail_shows_profile_contacts_and_timeline(client):
    sales = UserFactory(role_slug="sales")
    customer = services.customer_create(
        actor=sales, data={"name": "张三贸易", "phone": "13812345678", "contact_name": "张三"}
    )
    response = logged_in(client, sales).get(reverse("customers:detail", args=[customer.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert customer.code in body
    assert "138 1234 5678" in body
    assert len(response.context["timeline"]) == 1


def test_detail_out_of_scope_is_404_like_a_missing_one(client):
    customer = CustomerFactory()
    sales = UserFactory(role_slug="sales")
    client = logged_in(client, sales)
    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 404
    assert client.get(reverse("customers:detail", args=[customer.pk + 1000])).status_code == 404


def test_detail_timeline_masks_phone_changes_for_finance(client):
    sales = UserFactory(role_slug="sales")
    customer = services.customer_create(actor=sales, data={"name": "甲", "phone": "13812345678"})
    services.customer_update(actor=sales, customer=customer, data={"phone": "13912345678"})
    finance = UserFactory(role_slug="finance")
    body = (
        logged_in(client, finance)
        .get(reverse("customers:detail", args=[customer.pk]))
        .content.decode()
    )
    assert "139****5678" in body
    assert "13912345678" not in body and "139 1234 5678" not in body


def test_delete_button_and_delete_only_with_permission(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    client = logged_in(client, sales)
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert reverse("customers:delete", args=[customer.pk]) not in page
    assert client.post(reverse("customers:delete", args=[customer.pk])).status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_supervisor_deletes_a_team_customer(client):
    team = TeamFactory()
    supervisor = UserFactory(role_slug="supervisor", team=team)
    customer = CustomerFactory(owner=UserFactory(role_slug="sales", team=team))
    response = logged_in(client, supervisor).post(reverse("customers:delete", args=[customer.pk]))
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=customer.pk).exists()


# --- contacts --------------------------------------------------------------------------


def test_add_contact_via_htmx_returns_the_contacts_card(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    response = logged_in(client, sales).post(
        reverse("customers:contact_create", args=[customer.pk]),
        {"name": "李经理", "phone": "0755-12345678"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section class="card mb-3" id="contacts"')
    assert customer.contacts.get().phone == "+8675512345678"


def test_add_contact_with_bad_phone_keeps_the_form_and_saves_nothing(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    response = logged_in(client, sales).post(
        reverse("customers:contact_create", args=[customer.pk]),
        {"name": "李经理", "phone": "12"},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Retarget"] == "#contact-form"
    assert response.context["form"].errors["phone"]
    assert not customer.contacts.exists()


def test_reveal_by_a_role_with_the_permission_is_audited(client):
    role = Role.objects.create(
        slug="auditor", name="审计", permissions=["customer.view", "contact.reveal"],
        default_scope="all",
    )  # fmt: skip
    auditor = UserFactory(role_slug="sales", role=role, data_scope="all")
    contact = ContactFactory(phone="+8613812345678")
    client = logged_in(client, auditor)
    page = client.get(reverse("customers:detail", args=[contact.customer_id])).content.decode()
    assert "138****5678" in page
    response = client.post(
        reverse("customers:contact_reveal", args=[contact.pk, "phone"]), HTTP_HX_REQUEST="true"
    )
    assert "138 1234 5678" in response.content.decode()
    assert ActivityEvent.objects.filter(verb=Verb.REVEALED, actor=auditor).count() == 1


def test_reveal_without_permission_is_refused_and_not_audited(client):
    finance = UserFactory(role_slug="finance")
    contact = ContactFactory(phone="+8613812345678")
    client = logged_in(client, finance)
    page = client.get(reverse("customers:detail", args=[contact.customer_id])).content.decode()
    assert "Reveal" not in page
    response = client.post(reverse("customers:contact_reveal", args=[contact.pk, "phone"]))
    assert response.status_code == 403
    assert not ActivityEvent.objects.filter(verb=Verb.REVEALED).exists()


# --- attachments -----------------------------------------------------------------------


def upload(name="报价单.pdf", content=b"%PDF-1.4 test", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_upload_and_download_an_attachment(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    client = logged_in(client, sales)
    client.post(reverse("customers:attachment_upload", args=[customer.pk]), {"file": upload()})
    attachment = Attachment.objects.get()
    response = client.get(reverse("customers:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"


def test_download_out_of_scope_is_404(client):
    owner = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=owner)
    attachment = services.attachment_add(actor=owner, customer=customer, upload=upload())
    stranger = UserFactory(role_slug="sales")
    response = logged_in(client, stranger).get(
        reverse("customers:attachment_download", args=[attachment.pk])
    )
    assert response.status_code == 404


def test_upload_of_a_forbidden_type_is_rejected_in_place(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    response = logged_in(client, sales).post(
        reverse("customers:attachment_upload", args=[customer.pk]),
        {"file": upload(name="run.exe", content=b"MZ", content_type="application/x-msdownload")},
        HTTP_HX_REQUEST="true",
    )
    assert ".exe" in " ".join(response.context["attachment_form"].errors["file"])
    assert Attachment.objects.count() == 0


def test_upload_of_an_oversized_file_is_rejected(client, settings):
    settings.GUANXI_ATTACHMENT_MAX_BYTES = 1024 * 1024
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    response = logged_in(client, sales).post(
        reverse("customers:attachment_upload", args=[customer.pk]),
        {"file": upload(content=b"x" * (1024 * 1024 + 1))},
        HTTP_HX_REQUEST="true",
    )
    assert "1 MB" in " ".join(response.context["attachment_form"].errors["file"])
    assert Attachment.objects.count() == 0


# --- lookup ----------------------------------------------------------------------------


def test_lookup_suggests_in_scope_customers_only(client):
    sales = UserFactory(role_slug="sales")
    mine = CustomerFactory(owner=sales, name="张三贸易")
    CustomerFactory(name="张三科技")
    body = logged_in(client, sales).get(reverse("customers:lookup"), {"q": "zs"}).content.decode()
    assert mine.code in body
    assert "张三科技" not in body


def test_timeline_times_are_local(client):
    sales = UserFactory(role_slug="sales")
    customer = services.customer_create(
        actor=sales,
        data={"name": "甲", "phone": "13812345678", "expected_close_date": dt.date(2024, 6, 1)},
    )
    response = logged_in(client, sales).get(reverse("customers:detail", args=[customer.pk]))
    rows = response.context["timeline"][0].changes
    assert {r.field: r.after for r in rows}["expected_close_date"] == "2024-06-01"
