"""Factories of the follow-ups app: they insert rows directly, for arranging state; tests of
behaviour call the services."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.models import (
    Assignment,
    Cycle,
    FollowUp,
    KeywordRule,
    MaintenancePlan,
    PlanChannel,
    PlanStatus,
    SuggestionKind,
    Task,
)


class FollowUpFactory(DjangoModelFactory):
    class Meta:
        model = FollowUp

    customer = factory.SubFactory(CustomerFactory)
    author = factory.LazyAttribute(lambda o: o.customer.owner)
    occurred_at = factory.LazyFunction(timezone.now)
    channel = "phone"
    content = factory.Sequence(lambda n: f"电话沟通 {n}")


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = Task

    title = factory.Sequence(lambda n: f"待办 {n}")
    assignee = factory.SubFactory(UserFactory)
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))


class PlanFactory(DjangoModelFactory):
    """A draft weekly phone plan for one customer; pass level=… and customer=None for a
    segment, status=PlanStatus.APPROVED for one that generates."""

    class Meta:
        model = MaintenancePlan

    name = factory.Sequence(lambda n: f"维护计划 {n}")
    customer = factory.SubFactory(CustomerFactory)
    cycle = Cycle.WEEKLY
    weekday = 0
    channel = PlanChannel.PHONE
    assign_to = Assignment.CUSTOMER_OWNER
    start_date = dt.date(2024, 6, 1)
    status = PlanStatus.DRAFT
    created_by = factory.LazyAttribute(lambda o: o.customer.owner if o.customer else None)


class KeywordRuleFactory(DjangoModelFactory):
    class Meta:
        model = KeywordRule

    name = factory.Sequence(lambda n: f"规则 {n}")
    keywords = factory.LazyFunction(lambda: ["预算有限"])
    kind = SuggestionKind.ADD_TAG
    value = "价格敏感"
