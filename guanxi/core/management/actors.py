"""Who an operator command acts as (audit rows need an actor)."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def command_actor(username: str):
    """The active user named by `--as`, or the first active administrator."""
    from guanxi.accounts.models import User

    users = User.objects.filter(is_active=True)
    actor = (
        users.filter(username=username).first()
        if username
        else users.filter(is_superuser=True).order_by("pk").first()
    )
    if actor is None:
        raise CommandError(
            _("No active user %(name)s.") % {"name": username}
            if username
            else _("No active administrator: name a user with --as.")
        )
    return actor
