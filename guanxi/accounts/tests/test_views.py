import re

import pytest
from django.urls import reverse

from guanxi.accounts.models import ApiToken, Role, User
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.accounts.tokens import token_authenticate
from guanxi.activity.models import ActivityEvent

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _login(client, username, password, **extra):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, **EN, **extra
    )


# --- login -----------------------------------------------------------------------------


def test_login_page_shows_product_name_and_language_switch(client):
    response = client.get(reverse("accounts:login"), **EN)
    body = response.content.decode()
    assert response.status_code == 200
    assert "关系" in body and "Guanxi" in body
    assert reverse("set_language") in body
    assert 'value="zh-hans"' in body and 'value="en"' in body


def test_login_with_right_password_goes_home(client):
    user = UserFactory(role_slug="sales")
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert client.get(reverse("core:home")).wsgi_request.user == user


def test_wrong_password_shows_message_and_is_audited(client):
    user = UserFactory(role_slug="sales")
    response = _login(client, user.username, "wrong-password")
    assert response.status_code == 200
    assert "The username or password is incorrect." in response.content.decode()
    event = ActivityEvent.objects.get(verb="login_failed")
    assert (event.actor_id, event.target_id, event.source, event.customer_id) == (
        user.pk,
        user.pk,
        "ui",
        None,
    )


def test_unknown_username_is_the_same_message_and_audited_without_actor(client):
    response = _login(client, "nobody-here", "whatever-password")
    assert "The username or password is incorrect." in response.content.decode()
    event = ActivityEvent.objects.get(verb="login_failed")
    assert event.actor_id is None
    assert "nobody-here" in event.summary


def test_five_failures_lock_the_account_and_the_right_password_is_refused(client):
    user = UserFactory(role_slug="sales")
    for _attempt in range(4):
        response = _login(client, user.username, "wrong-password")
        assert "Too many failed attempts" not in response.content.decode()
    response = _login(client, user.username, "wrong-password")
    assert "Too many failed attempts; try again in 15 minutes." in response.content.decode()
    assert ActivityEvent.objects.filter(verb="locked", target_id=user.pk).count() == 1

    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 200
    assert "Too many failed attempts; try again in 15 minutes." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert ActivityEvent.objects.filter(verb="login_failed", actor=user).count() == 6
    assert ActivityEvent.objects.filter(verb="locked").count() == 1  # not again while locked


def test_logout_is_post_only(client):
    client.force_login(UserFactory(role_slug="sales"))
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


# --- language --------------------------------------------------------------------------


