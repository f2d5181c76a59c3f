import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.core.errors import ApplicationError, PermissionDeniedError
from guanxi.core.events import subscribe, unsubscribe
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.deals.models import Order
from guanxi.deals.order_items import parse_ordered_at
from guanxi.deals.order_sync import MAX_BATCH, orders_upsert
from guanxi.deals.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def item(**overrides):
    base = {
        "source": "erp",
        "external_id": "SO-1",
        "customer_code": "C1",
        "ordered_at": "2026-05-01T10:30:00+08:00",
        "amount": "1999.00",
        "status": "paid",
    }
    return {**base, **overrides}


@pytest.fixture
def finance():
    return UserFactory(role_slug="finance")  # scope all, order.sync


@pytest.fixture
def events():
    seen = []
    subscribe(seen.append)
    yield seen
    unsubscribe(seen.append)


def test_new_orders_are_created_audited_and_announced(
    finance, events, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(code="C1")
    with django_capture_on_commit_callbacks(execute=True):
        results = orders_upsert(actor=finance, items=[item(items_summary="门锁 ×2")])

    order = Order.objects.get()
    assert results == [{"result": "created", "id": order.pk, "errors": {}}]
    assert (order.customer, order.number, order.amount, order.currency, order.status) == (
        customer, "SO-1", Decimal("1999.00"), "CNY", "paid",
    )  # fmt: skip
    assert order.ordered_at == dt.datetime(2026, 5, 1, 2, 30, tzinfo=dt.UTC)
    row = ActivityEvent.objects.get(target_type="deals.order")
    assert (row.verb, row.customer_id, row.target_id, row.source, row.actor_id) == (
        Verb.CREATED, customer.pk, order.pk, "api", finance.pk,
    )  # fmt: skip
    assert row.changes["amount"] == [None, "1999.00"]
    [event] = [e for e in events if e.name == "order.created"]
    assert event.customer_id == customer.pk
    assert event.payload == {
        "order_id": order.pk,
        "customer_id": customer.pk,
        "amount": "1999.00",
        "source": "erp",
    }


def test_sending_the_same_batch_again_changes_nothing(
    finance, events, django_capture_on_commit_callbacks
):
    CustomerFactory(code="C1")
    orders_upsert(actor=finance, items=[item()])
    events.clear()

    with django_capture_on_commit_callbacks(execute=True):
        results = orders_upsert(actor=finance, items=[item()])

    assert results == [{"result": "unchanged", "id": Order.objects.get().pk, "errors": {}}]
    assert ActivityEvent.objects.count() == 1
    assert events == []


def test_a_changed_order_is_updated_with_its_changes_audited_and_no_event(
    finance, events, django_capture_on_commit_callbacks
):
    CustomerFactory(code="C1")
    orders_upsert(actor=finance, items=[item()])
    events.clear()

    with django_capture_on_commit_callbacks(execute=True):
        results = orders_upsert(actor=finance, items=[item(status="已发货", amount=2100)])

    order = Order.objects.get()
    assert results == [{"result": "updated", "id": order.pk, "errors": {}}]
    assert (order.status, order.amount) == ("shipped", Decimal("2100.00"))
    row = ActivityEvent.objects.get(verb=Verb.UPDATED)
    assert row.changes == {"amount": ["1999.00", "2100.00"], "status": ["paid", "shipped"]}
    assert [e.name for e in events] == []


def test_one_bad_item_does_not_reject_the_others(finance):
    CustomerFactory(code="C1")
    with translation.override("en"):
        results = orders_upsert(
            actor=finance,
            items=[
                item(external_id="A"),
                item(external_id="B", amount="-5"),
                item(external_id="C", customer_code="NOPE"),
                "not an object",
                item(external_id="D", status="teleported"),
                item(external_id="A"),
            ],
        )
    assert [r["result"] for r in results] == [
        "created",
        "error",
        "error",
        "error",
        "error",
        "error",
    ]
    assert results[1]["errors"] == {"amount": ["The amount cannot be negative."]}
    assert results[2]["errors"] == {"customer_code": ["Customer not found."]}
    assert results[3]["errors"] == {"non_field_errors": ["Each order must be a JSON object."]}
    assert list(results[4]["errors"]) == ["status"]
    assert results[5]["errors"] == {
        "external_id": ["The same order appears twice in this batch (item 1)."]
    }
    assert list(Order.objects.values_list("external_id", flat=True)) == ["A"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "NaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "1234567890123"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": None}, "amount"),
        ({"ordered_at": "yesterday"}, "ordered_at"),
        ({"ordered_at": "2026-02-30"}, "ordered_at"),
        ({"source": ""}, "source"),
        ({"external_id": ""}, "external_id"),
        ({"currency": "yuan"}, "currency"),
        ({"customer_code": "", "customer_phone": "12345"}, "customer_phone"),
        ({"customer_code": ""}, "customer"),
    ],
)
def test_item_checks(finance, overrides, field):
    CustomerFactory(code="C1")
    [result] = orders_upsert(actor=finance, items=[item(**overrides)])
    assert result["result"] == "error"
    assert field in result["errors"]
    assert not Order.objects.exists()


