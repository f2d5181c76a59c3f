"""Status suggestions (seed 003): after a follow-up is saved, keyword rules propose changes;
a person confirms (the change goes through the customers' or deals' own services, so it is
audited and publishes its events) or dismisses them. Admins edit the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError
from guanxi.core.model_update import model_update
from guanxi.customers.models import Customer, Intent, Level
from guanxi.followups.models import FollowUp
from guanxi.followups.suggestions import deals_bridge
from guanxi.followups.suggestions.models import (
    KeywordRule,
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
)

RULE_FIELDS = ["name", "keywords", "close_within_days", "kind", "value", "is_active", "order"]


def expected_close_date(customer: Customer) -> dt.date | None:
    """The customer's own expected close date, else that of their open deal."""
    return customer.expected_close_date or deals_bridge.open_deal_close_date(customer.pk)


def _already(customer: Customer, kind: str, value: str) -> bool:
    """True when the suggestion would change nothing."""
    if kind == SuggestionKind.SET_INTENT:
        return customer.intent == value
    if kind == SuggestionKind.SET_LEVEL:
        return customer.level is not None and customer.level.code == value
    if kind == SuggestionKind.ADD_TAG:
        return customer.tags.filter(name=value).exists()
    return deals_bridge.open_deal_stage_code(customer.pk) in (None, value)


def _matched_keyword(rule: KeywordRule, text: str) -> str | None:
    for keyword in rule.keywords or []:
        keyword = str(keyword).strip()
        if keyword and keyword.casefold() in text:
            return keyword
    return None


def suggestions_for_followup(*, followup: FollowUp, now: dt.datetime | None = None) -> list:
    """Evaluate the active rules against a follow-up just saved (same transaction)."""
    now = now or clock.now()
    today = timezone.localdate(now)
    customer = followup.customer
    text = " ".join([followup.content, followup.feedback, followup.next_step]).casefold()
    close: dt.date | None = None
    close_known = False
    made = []
    for rule in KeywordRule.objects.filter(is_active=True).order_by("order", "id"):
        keyword = _matched_keyword(rule, text)
        if keyword is None:
            continue
        if rule.kind == SuggestionKind.DEAL_STAGE and not deals_bridge.available():
            continue
        reason = _("Mentions “%(keyword)s”") % {"keyword": keyword}
        if rule.close_within_days is not None:
            if not close_known:
                close, close_known = expected_close_date(customer), True
            if close is None or not today <= close <= today + dt.timedelta(
                days=rule.close_within_days
            ):
                continue
            reason += _("; expected close %(date)s") % {"date": close.isoformat()}
        if _already(customer, rule.kind, rule.value):
            continue
        try:
            with transaction.atomic():
                made.append(
                    Suggestion.objects.create(
                        customer=customer,
                        followup=followup,
                        rule=rule,
                        kind=rule.kind,
                        value=rule.value,
                        reason=reason[:300],
                        created_at=now,
                    )
                )
        except IntegrityError:  # two rules proposing the same change: one suggestion
            continue
    return made


def _apply(actor: User, suggestion: Suggestion, source: str) -> None:
    customer = Customer.objects.get(pk=suggestion.customer_id)
    kind, value = suggestion.kind, suggestion.value
    if kind == SuggestionKind.SET_INTENT:
        from guanxi.customers.services import customer_update

        customer_update(actor=actor, customer=customer, data={"intent": value}, source=source)
    elif kind == SuggestionKind.SET_LEVEL:
        from guanxi.customers.services import customer_update

        level = Level.objects.filter(code=value, is_active=True).first()
        if level is None:
            raise ApplicationError(_("The level %(code)s no longer exists.") % {"code": value})
        customer_update(actor=actor, customer=customer, data={"level": level}, source=source)
    elif kind == SuggestionKind.ADD_TAG:
        from guanxi.customers.services import customer_tags_add

        customer_tags_add(actor=actor, customer_ids=[customer.pk], names=[value], source=source)
    else:
        deals_bridge.move_open_deal(actor=actor, customer=customer, stage_code=value, source=source)


