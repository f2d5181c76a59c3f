"""Passwords the command line generates (first admin, `user add` without --password)."""

from __future__ import annotations

import secrets

# No look-alike characters (0/O, 1/l/I): these passwords are read off a terminal.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def password_generate() -> str:
    """A random password such as `Xk7p-9mRt-q2Vw` (about 69 bits)."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))
