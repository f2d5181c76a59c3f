"""In-app notifications: the bell, the list, marking read."""

from __future__ import annotations

from dataclasses import replace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from guanxi.core import clock
from guanxi.core.errors import NotFoundError
from guanxi.messaging import selectors, services
from guanxi.messaging.ical import calendar
from guanxi.messaging.models import CalendarFeed

CHANGED = "notifications-changed"  # the bell in base.html listens for this to refresh


def bell(request):
    """The bell icon with its unread badge, swapped into the navbar every 30 seconds."""
    if not request.user.is_authenticated:
        # A session that ended stops the polling instead of swapping a login page in.
        return HttpResponseStopPolling(render_to_string("messaging/bell.html", {"count": 0}))
    count = selectors.unread_count(user=request.user)
    return render(request, "messaging/bell.html", {"count": count})


@login_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    notifications = selectors.notification_list(user=request.user, unread_only=unread_only)
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "unread_only": unread_only,
        "unread": selectors.unread_count(user=request.user),
    }
    template = "messaging/list.html#items" if request.htmx else "messaging/list.html"
    return render(request, template, context)


def _own(request, pk: int):
    notification = selectors.notification_list(user=request.user).filter(pk=pk).first()
    if notification is None:
        raise NotFoundError(_("Notification not found."))
    return notification


@login_required
@require_POST
def mark_read(request, pk: int):
    services.notifications_mark_read(user=request.user, ids=[_own(request, pk).pk])
    if not request.htmx:
        return redirect("messaging:list")
    row = render_to_string("messaging/list.html#item", {"n": _own(request, pk)}, request)
    # The page heading's count is swapped out of band; the bell refreshes on the event.
    badge = render_to_string(
        "messaging/list.html#unread_badge",
        {"unread": selectors.unread_count(user=request.user), "oob": True},
    )
    return trigger_client_event(HttpResponse(row + badge), CHANGED)


@login_required
@require_POST
def mark_all_read(request):
    services.notifications_mark_read(user=request.user)
    if not request.htmx:
        return redirect("messaging:list")
    return trigger_client_event(notification_list(request), CHANGED)


@login_required
def open_notification(request, pk: int):
    """Follow a notification's link and mark it read on the way."""
    notification = _own(request, pk)
    services.notifications_mark_read(user=request.user, ids=[notification.pk])
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect("messaging:list")
    return redirect(target)


# --- calendar feed ---------------------------------------------------------------------


@login_required
def calendar_settings(request):
    """Create, replace or stop the user's calendar feed URL; a new URL is shown once."""
    url = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.calendar_feed_revoke(actor=request.user)
            messages.success(request, _("The calendar feed is stopped; its URL no longer works."))
            return redirect("messaging:calendar")
        key = services.calendar_feed_create(actor=request.user)
        url = request.build_absolute_uri(reverse("messaging:calendar_feed", args=[key]))
    feed = CalendarFeed.objects.filter(user=request.user).first()
    return render(request, "messaging/calendar.html", {"feed": feed, "url": url})


def calendar_feed(request, key: str):
    """The feed itself: no login (calendar apps cannot log in), the secret URL is the key."""
    user = services.calendar_feed_user(key=key)
    if user is None:
        raise Http404
    with translation.override(user.language or settings.LANGUAGE_CODE):
        entries = [
            replace(e, url=request.build_absolute_uri(e.url)) if e.url else e
            for e in selectors.calendar_entries(user=user)
        ]
        name = _("Guanxi: %(name)s") % {"name": user.display_name or user.username}
        text = calendar(name=name, entries=entries, now=clock.now())
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="guanxi.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
