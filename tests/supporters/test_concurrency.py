"""200 joins at once against a live server: nothing acknowledged is lost, nothing is invented."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.test import override_settings

from hashrally.campaigns.models import Campaign
from hashrally.supporters.counts import refresh_counts
from hashrally.supporters.models import CampaignCounts, Supporter
from tests.supporters.fakes import JOIN

JOINS = 200
THREADS = 24
COUNTRIES = ["AZ", "TR", "DE", "FR", "GE", "KZ", "PK", "US"]


@pytest.fixture
def no_rate_limit() -> Iterator[None]:
    with override_settings(RATELIMIT_ENABLE=False):
        yield


@pytest.mark.usefixtures("no_rate_limit")
def test_it_keeps_every_acknowledged_join(live_server: object, campaign: Campaign) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    with httpx.Client(base_url=base) as session:
        page = session.get(JOIN)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token
        cookies = dict(session.cookies)

    def one(number: int) -> tuple[str, int]:
        name = f"supporter {number}"
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
            response = client.post(
                JOIN,
                data={
                    "csrfmiddlewaretoken": token.group(1),
                    "country": COUNTRIES[number % len(COUNTRIES)],
                    "display_name": name,
                    "consent": "on",
                },
            )
        return name, response.status_code

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(one, range(JOINS)))

    acknowledged = {name for name, status in results if status == 303}
    stored = set(Supporter.objects.values_list("display_name", flat=True))
    assert [status for _, status in results if status != 303] == []
    assert stored == acknowledged
    assert len(stored) == JOINS

    refresh_counts()
    counts = CampaignCounts.objects.get(campaign=campaign)
    assert counts.joined == Supporter.objects.count() == JOINS
    assert sum(joined for joined, _ in counts.by_country.values()) == JOINS
    assert counts.countries == len(COUNTRIES)
