"""The messaging settings page: who may see it, saving with audit, field errors in place,
the inbound addresses (shown once), and clearing suppressed addresses."""

import datetime as dt

import pytest
from django.urls import reverse

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.core import clock
from guanxi.messaging import pacing, tracking
from guanxi.messaging.models import InboundEndpoint, MessagingSettings, Suppression
from guanxi.messaging.settings_views import FIELDS

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PAGE = "messaging_settings:page"


@pytest.fixture(autouse=True)
def _noon(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOON)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role_slug="admin"))
    return client


def form_data(**overrides):
    row = pacing.current_settings()
    data = {}
    for name in FIELDS:
        value = getattr(row, name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = value.strftime("%H:%M") if isinstance(value, dt.time) else value
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def snapshot():
    return {name: getattr(pacing.current_settings(), name) for name in FIELDS}


# --- permission matrix ------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse(PAGE))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("role", ["sales", "supervisor", "marketing"])
def test_without_config_permission_the_page_is_403_and_saving_changes_nothing(client, role):
    client.force_login(UserFactory(role_slug=role))
    before = snapshot()
    assert client.get(reverse(PAGE)).status_code == 403
    response = client.post(reverse(PAGE), form_data(company_name="黑客公司"))
    assert response.status_code == 403
    assert snapshot() == before
    assert ActivityEvent.objects.filter(target_type="messaging.messagingsettings").count() == 0


def test_admin_sees_the_form_with_current_values(admin_client):
    response = admin_client.get(reverse(PAGE))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.instance.pk == 1
    assert form["quiet_start"].value() == dt.time(21, 0)


# --- saving -----------------------------------------------------------------------------


def test_saving_audits_only_the_changed_fields(admin_client):
    response = admin_client.post(
        reverse(PAGE),
        form_data(
            company_name="关系科技",
            quiet_end="07:30",
            sms_per_minute=120,
            follow_up_tag=" 待 回复 ",
        ),
    )
    assert response.status_code == 302
    row = MessagingSettings.objects.get(pk=1)
    assert row.company_name == "关系科技"
    assert row.quiet_end == dt.time(7, 30)
    assert row.sms_per_minute == 120
    assert row.follow_up_tag == "待 回复"
    assert row.updated_at == NOON
    audit = ActivityEvent.objects.get(target_type="messaging.messagingsettings")
    assert audit.verb == Verb.UPDATED
    assert audit.changes == {
        "company_name": ["", "关系科技"],
        "quiet_end": ["08:00:00", "07:30:00"],
        "sms_per_minute": [0, 120],
        "follow_up_tag": ["需跟进", "待 回复"],
    }


def test_saving_unchanged_values_records_nothing(admin_client):
    assert admin_client.post(reverse(PAGE), form_data()).status_code == 302
    assert ActivityEvent.objects.filter(target_type="messaging.messagingsettings").count() == 0


def test_unticking_a_box_is_saved(admin_client):
    data = form_data()
    del data["quiet_for_sms"]
    admin_client.post(reverse(PAGE), data)
    assert MessagingSettings.objects.get(pk=1).quiet_for_sms is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_attempts", 0),
        ("max_attempts", 21),
        ("marketing_cap_hours", 0),
        ("quiet_start", "25:99"),
        ("quiet_end", ""),
        ("sms_per_minute", -1),
        ("interested_tag", "x" * 51),
    ],
)
def test_bad_input_shows_the_error_at_the_field_and_changes_nothing(admin_client, field, value):
    before = snapshot()
    response = admin_client.post(reverse(PAGE), form_data(company_name="新名字", **{field: value}))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert 'aria-invalid="true"' in response.content.decode()
    assert snapshot() == before
    assert ActivityEvent.objects.filter(target_type="messaging.messagingsettings").count() == 0


# --- inbound addresses ------------------------------------------------------------------


def endpoint_url(kind):
    return reverse("messaging_settings:endpoint", args=[kind])


def test_new_address_is_shown_once_as_an_absolute_url_and_works(admin_client, client):
    response = admin_client.post(endpoint_url("sms"), {"action": "create"})
    assert response.status_code == 200
    kind, url = response.context["new_url"]
    assert kind == "sms"
    assert url.startswith("https://crm.example.com/m/inbound/sms/")
    assert url in response.content.decode()
    endpoint = InboundEndpoint.objects.get(kind="sms")
    assert url.rstrip("/").rsplit("/", 1)[-1] not in endpoint.key_hash
    again = admin_client.get(reverse(PAGE))
    assert again.context["new_url"] is None
    assert url not in again.content.decode()
    path = url.removeprefix("https://crm.example.com")
    assert client.post(path, {"phone": "13800138000", "text": "你好"}).status_code == 202


