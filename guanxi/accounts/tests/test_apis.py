import time
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from guanxi.accounts.models import ApiToken, Role
from guanxi.accounts.services import user_update
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.accounts.tokens import token_authenticate, token_create, token_revoke
from guanxi.api.tests.clients import api_client
from guanxi.customers.models import Customer

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me/"


def _with_header(value: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=value)
    return client


# --- authentication ----------------------------------------------------------------------


def test_a_valid_token_authenticates():
    sales = UserFactory(role_slug="sales")
    _token, key = token_create(actor=sales, user=sales, name="erp")
    response = _with_header(f"Token {key}").get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == sales.username


def test_an_unknown_token_is_401_with_the_scheme_named():
    response = _with_header("Token gx_not-a-real-key").get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_is_401():
    sales = UserFactory(role_slug="sales")
    token, key = token_create(actor=sales, user=sales, name="erp")
    token_revoke(actor=sales, token=token)
    assert _with_header(f"Token {key}").get(ME).status_code == 401


def test_a_token_used_then_revoked_stops_working_at_once_in_this_process():
    sales = UserFactory(role_slug="sales")
    token, key = token_create(actor=sales, user=sales, name="erp")
    client = _with_header(f"Token {key}")
    assert client.get(ME).status_code == 200  # now cached
    token_revoke(actor=sales, token=token)
    assert client.get(ME).status_code == 401


def test_a_cached_token_is_checked_again_after_its_time(settings):
    """Another process's revoke is not seen at once: only after the cache time (5 s)."""
    settings.GUANXI_TOKEN_CACHE_SECONDS = 5
    sales = UserFactory(role_slug="sales")
    token, key = token_create(actor=sales, user=sales, name="erp")
    client = _with_header(f"Token {key}")
    assert client.get(ME).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())  # "elsewhere"
    assert client.get(ME).status_code == 200
    with mock.patch("guanxi.accounts.tokens.time.monotonic", return_value=time.monotonic() + 6):
        assert client.get(ME).status_code == 401


def test_a_role_change_through_the_service_applies_to_the_next_token_request():
    admin = UserFactory(role_slug="admin")
    sales = UserFactory(role_slug="sales")
    _token, key = token_create(actor=sales, user=sales, name="erp")
    client = _with_header(f"Token {key}")
    assert client.get(ME).json()["role"]["slug"] == "sales"
    user_update(actor=admin, user=sales, data={"role": Role.objects.get(slug="supervisor")})
    assert client.get(ME).json()["role"]["slug"] == "supervisor"


def test_each_request_gets_its_own_user_object():
    sales = UserFactory(role_slug="sales")
    _token, key = token_create(actor=sales, user=sales, name="erp")
    first, second = token_authenticate(key=key), token_authenticate(key=key)
    assert first == second and first is not second


def test_a_disabled_users_token_is_401():
    sales = UserFactory(role_slug="sales")
    _token, key = token_create(actor=sales, user=sales, name="erp")
    sales.is_active = False
    sales.save()
    assert _with_header(f"Token {key}").get(ME).status_code == 401


def test_session_login_works_and_writes_need_the_csrf_token():
    sales = UserFactory(role_slug="sales")
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username=sales.username, password=PASSWORD)

    read = client.get(ME)
    write = client.post(
        "/api/v1/customers/", {"name": "某公司", "phone": "13812345678"}, format="json"
    )

    assert read.status_code == 200
    assert write.status_code == 403
    assert Customer.objects.count() == 0


# --- users -------------------------------------------------------------------------------


def test_me_describes_the_caller():
    team = TeamFactory(name="华东一组")
    sales = UserFactory(role_slug="sales", team=team, display_name="张三")
    assert api_client(sales).get(ME).json() == {
        "id": sales.pk,
        "username": sales.username,
        "display_name": "张三",
        "role": {"slug": "sales", "name": "销售专员"},
        "team": {"id": team.pk, "name": "华东一组"},
        "is_active": True,
    }


def test_role_name_follows_accept_language():
    sales = UserFactory(role_slug="sales")
    body = api_client(sales).get(ME, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["role"] == {"slug": "sales", "name": "Sales"}


def test_a_token_callers_own_language_applies_unless_the_request_names_one():
    """The web UI honours User.language; the API did not for token callers (they are known
    only after the locale middleware ran)."""
    sales = UserFactory(role_slug="sales", language="en")
    key = token_create(actor=sales, user=sales, name="integration")[1]
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(ME).json()["role"]["name"] == "Sales"
    assert client.get(ME).headers["Content-Language"] == "en"
    refused = client.get("/api/v1/users/999999/")
    assert refused.status_code == 404 and refused.json()["detail"].isascii()
    asked = client.get(ME, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert asked["role"]["name"] == "销售专员"
    chinese = UserFactory(role_slug="sales", language="zh-hans")
    key = token_create(actor=chinese, user=chinese, name="integration")[1]
    body = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get(ME).json()
    assert body["role"]["name"] == "销售专员"


def test_admin_lists_everyone_and_sales_only_themselves():
    admin = UserFactory(role_slug="admin")
    sales = UserFactory(role_slug="sales")
    other = UserFactory(role_slug="sales")

    everyone = api_client(admin).get("/api/v1/users/").json()["results"]
    just_me = api_client(sales).get("/api/v1/users/").json()["results"]

    assert {u["id"] for u in everyone} == {admin.pk, sales.pk, other.pk}
    assert [u["id"] for u in just_me] == [sales.pk]


def test_supervisor_sees_their_team_but_not_others():
    team = TeamFactory()
    supervisor = UserFactory(role_slug="supervisor", team=team)
    member = UserFactory(role_slug="sales", team=team)
    outsider = UserFactory(role_slug="sales")
    client = api_client(supervisor)

    listed = {u["id"] for u in client.get("/api/v1/users/").json()["results"]}

    assert listed == {supervisor.pk, member.pk}
    assert client.get(f"/api/v1/users/{member.pk}/").status_code == 200
    assert client.get(f"/api/v1/users/{outsider.pk}/").status_code == 404


def test_users_are_read_only():
    admin = UserFactory(role_slug="admin")
    response = api_client(admin).post("/api/v1/users/", {"username": "x"}, format="json")
    assert response.status_code == 405


# --- the caller's tokens -----------------------------------------------------------------


def test_create_token_shows_the_key_once_and_it_works():
    sales = UserFactory(role_slug="sales")
    created = api_client(sales).post("/api/v1/tokens/", {"name": "ERP"}, format="json")
    listed = api_client(sales).get("/api/v1/tokens/").json()["results"]

    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("gx_")
    assert [t["name"] for t in listed] == ["ERP"]
    assert "key" not in listed[0]
    assert _with_header(f"Token {key}").get(ME).status_code == 200


def test_revoke_own_token_and_not_someone_elses():
    sales = UserFactory(role_slug="sales")
    mine, _ = token_create(actor=sales, user=sales, name="mine")
    other = UserFactory(role_slug="sales")
    theirs, _ = token_create(actor=other, user=other, name="theirs")
    client = api_client(sales)

    assert client.delete(f"/api/v1/tokens/{theirs.pk}/").status_code == 404
    assert client.delete(f"/api/v1/tokens/{mine.pk}/").status_code == 204
    assert list(ApiToken.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True)) == [
        mine.pk
    ]
