"""/api/v1/notifications/ and bulk creation: only the caller's own, marked read once."""

import pytest
from rest_framework.test import APIClient

from guanxi.accounts.tests.factories import UserFactory
from guanxi.messaging.models import Notification
from guanxi.messaging.services import (
    NewNotification,
    notification_create,
    notifications_create_keyed,
    notifications_create_many,
)

pytestmark = pytest.mark.django_db
LIST = "/api/v1/notifications/"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_list_holds_only_the_callers_notifications_newest_first():
    me, other = UserFactory(role_slug="sales"), UserFactory(role_slug="sales")
    first = notification_create(user_id=me.pk, kind="task_due", title="任务一", url="/tasks/")
    second = notification_create(user_id=me.pk, kind="assigned", title="客户转交", customer_id=7)
    notification_create(user_id=other.pk, kind="task_due", title="别人的")
    body = api(me).get(LIST).json()
    assert [n["id"] for n in body["results"]] == [second.pk, first.pk]
    assert body["results"][0]["read"] is False and body["results"][0]["customer_id"] == 7
    assert api(me).get(f"{LIST}unread/").json() == {"unread": 2}


def test_marking_read_one_and_all_and_the_unread_filter():
    me, other = UserFactory(role_slug="sales"), UserFactory(role_slug="sales")
    a = notification_create(user_id=me.pk, kind="k", title="a")
    b = notification_create(user_id=me.pk, kind="k", title="b")
    theirs = notification_create(user_id=other.pk, kind="k", title="c")
    response = api(me).post(f"{LIST}{a.pk}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    assert [n["id"] for n in api(me).get(LIST, {"unread": "true"}).json()["results"]] == [b.pk]
    assert api(me).post(f"{LIST}{theirs.pk}/read/").status_code == 404
    assert api(me).get(f"{LIST}{theirs.pk}/").status_code == 404
    assert api(me).post(f"{LIST}read-all/").json() == {"marked": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api(me).get(f"{LIST}unread/").json() == {"unread": 0}


def test_anonymous_callers_are_refused():
    assert APIClient().get(LIST).status_code in (401, 403)


def test_bulk_creation_skips_used_dedupe_keys_and_repeats_within_the_batch():
    user = UserFactory(role_slug="sales")
    notification_create(user_id=user.pk, kind="reminder", title="已有", dedupe_key="r:1")
    batch = [
        NewNotification(user_id=user.pk, kind="reminder", title=f"提醒 {n}", dedupe_key=f"r:{n}")
        for n in range(5)
    ] + [NewNotification(user_id=user.pk, kind="reminder", title="again", dedupe_key="r:3"),
         NewNotification(user_id=user.pk, kind="note", title="无键", customer_id=9)]  # fmt: skip
    assert notifications_create_many(notifications=batch) == 5  # r:0, r:2, r:3, r:4, no key
    assert notifications_create_many(notifications=batch) == 1  # only the keyless one again
    keys = sorted(
        Notification.objects.exclude(dedupe_key=None).values_list("dedupe_key", flat=True)
    )
    assert keys == ["r:0", "r:1", "r:2", "r:3", "r:4"]
    made = Notification.objects.filter(title="提醒 2").get()
    assert made.created_at is not None and made.read_at is None and made.user_id == user.pk
    listed = api(user).get(LIST).json()["results"]
    assert {"提醒 0", "无键"} <= {n["title"] for n in listed}


def test_keyed_creation_returns_every_keys_id_and_creates_each_once():
    user = UserFactory(role_slug="sales")
    earlier = notification_create(
        user_id=user.pk, kind="automation", title="已有", dedupe_key="a:1"
    )
    batch = [
        NewNotification(user_id=user.pk, kind="automation", title=f"提醒 {n}", url="/c/1/",
                        customer_id=None, dedupe_key=f"a:{n}")
        for n in range(3)
    ] + [NewNotification(user_id=user.pk, kind="automation", title="again", dedupe_key="a:2")]  # fmt: skip

    ids = notifications_create_keyed(notifications=batch)

    assert set(ids) == {"a:0", "a:1", "a:2"}
    assert ids["a:1"] == earlier.pk
    assert Notification.objects.filter(dedupe_key__startswith="a:").count() == 3
    made = Notification.objects.get(pk=ids["a:2"])
    assert (made.title, made.url, made.read_at) == ("提醒 2", "/c/1/", None)
    assert made.created_at is not None
    assert notifications_create_keyed(notifications=batch) == ids  # run again: nothing new
    assert Notification.objects.filter(dedupe_key__startswith="a:").count() == 3
    with pytest.raises(ValueError):
        notifications_create_keyed(
            notifications=[NewNotification(user_id=user.pk, kind="x", title="t")]
        )
