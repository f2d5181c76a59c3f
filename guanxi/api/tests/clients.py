"""API clients for tests: signed in by a real personal token, or forced for brevity."""

from __future__ import annotations

from rest_framework.test import APIClient

from guanxi.accounts.tokens import token_create


def api_client(user=None) -> APIClient:
    """A client acting as `user` (anonymous without one), authentication bypassed."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


def token_client(user) -> APIClient:
    """A client that sends `Authorization: Token <key>` like an integration does."""
    _token, key = token_create(actor=user, user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
