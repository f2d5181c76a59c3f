"""The messaging settings page: pacing and tracking settings, the inbound webhook
addresses, and the suppressed addresses (where a fixed bounced address is cleared).

Everything here needs the config.manage permission."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.accounts.permissions import Perm, has_perm
from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.core.forms import BootstrapMixin, submit_form
from guanxi.messaging import inbound, pacing, settings_selectors, tracking
from guanxi.messaging.models import InboundEndpoint, MessagingSettings
from guanxi.messaging.settings_services import FIELDS, messaging_settings_update

MAX_ATTEMPTS = 20
SUPPRESSIONS_PER_PAGE = 50


class MessagingSettingsForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = MessagingSettings
        fields = FIELDS
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "email_signature": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "quiet_start": gettext_lazy(
                "Local time. Equal start and end means no quiet hours; a start after the end "
                "spans midnight (21:00 → 08:00)."
            ),
            "marketing_cap": gettext_lazy("0 means no cap."),
            "interested_tag": gettext_lazy("Leave empty to tag nobody."),
        }

    def clean_max_attempts(self) -> int:
        value = self.cleaned_data["max_attempts"]
        if not 1 <= value <= MAX_ATTEMPTS:
            raise forms.ValidationError(
                _("Enter a number from 1 to %(max)s.") % {"max": MAX_ATTEMPTS}
            )
        return value

    def clean_marketing_cap_hours(self) -> int:
        value = self.cleaned_data["marketing_cap_hours"]
        if value < 1:
            raise forms.ValidationError(_("Enter at least 1 hour."))
        return value

    def _clean_tag(self, name: str) -> str:
        return " ".join(self.cleaned_data.get(name, "").split())

    def clean_interested_tag(self) -> str:
        return self._clean_tag("interested_tag")

    def clean_follow_up_tag(self) -> str:
        return self._clean_tag("follow_up_tag")


def _require_config(request) -> None:
    if not has_perm(request.user, Perm.CONFIG_MANAGE):
        raise PermissionDeniedError(_("Only administrators can change the messaging settings."))


def _suppressions(request) -> tuple[str, Any]:
    query = request.GET.get("q", "").strip()
    rows = settings_selectors.suppression_list(user=request.user, query=query)
    return query, Paginator(rows, SUPPRESSIONS_PER_PAGE).get_page(request.GET.get("page"))


def _page(request, *, form, new_url: tuple[str, str] | None = None):
    query, page = _suppressions(request)
    endpoints = settings_selectors.inbound_endpoints(user=request.user)
    context = {
        "form": form,
        "endpoints": [
            (kind, label, endpoints.get(kind)) for kind, label in InboundEndpoint.Kind.choices
        ],
        "new_url": new_url,
        "page": page,
        "q": query,
    }
    return render(request, "messaging/settings.html", context)


@login_required
def settings_page(request):
    _require_config(request)
    # The form validates only: the service saves (and audits) a fresh copy of the row.
    form = MessagingSettingsForm(request.POST or None, instance=pacing.current_settings())
    done = submit_form(
        request,
        form=form,
        save=lambda data: messaging_settings_update(actor=request.user, data=data),
        success=_("Saved."),
        redirect_to="messaging_settings:page",
    )
    return done or _page(request, form=form)


@login_required
@require_POST
def endpoint_action(request, kind: str):
    """Make (or replace) an inbound address — shown once, on this answer only — or stop it."""
    _require_config(request)
    if kind not in InboundEndpoint.Kind.values:
        raise NotFoundError(_("Unknown inbound endpoint."))
    if request.POST.get("action") == "revoke":
        inbound.inbound_endpoint_revoke(actor=request.user, kind=kind)
        messages.success(request, _("The address is stopped; posts to it are refused."))
        return redirect(reverse("messaging_settings:page") + "#inbound")
    key = inbound.inbound_endpoint_create(actor=request.user, kind=kind)
    path = reverse(f"messaging_public:inbound_{kind}", args=[key])
    url = settings.GUANXI_PUBLIC_URL.rstrip("/") + path
    form = MessagingSettingsForm(instance=pacing.current_settings())
    return _page(request, form=form, new_url=(kind, url))


@login_required
@require_POST
def suppression_remove(request, pk: int):
    """Let an address receive messages again (after a bounced address was fixed, or the
    recipient asked to be subscribed again)."""
    _require_config(request)
    row = settings_selectors.suppression_get(user=request.user, pk=pk)
    if row is None:
        raise NotFoundError(_("This address is not suppressed."))
    tracking.resubscribe(actor=request.user, channel=row.channel, address=row.address)
    messages.success(
        request, _("%(address)s may receive messages again.") % {"address": row.address}
    )
    return redirect(reverse("messaging_settings:page") + "#suppressions")
