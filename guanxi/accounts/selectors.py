"""Reading users, roles and tokens. Management lists are for user/role managers only."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.accounts.models import ApiToken, Department, Role, Team, User
from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core.errors import NotFoundError


def user_list(
    *,
    user: User,
    search: str = "",
    role_id: int | None = None,
    team_id: int | None = None,
    active: bool | None = None,
) -> QuerySet[User]:
    require_perm(user, Perm.USER_MANAGE)
    qs = User.objects.select_related("role", "team", "department")
    if search:
        qs = qs.filter(
            Q(username__icontains=search)
            | Q(display_name__icontains=search)
            | Q(email__icontains=search)
            | Q(phone__icontains=search)
        )
    if role_id:
        qs = qs.filter(role_id=role_id)
    if team_id:
        qs = qs.filter(team_id=team_id)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("username")


def user_get(*, user: User, pk: int) -> User:
    require_perm(user, Perm.USER_MANAGE)
    found = User.objects.select_related("role", "team", "department").filter(pk=pk).first()
    if found is None:
        raise NotFoundError(_("User not found."))
    return found


def role_list(*, user: User) -> QuerySet[Role]:
    require_perm(user, Perm.ROLE_MANAGE)
    return Role.objects.annotate(user_count=Count("users")).order_by("id")


def role_get(*, user: User, pk: int) -> Role:
    require_perm(user, Perm.ROLE_MANAGE)
    role = Role.objects.filter(pk=pk).first()
    if role is None:
        raise NotFoundError(_("Role not found."))
    return role


def role_choices() -> QuerySet[Role]:
    return Role.objects.order_by("id")


def team_choices() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def department_choices() -> QuerySet[Department]:
    return Department.objects.order_by("name")


def token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def token_get(*, user: User, pk: int) -> ApiToken:
    """One of the viewer's own tokens; anyone else's is "not found"."""
    token = ApiToken.objects.filter(user=user, pk=pk).first()
    if token is None:
        raise NotFoundError(_("Token not found."))
    return token


def account_for_login(*, username: str) -> User | None:
    """The account a login form names, to tell a locked account from a wrong password."""
    return User.objects.filter(username=username).first() if username else None
