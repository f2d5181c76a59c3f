"""Data-quality pages: checks with fix actions, the duplicate finder, the merge page."""

from guanxi.quality.views.checks import assign_owner, check_count, check_list, overview
from guanxi.quality.views.duplicates import (
    customer_duplicates,
    duplicate_dismiss,
    duplicate_list,
    duplicates_count,
    duplicates_refresh,
)
from guanxi.quality.views.merge import merge

__all__ = [
    "assign_owner",
    "check_count",
    "check_list",
    "customer_duplicates",
    "duplicate_dismiss",
    "duplicate_list",
    "duplicates_count",
    "duplicates_refresh",
    "merge",
    "overview",
]