def _decide(*, actor: User, suggestion: Suggestion, status: str, source: str) -> Suggestion:
    with transaction.atomic():
        locked = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        if locked.status != SuggestionStatus.PENDING:
            raise ApplicationError(_("This suggestion has already been decided."))
        if status == SuggestionStatus.CONFIRMED:
            _apply(actor, locked, source)
        locked.status = status
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        activity_record(
            actor=actor,
            verb=Verb.UPDATED,
            target=locked,
            customer_id=locked.customer_id,
            changes={"status": [SuggestionStatus.PENDING, status]},
            source=source,
        )
    return locked


def suggestion_confirm(
    *, actor: User, suggestion: Suggestion, source: str = Source.UI
) -> Suggestion:
    """Apply the suggested change through the owning service, then mark it confirmed."""
    require_perm(
        actor,
        Perm.DEAL_EDIT if suggestion.kind == SuggestionKind.DEAL_STAGE else Perm.CUSTOMER_EDIT,
    )
    return _decide(
        actor=actor, suggestion=suggestion, status=SuggestionStatus.CONFIRMED, source=source
    )


def suggestion_dismiss(
    *, actor: User, suggestion: Suggestion, source: str = Source.UI
) -> Suggestion:
    require_perm(actor, Perm.FOLLOWUP_RECORD)
    return _decide(
        actor=actor, suggestion=suggestion, status=SuggestionStatus.DISMISSED, source=source
    )


# --- rules (admins) ----------------------------------------------------------------------


def _clean_rule(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    keywords = data.get("keywords") or []
    if isinstance(keywords, str):
        keywords = keywords.replace("，", ",").replace("\n", ",").split(",")
    data["keywords"] = list(dict.fromkeys(k.strip() for k in keywords if str(k).strip()))
    data["name"] = (data.get("name") or "").strip()
    data["value"] = (data.get("value") or "").strip()
    errors: dict[str, list[str]] = {}
    if not data["name"]:
        errors["name"] = [_("Give the rule a name.")]
    if not data["keywords"]:
        errors["keywords"] = [_("Give at least one keyword.")]
    kind, value = data.get("kind"), data["value"]
    if kind not in SuggestionKind.values:
        errors["kind"] = [_("Choose what the rule suggests.")]
    elif kind == SuggestionKind.SET_INTENT and value not in Intent.values:
        errors["value"] = [_("Give an intent: %(codes)s.") % {"codes": ", ".join(Intent.values)}]
    elif kind == SuggestionKind.SET_LEVEL and not Level.objects.filter(code=value).exists():
        errors["value"] = [_("No customer level has the code %(code)s.") % {"code": value}]
    elif kind == SuggestionKind.ADD_TAG and not 0 < len(value) <= 50:
        errors["value"] = [_("Give a tag name (at most 50 characters).")]
    elif kind == SuggestionKind.DEAL_STAGE and not deals_bridge.stage_exists(value):
        errors["value"] = [_("No deal stage has the code %(code)s.") % {"code": value}]
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    return data


def rule_save(
    *, actor: User, rule: KeywordRule | None, data: dict[str, Any], source: str = Source.UI
) -> KeywordRule:
    require_perm(actor, Perm.CONFIG_MANAGE)
    current = {n: getattr(rule, n) for n in RULE_FIELDS} if rule else {}
    data = _clean_rule({**current, **data})
    with transaction.atomic():
        instance = rule or KeywordRule()
        changes = model_update(instance=instance, fields=RULE_FIELDS, data=data)
        instance.save()
        activity_record(
            actor=actor,
            verb=Verb.UPDATED if rule else Verb.CREATED,
            target=instance,
            changes=changes,
            source=source,
        )
    return instance


def rule_delete(*, actor: User, rule: KeywordRule, source: str = Source.UI) -> None:
    require_perm(actor, Perm.CONFIG_MANAGE)
    with transaction.atomic():
        activity_record(
            actor=actor, verb=Verb.DELETED, target=rule, changes={"name": [rule.name, None]},
            source=source,
        )  # fmt: skip
        rule.delete()
