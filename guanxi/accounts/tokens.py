"""Personal API tokens: created, checked, revoked. Only a hash is stored."""

from __future__ import annotations

import hashlib
import secrets

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


def token_authenticate(*, key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user", "user__role")
        .filter(key_hash=_hash(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    # Coarse last-used stamp: one write a minute per token, not one per request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def _can_manage(user: User) -> bool:
    from guanxi.accounts.permissions import Perm, has_perm

    return has_perm(user, Perm.USER_MANAGE)
