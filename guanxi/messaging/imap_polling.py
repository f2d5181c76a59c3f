"""Polling the reply mailbox over IMAP (GUANXI_IMAP_URL): replies, bounces and spam
complaints arrive without the inbound webhook, for mail hosts that can neither pipe nor
forward to an HTTP URL.

    imaps://user:password@host:993/INBOX              TLS from the first byte (port 993)
    imap://user:password@host:143/INBOX?starttls=1    plain IMAP upgraded by STARTTLS (143)
    imaps://user:password@host/INBOX?move=Processed   handled mail goes to that folder

User, password and folder are URL-quoted (`@` is `%40`); the folder defaults to INBOX.

A pass reads the UNSEEN mails of the folder, oldest first, without marking them read
(BODY.PEEK[]), and gives each to `inbound.mail_receive` — the code behind the webhook, so a
mail means the same whichever way it came. Only then is it marked \\Seen (and moved): a pass
that dies half-way leaves the rest unseen for the next one. A mail that cannot be handled
is marked \\Seen and \\Flagged and stays in the folder for a person to look at, instead of
failing again on every pass.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction

from guanxi.core.errors import ApplicationError
from guanxi.messaging import inbound

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 200
# A server that stops answering must not hold a worker (or the next pass) for long.
TIMEOUT_SECONDS = 30

_PORTS = {"imap": 143, "imaps": 993}
_YES = {"1", "true", "yes", "on"}
_NO = {"", "0", "false", "no", "off"}
_OPTIONS = {"starttls", "move"}
_URL_SHAPE = (
    "imaps://user:password@host:993/INBOX or imap://user:password@host:143/INBOX?starttls=1"
)

# Failures of the connection or the server; a bad mail is not one of them.
_IMAP_ERRORS = (imaplib.IMAP4.error, OSError)


@dataclass(frozen=True, kw_only=True)
class ImapMailbox:
    """GUANXI_IMAP_URL, parsed."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)  # kept out of every repr, hence out of logs
    folder: str = "INBOX"
    tls: bool = True  # imaps: TLS from the first byte
    starttls: bool = False
    move_to: str = ""

    @property
    def where(self) -> str:
        """How logs and errors name the mailbox: everything but the password."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


def imap_mailbox_parse(url: str) -> ImapMailbox:
    """GUANXI_IMAP_URL → its parts. ValueError says what is wrong, never quoting the URL:
    it holds the password."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"GUANXI_IMAP_URL must look like {_URL_SHAPE}") from None
    if parts.scheme not in _PORTS or not parts.hostname:
        raise ValueError(f"GUANXI_IMAP_URL must look like {_URL_SHAPE}")
    if not parts.username or parts.password is None:
        raise ValueError("GUANXI_IMAP_URL needs a user and a password (user:password@host)")
    user, password = unquote(parts.username), unquote(parts.password)
    if not (user + password).isascii():
        # imaplib sends LOGIN in ASCII; failing here beats a UnicodeEncodeError quoting
        # a character of the password.
        raise ValueError("GUANXI_IMAP_URL: the IMAP user and password must be ASCII")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - _OPTIONS)
    if unknown:  # a typo like ?moved= would otherwise silently leave mail where it is
        raise ValueError(
            f"GUANXI_IMAP_URL: unknown option {', '.join(unknown)} (known: starttls, move)"
        )
    starttls = query.get("starttls", [""])[-1].strip().lower()
    if starttls not in _YES | _NO:
        raise ValueError("GUANXI_IMAP_URL: starttls must be 1 or 0")
    if starttls in _YES and parts.scheme == "imaps":
        raise ValueError("GUANXI_IMAP_URL: starttls=1 is for imap://; imaps:// is already TLS")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    move_to = query.get("move", [""])[-1].strip()
    if move_to == folder:
        raise ValueError("GUANXI_IMAP_URL: move= must name another folder than the polled one")
    return ImapMailbox(
        host=parts.hostname,
        port=port or _PORTS[parts.scheme],
        user=user,
        password=password,
        folder=folder,
        tls=parts.scheme == "imaps",
        starttls=starttls in _YES,
        move_to=move_to,
    )


# --- one pass ----------------------------------------------------------------------------


def _empty_summary() -> dict[str, int]:
    return {"fetched": 0, "replies": 0, "bounces": 0, "complaints": 0, "ignored": 0, "failed": 0}


