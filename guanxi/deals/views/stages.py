"""Pipeline stages, for administrators (configuration.manage)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core.errors import ApplicationError
from guanxi.core.forms import submit_form
from guanxi.deals import config_services, selectors
from guanxi.deals.forms import StageForm


@login_required
def stage_list(request: HttpRequest) -> HttpResponse:
    stages = selectors.stage_overview(user=request.user)
    return render(request, "deals/stage_list.html", {"stages": stages})


@login_required
def stage_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_perm(request.user, Perm.CONFIG_MANAGE)
    instance = selectors.stage_get(pk=pk) if pk else None
    initial = {f: getattr(instance, f) for f in config_services.STAGE_FIELDS} if instance else None
    form = StageForm(request.POST or None, initial=initial, instance=instance)
    done = submit_form(
        request,
        form=form,
        save=lambda data: config_services.stage_save(
            actor=request.user, instance=instance, data=data
        ),
        success=_("Saved."),
        redirect_to="deals:stages",
    )
    if done:
        return done
    return render(request, "deals/stage_form.html", {"form": form, "instance": instance})


@login_required
@require_POST
def stage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, Perm.CONFIG_MANAGE)
    try:
        config_services.stage_delete(actor=request.user, stage=selectors.stage_get(pk=pk))
        messages.success(request, _("Deleted."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("deals:stages")
