"""Email: over SMTP when GUANXI_EMAIL_URL is set, else .eml files in the outbox folder.

SMTP replies decide retry versus failure: 4xx and lost connections are transient (the
delivery loop retries with backoff), 5xx is permanent (the reason is the server's words).
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import functools
import re
import smtplib
import ssl
from collections.abc import Callable
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from guanxi.core.email_url import mailer_from_url
from guanxi.messaging import tokens
from guanxi.messaging.channels.base import Outcome

if TYPE_CHECKING:
    from guanxi.messaging.models import Message


_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _header(value: str) -> str:
    value = " ".join(value.split())  # no line breaks can reach a header
    if value.isascii():
        return value
    return Header(value, "utf-8").encode(linesep="\r\n")


def _base64(text: str) -> bytes:
    return base64.encodebytes(text.encode()).replace(b"\n", b"\r\n")


def mime_bytes(message: Message) -> bytes:
    """The email as it goes out, CRLF line ends: text and HTML alternatives (base64: mostly
    Chinese text is shortest so, and no line can pass SMTP's 998 octets), threading and
    RFC 8058 list headers.

    Written directly rather than through email.message: its generator costs ~4 ms a message,
    more than the SMTP round trip (benchmarks/messaging.py); tests parse the result back
    with the standard library to check it."""
    headers = [
        f"From: {_from_header(settings.DEFAULT_FROM_EMAIL)}",
        f"To: {_header(message.recipient)}",
        f"Subject: {_header(message.subject)}",
        f"Date: {formatdate(message.created_at.timestamp(), localtime=False)}",
        f"Message-ID: {tokens.message_id(message.token)}",
    ]
    reply_to = tokens.reply_to(message.token)
    if reply_to:
        headers.append(f"Reply-To: {reply_to}")
    if message.category == "marketing":
        # Mail clients show an "Unsubscribe" button that POSTs List-Unsubscribe=One-Click.
        headers.append(f"List-Unsubscribe: <{tokens.unsubscribe_url(message.token)}>")
        headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    headers += [f"X-Guanxi-Message: {message.token}", "MIME-Version: 1.0"]
    text_part = b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: base64'
    text = _base64(message.body_text or " ")
    if not message.body_html:
        head = "\r\n".join(headers).encode()
        return head + b"\r\n" + text_part + b"\r\n\r\n" + text
    boundary = f"=_gx_{message.token}".encode()
    headers.append(f'Content-Type: multipart/alternative; boundary="{boundary.decode()}"')
    html_part = b'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: base64'
    return b"".join([
        "\r\n".join(headers).encode(), b"\r\n\r\n",
        b"--", boundary, b"\r\n", text_part, b"\r\n\r\n", text,
        b"--", boundary, b"\r\n", html_part, b"\r\n\r\n", _base64(message.body_html),
        b"--", boundary, b"--\r\n",
    ])  # fmt: skip


def mime(message: Message) -> EmailMessage:
    """The same email as a parsed message (for the outbox page and downloads)."""
    return email.message_from_bytes(mime_bytes(message), policy=email.policy.default)


@functools.lru_cache(maxsize=4)
def _from_header(value: str) -> str:
    return formataddr(parseaddr(value), charset="utf-8")


@functools.lru_cache(maxsize=4)
def _address(value: str) -> str:
    return parseaddr(value)[1]


def _envelope_from() -> str:
    return _address(settings.DEFAULT_FROM_EMAIL)


class FileEmail:
    """The default outbox: one .eml per message, named by its token (a retry overwrites
    the same file instead of adding a second)."""

    name = "file"
    kind = "email"

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder or settings.GUANXI_OUTBOX_DIR) / "email"

    def open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: Message) -> Outcome:
        path = self.folder / f"{message.token}.eml"
        try:
            path.write_bytes(mime_bytes(message))
        except OSError as error:
            return Outcome.retry(f"outbox: {error}")
        return Outcome.sent(provider_id=path.name)

    def close(self) -> None:
        pass


class SmtpEmail:
    """One connection for the batch, opened lazily and reopened after a transient error.

    A message goes out in two steps: `prepare` (the envelope: MAIL, RCPT and DATA up to the
    server's 354, and the message's bytes) and `send` (the content and the final dot, which
    is when the server takes the message). Nothing is delivered by `prepare`, so the
    delivery loop runs it in a thread while the database commits the message's in-flight
    mark: the three round trips overlap the commit instead of following it."""

    name = "smtp"
    kind = "email"

    def __init__(self, url: str) -> None:
        self.options = mailer_from_url(url)["OPTIONS"]
        self.connection: smtplib.SMTP | None = None
        # (message id, the envelope's outcome — None when the server said go on —, bytes)
        self._prepared: tuple[int, Outcome | None, bytes] | None = None

    def open(self) -> None:
        pass  # connect on the first message: an empty batch opens nothing

    def _connect(self) -> smtplib.SMTP:
        o = self.options
        if o["use_ssl"]:
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                o["host"], o["port"], timeout=o["timeout"], context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(o["host"], o["port"], timeout=o["timeout"])
            if o["use_tls"]:
                connection.starttls(context=ssl.create_default_context())
        if o["username"]:
            connection.login(o["username"], o["password"])
        return connection

    def prepare(self, message: Message) -> None:
        """Open the server's transaction for `message`, up to where the content goes. Never
        raises: what went wrong is `send`'s outcome."""
        self._prepared = None
        data = mime_bytes(message)
        self._prepared = (message.pk, self._guarded(lambda: self._envelope(message)), data)

    def cancel(self) -> None:
        """Give up a prepared message (its in-flight mark did not commit). After DATA the
        server reads everything as content, so the connection is closed: a transaction
        without its final dot is discarded."""
        if self._prepared is not None:
            self._prepared = None
            self._drop()

    def send(self, message: Message) -> Outcome:
        prepared, self._prepared = self._prepared, None
        if prepared is not None and prepared[0] == message.pk:
            refused, data = prepared[1], prepared[2]
        else:
            data = mime_bytes(message)
            refused = self._guarded(lambda: self._envelope(message))
        if refused is not None:
            return refused
        return self._guarded(lambda: self._content(data)) or Outcome.sent(
            provider_id=tokens.message_id(message.token)
        )

    def _envelope(self, message: Message) -> Outcome | None:
        if self.connection is None:
            self.connection = self._connect()
        connection = self.connection
        connection.ehlo_or_helo_if_needed()
        for command, accepted in (
            (lambda: connection.mail(_envelope_from()), (250,)),
            (lambda: connection.rcpt(message.recipient), (250, 251)),
            (lambda: connection.docmd("data"), (354,)),
        ):
            code, text = command()
            if code not in accepted:
                self._reset(code)
                return _by_code(code, text)
        return None

    def _content(self, data: bytes) -> Outcome | None:
        assert self.connection is not None
        # RFC 5321 4.5.2: a line that starts with a dot gets a second one.
        data = _LEADING_DOT.sub(b"..", data)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        self.connection.send(data + b".\r\n")
        code, text = self.connection.getreply()
        if code != 250:
            self._drop_if_unusable(code)
            return _by_code(code, text)
        return None

    def _guarded(self, step: Callable[[], Outcome | None]) -> Outcome | None:
        try:
            return step()
        except smtplib.SMTPAuthenticationError as error:
            self._drop()
            return Outcome.retry(f"SMTP login refused: {error.smtp_code} {_text(error.smtp_error)}")
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            self._drop()
            return Outcome.retry(f"SMTP: {error.__class__.__name__}: {error}")

    def _reset(self, code: int) -> None:
        """After a refusal in the envelope: a server that is going away is left, else the
        transaction is reset for the next message (as smtplib.sendmail does)."""
        if code in (421, 451) or self.connection is None:
            self._drop()
            return
        try:
            self.connection.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop_if_unusable(self, code: int) -> None:
        if code in (421, 451):
            self._drop()

    def _drop(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.quit()
            self.connection = None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _by_code(code: int, text: bytes | str) -> Outcome:
    reason = f"SMTP {code} {_text(text)}".strip()
    if 400 <= code < 500:
        return Outcome.retry(reason)
    return Outcome.failed(reason)


def configured():
    url = settings.GUANXI_EMAIL_URL
    return SmtpEmail(url) if url else FileEmail()
