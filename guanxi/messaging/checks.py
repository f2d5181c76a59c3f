"""System checks: the messaging URLs of the environment are parsed when Guanxi starts.

A typo in GUANXI_SMS_URL, GUANXI_EMAIL_URL or GUANXI_IMAP_URL used to show only at the
first send (every delivery run raising the same ValueError) or poll. Django runs these
checks before `runserver`, `migrate`, the worker and `check --deploy`, so a bad URL stops
the start with an Error naming the setting. Each URL goes through the very parser its
channel uses, so the check and the sender cannot disagree. Messages never carry a
password, key secret or `auth` value: the parsers show the URL `redacted`, and what is
left of the secrets is scrubbed besides.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from guanxi.core.email_url import mailer_from_url
from guanxi.messaging.channels.sms_gateway import HttpGateway, query_pairs, redacted
from guanxi.messaging.imap_polling import imap_mailbox_parse

SMS_URL_INVALID = "guanxi.E101"
EMAIL_URL_INVALID = "guanxi.E102"
IMAP_URL_INVALID = "guanxi.E103"

# Query parameters whose values are secrets (the generic gateway's auth header value).
_SECRET_OPTIONS = {"auth"}


@register()
def messaging_urls_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """One Error per configured messaging URL that its parser refuses."""
    checks: list[tuple[str, str, Callable[[str], object], str]] = [
        ("GUANXI_SMS_URL", SMS_URL_INVALID, HttpGateway.from_url, "docs/messaging-sms.md"),
        ("GUANXI_EMAIL_URL", EMAIL_URL_INVALID, mailer_from_url, "docs/messaging.md"),
        ("GUANXI_IMAP_URL", IMAP_URL_INVALID, imap_mailbox_parse, "docs/messaging-inbound.md"),
    ]
    errors: list[CheckMessage] = []
    for setting, check_id, parse, doc in checks:
        url = str(getattr(settings, setting, "") or "").strip()
        if not url:
            continue  # unset: files in the outbox, or no polling
        try:
            parse(url)
        except ValueError as error:
            errors.append(_error(setting=setting, check_id=check_id, url=url, doc=doc, error=error))
    return errors


def _error(*, setting: str, check_id: str, url: str, doc: str, error: ValueError) -> Error:
    text = str(error) or type(error).__name__
    if setting not in text:
        text = f"{setting}: {text}"
    return Error(
        _scrub(text, url=url),
        hint=_scrub(
            f"The value, without its secrets: {_shown(url)}. Fix it in the environment "
            f"(see {doc}), or unset it.",
            url=url,
        ),
        id=check_id,
    )


def _shown(url: str) -> str:
    """The URL without user, password and query, as the parsers show it. When the raw text
    has an "@" that the parser did not see as the end of the user part (a password with an
    unescaped "/", "?" or "#"), what looks like the host may be part of the password: then
    only the scheme is shown."""
    try:
        parts = urlsplit(url)
        if "@" in url.partition("://")[2] and "@" not in parts.netloc:
            return f"{parts.scheme}://…"
        return redacted(url)
    except ValueError:  # too broken to take apart: show nothing of it
        return "(unreadable)"


def _secrets(url: str) -> list[str]:
    """Every secret the URL holds, raw and percent-decoded: the password (key secret) and
    the value of `auth=` — also as the raw text before the last "@", and its pieces, for a
    password with an unescaped "/", "?" or "#" that the parser cut (and may quote a piece
    of, as a "port")."""
    found: list[str] = []
    rest = url.partition("://")[2]
    if "@" in rest:
        raw_password = rest.rpartition("@")[0].partition(":")[2]
        found += [raw_password, *(p for p in re.split(r"[/?#]", raw_password) if len(p) > 2)]
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        password, parts = None, None
    if password:
        found.append(password)
    if parts is not None:
        for name, value, raw in query_pairs(parts.query):
            if name in _SECRET_OPTIONS and value:
                found += [value, raw.partition("=")[2]]
    found += [unquote(s) for s in found]
    # Longest first, so a secret that contains another is replaced whole.
    return sorted({s for s in found if s}, key=len, reverse=True)


def _scrub(text: str, *, url: str) -> str:
    for secret in _secrets(url):
        text = text.replace(secret, "***")
    return text
