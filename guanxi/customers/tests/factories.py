from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.pinyin import pinyin_keys
from guanxi.customers.models import Contact, Customer, Industry, Level


class CustomerFactory(DjangoModelFactory):
    """Inserts directly (no service): for arranging state. Tests of behaviour call services."""

    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"C20240101{n:05d}")
    name = factory.Faker("company", locale="zh_CN")
    name_pinyin = factory.LazyAttribute(lambda o: pinyin_keys(o.name)[0])
    name_initials = factory.LazyAttribute(lambda o: pinyin_keys(o.name)[1])
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    department = factory.LazyAttribute(lambda o: o.owner.department if o.owner else None)
    industry = factory.LazyFunction(lambda: Industry.objects.get(code="it"))
    level = factory.LazyFunction(lambda: Level.objects.get(code="potential"))
    province = "上海市"
    city = "上海市"


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Faker("name", locale="zh_CN")
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    is_primary = True
