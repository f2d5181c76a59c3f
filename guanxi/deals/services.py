"""The write path for deals and pipeline stages.

Every caller — the board, the deal pages, the API — comes through here, so the permission
(deal.edit plus the customer in the caller's scope), the stage rules (a lost deal needs a
reason; the probability follows the stage unless given), the audit row on the customer's
timeline and the `deal.stage_changed` event always apply.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, has_perm, require_perm, visible_to
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, NotFoundError
from guanxi.core.events import Event, publish
from guanxi.core.model_update import model_update
from guanxi.customers.models import Customer, CustomFieldDefinition, FieldType
from guanxi.customers.selectors import owner_choices
from guanxi.customers.services import customer_update
from guanxi.deals.models import Deal, DealStage, StageKind

Errors = dict[str, list[str]]
# What a deal form or the API may set besides the stage.
DEAL_FIELDS = [
    "title", "amount", "probability", "expected_close_date", "owner", "next_step",
    "next_step_date", "notes",
]  # fmt: skip
MAX_AMOUNT = Decimal("999999999999.99")  # max_digits=14, decimal_places=2
# The customer's 合作阶段 (seed 004's column): a custom field deals/0003 defines, so the
# profile, imports, exports and automation conditions all know it; a won deal sets WON.
COOPERATION_FIELD = "cooperation_stage"
COOPERATION_WON = "已成交"


def raise_if(errors: Errors) -> None:
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)


def _ensure_customer_visible(actor: User | None, customer_id: int) -> None:
    if actor is None:  # system and automation act on any customer
        return
    if not visible_to(actor, Customer.objects.filter(pk=customer_id)).exists():
        raise NotFoundError(_("Customer not found."))


def clean_amount(value: Any, errors: Errors, key: str = "amount") -> Decimal | None:
    """A non-negative amount with at most 2 decimals and 12 digits before the point."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors.setdefault(key, []).append(_("Enter the amount as a number."))
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.setdefault(key, []).append(_("Enter the amount as a number."))
        return None
    if not amount.is_finite():
        errors.setdefault(key, []).append(_("Enter the amount as a number."))
    elif amount < 0:
        errors.setdefault(key, []).append(_("The amount cannot be negative."))
    elif amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        errors.setdefault(key, []).append(_("Use at most 2 decimal places."))
    elif amount > MAX_AMOUNT:
        errors.setdefault(key, []).append(_("The amount is too large."))
    else:
        return amount.quantize(Decimal("0.01"))
    return None


def _clean(data: dict[str, Any], *, actor: User | None, current: Deal | None) -> Errors:
    """Domain rules on typed values (forms and serializers parsed them); normalises `data`."""
    errors: Errors = {}
    if "title" in data or current is None:
        data["title"] = (data.get("title") or "").strip()
        if not data["title"]:
            errors["title"] = [_("Enter a title.")]
    if "amount" in data:
        data["amount"] = clean_amount(data["amount"], errors)
        if data["amount"] is None and "amount" not in errors:
            data["amount"] = Decimal("0.00")
    if data.get("probability") is not None and not 0 <= int(data["probability"]) <= 100:
        errors["probability"] = [_("Give a probability from 0 to 100.")]
    for key in ("next_step", "notes"):
        if key in data:
            data[key] = (data[key] or "").strip()
    owner = data.get("owner")
    owner_changes = owner is not None and (current is None or owner.pk != current.owner_id)
    if (
        actor is not None
        and owner_changes
        and owner.pk != actor.pk
        and not owner_choices(user=actor).filter(pk=owner.pk).exists()
    ):
        errors["owner"] = [_("You cannot give deals to this person.")]
    return errors


def _stage_errors(stage: DealStage, reason: str, *, moving: bool) -> Errors:
    errors: Errors = {}
    if moving and not stage.is_active:
        errors["stage"] = [_("This stage is no longer in use.")]
    if stage.kind == StageKind.LOST and not reason.strip():
        errors["close_reason"] = [_("Say why the deal was lost.")]
    return errors


