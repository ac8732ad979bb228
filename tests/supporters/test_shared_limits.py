"""Rate limits hold across worker processes when they share Redis (production servers)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes import gunicorn
from tests.supporters.fakes import JOIN

REDIS_URL = os.environ.get("HASHRALLY_TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="set HASHRALLY_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/14)"
)


@pytest.fixture
def server(transactional_db: None, campaigns: list[str], tmp_path: Path) -> Iterator[str]:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {
        "HASHRALLY_REDIS_URL": REDIS_URL,
        "HASHRALLY_RATELIMIT": "1",
        "HASHRALLY_JOIN_RATE": "3/h",
    }
    with gunicorn(tmp_path, env, workers=3) as base:
        yield base


def test_it_limits_joins_across_worker_processes(server: str) -> None:
    first = httpx.get(server + JOIN)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', first.text)
    assert token
    statuses = []
    for number in range(6):
        # A new connection each time, so the requests spread over the worker processes.
        response = httpx.post(
            server + JOIN,
            data={
                "csrfmiddlewaretoken": token.group(1),
                "country": "AZ",
                "consent": "on",
                "display_name": f"p{number}",
            },
            cookies=dict(first.cookies),
            headers={"Connection": "close"},
        )
        statuses.append(response.status_code)
    assert statuses == [303, 303, 303, 429, 429, 429]
