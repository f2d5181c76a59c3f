"""Errors services raise; views and the API turn them into messages and status codes."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404


class ApplicationError(Exception):
    """A request that cannot be carried out, with a message for the user."""

    status_code = 400

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class PermissionDeniedError(ApplicationError, PermissionDenied):
    """Also Django's PermissionDenied, so a plain view answers 403 without a try/except."""

    status_code = 403


class NotFoundError(ApplicationError, Http404):
    """Also Http404: "not found" and "not yours" look the same to the caller."""

    status_code = 404


class ConflictError(ApplicationError):
    """The record changed since the caller read it (stale version)."""

    status_code = 409


def errors_from_validation(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errs for m in e.messages]
            for field, errs in exc.error_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}
