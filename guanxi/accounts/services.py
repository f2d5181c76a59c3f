"""The write path for users, roles, profiles and login failures.

Web views, the CLI and the API all come through here, so permission checks and audit rows
always apply. Every change records its fields before → after.
"""

from __future__ import annotations

import math
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from guanxi.accounts.backends import is_locked
from guanxi.accounts.models import DataScope, Department, Role, Team, User
from guanxi.accounts.permissions import Perm, has_perm, require_perm
from guanxi.accounts.tokens import tokens_changed
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, PermissionDeniedError
from guanxi.core.model_update import model_update
from guanxi.core.pinyin import pinyin_keys
from guanxi.customers.references import references_changed

USER_FIELDS = [
    "display_name", "email", "phone", "role", "team", "department", "data_scope",
    "scope_provinces", "scope_industries", "is_active", "language",
]  # fmt: skip
PROFILE_FIELDS = ["display_name", "email", "phone", "language"]
ROLE_FIELDS = ["name", "name_en", "default_scope", "permissions"]
_RELATED = {"role", "team", "department"}


def _readable(instance: Any, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Foreign keys are audited by name, not by id, so the log reads without lookups."""
    for name in _RELATED & changes.keys():
        model = instance._meta.get_field(name).related_model
        names = dict(
            model.objects.filter(pk__in=[v for v in changes[name] if v]).values_list("pk", "name")
        )
        changes[name] = [names.get(v, v) if v else None for v in changes[name]]
    return changes


def _check_password(user: User, password: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ApplicationError(exc.messages[0], errors={"password": list(exc.messages)}) from exc


def _resolve(model: type[Team] | type[Department], value: Any) -> Any:
    """Accept an instance, a pk or (from the CLI) a name, creating a named team on the fly."""
    if value is None or value == "" or isinstance(value, model):
        return value or None
    if isinstance(value, int):
        return model.objects.get(pk=value)
    return model.objects.get_or_create(name=str(value).strip())[0]


def _check_role_grant(actor: User | None, role: Role | None) -> None:
    # A user manager without role management must not hand out more power than they hold.
    if actor is None or role is None or actor.is_superuser:
        return
    missing = [p for p in role.permissions if not has_perm(actor, p)]
    if missing:
        raise PermissionDeniedError(_("You cannot assign a role with permissions you do not have."))


# --- users -----------------------------------------------------------------------------


def user_create(
    *,
    actor: User | None,
    username: str,
    role_slug: str | None = None,
    role: Role | None = None,
    password: str | None = None,
    display_name: str = "",
    email: str = "",
    phone: str = "",
    team: Any = None,
    department: Any = None,
    data_scope: str | None = None,
    scope_provinces: list[str] | None = None,
    scope_industries: list[str] | None = None,
    is_active: bool = True,
    source: str = Source.UI,
) -> User:
    """Create a user. `actor=None` is the operator at the command line (no permission check)."""
    if actor is not None:
        require_perm(actor, Perm.USER_MANAGE)
    username = (username or "").strip()
    if not username:
        raise ApplicationError(
            _("Enter a username."), errors={"username": [_("Enter a username.")]}
        )
    if User.objects.filter(username=username).exists():
        message = _("A user with that username already exists.")
        raise ApplicationError(message, errors={"username": [message]})
    if role is None and role_slug:
        role = Role.objects.filter(slug=role_slug).first()
        if role is None:
            message = _("Unknown role: %(role)s") % {"role": role_slug}
            raise ApplicationError(message, errors={"role": [message]})
    _check_role_grant(actor, role)
    team = _resolve(Team, team)
    department = _resolve(Department, department) or (team.department if team else None)
    if data_scope and data_scope not in DataScope.values:
        message = _("Unknown data scope: %(scope)s") % {"scope": data_scope}
        raise ApplicationError(message, errors={"data_scope": [message]})
    user = User(
        username=username,
        display_name=display_name,
        email=email,
        phone=phone,
        role=role,
        team=team,
        department=department,
        data_scope=data_scope or (role.default_scope if role else DataScope.OWN),
        scope_provinces=scope_provinces or [],
        scope_industries=scope_industries or [],
        is_active=is_active,
    )
    if password:
        _check_password(user, password)
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        user.save()
        activity_record(
            actor=actor,
            verb=Verb.CREATED,
            target=user,
            source=source,
            changes={
                "username": [None, user.username],
                "role": [None, role.name if role else None],
                "team": [None, team.name if team else None],
                "data_scope": [None, user.data_scope],
            },
        )
    return user


def user_update(
    *, actor: User, user: User, data: dict[str, Any], source: str = Source.UI
) -> dict[str, list[Any]]:
    """Change a user's fields; returns {field: [before, after]} of what really changed."""
    require_perm(actor, Perm.USER_MANAGE)
    data = dict(data)
    if "team" in data:
        data["team"] = _resolve(Team, data["team"])
    if "department" in data:
        data["department"] = _resolve(Department, data["department"])
    if "role" in data and data["role"] != user.role:
        _check_role_grant(actor, data["role"])
    if user.pk == actor.pk and data.get("is_active") is False:
        raise ApplicationError(_("You cannot deactivate your own account."))
    if user.pk == actor.pk and "role" in data and not _role_keeps(data["role"], Perm.USER_MANAGE):
        raise ApplicationError(_("You cannot take away your own right to manage users."))
    with transaction.atomic():
        # Cached API tokens carry the user and role: forget them now and after commit.
        tokens_changed()
        references_changed()  # owner names in API rows are cached per process
        changes = model_update(instance=user, fields=USER_FIELDS, data=data)
        if changes:
            user.save(update_fields=list(changes))
            activity_record(
                actor=actor,
                verb=Verb.UPDATED,
                target=user,
                source=source,
                changes=_readable(user, changes),
            )
    return changes


def _role_keeps(role: Role | None, perm: Perm) -> bool:
    return role is not None and str(perm) in role.permissions


def user_password_set(*, actor: User, user: User, password: str, source: str = Source.UI) -> None:
    """An administrator resets someone's password (or their own, without the old one)."""
    require_perm(actor, Perm.USER_MANAGE)
    _check_password(user, password)
    _password_save(actor=actor, user=user, password=password, source=source)


def password_change(*, actor: User, password: str, source: str = Source.UI) -> None:
    """A user changes their own password; the caller has checked the old one."""
    _check_password(actor, password)
    _password_save(actor=actor, user=actor, password=password, source=source)


def _password_save(*, actor: User, user: User, password: str, source: str) -> None:
    with transaction.atomic():
        user.set_password(password)
        # A new password also lifts a lockout: the administrator has vouched for the person.
        user.failed_logins = 0
        user.locked_until = None
        user.save(update_fields=["password", "failed_logins", "locked_until"])
        # The audit row says that it changed, never what to.
        activity_record(
            actor=actor,
            verb=Verb.UPDATED,
            target=user,
            source=source,
            changes={"password": ["********", "********"]},
        )


def profile_update(
    *, actor: User, data: dict[str, Any], source: str = Source.UI
) -> dict[str, list[Any]]:
    """A user edits their own display name, email, phone and language."""
    if data.get("language") and data["language"] not in {"zh-hans", "en"}:
        raise ApplicationError(
            _("Unknown language."), errors={"language": [_("Unknown language.")]}
        )
    with transaction.atomic():
        changes = model_update(instance=actor, fields=PROFILE_FIELDS, data=data)
        if changes:
            actor.save(update_fields=list(changes))
            activity_record(
                actor=actor, verb=Verb.UPDATED, target=actor, source=source, changes=changes
            )
    return changes


# --- roles -----------------------------------------------------------------------------


def _clean_permissions(permissions: list[str]) -> list[str]:
    known = [str(p) for p in Perm]
    unknown = [p for p in permissions if p not in known]
    if unknown:
        message = _("Unknown permissions: %(perms)s") % {"perms": ", ".join(unknown)}
        raise ApplicationError(message, errors={"permissions": [message]})
    return [p for p in known if p in permissions]  # stable order, no duplicates


def _unique_slug(name: str, name_en: str) -> str:
    base = (slugify(name_en) or pinyin_keys(name)[0] or "role")[:40]
    slug, n = base, 2
    while Role.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def role_create(
    *,
    actor: User,
    name: str,
    name_en: str = "",
    default_scope: str = DataScope.OWN,
    permissions: list[str] | None = None,
    slug: str = "",
    source: str = Source.UI,
) -> Role:
    require_perm(actor, Perm.ROLE_MANAGE)
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Enter a name."), errors={"name": [_("Enter a name.")]})
    slug = slugify(slug) if slug else _unique_slug(name, name_en)
    if Role.objects.filter(slug=slug).exists():
        message = _("A role with this code already exists.")
        raise ApplicationError(message, errors={"slug": [message]})
    role = Role(
        slug=slug,
        name=name,
        name_en=(name_en or "").strip(),
        default_scope=default_scope,
        permissions=_clean_permissions(permissions or []),
    )
    with transaction.atomic():
        role.save()
        activity_record(
            actor=actor,
            verb=Verb.CREATED,
            target=role,
            source=source,
            changes={f: [None, getattr(role, f)] for f in ROLE_FIELDS},
        )
    return role


def role_update(
    *, actor: User, role: Role, data: dict[str, Any], source: str = Source.UI
) -> dict[str, list[Any]]:
    """Built-in roles may be edited too; only their code and existence are fixed."""
    require_perm(actor, Perm.ROLE_MANAGE)
    data = dict(data)
    if "permissions" in data:
        data["permissions"] = _clean_permissions(data["permissions"])
        if (
            actor.role_id == role.pk
            and not actor.is_superuser
            and str(Perm.ROLE_MANAGE) not in data["permissions"]
        ):
            raise ApplicationError(_("You cannot take away your own right to manage roles."))
    if "name" in data and not (data["name"] or "").strip():
        raise ApplicationError(_("Enter a name."), errors={"name": [_("Enter a name.")]})
    with transaction.atomic():
        # Cached API tokens carry the user and role: forget them now and after commit.
        tokens_changed()
        changes = model_update(instance=role, fields=ROLE_FIELDS, data=data)
        if changes:
            role.save(update_fields=list(changes))
            activity_record(
                actor=actor, verb=Verb.UPDATED, target=role, source=source, changes=changes
            )
    return changes


def role_delete(*, actor: User, role: Role, source: str = Source.UI) -> None:
    require_perm(actor, Perm.ROLE_MANAGE)
    if role.is_builtin:
        raise ApplicationError(_("Built-in roles cannot be deleted."))
    if role.users.exists():
        raise ApplicationError(_("This role is still assigned to users; reassign them first."))
    with transaction.atomic():
        # Cached API tokens carry the user and role: forget them now and after commit.
        tokens_changed()
        activity_record(actor=actor, verb=Verb.DELETED, target=role, source=source)
        role.delete()


# --- login -----------------------------------------------------------------------------


def lock_minutes_left(user: User) -> int:
    if not is_locked(user):
        return 0
    return max(1, math.ceil((user.locked_until - clock.now()).total_seconds() / 60))


def login_failure_record(
    *, username: str, user: User | None, was_locked: bool, source: str = Source.UI
) -> None:
    """Audit one failed login, and the lockout it caused if it was the last straw.

    Called after the authentication backend has counted the failure, so `user` (re-read)
    shows whether this attempt locked the account. The summary is the username that was
    typed (data, not a sentence), so the row reads the same in every language.
    """
    # A refused attempt on a locked account says until when it stays locked.
    changes = {"locked_until": [user.locked_until, user.locked_until]} if was_locked else None
    with transaction.atomic():
        activity_record(
            actor=user,
            verb=Verb.LOGIN_FAILED,
            target=user,
            target_type="accounts.user",
            source=source,
            changes=changes,
            summary=username[:150],
        )
        if user is not None and not was_locked and is_locked(user):
            activity_record(
                actor=None,  # the system locks the account, not its owner
                verb=Verb.LOCKED,
                target=user,
                source=source,
                changes={"locked_until": [None, user.locked_until]},
            )


def user_make_admin(*, actor: User | None, user: User, source: str = Source.UI) -> User:
    """Give a user the admin role and full rights, and make sure they can log in."""
    if actor is not None:
        require_perm(actor, Perm.USER_MANAGE)
    role = Role.objects.get(slug="admin")
    before = {
        "role": user.role.slug if user.role else None,
        "is_superuser": user.is_superuser,
        "is_active": user.is_active,
        "data_scope": user.data_scope,
    }
    after = {"role": role.slug, "is_superuser": True, "is_active": True, "data_scope": "all"}
    changes = {key: [before[key], value] for key, value in after.items() if before[key] != value}
    if not changes:
        return user
    with transaction.atomic():
        # Cached API tokens carry the user and role: forget them now and after commit.
        tokens_changed()
        user.role = role
        user.is_superuser = user.is_staff = user.is_active = True
        user.data_scope = DataScope.ALL
        user.save(update_fields=["role", "is_superuser", "is_staff", "is_active", "data_scope"])
        activity_record(actor=actor, verb=Verb.UPDATED, target=user, source=source, changes=changes)
    return user
