"""Delivery channels: how a queued message leaves Guanxi.

Each channel opens once per batch (one SMTP connection, one HTTP session), sends messages
one by one and answers each with an Outcome; it never touches the database — recording
what happened is the delivery loop's job (delivery.py), so "sent" is recorded in one place.
"""

from __future__ import annotations

from guanxi.messaging.channels.base import Channel, Outcome, OutcomeKind
from guanxi.messaging.models import MessageChannel


def channel_for(kind: str) -> Channel:
    """The configured channel for email or SMS (a file outbox when nothing is configured)."""

    if kind == MessageChannel.EMAIL:
        from guanxi.messaging.channels import email

        return email.configured()
    if kind == MessageChannel.SMS:
        from guanxi.messaging.channels import sms

        return sms.configured()
    raise ValueError(f"unknown channel {kind!r}")


__all__ = ["Channel", "Outcome", "OutcomeKind", "channel_for"]
