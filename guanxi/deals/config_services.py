"""Write path for the pipeline's stages (administrators): the columns of the deal board."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core.errors import ApplicationError, ConflictError
from guanxi.core.model_update import model_update
from guanxi.deals.models import DealStage, StageKind
from guanxi.deals.services import Errors, raise_if

# --- stages (configuration) ------------------------------------------------------------

STAGE_FIELDS = ["code", "name", "name_en", "order", "probability", "kind", "is_active"]


def _missing_kinds(*, replacing: DealStage | None, with_kind: str | None) -> set[str]:
    """Stage kinds no active stage would have if `replacing` became active with `with_kind`
    (None: inactive or gone)."""
    qs = DealStage.objects.filter(is_active=True)
    if replacing is not None and replacing.pk:
        qs = qs.exclude(pk=replacing.pk)
    kinds = set(qs.values_list("kind", flat=True).distinct())
    if with_kind:
        kinds.add(with_kind)
    return set(StageKind.values) - kinds


def _coverage_errors(stage: DealStage, *, with_kind: str | None) -> Errors:
    """An error when the change leaves the pipeline without an active open, won or lost
    stage it had before (a fresh, partial configuration is not made worse by adding)."""
    before = _missing_kinds(replacing=None, with_kind=None)
    after = _missing_kinds(replacing=stage, with_kind=with_kind)
    lost = after - before
    if not lost:
        return {}
    names = ", ".join(str(StageKind(k).label) for k in StageKind.values if k in lost)
    return {
        "is_active": [
            _("The pipeline needs at least one active stage of each kind (missing: %(kinds)s).")
            % {"kinds": names}
        ]
    }


def stage_save(
    *, actor: User, instance: DealStage | None, data: dict[str, Any], source: str = Source.UI
) -> DealStage:
    """Create or edit a pipeline stage (administrators). The code is fixed once created
    (rules and integrations name stages by it); the kind of a stage that holds deals is fixed
    (their won/lost dates would stop making sense); at least one active open, won and lost
    stage always remain."""
    require_perm(actor, Perm.CONFIG_MANAGE)
    data = {k: v for k, v in data.items() if k in STAGE_FIELDS}
    errors: Errors = {}
    if (instance is None or "name" in data) and not (data.get("name") or "").strip():
        errors["name"] = [_("Enter a name.")]
    if instance is None:
        if not (data.get("code") or "").strip():
            errors["code"] = [_("Enter a code.")]
    else:
        data.pop("code", None)
    probability = data.get("probability")
    if probability is not None and not 0 <= int(probability) <= 100:
        errors["probability"] = [_("Give a probability from 0 to 100.")]
    if data.get("kind") not in (None, *StageKind.values):
        errors["kind"] = [_("Choose open, won or lost.")]
    if (
        instance is not None
        and data.get("kind", instance.kind) != instance.kind
        and instance.deals.exists()
    ):
        errors["kind"] = [_("Deals are in this stage: its kind cannot change.")]
    raise_if(errors)
    stage = instance or DealStage()
    with transaction.atomic():
        creating = stage.pk is None
        changes = model_update(instance=stage, fields=STAGE_FIELDS, data=data)
        if not changes and not creating:
            return stage
        if not creating:
            raise_if(_coverage_errors(stage, with_kind=stage.kind if stage.is_active else None))
        try:
            with transaction.atomic():
                stage.save()
        except IntegrityError as exc:
            raise ConflictError(
                _("This code is already used."), errors={"code": [_("Already used.")]}
            ) from exc
        activity_record(
            actor=actor,
            verb=Verb.CREATED if creating else Verb.UPDATED,
            target=stage,
            changes=changes,
            source=source,
        )
    return stage


def stage_delete(*, actor: User, stage: DealStage, source: str = Source.UI) -> None:
    """Delete a stage no deal was ever in; a used one can only be deactivated."""
    require_perm(actor, Perm.CONFIG_MANAGE)
    if stage.deals.exists():
        raise ApplicationError(_("Deals are in this stage: deactivate it instead."))
    raise_if(_coverage_errors(stage, with_kind=None))
    with transaction.atomic():
        activity_record(
            actor=actor,
            verb=Verb.DELETED,
            target=stage,
            changes={"name": [stage.name, None]},
            source=source,
        )
        stage.delete()
