from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# database access from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))


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
def examples(db: None) -> list[str]:
    from hashrally.campaigns.actions import do_load_campaign_files
    from hashrally.campaigns.campaignfile import read_campaign_files

    do_load_campaign_files(read_campaign_files(EXAMPLES))
    return [str(p) for p in EXAMPLES]


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # Pages and counts are cached for a few seconds; each test starts from nothing.
    from hashrally.core import pagecache

    pagecache.clear()
    yield
    pagecache.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def subprocess_database_url() -> str:
    """The test database as a DATABASE_URL, for commands run in a subprocess."""
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    return f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


# The browser fixtures, defined once: Playwright's sync API allows one instance per process.
from tests.browser import browser, visit  # noqa: E402, F401
