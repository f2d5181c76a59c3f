"""Reminder policy pages (admins) and each user's own notification preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.models import model_to_dict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core.forms import submit_form
from guanxi.customers.models import Intent, Kind
from guanxi.messaging import digest, reminders
from guanxi.messaging.forms_reminders import PreferencesForm, ReminderPolicyForm


@login_required
def policy_list(request):
    policies = [
        {
            "policy": policy,
            "rhythm": reminders.policy_rhythm(policy),
            "intent": dict(Intent.choices).get(policy.intent, policy.intent),
            "kind": dict(Kind.choices).get(policy.customer_kind, ""),
        }
        for policy in reminders.reminder_policy_list(user=request.user)
    ]
    return render(request, "messaging/reminder_list.html", {"policies": policies})


@login_required
def policy_edit(request, pk: int | None = None):
    # The permission is checked before the form is read: a refusal changes nothing.
    require_perm(request.user, Perm.CONFIG_MANAGE)
    policy = reminders.reminder_policy_get(user=request.user, pk=pk) if pk else None
    # Built from a copy of the values, so validating the form never touches the instance
    # the service compares against for the audit row.
    initial = model_to_dict(policy, fields=reminders.POLICY_FIELDS) if policy else None
    form = ReminderPolicyForm(request.POST or None, initial=initial)
    done = submit_form(
        request,
        form=form,
        save=lambda data: reminders.reminder_policy_save(
            actor=request.user, policy=policy, data=data
        ),
        success=_("Saved."),
        redirect_to="reminders:list",
    )
    if done:
        return done
    return render(request, "messaging/reminder_form.html", {"form": form, "policy": policy})


@login_required
@require_POST
def policy_deactivate(request, pk: int):
    policy = reminders.reminder_policy_get(user=request.user, pk=pk)
    reminders.reminder_policy_deactivate(actor=request.user, policy=policy)
    messages.success(request, _("The reminder policy is off; it creates no new tasks."))
    return redirect("reminders:list")


@login_required
def preferences(request):
    pref = digest.preference_get(user=request.user)
    initial = {
        "daily_digest": pref.daily_digest,
        "task_reminder_minutes": pref.task_reminder_minutes,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    done = submit_form(
        request,
        form=form,
        save=lambda data: digest.preference_update(actor=request.user, **data),
        success=_("Your notification preferences are saved."),
        redirect_to="reminders:preferences",
    )
    return done or render(request, "messaging/preferences.html", {"form": form})
