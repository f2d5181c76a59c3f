"""Coupon pools: what each holds and loading codes, for the steps that hand codes out."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.automation import selectors
from guanxi.automation.coupons import coupon_codes_load, coupon_pools
from guanxi.automation.forms import CouponLoadForm
from guanxi.core.forms import submit_form


@login_required
def coupon_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        require_perm(request.user, Perm.AUTOMATION_MANAGE)
    pools = coupon_pools(user=request.user)
    can_manage = selectors.can_manage(request.user)
    form = CouponLoadForm(request.POST or None, request.FILES or None) if can_manage else None
    done = form is not None and submit_form(
        request,
        form=form,
        save=lambda data: coupon_codes_load(
            actor=request.user, pool=data["pool"], codes=data["lines"]
        ),  # fmt: skip
        success=lambda loaded: (
            _("Loaded %(added)d codes; %(duplicates)d were already in the pool or repeated.")
            % {"added": loaded.added, "duplicates": loaded.duplicates}
        ),
        redirect_to="automation:coupons",
    )
    context = {"pools": pools, "form": form, "can_manage": can_manage}
    return done or render(request, "automation/coupons.html", context)
