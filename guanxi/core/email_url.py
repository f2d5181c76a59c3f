"""GUANXI_EMAIL_URL → a Django MAILERS entry.

    smtp://user:pass@host:25          plain SMTP
    smtp+tls://user:pass@host:587     STARTTLS (the usual submission port)
    smtps://user:pass@host:465        TLS from the first byte

User and password are URL-quoted (`@` in a user name is `%40`).
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

_SCHEMES = {"smtp": (25, False, False), "smtp+tls": (587, True, False), "smtps": (465, False, True)}


def mailer_from_url(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES or not parts.hostname:
        choices = ", ".join(f"{scheme}://" for scheme in _SCHEMES)
        raise ValueError(f"GUANXI_EMAIL_URL must look like {choices}host:port")
    default_port, use_tls, use_ssl = _SCHEMES[parts.scheme]
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": parts.hostname,
            "port": parts.port or default_port,
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_tls": use_tls,
            "use_ssl": use_ssl,
            "timeout": 30,
        },
    }