def test_amounts_as_numbers_and_dates_without_time(finance):
    CustomerFactory(code="C1")
    orders_upsert(actor=finance, items=[item(amount=19.9, ordered_at="2026-05-01", currency="usd")])
    order = Order.objects.get()
    assert (order.amount, order.currency) == (Decimal("19.90"), "USD")
    assert timezone.localtime(order.ordered_at).replace(tzinfo=None) == dt.datetime(2026, 5, 1)


def test_customer_by_phone_of_any_contact_normalised(finance):
    customer = CustomerFactory()
    ContactFactory(customer=customer, phone="+8613800001111", is_primary=False)
    ContactFactory(customer=customer, phone="+8613900002222", phone_alt="+8613700003333")

    results = orders_upsert(
        actor=finance,
        items=[
            item(external_id="1", customer_code="", customer_phone="138 0000 1111"),
            item(external_id="2", customer_code="", customer_phone="+86-137-0000-3333"),
            item(external_id="3", customer_code="", customer_phone="8613900002222"),
        ],
    )

    assert [r["result"] for r in results] == ["created", "created", "created"]
    assert set(Order.objects.values_list("customer_id", flat=True)) == {customer.pk}


def test_a_phone_shared_by_two_customers_is_an_error(finance):
    ContactFactory(phone="+8613800001111")
    ContactFactory(phone="+8613800001111")
    [result] = orders_upsert(
        actor=finance, items=[item(customer_code="", customer_phone="13800001111")]
    )
    assert list(result["errors"]) == ["customer_phone"]


def test_customer_by_external_id_prefers_the_same_system(finance):
    mine = CustomerFactory(external_source="erp", external_id="K-9")
    CustomerFactory(external_source="crm", external_id="K-9")
    [result] = orders_upsert(
        actor=finance, items=[item(customer_code="", customer_external_id="K-9")]
    )
    assert Order.objects.get(pk=result["id"]).customer == mine


def test_customers_out_of_scope_read_as_not_found():
    sales = UserFactory(role_slug="sales")
    sales.role.permissions = [*sales.role.permissions, "order.sync"]
    sales.role.save()
    CustomerFactory(code="C1")  # someone else's
    ContactFactory(phone="+8613800001111")
    with translation.override("en"):
        results = orders_upsert(
            actor=sales,
            items=[item(), item(external_id="2", customer_code="", customer_phone="13800001111")],
        )
    assert [r["errors"] for r in results] == [
        {"customer_code": ["Customer not found."]},
        {"customer_phone": ["Customer not found."]},
    ]
    assert not Order.objects.exists()


def test_an_existing_order_of_a_customer_out_of_scope_is_not_moved():
    sales = UserFactory(role_slug="sales")
    sales.role.permissions = [*sales.role.permissions, "order.sync"]
    sales.role.save()
    CustomerFactory(code="C1", owner=sales)
    theirs = OrderFactory(external_id="SO-1")  # another salesperson's customer
    owner_before = theirs.customer_id
    [result] = orders_upsert(actor=sales, items=[item()])
    assert list(result["errors"]) == ["external_id"]
    theirs.refresh_from_db()
    assert (theirs.customer_id, theirs.amount) == (owner_before, Decimal("199.00"))


def test_needs_order_sync_and_writes_nothing_without_it():
    CustomerFactory(code="C1")
    with pytest.raises(PermissionDeniedError):
        orders_upsert(actor=UserFactory(role_slug="sales"), items=[item()])
    assert not Order.objects.exists()


def test_more_than_a_thousand_items_are_refused_whole(finance):
    CustomerFactory(code="C1")
    items = [item(external_id=str(n)) for n in range(MAX_BATCH + 1)]
    with translation.override("en"), pytest.raises(ApplicationError) as exc:
        orders_upsert(actor=finance, items=items)
    assert "At most 1000 orders per request" in exc.value.message
    assert not Order.objects.exists()


def test_a_full_batch_takes_a_fixed_number_of_queries(finance):
    customers = [CustomerFactory(code=f"C{n}") for n in range(5)]
    existing = [OrderFactory(customer=customers[0], external_id=f"old-{n}") for n in range(3)]
    items = [item(external_id=f"new-{n}", customer_code=f"C{n % 5}") for n in range(200)]
    items += [item(external_id=o.external_id, customer_code="C0", amount="5") for o in existing]

    with CaptureQueriesContext(connection) as queries:
        results = orders_upsert(actor=finance, items=items)

    assert [r["result"] for r in results].count("created") == 200
    assert [r["result"] for r in results].count("updated") == 3
    # customers, existing orders, ids, orders, update, audit (+ savepoints): no per-item query
    assert len(queries) < 20


def test_parse_ordered_at_reads_local_time_for_naive_values():
    tz = dt.timezone(dt.timedelta(hours=8))
    assert parse_ordered_at("2026-05-01 09:00", tz) == dt.datetime(2026, 5, 1, 1, tzinfo=dt.UTC)
    assert parse_ordered_at("2026-05-01T09:00:00Z", tz) == dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)
    assert parse_ordered_at(20260501, tz) is None