def _enter_stage(
    deal: Deal, stage: DealStage, *, reason: str, closed_on: dt.date | None, probability=None
) -> None:
    """Put the deal in `stage`: its default probability unless one is given, the closing
    date and reason for won/lost (cleared again when a closed deal is reopened)."""
    deal.stage = stage
    deal.probability = stage.probability if probability is None else probability
    deal.stage_changed_at = clock.now()
    if stage.is_closed:
        deal.closed_on = closed_on or clock.today()
        deal.close_reason = reason.strip()[:500]
    else:
        deal.closed_on = None
        deal.close_reason = ""


def _stage_changed(
    *,
    actor: User | None,
    deal: Deal,
    before: DealStage | None,
    source: str,
) -> None:
    """What every stage change does after the deal is saved: the event for automation
    (after commit) and, for a won deal, the customer's cooperation stage 已成交."""
    stage = deal.stage
    publish(
        Event(
            name="deal.stage_changed",
            customer_id=deal.customer_id,
            actor_id=getattr(actor, "pk", None),
            source=source,
            payload={
                "deal_id": deal.pk,
                "from_stage": before.pk if before else None,
                "from_stage_code": before.code if before else None,
                "to_stage": stage.pk,
                "to_stage_code": stage.code,
                "won": stage.kind == StageKind.WON,
                "lost": stage.kind == StageKind.LOST,
                "amount": str(deal.amount),
            },
        )
    )
    if stage.kind == StageKind.WON:
        _mark_customer_won(actor=actor, customer=deal.customer, source=source)


def _mark_customer_won(*, actor: User | None, customer: Customer, source: str) -> None:
    """合作阶段 → 已成交, through the customers service (audited, `customer.updated`). The
    person who won the deal is named when they may edit customers; otherwise the system is.
    Skipped when an administrator removed the field or its 已成交 choice."""
    definition = CustomFieldDefinition.objects.filter(
        key=COOPERATION_FIELD, industry__isnull=True
    ).first()
    if definition is None or (
        definition.field_type == FieldType.CHOICE and COOPERATION_WON not in definition.choices
    ):
        return
    if (customer.custom_fields or {}).get(COOPERATION_FIELD) == COOPERATION_WON:
        return
    customer_update(
        actor=actor if has_perm(actor, Perm.CUSTOMER_EDIT) else None,
        customer=customer,
        data={"custom_fields": {COOPERATION_FIELD: COOPERATION_WON}},
        source=source,
    )


def default_stage() -> DealStage:
    stage = (
        DealStage.objects.filter(is_active=True, kind=StageKind.OPEN)
        .order_by("order", "id")
        .first()
    )
    if stage is None:
        raise ApplicationError(_("No open pipeline stage is configured."))
    return stage


# --- deals -----------------------------------------------------------------------------


def deal_create(
    *, actor: User | None, customer: Customer, data: dict[str, Any], source: str = Source.UI
) -> Deal:
    """A new deal for a customer. `data`: title, amount, stage (default: the first open
    stage), probability (default: the stage's), expected_close_date, owner (default: the
    actor), next_step, next_step_date, notes; close_reason / closed_on for a closed stage."""
    if actor is not None:
        require_perm(actor, Perm.DEAL_EDIT)
    _ensure_customer_visible(actor, customer.pk)
    data = dict(data)
    stage = data.pop("stage", None) or default_stage()
    reason = data.pop("close_reason", "") or ""
    closed_on = data.pop("closed_on", None)
    data.setdefault("owner", actor if getattr(actor, "pk", None) else customer.owner)
    errors = _clean(data, actor=actor, current=None)
    errors.update(_stage_errors(stage, reason, moving=True))
    raise_if(errors)
    with transaction.atomic():
        deal = Deal(customer=customer, created_by=actor if getattr(actor, "pk", None) else None)
        for name in DEAL_FIELDS:
            if data.get(name) is not None:
                setattr(deal, name, data[name])
        _enter_stage(
            deal, stage, reason=reason, closed_on=closed_on, probability=data.get("probability")
        )
        deal.save()
        activity_record(
            actor=actor,
            verb=Verb.CREATED,
            target=deal,
            customer_id=customer.pk,
            source=source,
            changes={
                "stage": [None, stage.pk],
                **{
                    k: [None, getattr(deal, Deal._meta.get_field(k).attname)]
                    for k in DEAL_FIELDS
                    if getattr(deal, Deal._meta.get_field(k).attname) not in (None, "")
                },
                **({"close_reason": [None, deal.close_reason]} if deal.close_reason else {}),
            },
        )
        _stage_changed(actor=actor, deal=deal, before=None, source=source)
    return deal


