from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes import CAMPAIGNS

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# database access from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("HASHRALLY_TEST_DB") != "postgres":
        return
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        skip = pytest.mark.skip(
            reason="PostgreSQL run: set HASHRALLY_TEST_POSTGRES_URL "
            "(e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
        for item in items:
            item.add_marker(skip)


@pytest.fixture
def campaigns(db: None) -> list[str]:
    """The test campaigns (tests/fixtures/campaigns), loaded; their files' paths."""
    from hashrally.campaigns.actions import do_load_campaign_files
    from hashrally.campaigns.campaignfile import read_campaign_files

    do_load_campaign_files(read_campaign_files(CAMPAIGNS))
    return [str(p) for p in CAMPAIGNS]


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # Pages and counts are cached for a few seconds; each test starts from nothing.
    from hashrally.core import pagecache

    pagecache.clear()
    yield
    pagecache.clear()


@pytest.fixture(autouse=True)
def _fresh_recount_budgets() -> Iterator[None]:
    # The worker's recount budgets live in its process (core/cooldown.py): each test starts
    # with them unspent, whatever the test before recounted.
    from hashrally.reports import refresh
    from hashrally.supporters import counts

    counts.cooling.clear()
    refresh.cooling.clear()
    yield


@pytest.fixture
def no_rate_limit() -> Iterator[None]:
    """Rate limits off, for tests that send many requests from one address (fuzzers): they
    would answer 429 after a few, and the form itself is under test."""
    from django.test import override_settings

    with override_settings(RATELIMIT_ENABLE=False):
        yield


# The browser fixtures, defined once: Playwright's sync API allows one instance per process.
from tests.browser import browser, visit  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A test that renders in another language (a browser test's request, say) would leave it
    # active for the tests after it in the same thread: each test starts in the default.
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def admin_client(admin_user: Any) -> Any:
    """pytest-django's admin client, past the login's second factor too."""
    from django.test import Client

    from tests.fakes import log_in

    return log_in(Client(), admin_user)
