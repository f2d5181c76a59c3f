from __future__ import annotations

from guanxi.core.names import company_name_key
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory


def customer(**kwargs):
    """A customer with its name key set, as the services keep it."""
    made = CustomerFactory(**kwargs)
    made.name_key = company_name_key(made.name)
    made.save(update_fields=["name_key"])
    return made


def with_contact(*, contact: dict | None = None, **kwargs):
    made = customer(**kwargs)
    ContactFactory(customer=made, **(contact or {}))
    return made
