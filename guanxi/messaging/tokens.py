"""Addresses a message carries outside Guanxi: open pixel, tracked links, unsubscribe.

A message's `token` is 128 random bits; the links add a short HMAC over what they name
(token, link index, purpose) so an address cannot be made up from another one, and a click
can only lead to the link stored at that index of that message (no open redirect).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from django.conf import settings
from django.urls import reverse


def new_token() -> str:
    return secrets.token_hex(16)


@functools.lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    return hashlib.sha256(f"guanxi.messaging.links:{secret}".encode()).digest()


def signature(*parts: object) -> str:
    key = _key(settings.SECRET_KEY)
    payload = "\x00".join(str(p) for p in parts).encode()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()[:16]


def valid(sig: str, *parts: object) -> bool:
    return hmac.compare_digest(sig, signature(*parts))


def absolute(path: str) -> str:
    return settings.GUANXI_PUBLIC_URL.rstrip("/") + path


@functools.lru_cache(maxsize=8)
def _pattern(name: str, public_url: str) -> str:
    # reverse() once per route with placeholders: it costs more than the rest of a link.
    args = ["TOKEN0", 7654321, "SIGN0"] if name == "click" else ["TOKEN0", "SIGN0"]
    path = reverse(f"messaging_public:{name}", args=args)
    path = path.replace("TOKEN0", "{token}").replace("7654321", "{index}")
    return public_url.rstrip("/") + path.replace("SIGN0", "{sig}")


def open_url(token: str) -> str:
    pattern = _pattern("open", settings.GUANXI_PUBLIC_URL)
    return pattern.format(token=token, sig=signature(token, "open"))


def click_url(token: str, index: int) -> str:
    pattern = _pattern("click", settings.GUANXI_PUBLIC_URL)
    return pattern.format(token=token, index=index, sig=signature(token, "click", index))


def unsubscribe_url(token: str) -> str:
    pattern = _pattern("unsubscribe", settings.GUANXI_PUBLIC_URL)
    return pattern.format(token=token, sig=signature(token, "unsubscribe"))


def message_id(token: str) -> str:
    """The Message-ID header: replies quote it in In-Reply-To / References."""
    return f"<{token}@{settings.GUANXI_MESSAGE_ID_DOMAIN}>"


def reply_to(token: str) -> str:
    """Reply-To with the token in the local part (plus addressing), when a reply address is
    configured: the reply finds its message even if the client drops In-Reply-To."""
    address = settings.GUANXI_REPLY_ADDRESS
    if not address or "@" not in address:
        return ""
    local, domain = address.split("@", 1)
    return f"{local}+{token}@{domain}"
