"""Demo deals and orders: the board and the purchase histories of a fresh install have data."""

import pytest

from guanxi.accounts.tests.factories import UserFactory
from guanxi.core import clock
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.deals.demo import seed_deals_and_orders
from guanxi.deals.models import Deal, Order

pytestmark = pytest.mark.django_db


def _seed(first: int, owner) -> dict:
    return seed_deals_and_orders(
        seed=2024, now=clock.now(), today=clock.today(), from_customer=first,
        fallback_owner=owner.pk,
    )  # fmt: skip


def test_demo_deals_spread_over_stages_and_orders_over_customers():
    owner = UserFactory(role_slug="supervisor")
    customers = [CustomerFactory(owner=owner) for _ in range(300)]

    counts = _seed(customers[0].pk, owner)

    assert counts == {"deals": Deal.objects.count(), "orders": Order.objects.count()}
    assert 10 <= counts["deals"] <= 50 and counts["orders"] >= 100
    assert Deal.objects.values("stage").distinct().count() >= 4
    won = set(Deal.objects.filter(stage__kind="won").values_list("customer_id", flat=True))
    marked = set(
        Customer.objects.filter(custom_fields__cooperation_stage="已成交").values_list(
            "pk", flat=True
        )
    )
    assert won == marked


def test_the_same_seed_gives_the_same_data():
    owner = UserFactory(role_slug="supervisor")
    first = [CustomerFactory(owner=owner) for _ in range(100)][0].pk
    counts = _seed(first, owner)
    titles = list(
        Deal.objects.order_by("customer_id").values_list("customer_id", "title", "amount")
    )
    Deal.objects.all().delete()
    Order.objects.all().delete()
    assert _seed(first, owner) == counts
    assert (
        list(Deal.objects.order_by("customer_id").values_list("customer_id", "title", "amount"))
        == titles
    )