def mailbox_poll(*, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """One pass over the mailbox of settings.GUANXI_IMAP_URL, at most `limit` mails (the
    rest wait for the next pass). Never raises for the mail server's sake: the scheduler
    runs this every two minutes, and the next pass is the retry. Returns counts,
    {"skipped": …} when no mailbox is configured, or {"error": …} (plus the counts so far,
    once mail has been read)."""
    url = settings.GUANXI_IMAP_URL
    if not url:
        return {"skipped": "not configured"}
    try:
        mailbox = imap_mailbox_parse(url)
    except ValueError as error:
        logger.warning("IMAP polling is off: %s", error)
        return {"error": str(error)}

    try:
        client = _connect(mailbox)
    except _IMAP_ERRORS as error:
        return _failure(mailbox, error, what=f"cannot log in to {mailbox.where}")

    summary = _empty_summary()
    try:
        _poll(client, mailbox, summary=summary, limit=limit)
    except _IMAP_ERRORS as error:
        return summary | _failure(mailbox, error, what=f"polling {mailbox.where} stopped")
    except (OperationalError, InterfaceError) as error:
        # The database is down or locked: every mail would fail the same way, and flagging
        # them all would lose them. Stop; they are still unseen for the next pass.
        logger.error("IMAP polling of %s stopped: database error: %s", mailbox.where, error)
        return summary | {"error": f"database error: {error}"}
    finally:
        _close(client)
    if summary["fetched"]:
        logger.info("IMAP polling of %s: %s", mailbox.where, summary)
    return summary


def _connect(mailbox: ImapMailbox) -> imaplib.IMAP4:
    # The system's trusted CAs and host name check: the password crosses this connection.
    context = ssl.create_default_context()
    if mailbox.tls:
        client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
            mailbox.host, mailbox.port, ssl_context=context, timeout=TIMEOUT_SECONDS
        )
    else:
        client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)
    try:
        if mailbox.starttls:
            client.starttls(ssl_context=context)
        client.login(mailbox.user, mailbox.password)
    except BaseException:
        _close(client)  # the socket is open: do not leak it on a refused login
        raise
    return client


def _poll(
    client: imaplib.IMAP4, mailbox: ImapMailbox, *, summary: dict[str, int], limit: int
) -> None:
    _ok(client.select(_mailbox_name(mailbox.folder)), f"cannot open folder {mailbox.folder}")
    # Asked after login: servers announce less before it (Dovecot: no MOVE, no UIDPLUS).
    capabilities = _capabilities(client)
    if mailbox.move_to:
        # Before reading anything, so a folder we may not create stops the pass while
        # every mail is still unseen, not after the first one is handled but stays put.
        _ensure_folder(client, mailbox.move_to)
    found = _ok(client.uid("SEARCH", None, "UNSEEN"), "cannot search for unseen mail")
    # UIDs grow with arrival: sorted, the oldest come first.
    uids = sorted(b" ".join(part for part in found if part).split(), key=int)
    if len(uids) > limit:
        logger.info(
            "IMAP polling of %s: %d unseen mails, this pass takes the oldest %d",
            mailbox.where, len(uids), limit,
        )  # fmt: skip
        uids = uids[:limit]
    if not uids:
        return
    sizes = _sizes(client, uids)
    for uid in uids:
        size = sizes.get(uid)
        if size is None:
            continue  # expunged by another client since the search
        if size > inbound.MAX_MAIL_BYTES:
            # The webhook refuses these (413); here, do not even download them.
            logger.warning(
                "IMAP mail UID %s in %s is %d bytes, over the %d-byte limit: flagged, not read",
                uid.decode(), mailbox.where, size, inbound.MAX_MAIL_BYTES,
            )  # fmt: skip
            _failed(client, uid, summary=summary)
            continue
        raw = _fetch(client, uid)
        if raw is None:
            continue  # expunged between the sizes and the body
        try:
            # One mail's records commit or vanish together; a failure leaves none half-made.
            with transaction.atomic():
                outcome = inbound.mail_receive(raw=raw)
        except (OperationalError, InterfaceError):
            raise  # not this mail's fault: it stays unseen for the next pass
        except ApplicationError as error:  # not an email at all: the mail's fault, no traceback
            logger.warning(
                "IMAP mail UID %s in %s could not be handled (%s): flagged and left in the folder",
                uid.decode(), mailbox.where, error.message,
            )  # fmt: skip
            _failed(client, uid, summary=summary)
            continue
        except Exception:  # a mail that trips a bug: one mail, not the whole pass
            logger.exception(
                "IMAP mail UID %s in %s could not be handled: flagged and left in the folder",
                uid.decode(), mailbox.where,
            )  # fmt: skip
            _failed(client, uid, summary=summary)
            continue
        summary["fetched"] += 1
        summary[_category(outcome)] += 1
        _flag(client, uid, r"(\Seen)")
        if mailbox.move_to:
            _move(client, uid, mailbox.move_to, capabilities=capabilities)


def _failed(client: imaplib.IMAP4, uid: bytes, *, summary: dict[str, int]) -> None:
    # \Seen keeps it out of the next passes (it would fail again); \Flagged shows a person
    # which mail to look at.
    summary["fetched"] += 1
    summary["failed"] += 1
    _flag(client, uid, r"(\Seen \Flagged)")


def _category(outcome: inbound.Outcome) -> str:
    if outcome.action == "replied":
        return "replies"
    if outcome.action == "bounced":
        return "bounces"
    if outcome.action == "complained":
        return "complaints"
    # Not about our mail, an out-of-office answer, a delay or success report (the latter
    # still marks the message delivered), a repeated complaint, a feedback report that is no
    # complaint: neither a reply, a bounce nor a new complaint.
    return "ignored"


