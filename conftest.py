"""Suite-wide test switches. Plain `make test` runs everything that needs nothing but Python;
the heavier groups run when CI (or a developer) turns them on:

- `browser`: GUANXI_BROWSER_TESTS=1 and Debian's Chromium at /usr/bin/chromium;
- `celery`: GUANXI_CELERY_SMOKE=1, with Redis on 127.0.0.1:6379 (database 15 is used);
- `postgres`: the suite runs on PostgreSQL (GUANXI_TEST_DATABASE_URL=postgresql://…).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# No timing thresholds in tests (speed is the benchmarks' job): Hypothesis's default 200 ms
# per example failed property tests on a loaded two-core machine.
hypothesis_settings.register_profile("guanxi", deadline=None)
hypothesis_settings.load_profile("guanxi")

CHROMIUM = Path("/usr/bin/chromium")


def _skip_reason(item: pytest.Item) -> str | None:
    if item.get_closest_marker("browser"):
        if os.environ.get("GUANXI_BROWSER_TESTS") != "1":
            return "browser test: set GUANXI_BROWSER_TESTS=1 to run"
        if not CHROMIUM.exists():
            return f"browser test: {CHROMIUM} is not installed (apt-get install chromium)"
    if item.get_closest_marker("celery") and os.environ.get("GUANXI_CELERY_SMOKE") != "1":
        return "Celery smoke test: set GUANXI_CELERY_SMOKE=1 (needs Redis) to run"
    if item.get_closest_marker("postgres") and not os.environ.get(
        "GUANXI_TEST_DATABASE_URL", ""
    ).startswith("postgres"):
        return "PostgreSQL only: set GUANXI_TEST_DATABASE_URL=postgresql://…"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        reason = _skip_reason(item)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> None:
    """Per-process caches (API tokens, reference labels) must not carry rows of one test,
    rolled back since, into the next, which may reuse the same ids."""
    from django.conf import settings
    from django.utils import translation

    from guanxi.accounts.tokens import forget_cached_tokens
    from guanxi.customers.references import forget_reference_labels

    forget_cached_tokens()
    forget_reference_labels()
    # A request in one test activates its user's language in this thread; the next test
    # starts from the site language, as a fresh request would.
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _automation_listens_afresh():
    """Each test starts with the automation listener's cache of listened-for events empty
    (rules differ from test to test)."""
    from guanxi.automation.listener import forget_interest

    forget_interest()
    yield
    forget_interest()
