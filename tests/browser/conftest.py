"""Browser tests: real Chromium (Debian's, /usr/bin/chromium) against pytest-django's
live_server. Run with GUANXI_BROWSER_TESTS=1; skipped otherwise or without Chromium.

Self-contained: the root conftest may skip these too, which is harmless.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread, and the test arranges data through
# the ORM in the same thread: Django must allow that.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _skip_reason() -> str | None:
    if os.environ.get("GUANXI_BROWSER_TESTS") != "1":
        return "browser test: set GUANXI_BROWSER_TESTS=1 to run"
    if not CHROMIUM.exists():
        return f"browser test: {CHROMIUM} is not installed (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    if reason is None:
        return
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server) -> Iterator:
    """A fresh browser context at desktop size; `page.console_errors` collects console errors
    and uncaught exceptions (a CSP violation shows up there)."""
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda message: (
            page.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()


@pytest.fixture
def builtin_rows(transactional_db) -> None:
    """The rows the data migrations create (roles, industries, levels). An earlier
    transactional test on the same worker may have flushed them; put them back."""
    from importlib import import_module

    from django.apps import apps

    for module in (
        "guanxi.accounts.migrations.0002_builtin_roles",
        "guanxi.accounts.migrations.0003_transfer_permissions",
        "guanxi.accounts.migrations.0004_automation_permissions",
        "guanxi.accounts.migrations.0005_sales_workflow_permissions",
        "guanxi.customers.migrations.0003_default_choices",
        "guanxi.deals.migrations.0002_default_stages",
    ):
        migration = import_module(module)
        for operation in migration.Migration.operations:
            operation.code(apps, None)
