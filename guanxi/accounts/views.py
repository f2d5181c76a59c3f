"""Login, profile and language, API tokens, users and roles. Thin: parse → service → render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from guanxi.accounts import selectors, services, tokens
from guanxi.accounts.forms import (
    LanguageForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RoleForm,
    TokenCreateForm,
    UserFilterForm,
    UserForm,
)
from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core import clock
from guanxi.core.errors import ApplicationError
from guanxi.core.forms import apply_errors, submit_form

# --- login -----------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        if form.failure:
            services.login_failure_record(
                username=form.cleaned_data.get("username", ""),
                user=form.account,
                was_locked=form.was_locked,
            )
        return super().form_invalid(form)


logout = auth_views.LogoutView.as_view()


# --- profile, language, password -------------------------------------------------------


def _set_language_cookie(response, language: str):
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
        )
    return response


@login_required
def profile(request):
    user = request.user
    initial = {f: getattr(user, f) for f in services.PROFILE_FIELDS}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(actor=user, data=form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your profile was saved."))
            # The middleware applies User.language on the next request; the cookie keeps
            # the choice for the login page after logging out.
            return _set_language_cookie(redirect("accounts:profile"), user.language)
    return render(
        request, "accounts/profile.html", {"form": form, "password_form": PasswordForm(user)}
    )


@login_required
@require_POST
def password(request):
    form = PasswordForm(request.user, request.POST)
    if form.is_valid():
        try:
            services.password_change(
                actor=request.user, password=form.cleaned_data["new_password1"]
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            update_session_auth_hash(request, request.user)  # stay logged in here
            messages.success(request, _("Your password was changed."))
            return redirect("accounts:profile")
    initial = {f: getattr(request.user, f) for f in services.PROFILE_FIELDS}
    return render(
        request,
        "accounts/profile.html",
        {"form": ProfileForm(initial=initial), "password_form": form},
        status=400,
    )


@login_required
@require_POST
def language(request):
    """The language menu: saves the choice on the user, then back to the same page."""
    form = LanguageForm(request.POST)
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    if form.is_valid():
        services.profile_update(
            actor=request.user, data={"language": form.cleaned_data["language"]}
        )
    return _set_language_cookie(redirect(target), request.user.language)


# --- API tokens ------------------------------------------------------------------------


@never_cache
@login_required
def token_list(request):
    """GET lists; POST creates and shows the key once, in this response only."""
    form = TokenCreateForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        token, new_key = tokens.token_create(
            actor=request.user, user=request.user, name=form.cleaned_data["name"]
        )
        form = TokenCreateForm()
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": selectors.token_list(user=request.user), "new_key": new_key},
    )


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = selectors.token_get(user=request.user, pk=pk)
    if token.revoked_at is None:
        tokens.token_revoke(actor=request.user, token=token)
        messages.success(request, _("Token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("accounts:tokens")


# --- users -----------------------------------------------------------------------------


@login_required
def user_list(request):
    form = UserFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    users = selectors.user_list(
        user=request.user,
        search=(data.get("q") or "").strip(),
        role_id=data["role"].pk if data.get("role") else None,
        team_id=data["team"].pk if data.get("team") else None,
        active=form.active_value() if data else None,
    )
    page = Paginator(users, 25).get_page(request.GET.get("page"))
    return render(request, "accounts/users.html", {"form": form, "page": page, "now": clock.now()})


def _user_initial(user) -> dict:
    initial = {f: getattr(user, f) for f in services.USER_FIELDS}
    initial["scope_provinces"] = ", ".join(user.scope_provinces or [])
    return initial


@login_required
def user_create(request):
    require_perm(request.user, Perm.USER_MANAGE)
    form = UserForm(request.POST or None, initial={"is_active": True})
    done = submit_form(
        request,
        form=form,
        redirect_to="accounts:users",
        save=lambda data: services.user_create(actor=request.user, **data),
        success=lambda user: _("User %(name)s was created.") % {"name": user.label},
    )
    if done:
        return done
    return render(request, "accounts/user_form.html", {"form": form, "editing": None})


@login_required
def user_edit(request, pk: int):
    target = selectors.user_get(user=request.user, pk=pk)
    form = UserForm(request.POST or None, initial=_user_initial(target), editing=True)
    done = submit_form(
        request,
        form=form,
        redirect_to="accounts:users",
        save=lambda data: _user_save(actor=request.user, target=target, data=data),
        success=_("User %(name)s was saved.") % {"name": target.label},
    )
    if done:
        return done
    context = {"form": form, "editing": target, "now": clock.now()}
    return render(request, "accounts/user_form.html", context)


def _user_save(*, actor, target, data: dict) -> None:
    new_password = data.pop("password", "")
    services.user_update(actor=actor, user=target, data=data)
    if new_password:
        services.user_password_set(actor=actor, user=target, password=new_password)


# --- roles -----------------------------------------------------------------------------


@login_required
def role_list(request):
    roles = selectors.role_list(user=request.user)
    return render(request, "accounts/roles.html", {"roles": roles})


@login_required
def role_create(request):
    require_perm(request.user, Perm.ROLE_MANAGE)
    form = RoleForm(request.POST or None, initial={"default_scope": "own"})
    done = submit_form(
        request,
        form=form,
        redirect_to="accounts:roles",
        save=lambda data: services.role_create(actor=request.user, **data),
        success=lambda role: _("Role %(name)s was created.") % {"name": role.name},
    )
    if done:
        return done
    return render(request, "accounts/role_form.html", {"form": form, "role": None})


@login_required
def role_edit(request, pk: int):
    role = selectors.role_get(user=request.user, pk=pk)
    initial = {f: getattr(role, f) for f in services.ROLE_FIELDS}
    form = RoleForm(request.POST or None, initial=initial, editing=True)
    done = submit_form(
        request,
        form=form,
        redirect_to="accounts:roles",
        save=lambda data: services.role_update(actor=request.user, role=role, data=data),
        success=lambda _result: _("Role %(name)s was saved.") % {"name": role.name},
    )
    if done:
        return done
    return render(request, "accounts/role_form.html", {"form": form, "role": role})


@login_required
@require_POST
def role_delete(request, pk: int):
    role = selectors.role_get(user=request.user, pk=pk)
    try:
        services.role_delete(actor=request.user, role=role)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Role %(name)s was deleted.") % {"name": role.name})
    return redirect("accounts:roles")
