"""Exactly-once email delivery with a worker killed at the worst moment.

A real worker process (`manage.py shell` running the delivery loop) sends a batch to a real
SMTP server (aiosmtpd). When the server has the first message's DATA, it SIGKILLs the worker
and then accepts the message: the server has it, the worker never learned so. Another
worker later must not send that message again (it may have arrived), must send every other
message of the dead worker's batch once its lease has expired, and must say what happened.
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guanxi.core import clock
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.messaging.delivery import LEASE, claim, deliver_due
from guanxi.messaging.models import Category, Message, MessageStatus
from guanxi.messaging.sending import Content, message_queue
from guanxi.messaging.tests.smtp_sink import SmtpSink
from tests.ops.test_celery import shared_database_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def queue(n: int) -> list[Message]:
    messages = []
    for i in range(n):
        customer = CustomerFactory()
        ContactFactory(customer=customer, email=f"buyer{i}@example.com")
        messages.append(
            message_queue(
                actor=None, channel="email", customer=customer,
                content=Content(subject=f"报价单 {i}", text="您好"),
                category=Category.TRANSACTIONAL, idempotency_key=f"quote:{i}",
            )
        )  # fmt: skip
    return messages


def tokens_received(sink: SmtpSink) -> list[str]:
    return [r.message["X-Guanxi-Message"] for r in sink.received]


@pytest.fixture
def sink(settings):
    # Queueing wakes a worker through django.tasks; here the workers are the test's own.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    server = SmtpSink().start()
    settings.GUANXI_EMAIL_URL = server.url
    yield server
    server.stop()


def start_worker(tmp_path: Path, sink: SmtpSink) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUANXI_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="guanxi.settings",
        GUANXI_DATA_DIR=str(tmp_path),
        GUANXI_DATABASE_URL=shared_database_url(),
        GUANXI_EMAIL_URL=sink.url,
    )
    code = "from guanxi.messaging.delivery import deliver_due; deliver_due()"
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_a_worker_killed_after_handing_over_never_causes_a_second_send(tmp_path, sink):
    messages = queue(3)
    worker: dict[str, subprocess.Popen] = {}

    def kill_then_accept(received):
        # The worker is blocked waiting for this reply: kill it before it can record "sent".
        if len(sink.received) == 0:
            os.kill(worker["proc"].pid, signal.SIGKILL)
            worker["proc"].wait(timeout=10)
        return None

    sink.handler.on_data = kill_then_accept
    worker["proc"] = start_worker(tmp_path, sink)
    deadline = time.monotonic() + 60
    while worker["proc"].poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert worker["proc"].returncode == -signal.SIGKILL
    # The server takes the message after the kill, in its own thread: wait for that.
    while not sink.received and time.monotonic() < deadline:
        time.sleep(0.05)

    first = Message.objects.get(pk=messages[0].pk)
    assert first.status == MessageStatus.SENDING  # in flight when the worker died
    assert tokens_received(sink) == [first.token]

    # A second worker before the lease expires takes nothing of the dead worker's batch.
    sink.handler.on_data = None
    assert deliver_due().sent == 0
    # After it expires: the in-flight one is not sent again; the rest are sent once.
    report = deliver_due(now=clock.now() + LEASE + dt.timedelta(seconds=1))
    assert (report.sent, report.interrupted) == (2, 1)
    assert sorted(tokens_received(sink)) == sorted(m.token for m in messages)
    first.refresh_from_db()
    assert first.status == MessageStatus.FAILED
    assert first.reason
    # And a third run changes nothing.
    assert deliver_due(now=clock.now() + 2 * LEASE).sent == 0
    assert len(sink.received) == 3


def test_claimed_messages_of_a_dead_worker_are_sent_once_after_the_lease(sink):
    messages = queue(2)
    assert len(claim()) == 2  # a worker claims, then dies before sending anything
    assert deliver_due().sent == 0
    assert deliver_due(now=clock.now() + LEASE + dt.timedelta(seconds=1)).sent == 2
    assert sorted(tokens_received(sink)) == sorted(m.token for m in messages)
