"""The side-by-side table of a merge: one row per choosable field, one cell per customer."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.customers.merging import (
    CUSTOM_PREFIX,
    FIELD_GROUPS,
    PRIMARY_CONTACT,
    default_choices,
)
from guanxi.customers.models import Contact, Customer
from guanxi.customers.selectors import custom_field_definitions
from guanxi.customers.templatetags.customer_tags import email_for, phone_for


@dataclass(frozen=True)
class Cell:
    customer_id: int
    text: str


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: list[Cell]
    chosen: int

    @property
    def differs(self) -> bool:
        return len({c.text for c in self.cells}) > 1


def _labels() -> dict[str, str]:
    field = Customer._meta.get_field
    labels = {group: str(field(names[0]).verbose_name) for group, names in FIELD_GROUPS.items()}
    labels["region"] = _("Region")
    labels["external"] = _("External id")
    return labels


def _text(customer: Customer, group: str) -> str:
    if group == "region":
        parts = [customer.province, customer.city, customer.district]
        return " ".join(dict.fromkeys(p for p in parts if p))
    if group == "external":
        if not customer.external_id:
            return ""
        return f"{customer.external_source}: {customer.external_id}"
    if group == "owner":
        return customer.owner.label if customer.owner else ""
    (name,) = FIELD_GROUPS[group]
    display = getattr(customer, f"get_{name}_display", None)
    value = display() if display and getattr(customer, name) else getattr(customer, name)
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _contact_text(contact: Contact | None, viewer: User) -> str:
    if contact is None:
        return ""
    # Masked exactly as the customer page shows them (customers.templatetags phone_for).
    return " · ".join(
        p
        for p in (contact.name, phone_for(contact.phone, viewer), email_for(contact.email, viewer))
        if p
    )


def comparison_rows(
    *, viewer: User, survivor: Customer, others: list[Customer], chosen: dict[str, int]
) -> list[Row]:
    """Every field, with each customer's value as the viewer may see it; `chosen` overrides
    the default choice (the survivor's value, or the first non-empty)."""
    everyone = [survivor, *others]
    choices = {**default_choices(survivor=survivor, others=others), **chosen}
    labels = _labels()
    rows = [
        Row(group, labels[group], [Cell(c.pk, _text(c, group)) for c in everyone], choices[group])
        for group in FIELD_GROUPS
    ]
    primaries = {
        c.customer_id: c for c in Contact.objects.filter(customer__in=everyone, is_primary=True)
    }
    rows.append(
        Row(
            PRIMARY_CONTACT,
            _("Primary contact"),
            [Cell(c.pk, _contact_text(primaries.get(c.pk), viewer)) for c in everyone],
            choices[PRIMARY_CONTACT],
        )
    )
    definitions = {d.key: str(d) for d in custom_field_definitions(industry_id=None)}
    for key in sorted(
        k.removeprefix(CUSTOM_PREFIX) for k in choices if k.startswith(CUSTOM_PREFIX)
    ):
        cells = [Cell(c.pk, str((c.custom_fields or {}).get(key) or "")) for c in everyone]
        label = definitions.get(key, key)
        rows.append(Row(CUSTOM_PREFIX + key, label, cells, choices[CUSTOM_PREFIX + key]))
    return rows
