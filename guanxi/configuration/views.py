"""Admin configuration pages: industries, levels, custom fields, tags."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.accounts.permissions import Perm, has_perm
from guanxi.configuration.forms import ChoiceForm, CustomFieldForm, TagForm
from guanxi.core.errors import ApplicationError, PermissionDeniedError
from guanxi.core.forms import submit_form
from guanxi.customers import config_services
from guanxi.customers.config_selectors import KINDS, config_get, configuration_overview
from guanxi.customers.models import CustomFieldDefinition, Tag


def _require_config(request) -> None:
    if not has_perm(request.user, Perm.CONFIG_MANAGE):
        raise PermissionDeniedError(_("Only administrators can change the configuration."))


def _edit_page(request, *, form, save, title, instance=None, **extra):
    done = submit_form(
        request, form=form, save=save, success=_("Saved."), redirect_to="configuration:overview"
    )
    if done:
        return done
    context = {"form": form, "title": title, "instance": instance, **extra}
    return render(request, "configuration/form.html", context)


@login_required
def overview(request):
    return render(request, "configuration/overview.html", configuration_overview(user=request.user))


@login_required
def choice_edit(request, kind: str, pk: int | None = None):
    _require_config(request)
    model = KINDS.get(kind) or _not_found()
    instance = config_get(user=request.user, model=model, pk=pk) if pk else None
    initial = {f: getattr(instance, f) for f in config_services.CHOICE_FIELDS} if instance else None
    form = ChoiceForm(request.POST or None, initial=initial)
    return _edit_page(
        request,
        form=form,
        title=model._meta.verbose_name,
        instance=instance,
        kind=kind,
        save=lambda data: config_services.choice_save(
            actor=request.user, model=model, instance=instance, data=data
        ),
    )


@login_required
@require_POST
def choice_delete(request, kind: str, pk: int):
    _require_config(request)
    instance = config_get(user=request.user, model=KINDS.get(kind) or _not_found(), pk=pk)
    try:
        config_services.choice_delete(actor=request.user, instance=instance)
        messages.success(request, _("Deleted."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("configuration:overview")


@login_required
def field_edit(request, pk: int | None = None):
    _require_config(request)
    instance = config_get(user=request.user, model=CustomFieldDefinition, pk=pk) if pk else None
    initial = None
    if instance:
        initial = {f: getattr(instance, f) for f in config_services.CUSTOM_FIELD_FIELDS}
        initial["choices"] = ", ".join(instance.choices)
    form = CustomFieldForm(request.POST or None, initial=initial)
    return _edit_page(
        request,
        form=form,
        title=CustomFieldDefinition._meta.verbose_name,
        instance=instance,
        save=lambda data: config_services.custom_field_save(
            actor=request.user, instance=instance, data=data
        ),
    )


@login_required
@require_POST
def field_delete(request, pk: int):
    _require_config(request)
    config_services.custom_field_delete(
        actor=request.user,
        instance=config_get(user=request.user, model=CustomFieldDefinition, pk=pk),
    )
    messages.success(request, _("Deleted."))
    return redirect("configuration:overview")


@login_required
def tag_edit(request, pk: int):
    _require_config(request)
    tag = config_get(user=request.user, model=Tag, pk=pk)
    form = TagForm(request.POST or None, initial={"name": tag.name})
    return _edit_page(
        request,
        form=form,
        title=Tag._meta.verbose_name,
        instance=tag,
        save=lambda data: config_services.tag_rename(
            actor=request.user, tag=tag, name=data["name"]
        ),
    )


@login_required
@require_POST
def tag_delete(request, pk: int):
    _require_config(request)
    config_services.tag_delete(
        actor=request.user, tag=config_get(user=request.user, model=Tag, pk=pk)
    )
    messages.success(request, _("Deleted."))
    return redirect("configuration:overview")


def _not_found():
    from django.http import Http404

    raise Http404
