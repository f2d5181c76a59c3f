"""`guanxi token USERNAME`: create an API token and print it (shown only this once)."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.management.base import GuanxiCommand


class Command(GuanxiCommand):
    help = gettext_lazy(
        "Create an API token for a user and print it. Use it as `Authorization: Token <token>`."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help=_("The user the token acts as."))
        parser.add_argument(
            "--name", default="CLI", help=_("A label for the token (default: CLI).")
        )

    def handle(self, *, username: str, name: str, **options) -> None:
        from guanxi.accounts.models import User
        from guanxi.accounts.tokens import token_create
        from guanxi.activity.models import Source

        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user named %(username)s.") % {"username": username})
        if not user.is_active:
            raise CommandError(_("User %(username)s is inactive.") % {"username": username})
        _token, key = token_create(actor=user, user=user, name=name, source=Source.SYSTEM)
        # The key alone on stdout, so scripts can capture it: TOKEN=$(guanxi token bob)
        self.stdout.write(key)
