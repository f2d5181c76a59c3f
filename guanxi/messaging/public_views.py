"""Addresses recipients reach without logging in: open pixel, tracked links, unsubscribe.

Each checks the HMAC of its address (tokens.py) before touching the database; a bad or
unknown address is a plain 404 and records nothing."""

from __future__ import annotations

import base64

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from guanxi.messaging import tokens, tracking
from guanxi.messaging.models import Message

_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _message(token: str, sig: str, *parts: object) -> Message:
    if not tokens.valid(sig, token, *parts):
        raise Http404
    message = Message.objects.select_related("customer").filter(token=token).first()
    if message is None:
        raise Http404
    return message


@never_cache
def open_pixel(request, token: str, sig: str):
    tracking.message_open(message=_message(token, sig, "open"))
    return HttpResponse(_PIXEL, content_type="image/gif")


@never_cache
def click(request, token: str, index: int, sig: str):
    target = tracking.message_click(message=_message(token, sig, "click", index), index=index)
    if target is None:
        raise Http404
    return HttpResponseRedirect(target)


@csrf_exempt  # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" with no cookie
@never_cache
def unsubscribe(request, token: str, sig: str):
    """GET shows a confirmation button (link scanners follow GETs: they must not
    unsubscribe anyone); POST — the button, or a mail client's one-click — unsubscribes."""
    message = _message(token, sig, "unsubscribe")
    done = False
    if request.method == "POST":
        tracking.unsubscribe(channel=message.channel, address=message.recipient, message=message)
        done = True
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(status=200)
    return render(request, "messaging/unsubscribe.html", {"message": message, "done": done})
