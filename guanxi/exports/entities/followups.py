"""Follow-up records and tasks: the follow-up list's filters; tasks as the task pages scope them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.core.forms import BootstrapMixin
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.forms import ANY, UserChoiceField, date_input
from guanxi.exports.entities.base import (
    Column,
    Context,
    ExportEntity,
    choice,
    coded,
    local_time,
    looked_up,
    raw,
    text,
)
from guanxi.followups import selectors as followup_selectors
from guanxi.followups.forms import FollowUpFilterForm
from guanxi.followups.models import Channel, TaskPriority, TaskSource, TaskStatus


def _value(name: str, label: Any, *, default: bool = False) -> Column:
    return Column(name, label, raw(name), needs=(name,), default=default)


def _time(name: str, label: Any, *, default: bool = False) -> Column:
    return Column(name, label, local_time(name), needs=(name,), default=default)


def _person(name: str, label: Any, *, default: bool = False) -> Column:
    field = f"{name}_id"
    return Column(
        name, label, looked_up(field, lambda ctx: ctx.users), needs=(field,), default=default
    )


def _coded(name: str, label: Any, *, default: bool = False) -> Column:
    return Column(name, label, coded(name), needs=(name,), default=default)


def _joined(key: str, label: Any, *, name: str, default: bool = True) -> Column:
    """Text of a related row (None when there is none → "")."""
    return Column(key, label, text(name), needs=(name,), default=default)


_CUSTOMER_CODE = _joined("customer_code", _("Customer code"), name="customer__code")
_CUSTOMER_NAME = _joined("customer_name", _("Customer name"), name="customer__name")


class FollowUpsExport(ExportEntity):
    name = "followups"
    title = _("Follow-ups")
    columns = (
        _time("occurred_at", _("Time"), default=True),
        _CUSTOMER_CODE,
        _CUSTOMER_NAME,
        _coded("channel", _("Channel"), default=True),
        _joined("contact", _("Contact"), name="contact__name"),
        _value("content", _("Content"), default=True),
        _value("feedback", _("Customer feedback"), default=True),
        _value("next_step", _("Next step"), default=True),
        _time("next_followup_at", _("Next follow-up"), default=True),
        _person("author", _("Recorded by"), default=True),
        _time("created_at", _("Created at")),
    )

    def filter_form(self, *, user: User, query: QueryDict) -> FollowUpFilterForm:
        return FollowUpFilterForm(query or None, user=user)

    def queryset(self, *, user: User, query: QueryDict, ids: Sequence[int]) -> QuerySet:
        kwargs = self.filter_form(user=user, query=query).selector_kwargs()
        qs = followup_selectors.followup_list(user=user, **kwargs)
        if ids:
            qs = qs.filter(pk__in=list(ids))
        return qs.order_by().select_related(None)

    def prepare(self, ctx: Context) -> None:
        ctx.extra["channel"] = choice(dict(Channel.choices))


class TaskFilterForm(BootstrapMixin, forms.Form):
    """Filters of a task export; the tasks pages link here with `mine=1&status=open`."""

    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[ANY, *TaskStatus.choices]
    )
    assignee = UserChoiceField(
        User.objects.none(), label=_("Assignee"), required=False, empty_label=_("Any")
    )
    due_from = forms.DateField(label=_("Due from"), required=False, widget=date_input())
    due_to = forms.DateField(label=_("Due to"), required=False, widget=date_input())

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["assignee"].queryset = customer_selectors.owner_choices(user=user)

    def selector_kwargs(self) -> dict[str, Any]:
        """Valid filters only, like the other list forms: a bad value is ignored."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data

        def day_start(day: dt.date | None) -> dt.datetime | None:
            return timezone.make_aware(dt.datetime.combine(day, dt.time.min)) if day else None

        assignee = data.get("assignee")
        due_to = data.get("due_to")
        return {
            "assignee_id": self.user.pk
            if data.get("mine")
            else (assignee.pk if assignee else None),
            "status": data.get("status") or "",
            "due_after": day_start(data.get("due_from")),
            "due_before": day_start(due_to + dt.timedelta(days=1)) if due_to else None,
        }


class TasksExport(ExportEntity):
    name = "tasks"
    title = _("Tasks")
    columns = (
        _value("title", _("Task title"), default=True),
        _CUSTOMER_CODE,
        _CUSTOMER_NAME,
        _person("assignee", _("Assignee"), default=True),
        _time("due_at", _("Due"), default=True),
        _coded("priority", _("Priority"), default=True),
        _coded("status", _("Status"), default=True),
        _coded("source", _("Source")),
        _value("description", _("Description")),
        _time("completed_at", _("Completed at")),
        _person("created_by", _("Created by")),
        _time("created_at", _("Created at")),
    )

    def filter_form(self, *, user: User, query: QueryDict) -> TaskFilterForm:
        return TaskFilterForm(query or None, user=user)

    def queryset(self, *, user: User, query: QueryDict, ids: Sequence[int]) -> QuerySet:
        kwargs = self.filter_form(user=user, query=query).selector_kwargs()
        qs = followup_selectors.task_list(user=user, **kwargs)
        if ids:
            qs = qs.filter(pk__in=list(ids))
        return qs.order_by().select_related(None)

    def prepare(self, ctx: Context) -> None:
        ctx.extra.update(
            priority=choice(dict(TaskPriority.choices)),
            status=choice(dict(TaskStatus.choices)),
            source=choice(dict(TaskSource.choices)),
        )