def test_language_switch_on_the_login_page_changes_rendered_text(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    body = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="en">' in body and "Username" in body

    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/accounts/login/"})
    body = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="zh-hans">' in body and "用户名" in body and "Username" not in body


def test_language_menu_saves_the_users_choice_and_applies_it(client):
    user = UserFactory(role_slug="sales", language="zh-hans")
    client.force_login(user)
    response = client.post(
        reverse("accounts:language"), {"language": "en", "next": "/accounts/profile/"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    user.refresh_from_db()
    assert user.language == "en"
    body = client.get(reverse("accounts:profile")).content.decode()
    assert '<html lang="en">' in body and "Old password" in body

    client.post(reverse("accounts:language"), {"language": "zh-hans", "next": "/"})
    body = client.get(reverse("accounts:profile")).content.decode()
    assert '<html lang="zh-hans">' in body and "旧密码" in body and "Old password" not in body


def test_language_menu_refuses_an_outside_redirect(client):
    client.force_login(UserFactory(role_slug="sales"))
    response = client.post(
        reverse("accounts:language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


# --- profile and password --------------------------------------------------------------


def test_profile_update_saves_and_is_audited(client):
    user = UserFactory(role_slug="sales", display_name="张三")
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {
            "display_name": "张三丰",
            "email": "zsf@example.com",
            "phone": "13812345678",
            "language": "en",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.language) == ("张三丰", "en")
    event = ActivityEvent.objects.get(verb="updated", target_id=user.pk)
    assert event.changes["display_name"] == ["张三", "张三丰"]
    assert response.cookies["django_language"].value == "en"


def test_profile_rejects_a_bad_email_in_place(client):
    user = UserFactory(role_slug="sales")
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {"email": "not-an-email"}, **EN)
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not ActivityEvent.objects.filter(verb="updated").exists()


def test_password_change_keeps_the_session_and_is_audited(client):
    user = UserFactory(role_slug="sales")
    client.force_login(user)
    new = "Another-Secret-2025"
    response = client.post(
        reverse("accounts:password"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    assert client.get(reverse("accounts:profile")).status_code == 200
    event = ActivityEvent.objects.get(verb="updated", target_id=user.pk)
    assert new not in str(event.changes)


def test_password_change_with_wrong_old_password_changes_nothing(client):
    user = UserFactory(role_slug="sales")
    client.force_login(user)
    response = client.post(
        reverse("accounts:password"),
        {
            "old_password": "wrong",
            "new_password1": "Another-Secret-2025",
            "new_password2": "Another-Secret-2025",
        },
        **EN,
    )
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# --- API tokens ------------------------------------------------------------------------


def test_token_create_shows_the_key_once_and_the_key_authenticates(client):
    user = UserFactory(role_slug="sales")
    client.force_login(user)
    response = client.post(reverse("accounts:tokens"), {"name": "ERP sync"}, **EN)
    body = response.content.decode()
    match = re.search(r'value="(gx_[A-Za-z0-9_\-]+)"', body)
    assert match, "the new key is shown"
    key = match.group(1)
    assert "only time the key is shown" in body
    assert token_authenticate(key=key) == user
    assert key not in client.get(reverse("accounts:tokens")).content.decode()
    assert (
        ActivityEvent.objects.filter(verb="created", target_type="accounts.apitoken").count() == 1
    )


def test_token_revoke_stops_the_key(client):
    user = UserFactory(role_slug="sales")
    client.force_login(user)
    body = client.post(reverse("accounts:tokens"), {"name": "x"}).content.decode()
    key = re.search(r'value="(gx_[A-Za-z0-9_\-]+)"', body).group(1)
    token = ApiToken.objects.get(user=user)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert token_authenticate(key=key) is None


def test_someone_elses_token_cannot_be_revoked(client):
    other = UserFactory(role_slug="sales")
    token = ApiToken.objects.create(user=other, name="theirs", prefix="gx_abc", key_hash="0" * 64)
    client.force_login(UserFactory(role_slug="admin"))
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


# --- users and roles -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["accounts:users", "accounts:user_create", "accounts:roles", "accounts:role_create"]
)
def test_user_and_role_pages_are_denied_to_sales(client, name):
    client.force_login(UserFactory(role_slug="sales"))
    assert client.get(reverse(name)).status_code == 403


def test_user_pages_need_login(client):
    response = client.get(reverse("accounts:users"))
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )


def test_user_list_filters_by_search_role_and_active(client):
    admin = UserFactory(role_slug="admin", username="boss")
    UserFactory(role_slug="sales", username="alice", display_name="王小丽")
    UserFactory(role_slug="finance", username="bob", is_active=False)
    client.force_login(admin)
    page = client.get(reverse("accounts:users"), {"q": "小丽"}).context["page"]
    assert [u.username for u in page] == ["alice"]
    finance = Role.objects.get(slug="finance")
    page = client.get(reverse("accounts:users"), {"role": finance.pk}).context["page"]
    assert [u.username for u in page] == ["bob"]
    page = client.get(reverse("accounts:users"), {"active": "1"}).context["page"]
    assert {u.username for u in page} == {"boss", "alice"}


def test_admin_creates_a_user_and_it_is_audited(client):
    admin = UserFactory(role_slug="admin")
    team = TeamFactory(name="华东一组")
    client.force_login(admin)
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "lisi",
            "display_name": "李四",
            "email": "lisi@example.com",
            "role": Role.objects.get(slug="sales").pk,
            "team": team.pk,
            "data_scope": "team",
            "scope_provinces": "广东省，上海市",
            "scope_industries": ["it"],
            "is_active": "on",
            "password": "Li-Si-Password-2025",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="lisi")
    assert (user.role.slug, user.team, user.data_scope) == ("sales", team, "team")
    assert user.scope_provinces == ["广东省", "上海市"] and user.scope_industries == ["it"]
    assert user.check_password("Li-Si-Password-2025")
    event = ActivityEvent.objects.get(
        verb="created", target_type="accounts.user", target_id=user.pk
    )
    assert event.actor == admin
    assert event.changes["role"] == [None, "销售专员"]


def test_user_create_shows_errors_in_place_and_saves_nothing(client):
    client.force_login(UserFactory(role_slug="admin"))
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "weak",
            "role": Role.objects.get(slug="sales").pk,
            "data_scope": "own",
            "password": "123",
        },
        **EN,
    )
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    assert not User.objects.filter(username="weak").exists()


def test_admin_edits_a_user_and_changes_are_audited_before_after(client):
    admin = UserFactory(role_slug="admin")
    target = UserFactory(role_slug="sales", data_scope="own")
    client.force_login(admin)
    response = client.post(
        reverse("accounts:user_edit", args=[target.pk]),
        {
            "display_name": target.display_name,
            "email": target.email,
            "role": Role.objects.get(slug="supervisor").pk,
            "team": target.team_id,
            "department": target.department_id,
            "data_scope": "team",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    event = ActivityEvent.objects.get(verb="updated", target_id=target.pk)
    assert event.changes["role"] == ["销售专员", "销售主管"]
    assert event.changes["data_scope"] == ["own", "team"]


def test_admin_cannot_deactivate_themselves(client):
    admin = UserFactory(role_slug="admin")
    client.force_login(admin)
    response = client.post(
        reverse("accounts:user_edit", args=[admin.pk]),
        {"role": admin.role_id, "data_scope": "all"},
        **EN,
    )
    assert response.status_code == 200
    assert "You cannot deactivate your own account." in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_admin_creates_and_edits_a_role(client):
    client.force_login(UserFactory(role_slug="admin"))
    response = client.post(
        reverse("accounts:role_create"),
        {
            "name": "区域经理",
            "name_en": "Regional manager",
            "default_scope": "department",
            "permissions": ["customer.view", "audit.view"],
        },
    )
    assert response.status_code == 302
    role = Role.objects.get(slug="regional-manager")
    assert role.permissions == ["customer.view", "audit.view"] and not role.is_builtin
    response = client.post(
        reverse("accounts:role_edit", args=[role.pk]),
        {
            "name": "区域经理",
            "name_en": "Regional manager",
            "default_scope": "department",
            "permissions": ["customer.view"],
        },
    )
    assert response.status_code == 302
    event = ActivityEvent.objects.get(verb="updated", target_type="accounts.role")
    assert event.changes["permissions"] == [["customer.view", "audit.view"], ["customer.view"]]


def test_builtin_roles_are_editable_but_not_deletable(client):
    client.force_login(UserFactory(role_slug="admin"))
    finance = Role.objects.get(slug="finance")
    response = client.post(
        reverse("accounts:role_edit", args=[finance.pk]),
        {
            "name": "财务部",
            "name_en": "Finance",
            "default_scope": "all",
            "permissions": ["customer.view"],
        },
    )
    assert response.status_code == 302
    response = client.post(reverse("accounts:role_delete", args=[finance.pk]), follow=True, **EN)
    assert "Built-in roles cannot be deleted." in response.content.decode()
    assert Role.objects.filter(pk=finance.pk).exists()


def test_a_user_manager_cannot_grant_a_role_stronger_than_their_own(client):
    manager_role = Role.objects.create(
        slug="hr", name="人事", permissions=["user.manage", "customer.view"]
    )
    manager = UserFactory(role=manager_role)
    client.force_login(manager)
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "sneaky",
            "role": Role.objects.get(slug="admin").pk,
            "data_scope": "all",
            "password": "Sneaky-Password-2025",
        },
        **EN,
    )
    assert response.status_code == 200
    assert "You cannot assign a role with permissions you do not have." in response.content.decode()
    assert not User.objects.filter(username="sneaky").exists()


def test_a_new_user_gets_the_roles_default_scope_unless_one_is_chosen(client):
    client.force_login(UserFactory(role_slug="admin"))
    supervisor = Role.objects.get(slug="supervisor")
    client.post(
        reverse("accounts:user_create"),
        {
            "username": "boss2",
            "role": supervisor.pk,
            "data_scope": "",
            "password": "Boss-Two-Pass-2025",
        },
    )
    assert User.objects.get(username="boss2").data_scope == "team"


def test_a_custom_role_is_deleted_only_when_nobody_has_it(client):
    client.force_login(UserFactory(role_slug="admin"))
    role = Role.objects.create(slug="temp", name="临时", permissions=["customer.view"])
    holder = UserFactory(role=role)
    client.post(reverse("accounts:role_delete", args=[role.pk]))
    assert Role.objects.filter(pk=role.pk).exists()
    holder.delete()
    client.post(reverse("accounts:role_delete", args=[role.pk]))
    assert not Role.objects.filter(pk=role.pk).exists()
    assert ActivityEvent.objects.filter(verb="deleted", target_type="accounts.role").count() == 1
