"""Writing the messaging settings row (pk=1)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm
from guanxi.activity.models import Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.model_update import model_update
from guanxi.messaging import pacing

FIELDS = [
    "company_name", "company_phone", "company_website", "company_address", "email_signature",
    "quiet_start", "quiet_end", "quiet_for_sms", "quiet_for_marketing_email",
    "marketing_cap", "marketing_cap_hours", "email_per_minute", "sms_per_minute",
    "max_attempts", "interested_tag", "follow_up_tag",
]  # fmt: skip


def messaging_settings_update(*, actor: User, data: dict[str, Any]) -> dict[str, list[Any]]:
    """Save the settings row; audited with the changed fields. Returns the changes."""
    require_perm(actor, Perm.CONFIG_MANAGE)
    with transaction.atomic():
        row = pacing.current_settings()
        changes = model_update(instance=row, fields=FIELDS, data=data)
        if not changes:
            return changes
        row.updated_at = clock.now()
        row.save(update_fields=[*changes, "updated_at"])
        activity_record(actor=actor, verb=Verb.UPDATED, target=row, changes=changes)
    return changes
