"""Forms of the reminder pages. They check types and ranges; the services in
messaging/reminders.py validate the rules again (the API goes through them too) and save."""

from __future__ import annotations

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import BootstrapMixin
from guanxi.customers.models import Intent, Kind
from guanxi.messaging.models import ReminderPolicy
from guanxi.messaging.reminders import MAX_INTERVAL_DAYS, POLICY_FIELDS


class ReminderPolicyForm(BootstrapMixin, forms.ModelForm):
    intent = forms.ChoiceField(label=_("intent"), choices=Intent.choices)
    customer_kind = forms.ChoiceField(
        label=_("customer type"),
        choices=[("", _("Any type")), *Kind.choices],
        required=False,
    )
    interval_days = forms.IntegerField(
        label=_("every N days"),
        min_value=1,
        max_value=MAX_INTERVAL_DAYS,
        initial=1,
        help_text=_("Used when the frequency is “every N days”."),
    )
    weekday = forms.TypedChoiceField(
        label=_("weekday"),
        choices=sorted(WEEKDAYS.items()),
        coerce=int,
        initial=0,
        help_text=_("Used when the frequency is “weekly”."),
    )

    class Meta:
        model = ReminderPolicy
        fields = POLICY_FIELDS


class PreferencesForm(BootstrapMixin, forms.Form):
    daily_digest = forms.BooleanField(
        label=_("Send me a daily digest email of my tasks due today and overdue"),
        required=False,
    )
    task_reminder_minutes = forms.IntegerField(
        label=_("Remind me of new tasks this many minutes before they are due"),
        min_value=0,
        max_value=1440,
        help_text=_("0 to 1440 minutes; 0 reminds you at the due time."),
    )
