"""`guanxi user add …`: create users from the command line (through accounts.services)."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts.models import DataScope
from guanxi.core.errors import ApplicationError
from guanxi.core.management.base import GuanxiCommand


def error_text(exc: ApplicationError) -> str:
    """One line per field error, for a terminal."""
    if not exc.errors:
        return exc.message
    return "\n".join(
        f"{field}: {message}" for field, messages in exc.errors.items() for message in messages
    )


class Command(GuanxiCommand):
    help = gettext_lazy("Manage users.")

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = actions.add_parser(
            "add",
            help=_("Create a user with a role."),
            description=_(
                "Create a user with a role. The team and department are created when new. "
                "Without --password a password is generated and printed once."
            ),
        )
        add.add_argument("username", help=_("Login name."))
        add.add_argument(
            "--role",
            required=True,
            help=_("Role code: sales, supervisor, service, marketing, finance, admin."),
        )
        add.add_argument("--team", default="", help=_("Team name."))
        add.add_argument("--department", default="", help=_("Department name."))
        add.add_argument(
            "--scope",
            choices=DataScope.values,
            default="",
            help=_("Data scope (default: the role's)."),
        )
        add.add_argument("--password", default="", help=_("Password (validated)."))
        add.add_argument("--display-name", default="", help=_("Name shown in the UI."))
        add.add_argument("--email", default="", help=_("Email address."))

    def handle(self, *, action: str, **options) -> None:
        if action == "add":
            self.add(**options)

    def add(
        self,
        *,
        username: str,
        role: str,
        team: str,
        department: str,
        scope: str,
        password: str,
        display_name: str,
        email: str,
        **options,
    ) -> None:
        from guanxi.accounts.services import user_create
        from guanxi.activity.models import Source
        from guanxi.core.passwords import password_generate

        generated = not password
        password = password or password_generate()
        try:
            user = user_create(
                actor=None,
                username=username,
                role_slug=role,
                password=password,
                team=team or None,
                department=department or None,
                data_scope=scope or None,
                display_name=display_name,
                email=email,
                source=Source.SYSTEM,
            )
        except ApplicationError as exc:
            raise CommandError(error_text(exc)) from exc
        self.stdout.write(
            _("Created user %(username)s (role %(role)s, scope %(scope)s).")
            % {"username": user.username, "role": role, "scope": user.data_scope}
        )
        if generated:
            self.stdout.write(_("Password: %(password)s") % {"password": password})
