"""Forms for follow-ups and tasks: they parse input; the services check rules and write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, has_perm
from guanxi.core import clock
from guanxi.core.forms import BootstrapMixin
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.forms import ANY, UserChoiceField, date_input, datetime_input
from guanxi.customers.forms.inputs import customer_from_code
from guanxi.customers.models import Contact, Customer
from guanxi.followups.models import Channel, TaskPriority


def _now_local_minute() -> dt.datetime:
    return timezone.localtime(clock.now()).replace(second=0, microsecond=0)


def default_due() -> dt.datetime:
    """A new task is due at the end of today's working day, or tomorrow morning if that has
    passed."""
    now = _now_local_minute()
    end_of_day = now.replace(hour=18, minute=0)
    if now < end_of_day - dt.timedelta(hours=1):
        return end_of_day
    return (now + dt.timedelta(days=1)).replace(hour=10, minute=0)


class FollowUpForm(BootstrapMixin, forms.Form):
    """跟进记录. Content is checked by the service, so every write path words it the same."""

    occurred_at = forms.DateTimeField(
        label=_("Time"), required=False, widget=datetime_input(), help_text=_("Empty: now.")
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    contact = forms.ModelChoiceField(Contact.objects.none(), label=_("Contact"), required=False)
    content = forms.CharField(
        label=_("What was discussed"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    feedback = forms.CharField(
        label=_("Customer feedback"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=500)
    next_followup_at = forms.DateTimeField(
        label=_("Next follow-up"),
        required=False,
        widget=datetime_input(),
        help_text=_("Creates a follow-up task for the owner."),
    )
    attachment = forms.FileField(label=_("Attachment"), required=False)

    def __init__(self, *args: Any, contacts: QuerySet[Contact] | list[Contact], **kwargs: Any):
        kwargs.setdefault("initial", {"occurred_at": _now_local_minute()})
        super().__init__(*args, **kwargs)
        ids = [c.pk for c in contacts]
        self.fields["contact"].queryset = Contact.objects.filter(pk__in=ids)
        self.fields["content"].widget.attrs["placeholder"] = _(
            "Needs, objections, what was agreed…"
        )

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "content": data["content"],
            "channel": data["channel"],
            "occurred_at": data.get("occurred_at"),
            "feedback": data.get("feedback", ""),
            "next_step": data.get("next_step", ""),
            "next_followup_at": data.get("next_followup_at"),
            "contact": data.get("contact"),
        }

    def files_to_attach(self) -> list:
        upload = self.cleaned_data.get("attachment")
        return [upload] if upload else []


class FollowUpFilterForm(BootstrapMixin, forms.Form):
    author = UserChoiceField(
        User.objects.none(), label=_("Recorded by"), required=False, empty_label=_("Any")
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[ANY, *Channel.choices])
    date_from = forms.DateField(label=_("From"), required=False, widget=date_input())
    date_to = forms.DateField(label=_("To"), required=False, widget=date_input())

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["author"].queryset = customer_selectors.owner_choices(user=user)

    def selector_kwargs(self) -> dict[str, Any]:
        """Valid filters only; a bad date or unknown author is ignored."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data

        def day_start(day: dt.date | None) -> dt.datetime | None:
            return timezone.make_aware(dt.datetime.combine(day, dt.time.min)) if day else None

        until = data.get("date_to")
        return {
            "author_id": data["author"].pk if data.get("author") else None,
            "channel": data.get("channel") or "",
            "since": day_start(data.get("date_from")),
            "until": day_start(until + dt.timedelta(days=1)) if until else None,
        }


class TaskForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    customer = forms.CharField(
        label=_("Customer"),
        required=False,
        max_length=220,
        help_text=_("Type a name, code or pinyin and pick from the list."),
    )
    due_at = forms.DateTimeField(label=_("Due"), widget=datetime_input())
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=TaskPriority.choices, coerce=int, initial=TaskPriority.NORMAL
    )
    assignee = UserChoiceField(User.objects.none(), label=_("Assignee"), required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: User, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.editing = editing
        if editing:  # a task keeps its customer
            del self.fields["customer"]
        else:
            # Suggestions from the customer search, as the user types (a <datalist>).
            self.fields["customer"].widget.attrs.update(
                {
                    "list": "customer-options",
                    "autocomplete": "off",
                    "hx-get": reverse_lazy("customers:lookup"),
                    "hx-trigger": "input changed delay:300ms",
                    "hx-target": "#customer-options",
                    "hx-swap": "innerHTML",
                }
            )
        # Tasks are for oneself unless one may assign them (supervisors).
        if has_perm(user, Perm.TASK_ASSIGN):
            field = self.fields["assignee"]
            field.queryset = customer_selectors.owner_choices(user=user)
            field.empty_label = _("Me")
        else:
            del self.fields["assignee"]

    def clean_customer(self) -> Customer | None:
        return customer_from_code(user=self.user, text=self.cleaned_data.get("customer"))

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs = {
            "title": data.get("title", ""),
            "due_at": data["due_at"],
            "priority": data["priority"],
            "description": data.get("description", ""),
        }
        if "assignee" in self.fields:
            kwargs["assignee"] = data.get("assignee") or self.user
        elif not self.editing:
            kwargs["assignee"] = self.user
        if "customer" in self.fields:
            kwargs["customer"] = data.get("customer")
        return kwargs
