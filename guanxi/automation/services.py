"""The write path for rules and their runs: create, change (a new version), activate, pause,
enroll by hand, retry and skip steps. Every change is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm, visible_to
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.automation.definition import DefinitionError, next_runs, validate_definition
from guanxi.automation.enrollment import enroll_set
from guanxi.automation.listener import forget_interest
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
from guanxi.core.errors import ApplicationError
from guanxi.customers.models import Customer


def _invalid(exc: DefinitionError) -> ApplicationError:
    return ApplicationError(_("The rule has errors; nothing was saved."), errors=exc.errors)


def _denormalise(rule: Rule, definition: dict) -> None:
    trigger = definition["trigger"]
    rule.trigger_kind = trigger["kind"]
    rule.trigger_event = trigger.get("event", "")


def rule_create(
    *,
    actor: User | None,
    name: str,
    definition: dict,
    description: str = "",
    template_key: str = "",
    is_system: bool = False,
    source: str = Source.UI,
) -> Rule:
    if actor is not None:
        require_perm(actor, Perm.AUTOMATION_MANAGE)
    name = (name or "").strip()
    if not name:
        raise ApplicationError(
            _("Please correct the errors below."), errors={"name": [_("Give the rule a name.")]}
        )
    try:
        clean = validate_definition(definition)
    except DefinitionError as exc:
        raise _invalid(exc) from exc
    with transaction.atomic():
        forget_interest()  # the listener's cache of events rules listen for
        rule = Rule(
            name=name[:200],
            description=description,
            owner=actor,
            template_key=template_key,
            is_system=is_system,
        )
        _denormalise(rule, clean)
        rule.save()
        version = RuleVersion.objects.create(
            rule=rule, number=1, definition=clean, created_by=actor
        )
        rule.current_version = version
        rule.save(update_fields=["current_version"])
        activity_record(
            actor=actor, verb=Verb.CREATED, target=rule, source=source,
            changes={"name": [None, rule.name], "version": [None, 1]},
        )  # fmt: skip
    return rule


def rule_update(
    *,
    actor: User | None,
    rule: Rule,
    name: str | None = None,
    description: str | None = None,
    definition: dict | None = None,
    source: str = Source.UI,
) -> Rule:
    """Change a rule. A changed definition is a new version; running journeys keep theirs."""
    if actor is not None:
        require_perm(actor, Perm.AUTOMATION_MANAGE)
    changes: dict[str, list[Any]] = {}
    clean = None
    if definition is not None:
        try:
            clean = validate_definition(definition)
        except DefinitionError as exc:
            raise _invalid(exc) from exc
    with transaction.atomic():
        forget_interest()  # the listener's cache of events rules listen for
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        if name is not None and name.strip() and name.strip() != rule.name:
            changes["name"] = [rule.name, name.strip()[:200]]
            rule.name = name.strip()[:200]
        if description is not None and description != rule.description:
            changes["description"] = [rule.description, description]
            rule.description = description
        if clean is not None and clean != rule.current_version.definition:
            number = rule.current_version.number + 1
            version = RuleVersion.objects.create(
                rule=rule, number=number, definition=clean, created_by=actor
            )
            changes["version"] = [rule.current_version.number, number]
            rule.current_version = version
            _denormalise(rule, clean)
            if rule.status == RuleStatus.ACTIVE:
                rule.next_run_at = _first_run(rule, clean, clock.now())
        if not changes:
            return rule
        rule.save()
        activity_record(actor=actor, verb=Verb.UPDATED, target=rule, changes=changes, source=source)
    return rule


def _first_run(rule: Rule, definition: dict, now: dt.datetime) -> dt.datetime | None:
    kind = definition["trigger"]["kind"]
    if kind in (TriggerKind.SCHEDULE, TriggerKind.ANNIVERSARY):
        return next_runs(definition["trigger"], after=now)[0]
    if kind == TriggerKind.CONDITION:
        return now
    return None


def rule_activate(*, actor: User | None, rule: Rule, source: str = Source.UI) -> Rule:
    if actor is not None:
        require_perm(actor, Perm.AUTOMATION_MANAGE)
    with transaction.atomic():
        forget_interest()  # the listener's cache of events rules listen for
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        if rule.status == RuleStatus.ACTIVE:
            return rule
        before = rule.status
        rule.status = RuleStatus.ACTIVE
        rule.paused_reason = ""
        rule.next_run_at = _first_run(rule, rule.current_version.definition, clock.now())
        rule.save(update_fields=["status", "paused_reason", "next_run_at", "updated_at"])
        activity_record(actor=actor, verb=Verb.UPDATED, target=rule, source=source,
                        changes={"status": [before, rule.status]})  # fmt: skip
    return rule


def rule_pause(
    *, actor: User | None, rule: Rule, reason: str = "", source: str = Source.UI
) -> Rule:
    if actor is not None:
        require_perm(actor, Perm.AUTOMATION_MANAGE)
    with transaction.atomic():
        forget_interest()  # the listener's cache of events rules listen for
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        if rule.status != RuleStatus.ACTIVE:
            return rule
        rule.status = RuleStatus.PAUSED
        rule.paused_reason = reason
        rule.save(update_fields=["status", "paused_reason", "updated_at"])
        activity_record(actor=actor, verb=Verb.UPDATED, target=rule, source=source,
                        changes={"status": [RuleStatus.ACTIVE, RuleStatus.PAUSED]},
                        summary=reason)  # fmt: skip
    return rule


def rule_delete(*, actor: User, rule: Rule, source: str = Source.UI) -> None:
    require_perm(actor, Perm.AUTOMATION_MANAGE)
    if rule.status == RuleStatus.ACTIVE:
        raise ApplicationError(_("Pause the rule before deleting it."))
    with transaction.atomic():
        forget_interest()  # the listener's cache of events rules listen for
        activity_record(actor=actor, verb=Verb.DELETED, target=rule, source=source,
                        changes={"name": [rule.name, None]})  # fmt: skip
        # Versions are PROTECTed by the rule's current_version and by enrollments: those go
        # first (an enrollment takes its executions along), then the rule with its versions.
        Enrollment.objects.filter(rule=rule).delete()
        Rule.objects.filter(pk=rule.pk).update(current_version=None)
        rule.delete()


def rule_enroll(
    *, actor: User, rule: Rule, customer_ids: Iterable[int], source: str = Source.UI
) -> int:
    """Enroll chosen customers by hand (those in the actor's scope that the rule's
    conditions and enrollment policy accept). Returns how many journeys started."""
    require_perm(actor, Perm.AUTOMATION_MANAGE)
    if rule.status != RuleStatus.ACTIVE:
        raise ApplicationError(_("Activate the rule before enrolling customers."))
    from guanxi.automation.conditions.tree import matching
    from guanxi.automation.definition import effective_conditions

    ids = [int(i) for i in customer_ids]
    customers = matching(
        effective_conditions(rule.current_version.definition),
        base=visible_to(actor, Customer.objects.filter(pk__in=ids)),
    )
    with transaction.atomic():
        created = enroll_set(rule=rule, customers=customers, reason="manual")
        activity_record(actor=actor, verb=Verb.UPDATED, target=rule, source=source,
                        summary=_("Enrolled %(n)d customers by hand.") % {"n": created})  # fmt: skip
    if created:
        from guanxi.automation.tasks import wake_engine

        wake_engine()
    return created


def executions_retry(
    *, actor: User, executions: Iterable[Execution], source: str = Source.UI
) -> int:
    """Failed steps run again now (the journey continues from them)."""
    require_perm(actor, Perm.AUTOMATION_MANAGE)
    ids = [e.pk for e in executions if e.status == ExecutionStatus.FAILED]
    now = clock.now()
    with transaction.atomic():
        count = Execution.objects.filter(pk__in=ids, status=ExecutionStatus.FAILED).update(
            status=ExecutionStatus.PENDING, next_run_at=now, lease_until=None, finished_at=None,
            attempts=0,
        )  # fmt: skip
        if count:
            activity_record(actor=actor, verb=Verb.UPDATED, target_type="automation.execution",
                            source=source, changes={"retried": [None, ids[:100]]},
                            summary=_("Retried %(n)d failed steps.") % {"n": count})  # fmt: skip
    if count:
        from guanxi.automation.tasks import wake_engine

        wake_engine()
    return count


def executions_skip(
    *, actor: User, executions: Iterable[Execution], source: str = Source.UI
) -> int:
    """Failed (or pending) steps are skipped; each journey goes on with its next step."""
    from guanxi.automation.executor import advance_after_skip

    require_perm(actor, Perm.AUTOMATION_MANAGE)
    now = clock.now()
    skipped = 0
    with transaction.atomic():
        rows = (
            Execution.objects.filter(
                pk__in=[e.pk for e in executions],
                status__in=[ExecutionStatus.FAILED, ExecutionStatus.PENDING],
            )
            .select_related("enrollment__version")
            .select_for_update()
        )
        for execution in rows:
            execution.status = ExecutionStatus.SKIPPED
            execution.reason = _("Skipped by %(user)s.") % {"user": actor.get_username()}
            execution.finished_at = now
            execution.next_run_at = None
            execution.lease_until = None
            execution.save(update_fields=["status", "reason", "finished_at", "next_run_at",
                                          "lease_until"])  # fmt: skip
            if execution.enrollment.status == EnrollmentStatus.ACTIVE:
                advance_after_skip(execution=execution, now=now)
            skipped += 1
        if skipped:
            activity_record(actor=actor, verb=Verb.UPDATED, target_type="automation.execution",
                            source=source,
                            summary=_("Skipped %(n)d steps.") % {"n": skipped})  # fmt: skip
    if skipped:
        from guanxi.automation.tasks import wake_engine

        wake_engine()
    return skipped


def current_settings() -> AutomationSettings:
    row, _created = AutomationSettings.objects.get_or_create(pk=1)
    return row


SETTINGS_FIELDS = [
    "failure_pause_ratio", "failure_pause_minimum", "max_depth", "webhook_allow_private",
    "low_response_ratio",
]  # fmt: skip


def automation_settings_update(*, actor: User, data: dict[str, Any]) -> AutomationSettings:
    """Save the engine-wide settings row (pk=1); audited with the changed fields."""
    from guanxi.core.model_update import model_update

    require_perm(actor, Perm.AUTOMATION_MANAGE)
    errors: dict[str, list[str]] = {}
    for name, low, high in (
        ("failure_pause_ratio", 1, 100),
        ("failure_pause_minimum", 1, 100_000),
        ("max_depth", 1, 10),
        ("low_response_ratio", 0, 100),
    ):
        if name in data and not low <= int(data[name]) <= high:
            errors[name] = [
                _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}
            ]
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    with transaction.atomic():
        row = AutomationSettings.objects.select_for_update().get(pk=current_settings().pk)
        changes = model_update(instance=row, fields=SETTINGS_FIELDS, data=data)
        if changes:
            row.save(update_fields=list(changes))
            activity_record(actor=actor, verb=Verb.UPDATED, target=row, changes=changes)
    return row


FAILURE_WINDOW = 200  # the latest finished steps a rule's failure ratio is taken over


def rules_pause_failing(*, rule_ids: Iterable[int], now: dt.datetime) -> list[int]:
    """Pause rules whose failure ratio over their latest steps passed the threshold, and
    tell their owners why."""
    from guanxi.messaging.services import notification_create

    settings_row = current_settings()
    finished = [ExecutionStatus.DONE, ExecutionStatus.FAILED, ExecutionStatus.SKIPPED]
    paused = []
    for rule in Rule.objects.filter(pk__in=list(rule_ids), status=RuleStatus.ACTIVE):
        # The latest steps, not the whole history: a rule that ran well for months and now
        # fails at every step should pause within a batch or two, and one that was fixed
        # and switched on again should be judged by how it runs now.
        latest = Execution.objects.filter(rule=rule, status__in=finished).order_by(
            "-finished_at", "-pk"
        )[:FAILURE_WINDOW]
        counts = Execution.objects.filter(pk__in=latest.values("pk")).aggregate(
            total=Count("pk"), failed=Count("pk", filter=Q(status=ExecutionStatus.FAILED))
        )
        total, failed = counts["total"], counts["failed"]
        if total < settings_row.failure_pause_minimum:
            continue
        if failed * 100 < settings_row.failure_pause_ratio * total:
            continue
        reason = _(
            "Paused automatically: %(failed)d of the latest %(total)d steps failed (%(ratio)d%% "
            "or more). "
            "Look at the failed steps, fix the cause, then activate the rule again."
        ) % {"failed": failed, "total": total, "ratio": settings_row.failure_pause_ratio}
        rule_pause(actor=None, rule=rule, reason=reason, source=Source.AUTOMATION)
        paused.append(rule.pk)
        if rule.owner_id:
            notification_create(
                user_id=rule.owner_id,
                kind="automation",
                title=_("Rule “%(name)s” was paused") % {"name": rule.name},
                body=reason,
                url=f"/automation/rules/{rule.pk}/",
                dedupe_key=f"automation-paused:{rule.pk}:{now.isoformat()}",
            )
    return paused


def enrollments_exit(*, actor: User, enrollments: Iterable[Enrollment]) -> int:
    """End journeys by hand: their pending steps are skipped."""
    require_perm(actor, Perm.AUTOMATION_MANAGE)
    ids = [e.pk for e in enrollments]
    now = clock.now()
    reason = _("Ended by %(user)s.") % {"user": actor.get_username()}
    with transaction.atomic():
        count = Enrollment.objects.filter(pk__in=ids, status=EnrollmentStatus.ACTIVE).update(
            status=EnrollmentStatus.EXITED, finished_at=now, reason=reason[:300]
        )
        Execution.objects.filter(enrollment_id__in=ids, status=ExecutionStatus.PENDING).update(
            status=ExecutionStatus.SKIPPED, reason=reason, finished_at=now, next_run_at=None
        )
        if count:
            activity_record(actor=actor, verb=Verb.UPDATED, target_type="automation.enrollment",
                            summary=reason, changes={"exited": [None, ids[:100]]})  # fmt: skip
    return count
