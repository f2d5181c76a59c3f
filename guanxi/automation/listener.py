"""The engine hearing domain events (after commit): enroll customers in event-triggered
rules, and end the journeys an event answers ("no reply within N hours" rules)."""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext as _

from guanxi.automation.models import (
    AutomationSettings,
    Enrollment,
    EnrollmentStatus,
    Execution,
    ExecutionStatus,
    Rule,
    RuleStatus,
    RuleVersion,
    TriggerKind,
)
from guanxi.core import clock
from guanxi.core.events import Event

log = logging.getLogger(__name__)


# The event names some rule listens for: triggers of active rules, and the "unless" and exit
# events of every version a journey may still follow. Most events (an order synced from an
# ERP, a tag added by an import) start nothing and end nothing; knowing that without a query
# keeps a bulk write of 1,000 orders from paying three queries per order. Rule writes in this
# process forget it at once; other processes see a change within INTEREST_SECONDS.
INTEREST_SECONDS = 10.0
_interest: tuple[float, frozenset[str]] | None = None


def forget_interest() -> None:
    global _interest
    _interest = None


def _listened(name: str) -> bool:
    global _interest
    if _interest is None or time.monotonic() - _interest[0] > INTEREST_SECONDS:
        _interest = (time.monotonic(), _interest_now())
    return name in _interest[1]


def _interest_now() -> frozenset[str]:
    names = set(
        Rule.objects.filter(
            status=RuleStatus.ACTIVE, trigger_kind__in=[TriggerKind.EVENT, TriggerKind.NO_ACTION]
        ).values_list("trigger_event", flat=True)
    )
    running = Enrollment.objects.filter(rule=OuterRef("rule"), status=EnrollmentStatus.ACTIVE)
    versions = RuleVersion.objects.filter(
        Exists(running) | Q(rule__status=RuleStatus.ACTIVE, rule__current_version=F("pk"))
    ).values_list("definition", flat=True)
    for definition in versions:
        names.update((definition.get("enrollment") or {}).get("exit_events") or [])
        names.update(definition["trigger"].get("unless_events") or [])
    return frozenset(names)


def on_event(event: Event) -> None:
    if event.customer_id is None:
        return
    try:
        if not _listened(event.name):
            return
    except Exception:
        log.exception("automation could not read which events its rules listen for")
    try:
        handle(event)
    except Exception:  # the write that published it has committed; never break it
        log.exception("automation could not handle %s", event.name)


def _max_depth() -> int:
    row = AutomationSettings.objects.filter(pk=1).values_list("max_depth", flat=True).first()
    return row if row is not None else 3


def handle(event: Event) -> int:
    """Returns how many journeys the event started."""
    from guanxi.automation.conditions.tree import matching
    from guanxi.automation.definition import effective_conditions
    from guanxi.automation.enrollment import enroll_one

    _answer(event)
    if event.depth >= _max_depth():
        log.info("automation: %s at depth %s not followed (limit)", event.name, event.depth)
        return 0
    rules = Rule.objects.filter(
        status=RuleStatus.ACTIVE,
        trigger_event=event.name,
        trigger_kind__in=[TriggerKind.EVENT, TriggerKind.NO_ACTION],
    ).select_related("current_version")
    started = 0
    now = clock.now()
    for rule in rules:
        definition = rule.current_version.definition
        if not _trigger_fits(definition["trigger"], event):
            continue
        tree = effective_conditions(definition)
        if not matching(tree, now=now).filter(pk=event.customer_id).exists():
            continue
        enrollment = enroll_one(
            rule=rule,
            customer_id=event.customer_id,
            depth=event.depth,
            reason=str(_("Event: %(event)s") % {"event": event.name}),
            now=now,
        )
        started += enrollment is not None
    if started:
        from guanxi.automation.tasks import wake_engine

        wake_engine()
    return started


def _trigger_fits(trigger: dict, event: Event) -> bool:
    fields = trigger.get("fields")
    if fields and not set(fields) & set(event.payload.get("changed") or []):
        return False
    tag = trigger.get("tag")
    return not (tag and event.payload.get("tag") != tag)


def _answer(event: Event) -> None:
    """End journeys this event answers: a "nothing within N hours" trigger's wait, and any
    journey whose rule lists the event among its exit events."""
    active = Enrollment.objects.filter(
        customer_id=event.customer_id, status=EnrollmentStatus.ACTIVE
    ).select_related("version")
    now = clock.now()
    for enrollment in active:
        definition = enrollment.version.definition
        trigger = definition["trigger"]
        exits = set((definition.get("enrollment") or {}).get("exit_events") or [])
        waiting_trigger = trigger["kind"] == TriggerKind.NO_ACTION and event.name in set(
            trigger.get("unless_events") or []
        )
        if waiting_trigger:
            waiting_trigger = Execution.objects.filter(
                enrollment=enrollment, step_id="trigger", status=ExecutionStatus.PENDING
            ).exists()
        if not waiting_trigger and event.name not in exits:
            continue
        reason = _("Ended by the event “%(event)s”.") % {"event": event.name}
        with transaction.atomic():
            Enrollment.objects.filter(pk=enrollment.pk, status=EnrollmentStatus.ACTIVE).update(
                status=EnrollmentStatus.EXITED, finished_at=now, reason=reason[:300]
            )
            Execution.objects.filter(
                enrollment=enrollment, status=ExecutionStatus.PENDING
            ).update(status=ExecutionStatus.SKIPPED, reason=reason, finished_at=now,
                     next_run_at=None, lease_until=None)  # fmt: skip
