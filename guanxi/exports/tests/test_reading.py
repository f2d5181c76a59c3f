"""Rows read as raw database values and converted column by column show what the screen
shows: local times, dates, labels, the primary contact, tags — in both file formats."""

import datetime as dt

import pytest
from django.template import Context, Template

from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.models import Customer, Intent, Tag
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.exports import services
from guanxi.exports.tests.helpers import job_rows
from guanxi.followups.models import FollowUp

pytestmark = pytest.mark.django_db

UI = Template('{{ value|date:"Y-m-d H:i" }}')


def export(fields, *, entity="customers", file_format="xlsx"):
    admin = UserFactory(role_slug="admin")
    job = services.export_request(actor=admin, entity=entity, file_format=file_format,
                                  fields=fields)  # fmt: skip
    return job_rows(job)[1:]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_times_are_the_local_times_the_ui_shows(file_format, settings):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    customer = CustomerFactory()
    late = dt.datetime(2024, 5, 1, 16, 30, 59, 999999, tzinfo=dt.UTC)  # 00:30 the next day
    Customer.objects.filter(pk=customer.pk).update(created_at=late, last_contact_at=None)
    customer.refresh_from_db()
    rows = export(["created_at", "last_contact_at"], file_format=file_format)
    shown = UI.render(Context({"value": customer.created_at}))
    assert shown == "2024-05-02 00:30"
    assert rows == [[shown, ""]]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_dates_read_as_year_month_day(file_format):
    CustomerFactory(expected_close_date=dt.date(2025, 1, 9), birthday=None)
    rows = export(["expected_close_date", "birthday"], file_format=file_format)
    assert rows == [["2025-01-09", ""]]


def test_a_customer_without_a_primary_contact_has_empty_contact_cells():
    customer = CustomerFactory(intent="")
    ContactFactory(customer=customer, is_primary=False, decision_role="technical")
    rows = export(["code", "contact_name", "phone", "decision_role", "intent"])
    assert rows == [[customer.code, "", "", "", ""]]


def test_choices_are_shown_by_their_label_and_the_primary_contacts_role_too():
    customer = CustomerFactory(intent=Intent.HIGH)
    ContactFactory(customer=customer, decision_role="technical")
    assert export(["intent", "decision_role"]) == [["高", "技术"]]


def test_tags_are_sorted_and_joined_per_customer():
    first, second = CustomerFactory(), CustomerFactory()
    first.tags.add(Tag.objects.create(name="乙"), Tag.objects.create(name="甲"))
    assert export(["code", "tags"]) == [[second.code, ""], [first.code, "乙、甲"]]


def test_rows_come_once_each_newest_first_across_chunks(settings):
    settings.GUANXI_EXPORT_CHUNK_ROWS = 2
    codes = [CustomerFactory().code for _ in range(5)]
    assert [row[0] for row in export(["code"])] == codes[::-1]


def test_contacts_show_primary_as_yes_or_no():
    customer = CustomerFactory()
    ContactFactory(customer=customer, name="甲", is_primary=True)
    ContactFactory(customer=customer, name="乙", is_primary=False)
    rows = export(["name", "is_primary", "customer_code"], entity="contacts")
    assert sorted(rows) == [["乙", "否", customer.code], ["甲", "是", customer.code]]


def test_a_followup_without_a_contact_has_an_empty_contact_cell():
    FollowUp.objects.create(customer=CustomerFactory(), content="电话沟通",
                            occurred_at=dt.datetime(2024, 5, 1, 1, 2, tzinfo=dt.UTC))  # fmt: skip
    assert export(["occurred_at", "contact", "content"], entity="followups") == [
        ["2024-05-01 09:02", "", "电话沟通"]
    ]


def test_customers_with_the_same_tags_in_different_chunks_show_them_alike(settings):
    settings.GUANXI_EXPORT_CHUNK_ROWS = 1
    vip, key = Tag.objects.create(name="VIP"), Tag.objects.create(name="重点")
    for customer in (CustomerFactory(), CustomerFactory()):
        customer.tags.add(key, vip)
    assert export(["tags"]) == [["VIP、重点"], ["VIP、重点"]]


def test_other_contacts_do_not_repeat_the_customer_row():
    customer = CustomerFactory()
    ContactFactory(customer=customer, name="主要", is_primary=True)
    ContactFactory.create_batch(2, customer=customer, is_primary=False)
    assert export(["code", "contact_name"]) == [[customer.code, "主要"]]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_custom_fields_are_columns_of_their_own(file_format):
    from django.utils import translation

    from guanxi.customers.models import CustomFieldDefinition
    from guanxi.exports.entities import ENTITIES

    CustomFieldDefinition.objects.create(key="scale", label="企业规模", label_en="Company size")
    CustomFieldDefinition.objects.create(
        key="visits", label="到访次数", field_type="number", order=1
    )
    CustomerFactory(name="甲", custom_fields={"scale": "100-500人", "visits": 3, "other": "x"})
    CustomerFactory(name="乙", custom_fields={})
    rows = export(["name", "custom.scale", "custom.visits"], file_format=file_format)
    visits = "3" if file_format == "csv" else 3
    assert sorted(rows) == [["乙", "", ""], ["甲", "100-500人", visits]]
    columns = ENTITIES["customers"].column_map()
    with translation.override("en"):
        assert str(columns["custom.scale"].label) == "Company size"
    with translation.override("zh-hans"):
        assert str(columns["custom.scale"].label) == "企业规模"
    assert "custom.other" not in columns  # only defined fields, never arbitrary JSON keys
