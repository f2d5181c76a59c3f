"""Who an operator command acts as (audit rows need an actor)."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def command_actor(username: str):
    """The active user named by `--as`, or the first active administrator (a superuser, else
    a user with the built-in admin role, as `guanxi createadmin` makes)."""
    from django.db.models import Q

    from guanxi.accounts.models import User

    users = User.objects.filter(is_active=True)
    actor = (
        users.filter(username=username).first()
        if username
        else users.filter(Q(is_superuser=True) | Q(role__slug="admin", role__is_builtin=True))
        .order_by("-is_superuser", "pk")
        .first()
    )
    if actor is None:
        raise CommandError(
            _("No active user %(name)s.") % {"name": username}
            if username
            else _("No active administrator: name a user with --as.")
        )
    return actor