# --- IMAP details ------------------------------------------------------------------------


def _ok(answer: tuple[str, list[Any]], what: str) -> list[Any]:
    """The data of an OK answer; a NO becomes an error with the server's words (imaplib
    itself raises only for BAD)."""
    status, data = answer
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what}: {_text(data)}")
    return data


def _text(data: Any) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    if isinstance(data, list | tuple):
        return " ".join(_text(item) for item in data if item is not None)
    return str(data)


def _capabilities(client: imaplib.IMAP4) -> set[str]:
    data = _ok(client.capability(), "CAPABILITY")
    return {word.upper() for word in _text(data).split()}


def _sizes(client: imaplib.IMAP4, uids: list[bytes]) -> dict[bytes, int]:
    """UID → size, in one round trip, so that an oversized mail is never downloaded."""
    data = _ok(client.uid("FETCH", b",".join(uids), "(RFC822.SIZE)"), "cannot read sizes")
    sizes: dict[bytes, int] = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if not isinstance(line, bytes):
            continue
        uid = re.search(rb"\bUID (\d+)", line)
        size = re.search(rb"\bRFC822\.SIZE (\d+)", line)
        if uid and size:
            sizes[uid.group(1)] = int(size.group(1))
    return sizes


def _fetch(client: imaplib.IMAP4, uid: bytes) -> bytes | None:
    # BODY.PEEK[] is the whole RFC 822 message, and unlike RFC822/BODY[] it does not set
    # \Seen: a mail counts as read only once it has been handled.
    data = _ok(client.uid("FETCH", uid, "(BODY.PEEK[])"), f"cannot fetch UID {uid.decode()}")
    for item in data:
        if isinstance(item, tuple) and b"BODY[]" in item[0]:
            return item[1]
    return None


def _flag(client: imaplib.IMAP4, uid: bytes, flags: str) -> None:
    _ok(client.uid("STORE", uid, "+FLAGS.SILENT", flags), f"cannot flag UID {uid.decode()}")


def _move(client: imaplib.IMAP4, uid: bytes, folder: str, *, capabilities: set[str]) -> None:
    target = _mailbox_name(folder)
    if "MOVE" in capabilities:  # RFC 6851: copy and expunge in one step, nothing half-done
        _ok(client.uid("MOVE", uid, target), f"cannot move UID {uid.decode()} to {folder}")
        return
    _ok(client.uid("COPY", uid, target), f"cannot copy UID {uid.decode()} to {folder}")
    _flag(client, uid, r"(\Deleted)")
    if "UIDPLUS" in capabilities:  # expunges this mail only
        _ok(client.uid("EXPUNGE", uid), f"cannot expunge UID {uid.decode()}")
    else:  # also expunges what someone else marked \Deleted in this folder: no better way
        _ok(client.expunge(), "cannot expunge")


def _ensure_folder(client: imaplib.IMAP4, folder: str) -> None:
    name = _mailbox_name(folder)
    if _folder_exists(client, name):
        return
    status, data = client.create(name)
    if status != "OK" and not _folder_exists(client, name):  # another poller may have won
        raise imaplib.IMAP4.error(f"cannot create folder {folder}: {_text(data)}")
    # Many mail programs show subscribed folders only; a refusal changes nothing here.
    client.subscribe(name)


def _folder_exists(client: imaplib.IMAP4, name: str) -> bool:
    status, data = client.list('""', name)
    return status == "OK" and any(data)


def _mailbox_name(name: str) -> str:
    """A folder name as IMAP wants it, quoted and in modified UTF-7 (RFC 3501 5.1.3):
    imaplib sends names as given, ASCII only, so 已处理 or "Reply inbox" would break."""
    encoded: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            chunk = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            encoded.append("&" + chunk.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if " " <= char <= "~":
            flush()
            encoded.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    text = "".join(encoded).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _close(client: imaplib.IMAP4) -> None:
    # The pass is over either way; a server that already hung up has nothing more to say.
    with contextlib.suppress(*_IMAP_ERRORS):
        client.logout()


def _failure(mailbox: ImapMailbox, error: BaseException, *, what: str) -> dict[str, str]:
    words = _server_words(error, password=mailbox.password)
    logger.warning("IMAP polling: %s: %s", what, words)
    return {"error": f"{what}: {words}"}


def _server_words(error: BaseException, *, password: str) -> str:
    """What the server (or the network) said, for a log line an operator can act on.
    imaplib hands the server's answer over as bytes: decode it instead of printing b'…'."""
    if error.args and all(isinstance(arg, bytes) for arg in error.args):
        text = _text(list(error.args))
    else:
        text = str(error) or type(error).__name__
    # No server repeats a password, but a log line must never carry one even if it did.
    return text.replace(password, "***") if password else text
