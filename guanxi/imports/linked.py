"""Rows that attach to an existing customer: extra contacts and follow-up history.

They are rarer and smaller than customer imports, so each row goes through the owning
app's single-record service (contact_create, followup_record) — inside the job's batch
transaction, so a batch still commits or rolls back whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import visible_to
from guanxi.activity.models import Source
from guanxi.core.errors import ApplicationError
from guanxi.customers.models import Contact, Customer
from guanxi.customers.services import contact_create
from guanxi.followups.models import Channel, FollowUp
from guanxi.followups.services import followup_record
from guanxi.imports.dedup import CREATE, SKIP, Decision
from guanxi.imports.models import (
    Action,
    Entity,
    ImportJob,
    ImportProblem,
    ImportRecord,
    Mode,
    ProblemKind,
)
from guanxi.imports.rows import CleanRow, join_reasons

if TYPE_CHECKING:
    from guanxi.imports.running import Tally

NOT_FOUND = -1  # Decision.customer_id of a row whose customer is unknown: counted invalid


def _customers(actor: User, rows: list[CleanRow]) -> dict[tuple[str, str], int | None]:
    """(kind, value) → visible customer id; None when a name is shared by several."""
    scope = visible_to(actor, Customer.objects.all())
    codes = {r.values["customer_code"] for r in rows if r.values.get("customer_code")}
    names = {r.values["customer_name"] for r in rows if r.values.get("customer_name")}
    phones = {r.values["phone"] for r in rows if r.values.get("phone")}
    found: dict[tuple[str, str], int | None] = {}
    for code, pk in scope.filter(code__in=list(codes)).values_list("code", "pk"):
        found[("code", code)] = pk
    for name, pk in scope.filter(name__in=list(names)).values_list("name", "pk"):
        found[("name", name)] = None if ("name", name) in found else pk
    if phones:
        contacts = visible_to(actor, Contact.objects.filter(phone__in=list(phones)))
        for phone, pk in contacts.exclude(phone="").values_list("phone", "customer_id"):
            found.setdefault(("phone", phone), pk)
    return found


def _customer_of(row: CleanRow, found, *, by_phone: bool) -> tuple[int | None, str]:
    v = row.values
    if v.get("customer_code"):
        pk = found.get(("code", v["customer_code"]))
        return (
            (pk, "")
            if pk
            else (None, _("No customer with code %(code)s.") % {"code": v["customer_code"]})
        )
    if v.get("customer_name"):
        key = ("name", v["customer_name"])
        if key in found and found[key] is None:
            return None, _("Several customers are named “%(name)s”: add the customer code.") % {
                "name": v["customer_name"]
            }
        if found.get(key):
            return found[key], ""
    if by_phone and v.get("phone") and found.get(("phone", v["phone"])):
        return found[("phone", v["phone"])], ""
    return None, _("Customer not found.")


def classify(*, job: ImportJob, actor: User, rows: list[CleanRow], tally: Tally) -> list[Decision]:
    found = _customers(actor, rows)
    decisions: list[Decision] = []
    for row in rows:
        customer_id, reason = _customer_of(row, found, by_phone=job.entity == Entity.FOLLOWUPS)
        if customer_id is None:
            decisions.append(Decision(row, SKIP, NOT_FOUND, reason))
            continue
        row.values["customer_id"] = customer_id
        decisions.append(_duplicate(job, row, customer_id) or Decision(row, CREATE, customer_id))
    return decisions


def _duplicate(job: ImportJob, row: CleanRow, customer_id: int) -> Decision | None:
    v = row.values
    if job.entity == Entity.FOLLOWUPS:
        # The same record imported twice: same customer, time and content.
        if FollowUp.objects.filter(
            customer_id=customer_id, occurred_at=v["occurred_at"], content=v["content"]
        ).exists():
            return Decision(row, SKIP, customer_id, _("This follow-up was already recorded."))
        return None
    if job.mode == Mode.CREATE:
        return None
    contacts = Contact.objects.filter(customer_id=customer_id)
    for key in ("phone", "email"):
        if v.get(key) and contacts.filter(**{key: v[key]}).exists():
            return Decision(row, SKIP, customer_id, _("The customer already has this contact."))
    return None


def apply(*, job: ImportJob, decisions: list[Decision], tally: Tally) -> None:
    customers = Customer.objects.in_bulk([d.customer_id for d in decisions if d.action == CREATE])
    for d in decisions:
        if d.action != CREATE:
            continue
        try:
            with transaction.atomic():  # a savepoint: a refused row leaves the batch intact
                record = _write(job, d.row, customers[d.customer_id])
        except ApplicationError as exc:
            reasons = [m for messages in exc.errors.values() for m in messages] or [exc.message]
            tally.invalid += 1
            tally.problems.append(
                ImportProblem(
                    job=job,
                    row=d.row.number,
                    kind=ProblemKind.INVALID,
                    reason=join_reasons(reasons),
                )
            )
            continue
        tally.records.append(record)
        tally.created += 1


def _write(job: ImportJob, row: CleanRow, customer: Customer) -> ImportRecord:
    v, actor = row.values, job.created_by
    record = ImportRecord(job=job, row=row.number, action=Action.CREATED, customer_id=customer.pk)
    if job.entity == Entity.CONTACTS:
        data = {
            "name": v.get("contact_name", ""),
            "title": v.get("contact_title", ""),
            "phone": v.get("phone", ""),
            "email": v.get("email", ""),
            "wechat": v.get("wechat", ""),
            "decision_role": v.get("decision_role", ""),
            "birthday": v.get("birthday"),
            "remarks": v.get("remarks", ""),
        }
        contact = contact_create(actor=actor, customer=customer, data=data, source=Source.IMPORT)
        record.contact_id = contact.pk
        return record
    followup = followup_record(
        actor=actor,
        customer=customer,
        content=v["content"],
        channel=v.get("channel") or Channel.PHONE,
        occurred_at=v["occurred_at"],
        feedback=v.get("feedback", ""),
        next_step=v.get("next_step", ""),
        source=Source.IMPORT,
    )
    record.followup_id = followup.pk
    return record
