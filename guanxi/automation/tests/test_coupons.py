"""Coupon pools: loading codes (service, page, API, CLI) all or nothing, and what is left."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent
from guanxi.api.tests.clients import api_client
from guanxi.automation.coupons import coupon_codes_load, coupon_pools
from guanxi.automation.models import CouponCode
from guanxi.cli import main
from guanxi.core.errors import ApplicationError, PermissionDeniedError

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(role_slug="marketing")


def _codes(pool="spring"):
    return sorted(CouponCode.objects.filter(pool=pool).values_list("code", flat=True))


def test_loading_adds_each_code_once_and_reports_repeats(manager):
    loaded = coupon_codes_load(actor=manager, pool="spring", codes=["A1", "", " A2 ", "A1"])
    assert (loaded.added, loaded.duplicates) == (2, 1)
    again = coupon_codes_load(actor=manager, pool="spring", codes=["A2", "A3"])
    assert (again.added, again.duplicates) == (1, 1)
    assert _codes() == ["A1", "A2", "A3"]
    audit = ActivityEvent.objects.filter(target_type="automation.couponpool").order_by("pk")
    assert [e.changes["added"] for e in audit] == [[None, 2], [None, 1]]


def test_an_invalid_code_or_pool_name_loads_nothing(manager):
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        coupon_codes_load(actor=manager, pool="spring", codes=["OK1", "has space", "", "x" * 101])
    assert caught.value.message == (
        "Nothing was loaded: a code is 1–100 characters without spaces (lines 2, 4)."
    )
    with pytest.raises(ApplicationError) as caught:
        coupon_codes_load(actor=manager, pool="春季 券", codes=["OK1"])
    assert "pool" in caught.value.errors
    with pytest.raises(ApplicationError):
        coupon_codes_load(actor=manager, pool="spring", codes=["", "  "])
    assert not CouponCode.objects.exists()
    assert not ActivityEvent.objects.filter(target_type="automation.couponpool").exists()


def test_only_automation_managers_load_codes():
    with pytest.raises(PermissionDeniedError):
        coupon_codes_load(actor=UserFactory(role_slug="supervisor"), pool="p", codes=["A"])
    assert not CouponCode.objects.exists()


def test_pools_count_issued_and_available(manager):
    coupon_codes_load(actor=manager, pool="spring", codes=["A1", "A2", "A3"])
    coupon_codes_load(actor=manager, pool="autumn", codes=["B1"])
    CouponCode.objects.filter(code="A1").update(issued_key="1:spring")
    assert [(p.pool, p.total, p.issued, p.available) for p in coupon_pools(user=manager)] == [
        ("autumn", 1, 0, 1),
        ("spring", 3, 1, 2),
    ]


def test_the_page_loads_pasted_codes_and_a_csv_file(client, manager):
    client.force_login(manager)
    url = reverse("automation:coupons")
    response = client.post(url, {"pool": "spring", "codes": "A1\nA2\n"}, follow=True)
    assert response.status_code == 200
    upload = SimpleUploadedFile("codes.csv", "\ufeffcode,note\nC1,first\nC2,second\n".encode())
    client.post(url, {"pool": "spring", "codes": "", "file": upload})
    assert _codes() == ["A1", "A2", "C1", "C2", "code"]
    page = client.get(url).content.decode()
    assert "<code>spring</code>" in page


def test_the_page_shows_errors_in_place_and_keeps_the_pool_unchanged(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("automation:coupons"), {"pool": "spring", "codes": "good\nbad code\n"},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert response.status_code == 200
    assert "Invalid codes on lines 2." in response.content.decode()
    assert not CouponCode.objects.exists()


def test_viewers_see_pools_but_cannot_load(client):
    client.force_login(UserFactory(role_slug="supervisor"))
    url = reverse("automation:coupons")
    page = client.get(url)
    assert page.status_code == 200
    assert 'id="coupon-form"' not in page.content.decode()
    assert client.post(url, {"pool": "p", "codes": "A"}).status_code == 403
    client.force_login(UserFactory(role_slug="sales"))
    assert client.get(url).status_code == 403
    assert not CouponCode.objects.exists()


def test_the_api_lists_pools_and_loads_codes(manager):
    client = api_client(manager)
    url = "/api/v1/automation/coupon-pools/"
    response = client.post(url, {"pool": "spring", "codes": ["A1", "A2", "A1"]}, format="json")
    assert response.status_code == 201
    assert response.json() == {"pool": "spring", "added": 2, "duplicates": 1}
    assert client.get(url).json() == [{"pool": "spring", "total": 2, "issued": 0, "available": 2}]
    bad = client.post(url, {"pool": "spring", "codes": ["A 3"]}, format="json")
    assert bad.status_code == 400
    assert "codes" in bad.json()["errors"]
    assert (
        api_client(UserFactory(role_slug="supervisor"))
        .post(url, {"pool": "p", "codes": ["X"]}, format="json")
        .status_code
        == 403
    )
    assert api_client().get(url).status_code in (401, 403)
    assert _codes() == ["A1", "A2"]


def test_the_cli_loads_a_file_and_lists_pools(tmp_path, capsys):
    UserFactory(username="root", role_slug="admin")  # as `guanxi createadmin` makes
    path = tmp_path / "codes.txt"
    path.write_text("A1\nA2\n\nA2\n", encoding="utf-8")
    with translation.override("en"):
        assert main(["automation", "--skip-checks", "coupons", "load", "spring", str(path),
                     "--json"]) == 0  # fmt: skip
        assert json.loads(capsys.readouterr().out) == {
            "pool": "spring", "added": 2, "duplicates": 1,
        }  # fmt: skip
        assert main(["automation", "--skip-checks", "coupons", "list", "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == [
            {"pool": "spring", "total": 2, "issued": 0, "available": 2}
        ]
        path.write_text("ok\nnot ok\n", encoding="utf-8")
        assert main(["automation", "--skip-checks", "coupons", "load", "spring", str(path)]) != 0
        assert "lines 2" in capsys.readouterr().err
    assert _codes() == ["A1", "A2"]
