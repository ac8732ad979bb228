"""Faults on real processes: gunicorn serving hashrally on a private PostgreSQL server, which
the test stops while people join and read the page, then starts again.

Every figure is checked against the private server itself, read here with psycopg.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from tests import pgprivate
from tests.fakes import CAMPAIGNS, gunicorn, run_hashrally
from tests.supporters.fakes import JOIN, SLUG

pytestmark = pytest.mark.skipif(
    not pgprivate.available(), reason="needs Debian's postgresql programs (initdb, pg_ctl)"
)
PAGE = f"/c/{SLUG}/"


class Visitor:
    """A browser's worth of state: the join form's CSRF cookie and token."""

    def __init__(self, base: str) -> None:
        self.client = httpx.Client(base_url=base, timeout=10)
        form = self.client.get(JOIN)
        assert form.status_code == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token
        self.token = token.group(1)

    def join(self, name: str, language: str = "en") -> httpx.Response:
        return self.client.post(
            JOIN,
            data={
                "csrfmiddlewaretoken": self.token,
                "country": "AZ",
                "consent": "on",
                "display_name": name,
            },
            headers={"Accept-Language": language},
        )


def supporters(url: str) -> list[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute("SELECT display_name FROM supporters_supporter").fetchall()
    return sorted(name for (name,) in rows)


def test_it_serves_pages_through_a_database_outage_and_loses_no_join(tmp_path: Path) -> None:
    with pgprivate.private_postgres() as pg:
        env = {
            "DATABASE_URL": pg.url,
            "HASHRALLY_RATELIMIT": "0",
            # Stale after a second, so the outage is served from stale copies, not fresh ones.
            "HASHRALLY_PAGE_CACHE_SECONDS": "1",
            "HASHRALLY_DATABASE_RETRY_SECONDS": "1",
        }
        run_hashrally(env, "migrate", "--no-input", check=True)
        run_hashrally(env, "campaign", "load", *map(str, CAMPAIGNS), check=True)
        # One worker: its cache (per process without Redis) holds the copies it served.
        with gunicorn(tmp_path, env, workers=1) as base:
            # A new browser for each person: a browser that joined changes its own record.
            acknowledged = []
            for number in range(3):
                response = Visitor(base).join(f"before-{number}")
                assert response.status_code == 303, response.text[:500]
                acknowledged.append(f"before-{number}")
            page = httpx.get(base + PAGE)
            counts = httpx.get(f"{base}/c/{SLUG}/counts.json")
            assert page.status_code == counts.status_code == 200
            assert httpx.get(base + "/readyz").status_code == 200

            visitor = Visitor(base)
            pg.stop()
            time.sleep(1.5)  # every copy is now stale
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline:
                during = httpx.get(base + PAGE)
                assert during.status_code == 200 and "<h1>" in during.text
                assert during.headers["Cache-Control"] == "no-store"  # proxies keep no stale copy
                assert httpx.get(f"{base}/c/{SLUG}/counts.json").json() == counts.json()
                refused = visitor.join("during", language="ru")
                assert refused.status_code == 503
                assert refused.headers["Retry-After"] == "30"
                assert '<html lang="ru"' in refused.text
                # What they sent comes back, ready to send again.
                assert '<input type="hidden" name="display_name" value="during">' in refused.text
                ready = httpx.get(base + "/readyz")
                assert ready.status_code == 503 and ready.text.startswith("database:")
                assert httpx.get(base + "/healthz").status_code == 200
                time.sleep(0.3)

            pg.start()
            pg.wait_ready()
            # Recovered without a restart of anything.
            assert httpx.get(base + "/readyz").status_code == 200
            response = visitor.join("after")
            assert response.status_code == 303
            acknowledged.append("after")
            # Pages are fresh again once the process asks the database again (a second after
            # its last failure here).
            deadline = time.monotonic() + 5
            while httpx.get(base + PAGE).headers.get("Cache-Control") == "no-store":
                assert time.monotonic() < deadline, "the page stayed stale after recovery"
                time.sleep(0.2)
        assert supporters(pg.url) == sorted(acknowledged)


def test_it_serves_pages_and_takes_joins_with_redis_down(
    transactional_db: None, campaigns: list[str], tmp_path: Path
) -> None:
    """Redis (the shared cache and rate limits) not answering at all: a port nobody listens
    on. Pages are built from the database each time; joins go on, the rate limit failing open
    as docs/security.md states (per-address limits pause; the proof of work and the
    honeypot still stand)."""
    from tests.fakes import free_port

    env = {"HASHRALLY_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "HASHRALLY_RATELIMIT": "1"}
    with gunicorn(tmp_path, env, workers=2) as base:
        for _ in range(3):
            page = httpx.get(base + PAGE)
            assert page.status_code == 200 and "<h1>" in page.text
            assert httpx.get(f"{base}/c/{SLUG}/counts.json").status_code == 200
        statuses = [Visitor(base).join(f"p{n}").status_code for n in range(3)]
        assert statuses == [303, 303, 303]
        ready = httpx.get(base + "/readyz")
        assert ready.status_code == 503 and ready.text.startswith("cache:")
