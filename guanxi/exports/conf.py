"""Export settings, each overridable in Django settings (GUANXI_EXPORT_*)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def export_dir() -> Path:
    return Path(getattr(settings, "GUANXI_EXPORT_DIR", settings.DATA_DIR / "exports"))


def expiry_hours() -> int:
    """How long a finished file can be downloaded."""
    return int(getattr(settings, "GUANXI_EXPORT_EXPIRY_HOURS", 24))


def inline_rows() -> int:
    """Up to this many rows the web request writes the file itself (no waiting on a worker)."""
    return int(getattr(settings, "GUANXI_EXPORT_INLINE_ROWS", 2000))


def zip_rows() -> int:
    """A CSV of more rows than this is served zipped."""
    return int(getattr(settings, "GUANXI_EXPORT_ZIP_ROWS", 100_000))


def zip_bytes() -> int:
    """…and so is a CSV larger than this."""
    return int(getattr(settings, "GUANXI_EXPORT_ZIP_BYTES", 20 * 1024 * 1024))


def chunk_rows() -> int:
    """Rows read per keyset query (and between progress updates)."""
    return int(getattr(settings, "GUANXI_EXPORT_CHUNK_ROWS", 5000))
