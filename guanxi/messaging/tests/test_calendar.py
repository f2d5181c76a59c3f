"""The calendar feed: a secret URL, only its fingerprint kept, the user's own open tasks and
planned follow-ups as RFC 5545 events, a new URL replaces the old, stopping it ends it."""

import datetime as dt

import pytest
from django.urls import reverse

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent
from guanxi.core import clock
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups import services as followups
from guanxi.messaging.ical import Entry, calendar, escape, fold
from guanxi.messaging.models import CalendarFeed
from guanxi.messaging.services import calendar_feed_create, calendar_feed_revoke

pytestmark = pytest.mark.django_db


def feed_url(key: str) -> str:
    return reverse("messaging:calendar_feed", args=[key])


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_lines_fold_at_75_octets_without_splitting_a_character_and_text_is_escaped():
    line = "SUMMARY:" + "跟进" * 60
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    text = calendar(
        name="X",
        entries=[
            Entry(
                uid="t-1@g",
                starts=dt.datetime(2026, 5, 1, 1, 30, tzinfo=dt.UTC),
                minutes=30,
                summary="电话跟进, 需求",
            )
        ],  # fmt: skip
        now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
    )
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith(
        "END:VCALENDAR\r\n"
    )
    lines = unfold(text)
    assert "DTSTART:20260501T013000Z" in lines and "DTEND:20260501T020000Z" in lines
    assert "SUMMARY:电话跟进\\, 需求" in lines and "DTSTAMP:20260401T000000Z" in lines


def test_the_feed_shows_the_users_open_tasks_and_planned_follow_ups_only(client):
    sales = UserFactory(role_slug="sales", language="zh-hans")
    other = UserFactory(role_slug="sales")
    customer = CustomerFactory(name="北京乙贸易", owner=sales)
    soon = clock.now() + dt.timedelta(days=2)
    mine = followups.task_create(actor=sales, title="电话跟进当前需求进展", assignee=sales,
                                 due_at=soon, customer=customer)  # fmt: skip
    done = followups.task_create(actor=sales, title="已完成的", assignee=sales, due_at=soon)
    followups.task_complete(actor=sales, task=done)
    followups.task_create(actor=other, title="别人的任务", assignee=other, due_at=soon)
    followups.followup_record(actor=sales, customer=customer, content="聊了报价",
                              next_step="发送产品最新资料", next_followup_at=soon)  # fmt: skip
    key = calendar_feed_create(actor=sales)
    response = client.get(feed_url(key))  # no login: calendar apps cannot log in
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    lines = unfold(response.content.decode())
    summaries = [line for line in lines if line.startswith("SUMMARY:")]
    assert "SUMMARY:电话跟进当前需求进展 · 北京乙贸易" in summaries
    assert not any("别人的任务" in s or "已完成的" in s for s in summaries)
    # The next date became a follow-up task: listed once, as that task.
    assert sum("发送产品最新资料" in line for line in lines) == 1
    assert f"UID:task-{mine.pk}@guanxi" in lines
    assert any(
        line.startswith("URL:http") and f"/customers/{customer.pk}/" in line for line in lines
    )
    assert CalendarFeed.objects.get(user=sales).last_fetched_at is not None
    assert f"X-WR-CALNAME:关系：{sales.display_name or sales.username}" in lines  # their language


def test_only_a_fingerprint_is_kept_a_new_url_replaces_the_old_and_stopping_ends_it(client):
    user = UserFactory(role_slug="sales")
    first = calendar_feed_create(actor=user)
    assert first not in CalendarFeed.objects.get(user=user).key_hash
    second = calendar_feed_create(actor=user)
    assert client.get(feed_url(first)).status_code == 404
    assert client.get(feed_url(second)).status_code == 200
    assert calendar_feed_revoke(actor=user) is True
    assert client.get(feed_url(second)).status_code == 404
    assert calendar_feed_revoke(actor=user) is False
    verbs = list(ActivityEvent.objects.filter(target_type="messaging.calendarfeed")
                 .order_by("id").values_list("verb", flat=True))  # fmt: skip
    assert verbs == ["created", "updated", "deleted"]
    user.is_active = False
    user.save()
    third = calendar_feed_create(actor=user)
    assert client.get(feed_url(third)).status_code == 404  # a deactivated user's feed is dead


def test_the_settings_page_shows_a_new_address_once(client):
    user = UserFactory(role_slug="sales")
    client.force_login(user)
    page = client.get(reverse("messaging:calendar"))
    assert page.status_code == 200 and 'value="create"' in page.content.decode()
    made = client.post(reverse("messaging:calendar"), {"action": "create"})
    text = made.content.decode()
    assert "/notifications/calendar/" in text and ".ics" in text
    again = client.get(reverse("messaging:calendar")).content.decode()
    assert ".ics" not in again and 'value="revoke"' in again
    client.post(reverse("messaging:calendar"), {"action": "revoke"})
    assert not CalendarFeed.objects.filter(user=user).exists()
