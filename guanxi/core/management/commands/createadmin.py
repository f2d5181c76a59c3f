"""`guanxi createadmin`: create an administrator, or reset an existing one's password."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.errors import ApplicationError
from guanxi.core.management.base import GuanxiCommand
from guanxi.core.management.commands.user import error_text


class Command(GuanxiCommand):
    help = gettext_lazy(
        "Create an administrator (all permissions), or reset the password of an existing "
        "one. Without --password a password is generated and printed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin", help=_("Login name (default: admin)."))
        parser.add_argument("--password", default="", help=_("Password (validated)."))
        parser.add_argument("--email", default="", help=_("Email address."))

    def handle(self, *, username: str, password: str, email: str, **options) -> None:
        from guanxi.accounts.models import User
        from guanxi.accounts.services import user_create, user_make_admin, user_password_set
        from guanxi.activity.models import Source
        from guanxi.core import startup
        from guanxi.core.passwords import password_generate

        generated = not password
        password = password or password_generate()
        existing = User.objects.filter(username=username).first()
        try:
            with transaction.atomic():
                if existing is None:
                    user_create(
                        actor=None,
                        username=username,
                        role_slug="admin",
                        password=password,
                        email=email,
                        display_name=_("Administrator"),
                        source=Source.SYSTEM,
                    )
                else:
                    user_make_admin(actor=None, user=existing, source=Source.SYSTEM)
                    # Now an administrator, the user resets their own password: the audit
                    # row names them, with source "system" (the command line).
                    user_password_set(
                        actor=existing, user=existing, password=password, source=Source.SYSTEM
                    )
        except ApplicationError as exc:
            raise CommandError(error_text(exc)) from exc
        if username == startup.ADMIN_USERNAME:
            # Keep the login `guanxi run` prints in step with the real password.
            startup.admin_password_store(password)
        message = (
            _("Created administrator %(username)s.")
            if existing is None
            else _("Reset the password of administrator %(username)s.")
        )
        self.stdout.write(message % {"username": username})
        if generated:
            self.stdout.write(_("Password: %(password)s") % {"password": password})
