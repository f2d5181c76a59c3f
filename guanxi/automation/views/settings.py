"""The automation settings page (the AutomationSettings row), for automation.manage."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.automation.forms import AutomationSettingsForm
from guanxi.automation.services import automation_settings_update, current_settings
from guanxi.core.forms import submit_form


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, Perm.AUTOMATION_MANAGE)
    # The form validates only: the service saves (and audits) the row.
    form = AutomationSettingsForm(request.POST or None, instance=current_settings())
    done = submit_form(
        request,
        form=form,
        save=lambda data: automation_settings_update(actor=request.user, data=data),
        success=_("Saved."),
        redirect_to="automation:settings",
    )
    return done or render(request, "automation/settings.html", {"form": form})