def _lock(deal: Deal) -> None:
    """Re-read the deal under a row lock, so two moves at once do not both see the old stage."""
    if not list(Deal.objects.select_for_update().filter(pk=deal.pk).values_list("pk")):
        raise NotFoundError(_("Deal not found."))
    deal.refresh_from_db()


def deal_update(
    *, actor: User | None, deal: Deal, data: dict[str, Any], source: str = Source.UI
) -> Deal:
    """Change a deal's fields, and its stage when `data` names another one (as deal_move).
    A stage change resets the probability to the new stage's unless `data` gives a
    different probability than the deal had."""
    if actor is not None:
        require_perm(actor, Perm.DEAL_EDIT)
    _ensure_customer_visible(actor, deal.customer_id)
    data = dict(data)
    stage = data.pop("stage", None)
    reason = data.pop("close_reason", None)
    closed_on = data.pop("closed_on", None)
    with transaction.atomic():
        _lock(deal)
        errors = _clean(data, actor=actor, current=deal)
        before = deal.stage
        moving = stage is not None and stage.pk != deal.stage_id
        if moving:
            errors.update(_stage_errors(stage, reason or "", moving=True))
        raise_if(errors)
        old = {
            f: getattr(deal, Deal._meta.get_field(f).attname)
            for f in ("stage", "probability", "closed_on", "close_reason")
        }
        if moving:
            given = data.pop("probability", None)
            _enter_stage(
                deal,
                stage,
                reason=reason or "",
                closed_on=closed_on,
                probability=None if given in (None, old["probability"]) else given,
            )
        elif deal.stage.is_closed:
            # Editing a closed deal may correct its reason and date, not reopen it.
            if reason is not None:
                if deal.stage.kind == StageKind.LOST and not reason.strip():
                    raise_if({"close_reason": [_("Say why the deal was lost.")]})
                deal.close_reason = reason.strip()[:500]
            if closed_on is not None:
                deal.closed_on = closed_on
        changes = model_update(instance=deal, fields=DEAL_FIELDS, data=data)
        for name, was in old.items():
            now = getattr(deal, Deal._meta.get_field(name).attname)
            if now != was:
                changes[name] = [was, now]
        if not changes:
            return deal
        deal.save()
        activity_record(
            actor=actor,
            verb=Verb.UPDATED,
            target=deal,
            customer_id=deal.customer_id,
            changes=changes,
            source=source,
        )
        if moving:
            _stage_changed(actor=actor, deal=deal, before=before, source=source)
    return deal


def deal_move(
    *,
    actor: User | None,
    deal: Deal,
    stage: DealStage,
    reason: str = "",
    closed_on: dt.date | None = None,
    source: str = Source.UI,
) -> Deal:
    """Move a deal to another stage (the board's drag and drop, its keyboard buttons, the
    API's /move/). Moving to a lost stage needs a reason."""
    return deal_update(
        actor=actor,
        deal=deal,
        data={"stage": stage, "close_reason": reason, "closed_on": closed_on},
        source=source,
    )


def deal_delete(*, actor: User | None, deal: Deal, source: str = Source.UI) -> None:
    if actor is not None:
        require_perm(actor, Perm.DEAL_EDIT)
    _ensure_customer_visible(actor, deal.customer_id)
    with transaction.atomic():
        activity_record(
            actor=actor,
            verb=Verb.DELETED,
            target=deal,
            customer_id=deal.customer_id,
            changes={"title": [deal.title, None], "amount": [deal.amount, None]},
            source=source,
        )
        deal.delete()
