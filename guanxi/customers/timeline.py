"""A customer's timeline as a person reads it: who did what, when, and what changed.

Built on the audit rows (activity.selectors.customer_timeline) and activity.display's change
rows (which mask contact details); this adds what a timeline needs on top: owners, industries
and levels by name instead of ids, choice labels, local times, and follow-ups shown in full.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import can_see_contact_details
from guanxi.activity import display
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.activity.selectors import customer_timeline
from guanxi.core.phones import display_phone
from guanxi.customers.models import Contact, Customer, Industry, Level
from guanxi.followups.models import Channel, FollowUp
from guanxi.followups.selectors import followup_list

VERB_ICONS = {
    Verb.CREATED: "bi-plus-circle",
    Verb.UPDATED: "bi-pencil",
    Verb.DELETED: "bi-trash",
    Verb.REASSIGNED: "bi-person-check",
    Verb.REVEALED: "bi-eye",
    Verb.TAGGED: "bi-tag",
    Verb.UNTAGGED: "bi-tag",
    Verb.FOLLOWED_UP: "bi-chat-dots",
    Verb.COMPLETED: "bi-check2-circle",
    Verb.CANCELLED: "bi-x-circle",
    Verb.ATTACHED: "bi-paperclip",
}
CHANNEL_ICONS = {
    Channel.PHONE: "bi-telephone",
    Channel.VISIT: "bi-geo-alt",
    Channel.EMAIL: "bi-envelope",
    Channel.WECHAT: "bi-wechat",
    Channel.OTHER: "bi-chat-dots",
}
# Changed fields that hold ids, and where their names come from.
NAMED_BY = {
    "owner": User,
    "assignee": User,
    "completed_by": User,
    "industry": Industry,
    "level": Level,
    "contact": Contact,
}
CONTACT_PREFIX = "contact."


# Verbs whose wording already names the kind of object ("attached a file").
VERBS_NAMING_THE_OBJECT = {Verb.ATTACHED, Verb.FOLLOWED_UP, Verb.REVEALED}


@dataclass(frozen=True)
class TimelineEntry:
    event: ActivityEvent
    icon: str
    target_label: str  # empty when the verb already says what the object is
    changes: list[display.ChangeRow]
    followup: FollowUp | None = None
    summary: str = ""


def timeline_entries(*, viewer: User, customer: Customer, limit: int = 50) -> list[TimelineEntry]:
    """The newest `limit` entries of a customer the caller already fetched through scope."""
    return present(viewer=viewer, events=customer_timeline(customer_id=customer.pk, limit=limit))


def present(*, viewer: User, events: list[ActivityEvent]) -> list[TimelineEntry]:
    followup_ids = [e.target_id for e in events if e.target_type == "followups.followup"]
    followups = {
        f.pk: f
        for f in followup_list(user=viewer)
        .filter(pk__in=followup_ids)
        .prefetch_related("attachments")
    }
    names = _names(events)
    reveal = can_see_contact_details(viewer)
    entries = []
    for event in events:
        followup = followups.get(event.target_id) if event.verb == Verb.FOLLOWED_UP else None
        icon = CHANNEL_ICONS.get(followup.channel) if followup else None
        entries.append(
            TimelineEntry(
                event=event,
                icon=icon or VERB_ICONS.get(event.verb, "bi-dot"),
                target_label=""
                if event.verb in VERBS_NAMING_THE_OBJECT
                else display.target_type_label(event.target_type),
                changes=[
                    _readable(row, event, names, reveal)
                    for row in display.change_rows(event, viewer)
                ],
                followup=followup,
                summary=_summary(event),
            )
        )
    return entries


def _names(events: list[ActivityEvent]) -> dict[tuple[str, str], str]:
    """Names of every id-valued change across the page: one query per kind of thing."""
    wanted: dict[type, set[int]] = {}
    for event in events:
        for name, pair in (event.changes or {}).items():
            model = NAMED_BY.get(name)
            if model is None or not isinstance(pair, list):
                continue
            wanted.setdefault(model, set()).update(v for v in pair if isinstance(v, int))
    names: dict[tuple[str, str], str] = {}
    for model, ids in wanted.items():
        for obj in model.objects.filter(pk__in=ids):
            label = obj.label if isinstance(obj, User) else str(obj)
            for field, field_model in NAMED_BY.items():
                if field_model is model:
                    names[(field, str(obj.pk))] = label
    return names


def _model_field(event: ActivityEvent, name: str):
    try:
        model = Contact if name.startswith(CONTACT_PREFIX) else apps.get_model(event.target_type)
        return model._meta.get_field(name.removeprefix(CONTACT_PREFIX))
    except (LookupError, ValueError, FieldDoesNotExist):
        return None


def _readable(
    row: display.ChangeRow, event: ActivityEvent, names: dict[tuple[str, str], str], reveal: bool
) -> display.ChangeRow:
    field = _model_field(event, row.field)
    choices = {str(k): str(v) for k, v in (field.flatchoices if field is not None else [])}

    def value(text: str) -> str:
        if (row.field, text) in names:
            return names[(row.field, text)]
        if text in choices:
            return choices[text]
        if display.ISO_DATETIME.match(text):
            return display.local_time(text)
        if reveal and "phone" in row.field:
            return display_phone(text) or text
        return text

    label = row.label
    if row.field.startswith(CONTACT_PREFIX) and field is not None:
        label = _("Primary contact: %(field)s") % {"field": field.verbose_name}
    return dataclasses.replace(row, label=label, before=value(row.before), after=value(row.after))


def _summary(event: ActivityEvent) -> str:
    # A reveal's summary is the field's code name; show the field's label instead.
    if event.verb == Verb.REVEALED and event.summary:
        try:
            return str(Contact._meta.get_field(event.summary).verbose_name)
        except FieldDoesNotExist:
            return event.summary
    # An attachment's summary is its file name, which the entry already shows.
    return "" if event.summary == event.target_repr else event.summary


def channel_icon(channel: str) -> str:
    return CHANNEL_ICONS.get(channel, "bi-chat-dots")


def followup_entry(*, viewer: User, followup: FollowUp) -> TimelineEntry | None:
    """The timeline entry of a follow-up just recorded, to put at the top of the page."""
    events = [
        e
        for e in customer_timeline(customer_id=followup.customer_id, limit=10)
        if e.target_type == "followups.followup" and e.target_id == followup.pk
    ]
    entries = present(viewer=viewer, events=events[:1])
    return entries[0] if entries else None
