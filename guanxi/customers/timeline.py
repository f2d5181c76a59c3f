"""A customer's timeline as a person reads it: who did what, when, and what changed.

Built on the audit rows (activity.selectors.customer_timeline) and activity.display's change
rows (which mask contact details); this adds what a timeline needs on top: owners, industries
and levels by name instead of ids, choice labels, local times, and follow-ups shown in full.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist

from guanxi.accounts.models import User
from guanxi.activity import display
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.activity.selectors import customer_timeline
from guanxi.customers.models import Contact, Customer
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
    Verb.MERGED: "bi-union",
    Verb.DISMISSED: "bi-x-circle",
    Verb.MESSAGED: "bi-send",
}
CHANNEL_ICONS = {
    Channel.PHONE: "bi-telephone",
    Channel.VISIT: "bi-geo-alt",
    Channel.EMAIL: "bi-envelope",
    Channel.WECHAT: "bi-wechat",
    Channel.OTHER: "bi-chat-dots",
}


# Verbs whose wording already names the kind of object ("attached a file").
VERBS_NAMING_THE_OBJECT = {Verb.ATTACHED, Verb.FOLLOWED_UP, Verb.REVEALED, Verb.MESSAGED}


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
    changes = display.readable_change_rows(events, viewer)
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
                changes=changes[event.pk],
                followup=followup,
                summary=_summary(event),
            )
        )
    return entries


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
