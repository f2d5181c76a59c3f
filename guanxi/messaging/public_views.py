"""Addresses reached without logging in: open pixel, tracked links, unsubscribe, and the
inbound webhooks for replies (mail, SMS).

Each checks the HMAC of its address (tokens.py), or the endpoint's secret key, before
touching anything else; a bad or unknown address is a plain 404 and records nothing."""

from __future__ import annotations

import base64
import json

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from guanxi.core.errors import ApplicationError
from guanxi.messaging import inbound, tokens, tracking
from guanxi.messaging.models import Message, Suppression

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
    # Someone opening the link again sees that it is done rather than a second button.
    done = Suppression.objects.filter(channel=message.channel, address=message.recipient).exists()
    if request.method == "POST":
        tracking.unsubscribe(channel=message.channel, address=message.recipient, message=message)
        done = True
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(status=200)
    return render(request, "messaging/unsubscribe.html", {"message": message, "done": done})


# --- inbound webhooks (inbound.py) -------------------------------------------------------

_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _json_error(status: int, detail: str, errors: dict | None = None) -> JsonResponse:
    body: dict = {"detail": detail}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


def _answer(outcome: inbound.Outcome) -> JsonResponse:
    # 202: taken, but it named nothing of ours — the sender must not retry it.
    return JsonResponse(outcome.as_json(), status=200 if outcome.matched else 202)


def _too_big(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return length > inbound.MAX_MAIL_BYTES


def _raw_mail(request) -> bytes:
    """The raw MIME: the request body, or a form field / file named `email` or `mime`."""
    if request.content_type not in _FORM_TYPES:
        return request.body
    for name in ("email", "mime"):
        upload = request.FILES.get(name)
        if upload is not None:
            return upload.read(inbound.MAX_MAIL_BYTES + 1)
        value = request.POST.get(name)
        if value:
            return value.encode("utf-8", "surrogateescape")
    raise ApplicationError(_("Post the raw email in the body, or in a form field named “email”."))


@csrf_exempt  # providers post without a session; the secret key in the URL authenticates
@require_POST
@never_cache
def inbound_mail(request, key: str):
    if inbound.inbound_endpoint_check(kind="mail", key=key) is None:
        raise Http404
    if _too_big(request):
        return _json_error(413, _("The email is larger than 10 MB."))
    try:
        raw = _raw_mail(request)
        if len(raw) > inbound.MAX_MAIL_BYTES:
            return _json_error(413, _("The email is larger than 10 MB."))
        return _answer(inbound.mail_receive(raw=raw))
    except ApplicationError as error:
        return _json_error(400, error.message, error.errors)
    except RequestDataTooBig:
        return _json_error(413, _("The email is larger than 10 MB."))


@csrf_exempt
@require_POST
@never_cache
def inbound_sms(request, key: str):
    if inbound.inbound_endpoint_check(kind="sms", key=key) is None:
        raise Http404
    try:
        data = _sms_fields(request)
        return _answer(inbound.sms_receive(phone=data["phone"], text=data["text"]))
    except ApplicationError as error:
        return _json_error(400, error.message, error.errors)


# Field names SMS providers use for the sender and the text of an uplink message.
_PHONE_FIELDS = ("phone", "mobile", "phone_number", "from")
_TEXT_FIELDS = ("text", "content", "message", "body")


def _sms_fields(request) -> dict[str, str]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ApplicationError(_("The body is not valid JSON.")) from None
        if not isinstance(data, dict):
            raise ApplicationError(_("Post a JSON object with “phone” and “text”."))
    else:
        data = request.POST

    def first(names: tuple[str, ...]) -> str:
        for name in names:
            value = data.get(name)
            if value not in (None, ""):
                return str(value)
        return ""

    return {"phone": first(_PHONE_FIELDS), "text": first(_TEXT_FIELDS)}
