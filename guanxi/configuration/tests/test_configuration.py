import pytest
from django.urls import reverse

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent
from guanxi.core.errors import ApplicationError, PermissionDeniedError
from guanxi.customers import config_services
from guanxi.customers.models import CustomFieldDefinition, FieldType, Industry
from guanxi.customers.services import customer_create
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_admin_adds_an_industry_field_that_customers_must_fill():
    admin = UserFactory(role_slug="admin")
    retail = Industry.objects.get(code="retail")
    config_services.custom_field_save(
        actor=admin,
        data={
            "industry": retail,
            "key": "purchase_frequency",
            "label": "采购频率",
            "field_type": FieldType.CHOICE,
            "choices": "每周，每月、每季度",
            "required": True,
            "order": 1,
        },
    )
    field = CustomFieldDefinition.objects.get(key="purchase_frequency")
    assert field.choices == ["每周", "每月", "每季度"]
    with pytest.raises(ApplicationError) as err:
        customer_create(
            actor=admin, data={"name": "某超市", "phone": "13800000001", "industry": retail}
        )
    assert "custom_fields.purchase_frequency" in err.value.errors
    customer = customer_create(
        actor=admin,
        data={
            "name": "某超市",
            "phone": "13800000001",
            "industry": retail,
            "custom_fields": {"purchase_frequency": "每月"},
        },
    )
    assert customer.custom_fields == {"purchase_frequency": "每月"}


def test_other_industries_do_not_need_that_field():
    admin = UserFactory(role_slug="admin")
    config_services.custom_field_save(
        actor=admin,
        data={
            "industry": Industry.objects.get(code="retail"),
            "key": "size",
            "label": "规模",
            "field_type": FieldType.NUMBER,
            "required": True,
            "order": 0,
        },
    )
    customer = customer_create(
        actor=admin,
        data={
            "name": "某工厂",
            "phone": "13800000001",
            "industry": Industry.objects.get(code="it"),
        },
    )
    assert customer.custom_fields == {}


def test_bad_custom_value_is_rejected():
    admin = UserFactory(role_slug="admin")
    config_services.custom_field_save(
        actor=admin,
        data={"key": "size", "label": "规模", "field_type": FieldType.NUMBER, "order": 0},
    )
    with pytest.raises(ApplicationError) as err:
        customer_create(
            actor=admin,
            data={"name": "x", "phone": "13800000001", "custom_fields": {"size": "很多"}},
        )
    assert list(err.value.errors) == ["custom_fields.size"]


def test_sales_cannot_change_configuration():
    sales = UserFactory(role_slug="sales")
    with pytest.raises(PermissionDeniedError):
        config_services.choice_save(
            actor=sales, model=Industry, data={"code": "mining", "name": "采矿"}
        )
    assert not Industry.objects.filter(code="mining").exists()


def test_industry_in_use_cannot_be_deleted():
    admin = UserFactory(role_slug="admin")
    customer = CustomerFactory()
    with pytest.raises(ApplicationError):
        config_services.choice_delete(actor=admin, instance=customer.industry)
    assert Industry.objects.filter(pk=customer.industry_id).exists()


def test_code_is_kept_on_edit_and_changes_are_audited():
    admin = UserFactory(role_slug="admin")
    industry = Industry.objects.get(code="it")
    config_services.choice_save(
        actor=admin,
        model=Industry,
        instance=industry,
        data={"code": "changed", "name": "IT 行业", "name_en": "IT", "order": 3, "is_active": True},
    )
    industry.refresh_from_db()
    assert (industry.code, industry.name) == ("it", "IT 行业")
    assert ActivityEvent.objects.get(target_type="customers.industry").changes["name"] == [
        "信息技术",
        "IT 行业",
    ]


@pytest.mark.parametrize(("role", "status"), [("sales", 403), ("supervisor", 403), ("admin", 200)])
def test_overview_page_permissions(client, role, status):
    client.force_login(UserFactory(role_slug=role))
    assert client.get(reverse("configuration:overview")).status_code == status


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("configuration:overview"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_create_level_through_the_page(client):
    client.force_login(UserFactory(role_slug="admin"))
    response = client.post(
        reverse("configuration:choice_create", args=["level"]),
        {"code": "vip", "name": "VIP客户", "name_en": "VIP", "order": 9, "is_active": "on"},
    )
    assert response.status_code == 302
    from guanxi.customers.models import Level

    assert Level.objects.get(code="vip").name == "VIP客户"


def test_bad_code_shows_error_in_place(client):
    client.force_login(UserFactory(role_slug="admin"))
    response = client.post(
        reverse("configuration:choice_create", args=["industry"]),
        {"code": "", "name": "采矿", "order": 0},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert not Industry.objects.filter(name="采矿").exists()
