import pytest
from django.urls import reverse

from guanxi.accounts.tests.factories import UserFactory
from guanxi.messaging.models import Notification
from guanxi.messaging.services import notification_create, notifications_mark_read

pytestmark = pytest.mark.django_db


def _notify(user, n=1, url=""):
    return [
        notification_create(user_id=user.pk, kind="task_due", title=f"任务到期 {i}", url=url)
        for i in range(n)
    ]


def test_bell_shows_the_unread_count(client):
    user = UserFactory(role_slug="sales")
    notes = _notify(user, 4)
    notifications_mark_read(user=user, ids=[notes[0].pk])
    _notify(UserFactory(role_slug="sales"), 2)  # someone else's
    client.force_login(user)
    response = client.get(reverse("messaging:bell"))
    assert response.status_code == 200
    assert (
        '<span class="position-absolute top-0 start-100 translate-middle badge rounded-pill bg-danger badge-bell" id="bell-count">3<'
        in response.content.decode()
    )


def test_bell_without_unread_has_no_badge(client):
    client.force_login(UserFactory(role_slug="sales"))
    assert "bell-count" not in client.get(reverse("messaging:bell")).content.decode()


def test_bell_stops_polling_when_the_session_ended(client):
    response = client.get(reverse("messaging:bell"))
    assert response.status_code == 286
    assert "login" not in response.content.decode()


def test_list_shows_only_my_notifications(client):
    user = UserFactory(role_slug="sales")
    _notify(user, 2)
    _notify(UserFactory(role_slug="sales"), 1)
    client.force_login(user)
    page = client.get(reverse("messaging:list")).context["page"]
    assert len(page.object_list) == 2


def test_mark_one_read_with_htmx_returns_the_row_and_refreshes_the_bell(client):
    user = UserFactory(role_slug="sales")
    note, other = _notify(user, 2)
    client.force_login(user)
    response = client.post(reverse("messaging:read", args=[note.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == '{"notifications-changed": {}}'
    assert f'id="notification-{note.pk}"' in response.content.decode()
    note.refresh_from_db()
    other.refresh_from_db()
    assert note.read_at is not None and other.read_at is None


def test_mark_all_read(client):
    user = UserFactory(role_slug="sales")
    _notify(user, 3)
    client.force_login(user)
    response = client.post(reverse("messaging:read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()


def test_cannot_mark_someone_elses_notification(client):
    (theirs,) = _notify(UserFactory(role_slug="sales"))
    client.force_login(UserFactory(role_slug="sales"))
    assert client.post(reverse("messaging:read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_is_post_only(client):
    user = UserFactory(role_slug="sales")
    (note,) = _notify(user)
    client.force_login(user)
    assert client.get(reverse("messaging:read", args=[note.pk])).status_code == 405


def test_open_marks_read_and_follows_a_local_link_only(client):
    user = UserFactory(role_slug="sales")
    (local,) = _notify(user, url="/followups/tasks/1/")
    (outside,) = _notify(user, url="https://evil.example/")
    client.force_login(user)
    response = client.get(reverse("messaging:open", args=[local.pk]))
    assert response["Location"] == "/followups/tasks/1/"
    local.refresh_from_db()
    assert local.read_at is not None
    assert client.get(reverse("messaging:open", args=[outside.pk]))["Location"] == reverse(
        "messaging:list"
    )


def test_mark_read_updates_the_pages_unread_count_out_of_band(client):
    user = UserFactory(role_slug="sales")
    note, _other = _notify(user, 2)
    client.force_login(user)
    body = client.post(
        reverse("messaging:read", args=[note.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'id="unread-badge"' in body and 'hx-swap-oob="true"' in body and ">1</span>" in body
