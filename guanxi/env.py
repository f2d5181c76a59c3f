"""The single place that reads the process environment (GUANXI_* variables)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _get(name: str, default: str = "") -> str:
    return os.environ.get(f"GUANXI_{name}", default)


def flag(name: str, default: bool = False) -> bool:
    value = _get(name)
    if not value:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def integer(name: str, default: int) -> int:
    """A whole-number GUANXI_<name>; a bad value stops startup with the variable named."""
    value = _get(name).strip()
    if not value:
        return default
    try:
        return int(value.replace("_", ""))
    except ValueError:
        raise ValueError(f"GUANXI_{name} must be a whole number, not {value!r}") from None


def data_dir() -> Path:
    path = Path(_get("DATA_DIR", str(BASE_DIR / "var"))).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    return _get("DATABASE_URL")


def test_database_url() -> str:
    return _get("TEST_DATABASE_URL")


def tasks_backend() -> str:
    return _get("TASKS_BACKEND", "db")


def redis_url() -> str:
    return _get("REDIS_URL", "redis://127.0.0.1:6379/0")


def email_url() -> str:
    return _get("EMAIL_URL")


def sms_url() -> str:
    return _get("SMS_URL")


def imap_url() -> str:
    """The reply mailbox to poll (imaps://user:pass@host:993/INBOX); empty = no polling."""
    return _get("IMAP_URL")


def public_url() -> str:
    """Where recipients reach this Guanxi (tracked links, unsubscribe, calendar feeds)."""
    return _get("PUBLIC_URL", "http://127.0.0.1:8000")


def email_from() -> str:
    return _get("EMAIL_FROM", "Guanxi <noreply@localhost>")


def reply_address() -> str:
    return _get("REPLY_ADDRESS")


def time_zone() -> str:
    return _get("TIME_ZONE", "Asia/Shanghai")


def language() -> str:
    return _get("LANGUAGE", "zh-hans")


def allowed_hosts() -> list[str]:
    raw = _get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
    return [h.strip() for h in raw.split(",") if h.strip()]


def debug() -> bool:
    return flag("DEBUG")


def production() -> bool:
    """HTTPS-only cookie and HSTS settings; off for the embedded http://127.0.0.1 default."""
    return flag("PRODUCTION")


def port() -> int:
    return int(_get("PORT", "8000"))


def bind_host() -> str:
    """The address `guanxi run` serves on; 0.0.0.0 opens it to the network."""
    return _get("BIND", "127.0.0.1")


def demo_enabled() -> bool:
    return flag("DEMO", default=True)


def testing() -> bool:
    return flag("TESTING")


def secret_key() -> str:
    """GUANXI_SECRET_KEY, or a key generated once into the data dir."""
    value = _get("SECRET_KEY")
    if value:
        return value
    key_file = data_dir() / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def environ_copy() -> dict[str, str]:
    """For spawning child processes that must inherit configuration."""
    return dict(os.environ)
