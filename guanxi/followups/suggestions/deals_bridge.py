"""What suggestions need of the deals app — a customer's open deal, its stage and expected
close date, moving it through the deals service — in one place, so follow-ups keep working
(without the deal-stage kind) on an installation without deals."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.utils.translation import gettext as _

from guanxi.core.errors import ApplicationError


def available() -> bool:
    return apps.is_installed("guanxi.deals")


def _open_deal(customer_id: int):
    if not available():
        return None
    from guanxi.deals.models import Deal, StageKind

    return (
        Deal.objects.filter(customer_id=customer_id, stage__kind=StageKind.OPEN)
        .select_related("stage")
        .order_by("-updated_at", "-id")
        .first()
    )


def open_deal_close_date(customer_id: int) -> dt.date | None:
    if not available():
        return None
    from guanxi.deals.models import Deal, StageKind

    return (
        Deal.objects.filter(
            customer_id=customer_id,
            stage__kind=StageKind.OPEN,
            expected_close_date__isnull=False,
        )
        .order_by("expected_close_date")
        .values_list("expected_close_date", flat=True)
        .first()
    )


def open_deal_stage_code(customer_id: int) -> str | None:
    deal = _open_deal(customer_id)
    return deal.stage.code if deal is not None else None


def stage_exists(code: str) -> bool:
    if not available():
        return False
    from guanxi.deals.models import DealStage

    return DealStage.objects.filter(code=code, is_active=True).exists()


def stage_label(code: str) -> str:
    if not available():
        return code
    from guanxi.deals.models import DealStage

    stage = DealStage.objects.filter(code=code).first()
    return str(stage) if stage else code


def move_open_deal(*, actor, customer, stage_code: str, source: str) -> None:
    """Move the customer's open deal (the most recently changed) to a stage."""
    from guanxi.deals.models import DealStage
    from guanxi.deals.services import deal_move

    deal = _open_deal(customer.pk)
    if deal is None:
        raise ApplicationError(_("%(customer)s has no open deal.") % {"customer": customer.name})
    stage = DealStage.objects.filter(code=stage_code, is_active=True).first()
    if stage is None:
        raise ApplicationError(
            _("The deal stage %(code)s no longer exists.") % {"code": stage_code}
        )
    deal_move(actor=actor, deal=deal, stage=stage, source=source)
