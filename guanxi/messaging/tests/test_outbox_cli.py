"""`guanxi outbox`: recent deliveries (table and JSON), one delivery run, a retry by hand."""

import json

import pytest
from django.utils import translation

from guanxi.accounts.tests.factories import UserFactory
from guanxi.cli import main
from guanxi.messaging.models import Message
from guanxi.messaging.tests.test_outbox_selectors import (
    _noon,  # noqa: F401  (autouse fixture: a fixed clock at noon)
    customer_with_contact,
    queued,
)

pytestmark = pytest.mark.django_db


def guanxi(*args: str) -> int:
    with translation.override("en"):
        return main(["outbox", "--skip-checks", *args])


def test_lists_recent_deliveries_newest_first_as_json(capsys):
    customer = customer_with_contact(email="wang@example.com")
    email = queued(customer)
    sms = queued(customer, channel="sms")
    Message.objects.filter(pk=sms.pk).update(status="failed", reason="网关错误")
    assert guanxi("--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [sms.pk, email.pk]
    assert rows[0]["status"] == "failed" and rows[0]["reason"] == "网关错误"
    assert rows[1] | {"time": ""} == {
        "id": email.pk, "time": "", "channel": "email", "status": "queued",
        "recipient": "wang@example.com", "subject": f"{customer.name} 方案", "reason": "",
    }  # fmt: skip


def test_filters_and_limit(capsys):
    customer = customer_with_contact()
    queued(customer)
    sms = queued(customer, channel="sms")
    newer = queued(customer, channel="sms")
    assert guanxi("--channel", "sms", "--status", "queued", "--limit", "1", "--json") == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [newer.pk]
    assert sms.pk != newer.pk


def test_the_table_has_a_header_and_one_line_per_message(capsys):
    message = queued(customer_with_contact())
    assert guanxi() == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == ["id", "time", "channel", "status", "recipient", "subject / text", "reason"]  # fmt: skip
    assert lines[1].split("\t")[:4] == [str(message.pk), "2026-11-20 12:00", "email", "queued"]
    assert len(lines) == 2


def test_an_empty_outbox_says_so(capsys):
    assert guanxi() == 0
    assert capsys.readouterr().out == "No messages.\n"


def test_a_bad_limit_fails(capsys):
    assert guanxi("--limit", "0") == 1
    assert "--limit must be at least 1." in capsys.readouterr().err


def test_send_runs_one_delivery_and_reports(capsys, settings):
    settings.GUANXI_EMAIL_URL = ""  # the file outbox (the conftest points it at tmp_path)
    message = queued(customer_with_contact())
    assert guanxi("send", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "sent": 1, "retrying": 0, "failed": 0, "interrupted": 0,
    }  # fmt: skip
    message.refresh_from_db()
    assert message.status == "sent"
    assert guanxi("send") == 0
    assert capsys.readouterr().out == (
        "Sent 0, to retry later 0, failed 0, interrupted earlier 0.\n"
    )


def test_retry_requeues_a_failed_message_as_the_admin(capsys):
    UserFactory(role_slug="admin", is_superuser=True)
    message = queued(customer_with_contact())
    Message.objects.filter(pk=message.pk).update(status="failed", reason="SMTP 550")
    assert guanxi("retry", str(message.pk)) == 0
    assert capsys.readouterr().out == f"Message {message.pk} is queued to be sent again.\n"
    message.refresh_from_db()
    assert (message.status, message.reason) == ("queued", "")


def test_retry_refuses_a_message_that_did_not_fail(capsys):
    UserFactory(role_slug="admin", is_superuser=True)
    message = queued(customer_with_contact())
    assert guanxi("retry", str(message.pk)) == 1
    assert "Only a failed or skipped message can be sent again." in capsys.readouterr().err
    message.refresh_from_db()
    assert message.status == "queued"


def test_retry_needs_an_id_and_an_existing_message(capsys):
    assert guanxi("retry") == 1
    assert "guanxi outbox retry ID" in capsys.readouterr().err
    assert guanxi("retry", "424242") == 1
    assert "No message 424242." in capsys.readouterr().err


def test_help(capsys):
    with pytest.raises(SystemExit) as exc:
        guanxi("--help")
    assert exc.value.code == 0
    assert "usage: guanxi outbox" in capsys.readouterr().out
