"""What each step does, always through the owning app's service (so audit, consent, caps and
events apply) and always with an idempotency key derived from the journey and the step.

An action returns an `Outcome`; it raises `Transient` for a failure worth retrying and
ApplicationError (or `Permanent`) for one that is not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.activity.models import Source
from guanxi.automation import steps as step_rules
from guanxi.automation.conditions.tree import evaluate
from guanxi.automation.models import (
    AutomationSettings,
    CouponCode,
    Enrollment,
    Execution,
    ExecutionStatus,
)
from guanxi.core.errors import ApplicationError
from guanxi.customers.models import Customer, Industry, Level
from guanxi.customers.services import (
    customer_tag_by_system,
    customer_untag_by_system,
    customer_update,
)
from guanxi.followups.models import TaskSource
from guanxi.followups.services import task_create
from guanxi.messaging.models import Message, MessageStatus, MessageTemplate
from guanxi.messaging.sending import message_queue, recipient_for
from guanxi.messaging.services import notification_create


class Transient(Exception):
    """Worth trying again later (a network error, a 5xx)."""


class Permanent(ApplicationError):
    """Will not get better by retrying; the reason is shown to people."""


@dataclass
class Outcome:
    status: str = ExecutionStatus.DONE  # done / skipped, or "wait" to run again at `until`
    reason: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    goto: str | None = None  # a branch's choice; None = the step after this one
    branched: bool = False
    until: dt.datetime | None = None


@dataclass
class Run:
    execution: Execution
    enrollment: Enrollment
    customer: Customer
    step: dict
    now: dt.datetime

    @property
    def key(self) -> str:
        return f"automation:{self.enrollment.rule_id}:{self.enrollment.pk}:{self.step['id']}"

    def fill(self, text: str) -> str:
        return (
            str(text)
            .replace("{customer}", self.customer.name)
            .replace("{code}", self.customer.code)
        )


def _supervisor(customer: Customer) -> User | None:
    team = customer.team or getattr(customer.owner, "team", None)
    leader = getattr(team, "leader", None)
    return leader if leader is not None and leader.is_active else None


def _person(run: Run, who: Any, people: dict[int, User] | None = None) -> User | None:
    """The owner, the supervisor or a named user; `people` holds named users already read
    (the batch path reads a batch's in one query)."""
    if who in (None, "", "owner"):
        user = run.customer.owner
    elif who == "supervisor":
        user = _supervisor(run.customer)
    elif people is not None:
        user = people.get(int(who))
    else:
        user = User.objects.filter(pk=int(who)).first()
    return user if user is not None and user.is_active else None


def customer_url(customer: Customer) -> str:
    return reverse("customers:detail", kwargs={"pk": customer.pk})


def nobody_to_notify() -> str:
    return _("Nobody to notify (no owner or leader).")


def nobody_for_task() -> str:
    return _("Nobody to give the task to.")


# --- messages ---------------------------------------------------------------------------


def send_message(run: Run) -> Outcome:
    channel = "email" if run.step["action"] == "send_email" else "sms"
    template = MessageTemplate.objects.filter(key=run.step["template"]).first()
    if template is None or not template.is_active or template.channel != channel:
        raise Permanent(
            _("The template “%(key)s” does not exist, is switched off or is not for %(channel)s.")
            % {"key": run.step["template"], "channel": channel}
        )
    if (
        not Message.objects.filter(idempotency_key=run.key).exists()
        and recipient_for(customer=run.customer, channel=channel) is None
    ):
        # Like an invalid or unsubscribed address: the step is skipped with the reason and
        # the journey goes on (a failure would stop it and count towards pausing the rule).
        return Outcome(
            status=ExecutionStatus.SKIPPED,
            reason=_("This customer has no email address.")
            if channel == "email"
            else _("This customer has no mobile number."),
        )
    params: dict[str, Any] = {}
    if run.step.get("coupon_pool"):
        params["coupon_code"] = coupon_issue(run=run, pool=run.step["coupon_pool"])
    message = message_queue(
        actor=None,
        channel=channel,
        customer=run.customer,
        template=template,
        params=params,
        idempotency_key=run.key,
        source=Source.AUTOMATION,
    )
    result = {"message_id": message.pk}
    if message.status == MessageStatus.SKIPPED:
        return Outcome(status=ExecutionStatus.SKIPPED, reason=message.reason, result=result)
    return Outcome(result=result)


# --- people -----------------------------------------------------------------------------


def notify(run: Run) -> Outcome:
    user = _person(
        run, run.step.get("user") if run.step.get("to") == "user" else run.step.get("to")
    )
    if user is None:
        return Outcome(status=ExecutionStatus.SKIPPED, reason=nobody_to_notify())
    notification = notification_create(
        user_id=user.pk,
        kind="automation",
        title=run.fill(run.step["title"]),
        body=run.fill(run.step.get("body", "")),
        url=customer_url(run.customer),
        customer_id=run.customer.pk,
        dedupe_key=run.key,
    )
    return Outcome(
        result={"user_id": user.pk, "notification_id": getattr(notification, "pk", None)}
    )


def _candidates(run: Run) -> list[User]:
    team_id = run.step.get("team") or getattr(run.enrollment.rule.owner, "team_id", None)
    qs = User.objects.filter(is_active=True)
    if team_id:
        qs = qs.filter(team_id=int(team_id))
    return list(qs.order_by("pk"))


def assign_owner(run: Run) -> Outcome:
    customer = run.customer
    if run.step.get("only_if_unowned", True) and customer.owner_id:
        return Outcome(
            status=ExecutionStatus.SKIPPED, reason=_("The customer already has an owner.")
        )
    mode = run.step.get("mode", "round_robin")
    if mode == "user":
        owner = _person(run, run.step["user"])
    else:
        people = _candidates(run)
        if not people:
            raise Permanent(_("No active salesperson in the team to assign."))
        if mode == "least_loaded":
            loads = dict(
                Customer.objects.filter(owner__in=people)
                .values("owner_id")
                .annotate(n=Count("pk"))
                .values_list("owner_id", "n")
            )
            owner = min(people, key=lambda u: (loads.get(u.pk, 0), u.pk))
        else:
            last = (
                Execution.objects.filter(
                    rule_id=run.execution.rule_id,
                    step_id=run.step["id"],
                    status=ExecutionStatus.DONE,
                )
                .exclude(result__owner_id=None)
                .order_by("-finished_at", "-pk")
                .values_list("result", flat=True)
                .first()
            )
            last_id = (last or {}).get("owner_id")
            later = [u for u in people if last_id is not None and u.pk > last_id]
            owner = later[0] if later else people[0]
    if owner is None:
        raise Permanent(_("The chosen person is not an active user."))
    if customer.owner_id != owner.pk:
        customer_update(
            actor=None, customer=customer, data={"owner": owner}, source=Source.AUTOMATION
        )
    return Outcome(result={"owner_id": owner.pk})


def create_task(run: Run) -> Outcome:
    assignee = _person(run, run.step.get("assignee", "owner")) or run.enrollment.rule.owner
    if assignee is None or not assignee.is_active:
        return Outcome(status=ExecutionStatus.SKIPPED, reason=nobody_for_task())
    hours = float(run.step.get("due_hours", 24))
    task = task_create(
        actor=None,
        title=run.fill(run.step["title"]),
        description=run.fill(run.step.get("description", "")),
        assignee=assignee,
        due_at=run.now + dt.timedelta(hours=hours),
        customer=run.customer,
        priority=int(run.step.get("priority", 2)),
        source=TaskSource.AUTOMATION,
        idempotency_key=run.key,
        event_source=Source.AUTOMATION,
    )
    return Outcome(result={"task_id": task.pk, "user_id": assignee.pk})


# --- the record ---------------------------------------------------------------------------


def set_field(run: Run) -> Outcome:
    name, value = run.step["field"], run.step["value"]
    if name in ("level", "industry"):
        model = Level if name == "level" else Industry
        row = model.objects.filter(code=value).first()
        if row is None:
            raise Permanent(
                _("“%(value)s” is not a known %(field)s.") % {"value": value, "field": name}
            )
        value = row
    current = getattr(run.customer, name)
    if current == value:
        return Outcome(result={"unchanged": True})
    customer_update(actor=None, customer=run.customer, data={name: value}, source=Source.AUTOMATION)
    return Outcome(result={"field": name, "value": getattr(value, "code", value)})


def add_tag(run: Run) -> Outcome:
    added = [
        name
        for name in (str(t).strip() for t in run.step["tags"])
        if name
        and customer_tag_by_system(customer=run.customer, name=name, source=Source.AUTOMATION)
    ]
    return Outcome(result={"added": added})


def remove_tag(run: Run) -> Outcome:
    names = [str(t).strip() for t in run.step["tags"] if str(t).strip()]
    removed = customer_untag_by_system(customer=run.customer, names=names, source=Source.AUTOMATION)
    return Outcome(result={"removed": removed})


def coupon_issue(*, run: Run, pool: str) -> str:
    """This journey's code from the pool: the same code however often the step is retried."""
    key = f"{run.enrollment.pk}:{pool}"
    issued = CouponCode.objects.filter(issued_key=key).values_list("code", flat=True).first()
    if issued:
        return issued
    free = CouponCode.objects.filter(pool=pool, issued_key__isnull=True).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        free = free.select_for_update(skip_locked=True)
    with transaction.atomic():
        row = free.first()
        if row is None:
            raise Permanent(_("The coupon pool “%(pool)s” has no codes left.") % {"pool": pool})
        row.customer_id = run.customer.pk
        row.issued_key = key
        row.issued_at = run.now
        row.save(update_fields=["customer", "issued_key", "issued_at"])
    return row.code


def issue_coupon(run: Run) -> Outcome:
    return Outcome(result={"coupon_code": coupon_issue(run=run, pool=run.step["pool"])})


# --- the outside world --------------------------------------------------------------------


def _address_refused(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as exc:
        raise Transient(
            _("Cannot resolve %(host)s: %(error)s") % {"host": host, "error": exc}
        ) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return True
    return False


def webhook(run: Run) -> Outcome:
    url = run.step["url"]
    host = urlsplit(url).hostname or ""
    allowed = AutomationSettings.objects.filter(pk=1, webhook_allow_private=True).exists()
    if not allowed and _address_refused(host):
        raise Permanent(
                _("%(host)s is a private or loopback address; an administrator can allow these "
                  "in the automation settings.") % {"host": host}
            )  # fmt: skip
    customer = run.customer
    body = json.dumps(
        {
            "event": "automation.step",
            "rule": {"id": run.enrollment.rule_id, "name": run.enrollment.rule.name},
            "step": run.step["id"],
            "delivery": run.key,
            "customer": {
                "id": customer.pk,
                "code": customer.code,
                "name": customer.name,
                "owner_id": customer.owner_id,
                "level": getattr(customer.level, "code", None),
                "intent": customer.intent,
            },
            "sent_at": run.now.isoformat(),
        },
        ensure_ascii=False,
    ).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": run.key}
    secret = str(run.step.get("secret") or "")
    if secret:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Guanxi-Signature"] = f"sha256={digest}"
    # The URL was checked to be http(s) when the step was saved (steps._check).
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        timeout = int(run.step.get("timeout", 10))
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
        if status == 429 or status >= 500:
            raise Transient(
                _("The webhook answered HTTP %(status)s.") % {"status": status}
            ) from exc
        raise Permanent(_("The webhook answered HTTP %(status)s.") % {"status": status}) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise Transient(_("The webhook could not be reached: %(error)s") % {"error": exc}) from exc
    return Outcome(result={"status": status})


# --- flow ---------------------------------------------------------------------------------


def wait(run: Run) -> Outcome:
    if run.step.get("id") == "trigger" or run.execution.result.get("armed"):
        return Outcome()
    until = step_rules.wait_until(run.step, start=run.execution.created_at, customer=run.customer)
    if until is None:
        return Outcome(
            status=ExecutionStatus.SKIPPED, reason=_("The date this wait is for is empty.")
        )
    if until > run.now:
        return Outcome(status="wait", until=until, result={"armed": True})
    return Outcome()


_EVENT_FIELDS = {
    "opened": ("opened_at",),
    "clicked": ("clicked_at",),
    "replied": ("replied_at",),
    "opened_or_clicked": ("opened_at", "clicked_at"),
    "any_response": ("opened_at", "clicked_at", "replied_at"),
}


def branch(run: Run) -> Outcome:
    condition = run.step["if"]
    if "message_step" not in condition:
        explanation = evaluate(condition, customer=run.customer, now=run.now)
        return Outcome(
            branched=True,
            goto="then" if explanation.matched else "else",
            result={"branch": "then" if explanation.matched else "else",
                    "explanation": explanation.as_json()},
        )  # fmt: skip
    earlier = (
        Execution.objects.filter(enrollment=run.enrollment, step_id=condition["message_step"])
        .values_list("result", flat=True)
        .first()
    )
    message = Message.objects.filter(pk=(earlier or {}).get("message_id")).first()
    stamps = _EVENT_FIELDS[condition["event"]]
    happened = [getattr(message, s) for s in stamps if message and getattr(message, s)]
    within = condition.get("within_days")
    start = (message.sent_at or message.created_at) if message else None
    deadline = (
        start + dt.timedelta(days=int(within)) if start and within not in (None, "") else None
    )
    hit = bool(happened) and (deadline is None or min(happened) <= deadline)
    dead = (MessageStatus.SKIPPED, MessageStatus.FAILED, MessageStatus.BOUNCED)
    still_open = deadline is not None and deadline > run.now
    if not hit and still_open and message is not None and message.status not in dead:
        # Not yet: decide when the window closes.
        return Outcome(status="wait", until=deadline)
    return Outcome(
        branched=True,
        goto="then" if hit else "else",
        result={"branch": "then" if hit else "else", "message_id": getattr(message, "pk", None)},
    )


ACTIONS = {
    "send_email": send_message,
    "send_sms": send_message,
    "notify": notify,
    "assign_owner": assign_owner,
    "create_task": create_task,
    "set_field": set_field,
    "add_tag": add_tag,
    "remove_tag": remove_tag,
    "issue_coupon": issue_coupon,
    "webhook": webhook,
    "wait": wait,
    "branch": branch,
}
EXTERNAL = {"webhook"}  # effects outside our database: run outside the batch transaction