def test_replacing_an_address_stops_the_old_one(admin_client, client):
    old = admin_client.post(endpoint_url("mail"), {"action": "create"}).context["new_url"][1]
    new = admin_client.post(endpoint_url("mail"), {"action": "create"}).context["new_url"][1]
    assert old != new
    assert InboundEndpoint.objects.count() == 1
    path = old.removeprefix("https://crm.example.com")
    assert (
        client.post(path, b"Subject: x\r\n\r\nhi", content_type="message/rfc822").status_code == 404
    )


def test_revoking_an_address_deletes_it_and_is_audited(admin_client):
    admin_client.post(endpoint_url("mail"), {"action": "create"})
    response = admin_client.post(endpoint_url("mail"), {"action": "revoke"})
    assert response.status_code == 302
    assert InboundEndpoint.objects.count() == 0
    assert (
        ActivityEvent.objects.filter(
            target_type="messaging.inboundendpoint", verb=Verb.DELETED
        ).count()
        == 1
    )


def test_page_shows_the_last_use_of_an_address(admin_client):
    admin_client.post(endpoint_url("mail"), {"action": "create"})
    InboundEndpoint.objects.update(last_used_at=NOON)
    response = admin_client.get(reverse(PAGE))
    [(kind, _label, endpoint)] = [e for e in response.context["endpoints"] if e[0] == "mail"]
    assert endpoint.last_used_at == NOON
    assert "2026-11-20 12:00" in response.content.decode()


def test_unknown_kind_is_404(admin_client):
    assert admin_client.post(endpoint_url("fax"), {"action": "create"}).status_code == 404
    assert InboundEndpoint.objects.count() == 0


@pytest.mark.parametrize("role", ["sales", "supervisor"])
def test_without_permission_no_address_is_made_or_revoked(client, role):
    client.force_login(UserFactory(role_slug="admin"))
    client.post(endpoint_url("sms"), {"action": "create"})
    before = InboundEndpoint.objects.get(kind="sms").key_hash
    client.force_login(UserFactory(role_slug=role))
    assert client.post(endpoint_url("sms"), {"action": "create"}).status_code == 403
    assert client.post(endpoint_url("sms"), {"action": "revoke"}).status_code == 403
    assert InboundEndpoint.objects.get(kind="sms").key_hash == before


def test_endpoint_action_needs_post(admin_client):
    assert admin_client.get(endpoint_url("sms")).status_code == 405


# --- suppressed addresses ---------------------------------------------------------------


def suppress(address, *, at, channel="email", reason="unsubscribed"):
    Suppression.objects.create(channel=channel, address=address, reason=reason, created_at=at)


def test_suppressions_newest_first_and_paginated_by_50(admin_client):
    for i in range(51):
        suppress(f"u{i}@example.com", at=NOON - dt.timedelta(minutes=i))
    first = admin_client.get(reverse(PAGE)).context["page"]
    assert len(first.object_list) == 50
    assert first.object_list[0].address == "u0@example.com"
    second = admin_client.get(reverse(PAGE), {"page": 2}).context["page"]
    assert [s.address for s in second.object_list] == ["u50@example.com"]


def test_suppressions_search_by_address(admin_client):
    suppress("wang@example.com", at=NOON)
    suppress("li@example.com", at=NOON)
    suppress("+8613800138000", at=NOON, channel="sms")
    page = admin_client.get(reverse(PAGE), {"q": "WANG"}).context["page"]
    assert [s.address for s in page.object_list] == ["wang@example.com"]
    page = admin_client.get(reverse(PAGE), {"q": "138001"}).context["page"]
    assert [s.address for s in page.object_list] == ["+8613800138000"]


def test_removing_a_bounced_address_lets_it_receive_again_and_is_audited(admin_client):
    suppress("wang@example.com", at=NOON, reason="bounced")
    row = Suppression.objects.get()
    url = reverse("messaging_settings:suppression_remove", args=[row.pk])
    response = admin_client.post(url)
    assert response.status_code == 302
    assert Suppression.objects.count() == 0
    audit = ActivityEvent.objects.get(target_type="messaging.suppression")
    assert audit.verb == Verb.DELETED and audit.target_id == row.pk


def test_removing_an_unknown_suppression_is_404(admin_client):
    url = reverse("messaging_settings:suppression_remove", args=[999])
    assert admin_client.post(url).status_code == 404


@pytest.mark.parametrize("role", ["sales", "supervisor"])
def test_without_permission_a_suppression_stays(client, role):
    tracking.unsubscribe(channel="email", address="wang@example.com")
    row = Suppression.objects.get()
    audit_before = ActivityEvent.objects.count()
    client.force_login(UserFactory(role_slug=role))
    url = reverse("messaging_settings:suppression_remove", args=[row.pk])
    assert client.post(url).status_code == 403
    assert Suppression.objects.filter(pk=row.pk).exists()
    assert ActivityEvent.objects.count() == audit_before


def test_anonymous_cannot_remove_a_suppression(client):
    suppress("wang@example.com", at=NOON)
    url = reverse("messaging_settings:suppression_remove", args=[Suppression.objects.get().pk])
    assert client.post(url).status_code == 302
    assert Suppression.objects.count() == 1
