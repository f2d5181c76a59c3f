"""IMAP polling of the reply mailbox, against a real Dovecot of our own on a free port (one
for the module, emptied before each test; Debian's dovecot-imapd, which CI installs). Mail
is put in with APPEND, as a mail server would deliver it, and flags are read back from it."""

from __future__ import annotations

import grp
import imaplib
import json
import logging
import os
import pwd
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.utils import translation

from guanxi.cli import main
from guanxi.messaging import imap_polling, inbound
from guanxi.messaging.imap_polling import imap_mailbox_parse, mailbox_poll
from guanxi.messaging.models import MessageEvent, MessageStatus, Suppression, SuppressionReason
from guanxi.messaging.tasks import poll_reply_mailbox
from guanxi.messaging.tests.test_inbound import (
    NOON,
    _noon,  # noqa: F401  (autouse fixture: a fixed clock and our Message-ID domain)
    arf_mime,
    dsn_mime,
    reply_mime,
    sent_email,
)

pytestmark = pytest.mark.django_db

DOVECOT = Path("/usr/sbin/dovecot")
USER = "wang"
PASSWORD = "s3cret@pass#1"  # '@' and '#' must arrive percent-decoded

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {tmp}/run
state_dir = {tmp}/state
log_path = {tmp}/dovecot.log
ssl = no
auth_mechanisms = plain
disable_plaintext_auth = no
# A wrong password is answered without the default 2 s wait.
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_uid = {uid}
mail_gid = {gid}
{chroot}
mail_location = maildir:{maildir}/%u
passdb {{
  driver = passwd-file
  args = {tmp}/users
}}
userdb {{
  driver = passwd-file
  args = {tmp}/users
}}
service anvil {{
  {service_chroot}
}}
service imap-login {{
  {service_chroot}
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_config(tmp: Path, port: int) -> Path:
    (tmp / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    mail = tmp / "mail"
    mail.mkdir()
    if os.geteuid() == 0:
        # Dovecot refuses root for its login processes and for mail access. Login runs as
        # Debian's dovenull; mail as the dovecot user, chrooted into the mail folder (it
        # cannot reach into pytest's 0700 tmp dir otherwise); auth stays root to read the
        # passwd-file there.
        mail_user = pwd.getpwnam("dovecot")
        os.chown(mail, mail_user.pw_uid, mail_user.pw_gid)
        names = {"login_user": "dovenull", "internal_user": "root", "internal_group": "dovecot"}
        uid, gid = mail_user.pw_uid, mail_user.pw_gid
        chroot, maildir = f"mail_chroot = {mail}", ""
        service_chroot = ""  # the packaged default: login and anvil chroot into base_dir
    else:  # a developer's own account: every process runs as that user, unchrooted
        me = pwd.getpwuid(os.geteuid()).pw_name
        group = grp.getgrgid(os.getegid()).gr_name
        names = {"login_user": me, "internal_user": me, "internal_group": group}
        uid, gid = os.geteuid(), os.getegid()
        chroot, maildir = "", str(mail)
        service_chroot = "chroot ="  # chroot(2) needs root
    conf = tmp / "dovecot.conf"
    conf.write_text(
        CONFIG.format(
            tmp=tmp,
            port=port,
            uid=uid,
            gid=gid,
            chroot=chroot,
            maildir=maildir,
            service_chroot=service_chroot,
            **names,
        )  # fmt: skip
    )
    return conf


@dataclass
class Dovecot:
    port: int

    def url(self, *, password: str = PASSWORD, query: str = "") -> str:
        secret = quote(password, safe="")
        return f"imap://{USER}:{secret}@127.0.0.1:{self.port}/INBOX{query}"

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def deliver(self, raw: bytes) -> None:
        with self.client() as client:
            status, _data = client.append("INBOX", None, None, raw)
            assert status == "OK"

    def flags(self, folder: str = "INBOX") -> list[set[str]]:
        """The flags of each mail in the folder, oldest first. \\Recent is left out: it
        belongs to an IMAP session, not to the mail."""
        with self.client() as client:
            client.select(folder, readonly=True)
            _status, (uids,) = client.uid("SEARCH", None, "ALL")
            found = []
            for uid in uids.split():
                _status, data = client.uid("FETCH", uid, "(FLAGS)")
                flags = {flag.decode() for flag in imaplib.ParseFlags(data[0])}
                found.append(flags - {"\\Recent"})
            return found

    def empty(self) -> None:
        """Back to an empty INBOX and no other folder, between tests."""
        with self.client() as client:
            _status, folders = client.list()
            for line in folders:
                name = line.rsplit(b" ", 1)[-1].decode()
                if name.strip('"') != "INBOX":
                    client.delete(name)
            client.select("INBOX")
            client.uid("STORE", "1:*", "+FLAGS.SILENT", r"(\Deleted)")
            client.expunge()


@pytest.fixture(scope="module")
def dovecot_server(tmp_path_factory):
    """One Dovecot of our own for the module, on a free port; it takes ~1 s to stop."""
    if not DOVECOT.exists():
        pytest.skip("dovecot is not installed (CI installs dovecot-imapd)")
    tmp = tmp_path_factory.mktemp("dovecot")
    port = _free_port()
    conf = _write_config(tmp, port)
    with (tmp / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(conf)], stdout=stderr, stderr=stderr
        )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = tmp / "dovecot.log"
                    text = (tmp / "stderr.log").read_text()
                    text += log.read_text() if log.exists() else ""
                    pytest.fail(f"dovecot did not start on port {port}:\n{text}")
                time.sleep(0.05)
        yield Dovecot(port=port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def dovecot(dovecot_server):
    dovecot_server.empty()
    return dovecot_server


@pytest.fixture
def mailbox(dovecot, settings):
    settings.GUANXI_IMAP_URL = dovecot.url()
    return dovecot


def counts(*, replies=0, bounces=0, complaints=0, ignored=0, failed=0) -> dict[str, int]:
    fetched = replies + bounces + complaints + ignored + failed
    return {
        "fetched": fetched,
        "replies": replies,
        "bounces": bounces,
        "complaints": complaints,
        "ignored": ignored,
        "failed": failed,
    }


def reply_to(message) -> bytes:
    return reply_mime(headers={"In-Reply-To": f"<{message.token}@crm.example.com>"})


UNRELATED = reply_mime(headers={"In-Reply-To": "<someone@else.example>"})


# --- the URL -----------------------------------------------------------------------------


def test_the_url_is_parsed_and_percent_decoded():
    mailbox = imap_mailbox_parse("imaps://reply%40crm.example.com:p%40ss%2Fw@mail.example.com")
    assert mailbox == imap_polling.ImapMailbox(
        host="mail.example.com",
        port=993,
        user="reply@crm.example.com",
        password="p@ss/w",
        folder="INBOX",
        tls=True,
    )
    assert "p@ss/w" not in repr(mailbox)


def test_starttls_and_move_options():
    mailbox = imap_mailbox_parse("imap://u:p@mail.example.com/Replies?starttls=1&move=Processed")
    assert (mailbox.port, mailbox.folder, mailbox.tls, mailbox.starttls, mailbox.move_to) == (
        143,
        "Replies",
        False,
        True,
        "Processed",
    )


@pytest.mark.parametrize(
    "url",
    ["pop3://u:topsecret@host/INBOX", "imap://u@host/INBOX", "imap://u:topsecret@host/?moved=X"],
)
def test_a_bad_url_is_an_error_summary_without_the_password(settings, url):
    settings.GUANXI_IMAP_URL = url
    summary = mailbox_poll()
    assert list(summary) == ["error"]
    assert "topsecret" not in summary["error"]


def test_not_configured_is_skipped(settings):
    settings.GUANXI_IMAP_URL = ""
    assert poll_reply_mailbox.enqueue().return_value == {"skipped": "not configured"}


# --- against Dovecot ---------------------------------------------------------------------


def test_a_reply_is_recorded_and_marked_seen(mailbox):
    message = sent_email()
    mailbox.deliver(reply_to(message))
    assert mailbox.flags() == [set()]
    assert mailbox_poll() == counts(replies=1)
    event = MessageEvent.objects.get(message=message, kind="replied")
    assert "好的，请打电话给我。" in event.detail
    message.refresh_from_db()
    assert message.replied_at == NOON
    assert mailbox.flags() == [{"\\Seen"}]


def test_a_bounce_marks_the_message_bounced(mailbox):
    message = sent_email()
    mailbox.deliver(dsn_mime(original=f"Message-ID: <{message.token}@crm.example.com>"))
    assert mailbox_poll() == counts(bounces=1)
    message.refresh_from_db()
    assert message.status == MessageStatus.BOUNCED
    assert mailbox.flags() == [{"\\Seen"}]


def test_a_spam_complaint_withdraws_consent_once(mailbox):
    message = sent_email()
    mailbox.deliver(arf_mime(message=message))
    mailbox.deliver(arf_mime(message=message, attach="headers"))  # the provider repeats it
    assert mailbox_poll() == counts(complaints=1, ignored=1)
    row = Suppression.objects.get(channel="email", address=message.recipient)
    assert row.reason == SuppressionReason.COMPLAINED
    assert MessageEvent.objects.filter(message=message, kind="complained").count() == 1
    assert mailbox.flags() == [{"\\Seen"}, {"\\Seen"}]


def test_an_unrelated_mail_is_ignored_but_marked_seen(mailbox):
    sent_email()
    mailbox.deliver(UNRELATED)
    assert mailbox_poll() == counts(ignored=1)
    assert MessageEvent.objects.count() == 0
    assert mailbox.flags() == [{"\\Seen"}]


def test_a_second_poll_fetches_nothing(mailbox):
    message = sent_email()
    mailbox.deliver(reply_to(message))
    mailbox_poll()
    assert mailbox_poll() == counts()
    assert MessageEvent.objects.filter(kind="replied").count() == 1


def test_a_mail_that_cannot_be_handled_is_flagged_and_the_batch_goes_on(mailbox, caplog):
    message = sent_email()
    mailbox.deliver(b"hello world, no headers here\r\n")
    mailbox.deliver(reply_to(message))
    assert mailbox_poll() == counts(replies=1, failed=1)
    assert mailbox.flags() == [{"\\Seen", "\\Flagged"}, {"\\Seen"}]
    assert [r.levelname for r in caplog.records if "could not be handled" in r.message] == [
        "WARNING"
    ]
    assert mailbox_poll() == counts()


def test_a_bug_while_handling_a_mail_is_logged_and_the_mail_flagged(mailbox, monkeypatch, caplog):
    message = sent_email()

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(inbound.tracking, "message_event_record", broken)
    mailbox.deliver(reply_to(message))
    assert mailbox_poll() == counts(failed=1)
    assert mailbox.flags() == [{"\\Seen", "\\Flagged"}]
    (record,) = [r for r in caplog.records if "could not be handled" in r.message]
    assert (record.levelname, record.exc_info[0]) == ("ERROR", RuntimeError)


def test_a_mail_over_the_size_limit_is_flagged_unread(mailbox, monkeypatch):
    monkeypatch.setattr(inbound, "MAX_MAIL_BYTES", 100)
    message = sent_email()
    mailbox.deliver(reply_to(message))
    assert mailbox_poll() == counts(failed=1)
    assert MessageEvent.objects.count() == 0
    assert mailbox.flags() == [{"\\Seen", "\\Flagged"}]


def test_a_pass_reads_at_most_the_limit_oldest_first(mailbox):
    first, second = sent_email(), sent_email(address="li@example.com")
    mailbox.deliver(reply_to(first))
    mailbox.deliver(reply_to(second))
    assert mailbox_poll(limit=1) == counts(replies=1)
    assert MessageEvent.objects.get(kind="replied").message == first
    assert mailbox.flags() == [{"\\Seen"}, set()]
    assert mailbox_poll(limit=1) == counts(replies=1)


@pytest.mark.parametrize("server_moves", [True, False], ids=["MOVE", "COPY+EXPUNGE"])
def test_move_puts_handled_mail_into_the_folder_it_creates(
    dovecot, settings, monkeypatch, server_moves
):
    if not server_moves:  # as a server without RFC 6851 MOVE (Dovecot has it)
        real = imap_polling._capabilities
        monkeypatch.setattr(imap_polling, "_capabilities", lambda c: real(c) - {"MOVE"})
    settings.GUANXI_IMAP_URL = dovecot.url(query="?move=Processed")
    message = sent_email()
    dovecot.deliver(reply_to(message))
    dovecot.deliver(UNRELATED)
    assert mailbox_poll() == counts(replies=1, ignored=1)
    assert dovecot.flags("INBOX") == []
    assert dovecot.flags("Processed") == [{"\\Seen"}, {"\\Seen"}]


def test_a_wrong_password_is_an_error_summary_and_logs_no_password(mailbox, settings, caplog):
    wrong = "not-the-Secret-42"
    settings.GUANXI_IMAP_URL = mailbox.url(password=wrong)
    mailbox.deliver(UNRELATED)
    with caplog.at_level(logging.WARNING, logger="guanxi.messaging.imap_polling"):
        summary = mailbox_poll()
    where = f"{USER}@127.0.0.1:{mailbox.port}/INBOX"
    assert summary == {
        "error": f"cannot log in to {where}: [AUTHENTICATIONFAILED] Authentication failed."
    }
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "[AUTHENTICATIONFAILED] Authentication failed." in caplog.text
    assert wrong not in caplog.text and PASSWORD not in caplog.text
    # Also logs in rightly, which ends Dovecot's penalty for the failed login (4 s on the
    # next login from 127.0.0.1) here rather than in whichever test runs next.
    assert mailbox.flags() == [set()]


def test_an_unreachable_server_is_an_error_summary(settings):
    port = _free_port()  # nothing listens there
    settings.GUANXI_IMAP_URL = f"imap://{USER}:x@127.0.0.1:{port}/INBOX"
    assert mailbox_poll() == {
        "error": f"cannot log in to {USER}@127.0.0.1:{port}/INBOX: [Errno 111] Connection refused"
    }


def test_the_management_command_prints_json(mailbox, capsys):
    message = sent_email()
    mailbox.deliver(reply_to(message))
    with translation.override("en"):
        assert main(["mailbox", "poll", "--json", "--skip-checks"]) == 0
    assert json.loads(capsys.readouterr().out) == counts(replies=1)


def test_the_management_command_exits_1_when_the_server_refuses(mailbox, settings, capsys):
    settings.GUANXI_IMAP_URL = mailbox.url(password="wrong")
    with translation.override("en"):
        assert main(["mailbox", "poll", "--skip-checks"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-1] == (  # after the log's WARNING line
        f"guanxi mailbox: cannot log in to {USER}@127.0.0.1:{mailbox.port}/INBOX: "
        "[AUTHENTICATIONFAILED] Authentication failed."
    )
    mailbox.flags()  # a right login ends the failed login's penalty (see above)
