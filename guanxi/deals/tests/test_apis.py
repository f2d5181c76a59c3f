import pytest
from django.utils import translation

from guanxi.accounts.tests.factories import UserFactory
from guanxi.api.tests.clients import api_client, token_client
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.deals.models import Deal, Order
from guanxi.deals.tests.factories import DealFactory, OrderFactory, stage

pytestmark = pytest.mark.django_db

DEALS = "/api/v1/deals/"
ORDERS = "/api/v1/orders/"
BULK = "/api/v1/orders/bulk/"


# --- deals -------------------------------------------------------------------------------


def test_create_a_deal_and_move_it_to_won_by_stage_code():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    client = api_client(sales)

    created = client.post(
        DEALS,
        {
            "customer": customer.pk,
            "title": "门禁系统",
            "amount": "50000",
            "expected_close_date": "2026-06-30",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["stage"]["code"], body["probability"], body["amount"]) == (
        "initial",
        10,
        "50000.00",
    )

    moved = client.post(f"{DEALS}{body['id']}/move/", {"stage": "won"}, format="json")
    assert moved.status_code == 200
    assert (moved.json()["stage"]["code"], moved.json()["probability"]) == ("won", 100)
    customer.refresh_from_db()
    assert customer.custom_fields["cooperation_stage"] == "已成交"


def test_moving_to_lost_without_a_reason_is_400():
    sales = UserFactory(role_slug="sales")
    deal = DealFactory(customer=CustomerFactory(owner=sales))
    with translation.override("en"):
        response = api_client(sales).post(
            f"{DEALS}{deal.pk}/move/", {"stage": "lost"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 400
    assert response.json()["errors"] == {"close_reason": ["Say why the deal was lost."]}


def test_list_filters_by_status_and_close_month_within_scope():
    sales = UserFactory(role_slug="sales")
    mine = CustomerFactory(owner=sales)
    won = DealFactory(customer=mine, stage=stage("won"), expected_close_date="2026-05-10")
    DealFactory(customer=mine, expected_close_date="2026-05-11")
    DealFactory(stage=stage("won"), expected_close_date="2026-05-12")  # not in scope

    response = api_client(sales).get(DEALS, {"status": "won", "close_month": "2026-05"})

    assert [d["id"] for d in response.json()["results"]] == [won.pk]


@pytest.mark.parametrize("who", ["anonymous", "no_permission", "out_of_scope"])
def test_deal_writes_are_refused_and_change_nothing(who):
    deal = DealFactory(title="原标题")
    user = {
        "anonymous": None,
        "no_permission": UserFactory(role_slug="finance"),  # sees everything, edits no deal
        "out_of_scope": UserFactory(role_slug="sales"),
    }[who]
    client = api_client(user)
    statuses = [
        client.patch(f"{DEALS}{deal.pk}/", {"title": "新"}, format="json").status_code,
        client.post(f"{DEALS}{deal.pk}/move/", {"stage": "won"}, format="json").status_code,
        client.delete(f"{DEALS}{deal.pk}/").status_code,
    ]
    expected = {"anonymous": 401, "no_permission": 403, "out_of_scope": 404}[who]
    assert statuses == [expected] * 3
    deal.refresh_from_db()
    assert (deal.title, deal.stage.code) == ("原标题", "initial")


def test_deal_stages_are_listed_in_board_order():
    response = api_client(UserFactory(role_slug="sales")).get("/api/v1/deal-stages/")
    assert [s["code"] for s in response.json()] == [
        "initial", "needs", "proposal", "negotiation", "won", "lost",
    ]  # fmt: skip


# --- orders ------------------------------------------------------------------------------


def _item(**kw):
    return {
        "source": "shop", "external_id": "T-1", "customer_code": "C1",
        "ordered_at": "2026-05-01", "amount": 299, "status": "completed", **kw,
    }  # fmt: skip


def test_bulk_answers_one_result_per_item_and_is_idempotent():
    CustomerFactory(code="C1")
    ContactFactory(customer=CustomerFactory(code="C2"), phone="+8613912345678")
    client = token_client(UserFactory(role_slug="finance"))
    items = [
        _item(),
        _item(external_id="T-2", customer_code=None, customer_phone="139 1234 5678"),
        _item(external_id="T-3", customer_code="C404"),
    ]

    first = client.post(BULK, items, format="json")
    second = client.post(BULK, items, format="json")

    assert first.status_code == second.status_code == 200
    assert [r["result"] for r in first.json()] == ["created", "created", "error"]
    assert [r["result"] for r in second.json()] == ["unchanged", "unchanged", "error"]
    assert [r["id"] for r in first.json()][:2] == [r["id"] for r in second.json()][:2]
    assert first.json()[2]["id"] is None and "customer_code" in first.json()[2]["errors"]
    assert Order.objects.count() == 2


def test_bulk_of_more_than_1000_items_is_400_and_writes_nothing():
    CustomerFactory(code="C1")
    items = [_item(external_id=str(n)) for n in range(1001)]
    with translation.override("en"):
        response = api_client(UserFactory(role_slug="finance")).post(
            BULK, items, format="json", HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 400
    assert "At most 1000 orders per request" in response.json()["detail"]
    assert not Order.objects.exists()


def test_bulk_needs_a_list():
    response = api_client(UserFactory(role_slug="finance")).post(BULK, _item(), format="json")
    assert response.status_code == 400


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("sales", 403)])
def test_bulk_refused_without_order_sync(who, status):
    CustomerFactory(code="C1")
    user = None if who == "anonymous" else UserFactory(role_slug="sales")
    response = api_client(user).post(BULK, [_item()], format="json")
    assert response.status_code == status
    assert not Order.objects.exists()


def test_orders_of_a_customer_are_listed_within_scope():
    sales = UserFactory(role_slug="sales")
    mine = CustomerFactory(owner=sales)
    newer = OrderFactory(customer=mine, ordered_at="2026-05-02T10:00:00+08:00")
    older = OrderFactory(customer=mine, ordered_at="2026-05-01T10:00:00+08:00")
    other = OrderFactory()

    client = api_client(sales)
    listed = client.get(ORDERS, {"customer": mine.pk}).json()["results"]
    hidden = client.get(ORDERS, {"customer": other.customer_id}).json()["results"]

    assert [o["id"] for o in listed] == [newer.pk, older.pk]
    assert listed[0]["customer"]["code"] == mine.code
    assert hidden == []
    assert client.get(f"{ORDERS}{other.pk}/").status_code == 404


def test_deal_and_order_endpoints_are_in_the_schema():
    schema = api_client(UserFactory(role_slug="admin")).get("/api/schema/", {"format": "json"})
    paths = schema.json()["paths"]
    assert {"/api/v1/deals/{id}/move/", "/api/v1/orders/bulk/", "/api/v1/orders/"} <= set(paths)
    assert not Deal.objects.exists()
