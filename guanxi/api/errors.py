"""One error shape for the API: {"detail": ..., "errors": {field: [...]}}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from guanxi.core.errors import ApplicationError, NotFoundError


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _flatten(value).items():
                    out[f"{key}.{sub}"] = msgs
            elif isinstance(value, list):
                out[key] = [str(v) if not isinstance(v, dict) else str(v) for v in value]
            else:
                out[key] = [str(value)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        # Selectors raise "… not found." untranslated (they know no request); the catalogue
        # has those msgids from the services, so translate here. A message that is already
        # translated is not a msgid and passes through unchanged.
        message = _(exc.message) if isinstance(exc, NotFoundError) else exc.message
        return Response({"detail": message, "errors": exc.errors}, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": _("The data you sent is not valid."),
            "errors": _flatten(exc.detail),
        }
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        detail = (
            response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        )
        response.data = {"detail": str(detail), "errors": {}}
    return response
