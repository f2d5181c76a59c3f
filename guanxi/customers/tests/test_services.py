import datetime as dt

import pytest

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from guanxi.customers.models import Contact, Customer, Level
from guanxi.customers.services import (
    contact_reveal,
    customer_create,
    customer_delete,
    customer_reassign,
    customer_tags_add,
    customer_update,
)
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_create_normalises_phone_and_generates_code():
    sales = UserFactory(role_slug="sales")
    with clock.frozen_at(dt.datetime(2024, 5, 1, 10, 0)):
        first = customer_create(actor=sales, data={"name": "张三贸易", "phone": "138 1234 5678"})
        second = customer_create(actor=sales, data={"name": "李四", "phone": "+86-139-1234-5678"})
    assert first.code == "C20240501001"
    assert second.code == "C20240501002"
    assert first.contacts.get().phone == "+8613812345678"
    assert (first.name_pinyin, first.name_initials) == ("zhangsanmaoyi", "zsmy")
    assert first.owner == sales and first.team == sales.team


def test_code_is_not_reused_after_delete():
    admin = UserFactory(role_slug="admin")
    with clock.frozen_at(dt.datetime(2024, 5, 1, 10, 0)):
        c1 = customer_create(actor=admin, data={"name": "甲", "phone": "13812345678"})
        customer_delete(actor=admin, customer=c1)
        c2 = customer_create(actor=admin, data={"name": "乙", "phone": "13812345679"})
    assert c2.code == "C20240501002"


def test_create_missing_name_and_phone_is_rejected_in_chinese_and_saves_nothing():
    sales = UserFactory(role_slug="sales")
    with pytest.raises(ApplicationError) as err:
        customer_create(actor=sales, data={"name": " "})
    assert err.value.errors["name"] == ["请补充完整客户名称或联系电话"]
    assert err.value.errors["phone"] == ["请补充完整客户名称或联系电话"]
    assert Customer.objects.count() == 0
    assert ActivityEvent.objects.count() == 0


def test_create_bad_phone_is_rejected():
    sales = UserFactory(role_slug="sales")
    with pytest.raises(ApplicationError) as err:
        customer_create(actor=sales, data={"name": "某公司", "phone": "12345"})
    assert list(err.value.errors) == ["phone"]
    assert Customer.objects.count() == 0


def test_create_writes_audit_row():
    sales = UserFactory(role_slug="sales")
    customer = customer_create(
        actor=sales, data={"name": "某公司", "email": "A@Example.com"}, source="api"
    )
    event = ActivityEvent.objects.get()
    assert (event.verb, event.source, event.customer_id, event.actor) == (
        Verb.CREATED,
        "api",
        customer.pk,
        sales,
    )
    assert event.changes["contact.email"] == [None, "a@example.com"]


def test_sales_cannot_assign_to_someone_else():
    sales = UserFactory(role_slug="sales")
    other = UserFactory(role_slug="sales", team=sales.team)
    with pytest.raises(ApplicationError) as err:
        customer_create(
            actor=sales, data={"name": "某公司", "phone": "13812345678", "owner": other}
        )
    assert "owner" in err.value.errors


def test_stale_version_conflicts_and_changes_nothing():
    sales = UserFactory(role_slug="sales")
    customer = customer_create(actor=sales, data={"name": "某公司", "phone": "13812345678"})
    customer_update(actor=sales, customer=customer, data={"remarks": "first"}, expected_version=1)
    stale = Customer.objects.get(pk=customer.pk)
    with pytest.raises(ConflictError):
        customer_update(actor=sales, customer=stale, data={"remarks": "second"}, expected_version=1)
    stale.refresh_from_db()
    assert (stale.remarks, stale.version) == ("first", 2)


def test_update_records_before_and_after():
    sales = UserFactory(role_slug="sales")
    customer = customer_create(actor=sales, data={"name": "旧名", "phone": "13812345678"})
    high = Level.objects.get(code="high_value")
    customer_update(
        actor=sales, customer=customer, data={"name": "新名", "level": high, "phone": "13912345678"}
    )
    event = ActivityEvent.objects.filter(verb=Verb.UPDATED).get()
    assert event.changes["name"] == ["旧名", "新名"]
    assert event.changes["level"] == [None, high.pk]
    assert event.changes["contact.phone"] == ["+8613812345678", "+8613912345678"]
    customer.refresh_from_db()
    assert customer.name_initials == "xm"


def test_sales_cannot_update_out_of_scope_customer():
    sales = UserFactory(role_slug="sales")
    theirs = CustomerFactory()
    with pytest.raises(NotFoundError):
        customer_update(actor=sales, customer=theirs, data={"remarks": "x"})
    theirs.refresh_from_db()
    assert theirs.remarks == ""


def test_sales_cannot_delete():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    with pytest.raises(PermissionDeniedError):
        customer_delete(actor=sales, customer=customer)
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_reassign_needs_supervisor_and_moves_team():
    team_a, team_b = TeamFactory(), TeamFactory()
    boss = UserFactory(role_slug="supervisor", team=team_a)
    sales_a = UserFactory(role_slug="sales", team=team_a)
    sales_b = UserFactory(role_slug="sales", team=team_b)
    customer = CustomerFactory(owner=sales_a)
    with pytest.raises(PermissionDeniedError):
        customer_reassign(actor=sales_a, customer_ids=[customer.pk], owner=sales_b)
    assert customer_reassign(actor=boss, customer_ids=[customer.pk], owner=sales_b) == 1
    customer.refresh_from_db()
    assert (customer.owner, customer.team) == (sales_b, team_b)
    assert ActivityEvent.objects.filter(verb=Verb.REASSIGNED, customer_id=customer.pk).count() == 1


def test_bulk_tag_creates_tags_on_the_fly_and_only_in_scope():
    sales = UserFactory(role_slug="sales")
    mine, theirs = CustomerFactory(owner=sales), CustomerFactory()
    changed = customer_tags_add(
        actor=sales, customer_ids=[mine.pk, theirs.pk], names=["重点", "展会"]
    )
    assert changed == 1
    assert sorted(mine.tags.values_list("name", flat=True)) == ["展会", "重点"]
    assert theirs.tags.count() == 0


def test_reveal_is_audited_and_denied_to_finance():
    boss = UserFactory(role_slug="supervisor")
    finance = UserFactory(role_slug="finance")
    contact = ContactFactory(customer=CustomerFactory(owner=boss))
    assert contact_reveal(actor=boss, contact=contact, field="phone") == contact.phone
    assert ActivityEvent.objects.filter(verb=Verb.REVEALED, actor=boss).count() == 1
    with pytest.raises(PermissionDeniedError):
        contact_reveal(actor=finance, contact=contact, field="phone")
    assert ActivityEvent.objects.filter(verb=Verb.REVEALED).count() == 1


def test_update_primary_contact_creates_one_when_missing():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    customer_update(
        actor=sales, customer=customer, data={"contact_name": "王五", "phone": "13700000001"}
    )
    contact = Contact.objects.get(customer=customer)
    assert (contact.name, contact.phone, contact.is_primary) == ("王五", "+8613700000001", True)
