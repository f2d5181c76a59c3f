"""Forms for login, profile, tokens, users and roles. They validate; services write."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guanxi.accounts import selectors
from guanxi.accounts.backends import is_locked
from guanxi.accounts.models import DataScope, Role, User
from guanxi.accounts.permissions import PERM_LABELS, Perm
from guanxi.core.forms import BootstrapMixin

LANGUAGE_CHOICES = [("", _("Browser default")), ("zh-hans", "简体中文"), ("en", "English")]


def role_label(role: Role) -> str:
    from django.utils.translation import get_language

    if role.name_en and (get_language() or "").startswith("en"):
        return role.name_en
    return role.name


class RoleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Role) -> str:
        return role_label(obj)


class LoginForm(BootstrapMixin, AuthenticationForm):
    """Tells a locked account apart from a wrong password, and remembers which it was.

    The view audits the outcome (`failure`, `account`, `was_locked`) through a service.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The username or password is incorrect."),
        "inactive": _("This account is inactive."),
    }

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.account: User | None = None
        self.was_locked = False
        self.failure = False
        self.locked_out = False

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (username and password):
            return super().clean()
        self.account = selectors.account_for_login(username=username)
        self.was_locked = bool(self.account and is_locked(self.account))
        if self.was_locked:
            self.failure = True
            raise self._locked_error()
        try:
            return super().clean()
        except ValidationError:
            self.failure = True
            if self.account is not None:
                self.account.refresh_from_db(fields=["failed_logins", "locked_until"])
                if is_locked(self.account):
                    raise self._locked_error() from None
            raise

    def _locked_error(self) -> ValidationError:
        from guanxi.accounts.services import lock_minutes_left

        minutes = lock_minutes_left(self.account)
        self.locked_out = True
        return ValidationError(
            ngettext(
                "Too many failed attempts; try again in %(minutes)d minute.",
                "Too many failed attempts; try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes},
            code="locked",
        )


class ProfileForm(BootstrapMixin, forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email address"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES[1:])
    next = forms.CharField(required=False)


class TokenCreateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “ERP sync”."),
    )


def _split_list(value: str) -> list[str]:
    # Accept Chinese and Latin commas, semicolons and new lines: people paste lists.
    return [part.strip() for part in re.split(r"[,，;；\n]+", value or "") if part.strip()]


class UserForm(BootstrapMixin, forms.Form):
    """Create (with username and password) or edit a user (password optional = reset)."""

    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email address"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    role = RoleChoiceField(label=_("Role"), queryset=Role.objects.none(), required=True)
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False)
    department = forms.ModelChoiceField(label=_("Department"), queryset=None, required=False)
    data_scope = forms.ChoiceField(
        label=_("Data scope"),
        choices=DataScope.choices,
        help_text=_("Which customers this user sees: their own, their team's, …"),
    )
    scope_provinces = forms.CharField(
        label=_("Restrict to provinces"),
        required=False,
        help_text=_("Optional. Province names separated by commas, e.g. 广东省, 上海市."),
    )
    scope_industries = forms.MultipleChoiceField(
        label=_("Restrict to industries"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text=_("Optional. Leave empty for all industries."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from guanxi.customers.models import Industry

        self.fields["role"].queryset = selectors.role_choices()
        self.fields["team"].queryset = selectors.team_choices()
        self.fields["department"].queryset = selectors.department_choices()
        self.fields["scope_industries"].choices = [
            (i.code, str(i)) for i in Industry.objects.filter(is_active=True)
        ]
        if editing:
            del self.fields["username"]
            self.fields["password"].label = _("Reset password")
            self.fields["password"].help_text = _("Leave empty to keep the current password.")
        else:
            self.fields["password"].required = True
            # A new user gets the role's default scope unless the administrator picks one.
            self.fields["data_scope"].required = False
            self.fields["data_scope"].choices = [("", _("The role's default")), *DataScope.choices]

    def clean_scope_provinces(self) -> list[str]:
        return _split_list(self.cleaned_data.get("scope_provinces", ""))


class UserFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    role = RoleChoiceField(
        label=_("Role"), queryset=Role.objects.none(), required=False, empty_label=_("All roles")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=None, required=False, empty_label=_("All teams")
    )
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Active and inactive")), ("1", _("Active")), ("0", _("Inactive"))],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = selectors.role_choices()
        self.fields["team"].queryset = selectors.team_choices()

    def active_value(self) -> bool | None:
        value = self.cleaned_data.get("active")
        return None if value in (None, "") else value == "1"


class RoleForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    slug = forms.SlugField(
        label=_("Code"),
        max_length=50,
        required=False,
        help_text=_("Optional; generated from the name when empty. Cannot be changed later."),
    )
    default_scope = forms.ChoiceField(
        label=_("Default data scope"),
        choices=DataScope.choices,
        help_text=_("Given to users when they get this role; each user can differ."),
    )
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(str(p), PERM_LABELS[p]) for p in Perm],
    )

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["slug"]


class PasswordForm(BootstrapMixin, PasswordChangeForm):
    """Django's own check of the old password and the validators; the service saves."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
