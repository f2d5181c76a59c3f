"""Reading customer configuration (industries, levels, custom fields, tags) for admins."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.shortcuts import get_object_or_404

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm
from guanxi.customers.models import CustomFieldDefinition, Industry, Level, Tag

KINDS: dict[str, type[Industry] | type[Level]] = {"industry": Industry, "level": Level}


def configuration_overview(*, user: User) -> dict[str, Any]:
    """Every configurable list with how many customers use each entry. Counts are over all
    customers: configuration is global, and only administrators see this page."""
    require_perm(user, Perm.CONFIG_MANAGE)
    return {
        "industries": Industry.objects.annotate(n=Count("customer")),
        "levels": Level.objects.annotate(n=Count("customer")),
        "fields": CustomFieldDefinition.objects.select_related("industry"),
        "tags": Tag.objects.annotate(n=Count("customers")).order_by("-n", "name")[:300],
    }


def config_get(*, user: User, model: type, pk: int):
    require_perm(user, Perm.CONFIG_MANAGE)
    return get_object_or_404(model, pk=pk)
