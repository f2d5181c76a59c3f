from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from guanxi.customers.tests.factories import CustomerFactory
from guanxi.deals.models import Deal, DealStage, Order


def stage(code: str) -> DealStage:
    """A stage the data migration created: initial, needs, proposal, negotiation, won, lost."""
    return DealStage.objects.get(code=code)


class DealFactory(DjangoModelFactory):
    """Inserts directly (no service): for arranging state. Tests of behaviour call services."""

    class Meta:
        model = Deal

    customer = factory.SubFactory(CustomerFactory)
    title = factory.Sequence(lambda n: f"商机{n}")
    amount = Decimal("10000.00")
    stage = factory.LazyFunction(lambda: stage("initial"))
    probability = factory.LazyAttribute(lambda o: o.stage.probability)
    owner = factory.LazyAttribute(lambda o: o.customer.owner)
    expected_close_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))


class OrderFactory(DjangoModelFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    source = "erp"
    external_id = factory.Sequence(lambda n: f"SO-{n:05d}")
    number = factory.LazyAttribute(lambda o: o.external_id)
    ordered_at = factory.LazyFunction(timezone.now)
    amount = Decimal("199.00")
    status = "paid"
