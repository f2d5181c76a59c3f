"""Personal API tokens: created, checked, revoked. Only a hash is stored."""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.accounts.models import ApiToken, User
from guanxi.activity.models import Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import PermissionDeniedError

PREFIX = "gx_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_create(*, actor: User, user: User, name: str, source: str = "ui") -> tuple[ApiToken, str]:
    """Returns the token row and the key, which is never shown again."""
    if actor.pk != user.pk and not (actor.is_superuser or _can_manage(actor)):
        raise PermissionDeniedError(_("You may only create tokens for yourself."))
    key = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name or "API", prefix=key[:10], key_hash=_hash(key)
        )
        activity_record(actor=actor, verb=Verb.CREATED, target=token, source=source)
    return token, key


def token_revoke(*, actor: User, token: ApiToken, source: str = "ui") -> None:
    if actor.pk != token.user_id and not (actor.is_superuser or _can_manage(actor)):
        raise PermissionDeniedError(_("You may only revoke your own tokens."))
    with transaction.atomic():
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        activity_record(actor=actor, verb=Verb.DELETED, target=token, source=source)
        tokens_changed()


@dataclass(kw_only=True)
class _Cached:
    token_id: int
    user: User
    fetched: float  # time.monotonic()
    last_used_at: object  # the stamp as last written, a datetime or None


# Per process: an integration polling the API must not pay a token query per request (it was
# a third of an API detail's server time). Entries live GUANXI_TOKEN_CACHE_SECONDS (default 5):
# a token revoked, a user deactivated or a role changed in another process stops working
# within that time; in this process at once (forget_cached_tokens). See docs/decisions.md.
_cache: dict[str, _Cached] = {}
_cache_lock = threading.Lock()
_CACHE_MAX = 4096


def forget_cached_tokens() -> None:
    """Drop this process's cached token → user entries (after a revoke or a user/role change)."""
    with _cache_lock:
        _cache.clear()


def tokens_changed() -> None:
    """Call inside the transaction that revokes a token or changes a user or role: forgets now
    (this request's later checks) and again after commit (requests that read meanwhile)."""
    forget_cached_tokens()
    transaction.on_commit(forget_cached_tokens)


def token_authenticate(*, key: str) -> User | None:
    key_hash = _hash(key)
    ttl = getattr(settings, "GUANXI_TOKEN_CACHE_SECONDS", 5)
    entry = _cache.get(key_hash)
    if entry is None or time.monotonic() - entry.fetched > ttl:
        token = (
            ApiToken.objects.select_related("user", "user__role")
            .filter(key_hash=key_hash, revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            _cache.pop(key_hash, None)
            return None
        entry = _Cached(
            token_id=token.pk, user=token.user, fetched=time.monotonic(),
            last_used_at=token.last_used_at,
        )  # fmt: skip
        if ttl > 0:
            with _cache_lock:
                if len(_cache) >= _CACHE_MAX:
                    _cache.clear()
                _cache[key_hash] = entry
    now = clock.now()
    # Coarse last-used stamp: one write a minute per token, not one per request.
    if entry.last_used_at is None or (now - entry.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=entry.token_id).update(last_used_at=now)
        entry.last_used_at = now
    # A copy per request: a view that sets an attribute on request.user must not leak it
    # into another request that shares the cached object.
    return copy.copy(entry.user)


def _can_manage(user: User) -> bool:
    from guanxi.accounts.permissions import Perm, has_perm

    return has_perm(user, Perm.USER_MANAGE)
