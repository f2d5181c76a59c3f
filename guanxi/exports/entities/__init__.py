"""The exportable entities by name: customers, contacts, follow-ups, tasks, deals, orders."""

from guanxi.exports.entities.base import Column, Context, ExportEntity, describe_form
from guanxi.exports.entities.customers import ContactsExport, CustomersExport
from guanxi.exports.entities.deals import DealsExport, OrdersExport
from guanxi.exports.entities.followups import FollowUpsExport, TaskFilterForm, TasksExport

ENTITIES: dict[str, ExportEntity] = {
    e.name: e
    for e in (
        CustomersExport(), ContactsExport(), FollowUpsExport(), TasksExport(), DealsExport(),
        OrdersExport(),
    )
}  # fmt: skip

__all__ = ["ENTITIES", "Column", "Context", "ExportEntity", "TaskFilterForm", "describe_form"]
