"""Reminder policy pages and API (admins only) and the own-preferences page (everyone)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent
from guanxi.messaging.models import ReminderPolicy, UserMessagingPreference

pytestmark = pytest.mark.django_db
API = "/api/v1/reminder-policies/"
DENIED_ROLES = ["sales", "supervisor", "service", "marketing", "finance"]
VALID = {
    "name": "个人客户问候",
    "intent": "high",
    "customer_kind": "individual",
    "frequency": "weekly",
    "interval_days": "1",
    "weekday": "4",
    "method": "email",
    "task_title": "微信问候客户",
    "is_active": "on",
}


def _snapshot():
    return (
        list(ReminderPolicy.objects.order_by("id").values()),
        ActivityEvent.objects.filter(target_type="messaging.reminderpolicy").count(),
    )


def _high() -> ReminderPolicy:
    return ReminderPolicy.objects.get(intent="high")


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# --- pages: permission matrix --------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name", "needs_pk"),
    [
        ("get", "reminders:list", False),
        ("get", "reminders:create", False),
        ("post", "reminders:create", False),
        ("get", "reminders:edit", True),
        ("post", "reminders:edit", True),
        ("post", "reminders:deactivate", True),
    ],
)
def test_anonymous_is_sent_to_login_and_nothing_changes(client, method, name, needs_pk):
    before = _snapshot()
    url = reverse(name, args=[_high().pk] if needs_pk else [])
    response = getattr(client, method)(url, VALID if method == "post" else None)
    assert response.status_code == 302
    assert "/login" in response["Location"]
    assert _snapshot() == before


@pytest.mark.parametrize("role", DENIED_ROLES)
@pytest.mark.parametrize(
    ("method", "name", "needs_pk"),
    [
        ("get", "reminders:list", False),
        ("get", "reminders:create", False),
        ("post", "reminders:create", False),
        ("get", "reminders:edit", True),
        ("post", "reminders:edit", True),
        ("post", "reminders:deactivate", True),
    ],
)
def test_users_without_config_permission_get_403_and_nothing_changes(
    client, role, method, name, needs_pk
):
    client.force_login(UserFactory(role_slug=role))
    before = _snapshot()
    url = reverse(name, args=[_high().pk] if needs_pk else [])
    response = getattr(client, method)(url, VALID if method == "post" else None)
    assert response.status_code == 403
    assert _snapshot() == before


def test_an_unknown_policy_is_404_for_an_admin(client):
    client.force_login(UserFactory(role_slug="admin"))
    assert client.get(reverse("reminders:edit", args=[999999])).status_code == 404
    assert client.post(reverse("reminders:deactivate", args=[999999])).status_code == 404


# --- pages: admin ----------------------------------------------------------------------------


def test_the_list_shows_each_policy_with_its_rhythm(client):
    client.force_login(UserFactory(role_slug="admin"))
    response = client.get(reverse("reminders:list"))
    assert response.status_code == 200
    rows = response.context["policies"]
    assert [(r["policy"].intent, r["policy"].task_title) for r in rows] == [
        ("high", "电话跟进当前需求进展"),
        ("low", "推送行业动态"),
        ("medium", "发送产品最新资料"),
    ]
    assert all(r["rhythm"] for r in rows)
    assert "电话跟进当前需求进展" in response.content.decode()


def test_an_admin_creates_a_policy_audited(client):
    admin = UserFactory(role_slug="admin")
    client.force_login(admin)
    response = client.post(reverse("reminders:create"), VALID)
    assert response.status_code == 302
    assert response["Location"] == reverse("reminders:list")
    policy = ReminderPolicy.objects.get(name="个人客户问候")
    assert (
        policy.intent, policy.customer_kind, policy.frequency, policy.weekday, policy.method,
        policy.task_title, policy.is_active,
    ) == ("high", "individual", "weekly", 4, "email", "微信问候客户", True)  # fmt: skip
    audit = ActivityEvent.objects.get(target_type="messaging.reminderpolicy", target_id=policy.pk)
    assert (audit.verb, audit.actor_id, audit.source) == ("created", admin.pk, "ui")


def test_an_admin_edits_a_policy_audited_with_the_change(client):
    admin = UserFactory(role_slug="admin")
    client.force_login(admin)
    policy = _high()
    form = client.get(reverse("reminders:edit", args=[policy.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["interval_days"] = 3
    data["is_active"] = "on"
    response = client.post(reverse("reminders:edit", args=[policy.pk]), data)
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.interval_days == 3
    audit = ActivityEvent.objects.get(target_type="messaging.reminderpolicy", target_id=policy.pk)
    assert (audit.verb, audit.changes) == ("updated", {"interval_days": [2, 3]})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"frequency": "every_n_days", "interval_days": "0"}, "interval_days"),
        ({"intent": "urgent"}, "intent"),
        ({"task_title": ""}, "task_title"),
        ({"weekday": "9"}, "weekday"),
    ],
)
def test_invalid_input_shows_field_errors_in_place_and_changes_nothing(client, change, field):
    client.force_login(UserFactory(role_slug="admin"))
    before = _snapshot()
    response = client.post(reverse("reminders:edit", args=[_high().pk]), {**VALID, **change})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert 'aria-invalid="true"' in response.content.decode()
    assert _snapshot() == before


def test_an_admin_deactivates_a_policy(client):
    admin = UserFactory(role_slug="admin")
    client.force_login(admin)
    policy = _high()
    response = client.post(reverse("reminders:deactivate", args=[policy.pk]))
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.is_active is False
    audit = ActivityEvent.objects.get(target_type="messaging.reminderpolicy", target_id=policy.pk)
    assert audit.changes == {"is_active": [True, False]}


def test_deactivate_is_post_only(client):
    client.force_login(UserFactory(role_slug="admin"))
    assert client.get(reverse("reminders:deactivate", args=[_high().pk])).status_code == 405
    assert _high().is_active is True


# --- API -------------------------------------------------------------------------------------


def test_api_lists_policies_with_rhythm_for_admins():
    body = api(UserFactory(role_slug="admin", language="en")).get(API).json()
    rows = sorted(body["results"], key=lambda r: r["intent"])
    assert [(r["intent"], r["frequency"], r["task_title"], r["rhythm"]) for r in rows] == [
        ("high", "every_n_days", "电话跟进当前需求进展", "every 2 days"),
        ("low", "month_end", "推送行业动态", "on the last day of each month"),
        ("medium", "weekly", "发送产品最新资料", "every Monday"),
    ]


def test_api_create_and_update():
    admin = UserFactory(role_slug="admin")
    response = api(admin).post(
        API,
        {"name": "短信提醒", "intent": "low", "frequency": "every_n_days", "interval_days": 14,
         "method": "sms", "task_title": "短信问候"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201
    created = response.json()
    assert (created["interval_days"], created["method"], created["is_active"]) == (14, "sms", True)
    response = api(admin).patch(f"{API}{created['id']}/", {"is_active": False}, format="json")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    verbs = list(
        ActivityEvent.objects.filter(target_type="messaging.reminderpolicy")
        .order_by("id")
        .values_list("verb", "source")
    )
    assert verbs == [("created", "api"), ("updated", "api")]


def test_api_invalid_input_is_400_with_field_errors_and_nothing_changes():
    before = _snapshot()
    response = api(UserFactory(role_slug="admin")).patch(
        f"{API}{_high().pk}/", {"interval_days": 0}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["interval_days"]
    response = api(UserFactory(role_slug="admin")).patch(
        f"{API}{_high().pk}/", {"frequency": "weekly", "weekday": 8}, format="json"
    )
    assert response.status_code == 400
    assert _snapshot() == before


def test_api_unknown_policy_is_404():
    assert api(UserFactory(role_slug="admin")).get(f"{API}999999/").status_code == 404


@pytest.mark.parametrize("role", [None, *DENIED_ROLES])
@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("get", "", None),
        ("get", "{pk}/", None),
        ("post", "", {"name": "x", "intent": "high", "frequency": "month_end", "task_title": "x"}),
        ("patch", "{pk}/", {"is_active": False}),
    ],
)
def test_api_refuses_everyone_but_admins_and_changes_nothing(role, method, suffix, payload):
    user = UserFactory(role_slug=role) if role else None
    before = _snapshot()
    url = API + suffix.format(pk=_high().pk)
    response = getattr(api(user), method)(url, payload, format="json")
    assert response.status_code == (403 if user else 401)
    assert _snapshot() == before


# --- my notification preferences ----------------------------------------------------------


def test_preferences_need_a_login(client):
    response = client.post(
        reverse("reminders:preferences"), {"daily_digest": "", "task_reminder_minutes": "5"}
    )
    assert response.status_code == 302
    assert "/login" in response["Location"]
    assert UserMessagingPreference.objects.count() == 0


@pytest.mark.parametrize("role", ["sales", "service", "finance", "admin"])
def test_any_user_sees_their_defaults(client, role):
    client.force_login(UserFactory(role_slug=role))
    response = client.get(reverse("reminders:preferences"))
    assert response.status_code == 200
    assert response.context["form"].initial == {"daily_digest": True, "task_reminder_minutes": 60}
    assert UserMessagingPreference.objects.count() == 0


def test_a_user_saves_their_preferences_audited(client):
    user = UserFactory(role_slug="sales")
    other = UserFactory(role_slug="sales")
    client.force_login(user)
    response = client.post(reverse("reminders:preferences"), {"task_reminder_minutes": "15"})
    assert response.status_code == 302
    pref = UserMessagingPreference.objects.get()
    assert (pref.user, pref.daily_digest, pref.task_reminder_minutes) == (user, False, 15)
    assert not UserMessagingPreference.objects.filter(user=other).exists()
    audit = ActivityEvent.objects.get(target_type="messaging.usermessagingpreference")
    assert (audit.actor_id, audit.target_id) == (user.pk, pref.pk)
    page = client.get(reverse("reminders:preferences"))
    assert page.context["form"].initial == {"daily_digest": False, "task_reminder_minutes": 15}


@pytest.mark.parametrize("minutes", ["-1", "1441", "abc", ""])
def test_out_of_range_minutes_show_an_error_in_place(client, minutes):
    client.force_login(UserFactory(role_slug="sales"))
    response = client.post(
        reverse("reminders:preferences"), {"daily_digest": "on", "task_reminder_minutes": minutes}
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["task_reminder_minutes"]
    assert UserMessagingPreference.objects.count() == 0
    assert not ActivityEvent.objects.filter(
        target_type="messaging.usermessagingpreference"
    ).exists()
