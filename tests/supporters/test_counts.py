from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.core import pagecache
from hashrally.supporters import counts
from hashrally.supporters.actions import do_erase
from hashrally.supporters.models import CampaignCounts, Supporter
from tests.fakes import one_second_each
from tests.supporters.fakes import SLUG, join

pytestmark = pytest.mark.django_db
PAGE = f"/c/{SLUG}/"


def add(campaign: Campaign, country: str, confirmed: bool = False, n: int = 1) -> None:
    now = timezone.now()
    Supporter.objects.bulk_create(
        Supporter(
            campaign=campaign,
            country=country,
            consent_version="t",
            consented_at=now,
            confirmed_at=now if confirmed else None,
        )
        for _ in range(n)
    )


def test_it_counts_joined_confirmed_and_countries_from_the_rows(campaign: Campaign) -> None:
    add(campaign, "AZ", n=3)
    add(campaign, "AZ", confirmed=True, n=2)
    add(campaign, "TR", confirmed=True)
    assert campaign.id in counts.refresh_counts()
    row = CampaignCounts.objects.get(campaign=campaign)
    assert (row.joined, row.confirmed, row.countries) == (6, 3, 2)
    assert row.by_country == {"AZ": [5, 2], "TR": [1, 1]}


def test_it_recounts_only_what_changed(campaign: Campaign) -> None:
    add(campaign, "AZ")
    counts.refresh_counts()
    assert counts.refresh_counts() == []
    add(campaign, "DE")
    assert counts.refresh_counts() == [campaign.id]
    assert CampaignCounts.objects.get(campaign=campaign).joined == 2


def test_it_drops_an_erased_supporter_from_the_counts(campaign: Campaign) -> None:
    add(campaign, "AZ", n=2)
    counts.refresh_counts()
    do_erase(Supporter.objects.first())  # type: ignore[arg-type]
    counts.refresh_counts()
    assert CampaignCounts.objects.get(campaign=campaign).joined == 1


def test_it_serves_counts_json_with_public_cache_headers(
    client: Client, campaign: Campaign
) -> None:
    add(campaign, "AZ", confirmed=True)
    add(campaign, "FR")
    counts.refresh_counts()
    response = client.get(f"/c/{SLUG}/counts.json")
    assert response["Cache-Control"].startswith("public, max-age=")
    data = response.json()
    assert (data["joined"], data["confirmed"], data["countries"]) == (2, 1, 2)
    assert data["by_country"]["AZ"] == {"joined": 1, "confirmed": 1}
    assert data["goal"] == 100 and data["goal_is_organisers"] is False
    assert data["updated_at"]
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/c/{SLUG}/counts.json")
    assert len(queries) == 0
    assert client.get("/c/nope/counts.json").status_code == 404


@pytest.mark.parametrize(
    ("joined", "goal"), [(0, 100), (99, 100), (100, 250), (2_600, 5_000), (123_456, 200_000)]
)
def test_it_raises_the_goal_in_steps(joined: int, goal: int) -> None:
    assert counts.next_goal(joined) == goal


def test_it_uses_the_organisers_goal(client: Client, campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(goal=1000)
    add(campaign, "AZ", n=10)
    counts.refresh_counts()
    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<progress id="goal" max="1000" value="10">1%</progress>' in html


def test_it_shows_counts_map_and_table_on_the_page(client: Client, campaign: Campaign) -> None:
    add(campaign, "AZ", n=3, confirmed=True)
    add(campaign, "SG")  # too small for the map: still in the table
    counts.refresh_counts()
    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Joined: <strong>4</strong>" in html
    assert "Confirmed by email: <strong>3</strong>" in html
    assert '<th scope="row">Azerbaijan</th><td>3</td><td>3</td>' in html
    assert '<th scope="row">Singapore</th><td>1</td><td>0</td>' in html
    assert f'<img class="worldmap" src="/c/{SLUG}/map.svg?lang=en"' in html
    svg = client.get(f"/c/{SLUG}/map.svg", HTTP_ACCEPT_LANGUAGE="en")
    assert svg["Content-Type"].startswith("image/svg+xml")
    body = svg.content.decode()
    assert 'data-country="AZ"' in body and 'role="img"' in body
    assert "<title>Azerbaijan: 3</title>" in body


def test_it_serves_repeat_views_from_the_cache_without_queries(
    client: Client, campaign: Campaign
) -> None:
    client.get(PAGE + "?v=0")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PAGE + "?v=0")
    assert response.status_code == 200
    assert len(queries) == 0


def test_it_never_counts_supporters_on_a_page_view(client: Client, campaign: Campaign) -> None:
    add(campaign, "AZ")
    with CaptureQueriesContext(connection) as queries:
        client.get(PAGE)
    assert not [q for q in queries if "supporters_supporter" in q["sql"]]


def test_it_keeps_the_page_fresh_within_the_cache_lifetime(
    client: Client, campaign: Campaign, settings: object
) -> None:
    client.get(PAGE + "?v=0", HTTP_ACCEPT_LANGUAGE="en")
    add(campaign, "AZ", n=5)
    counts.refresh_counts()
    pagecache.clear()  # what the page cache's expiry does after a few seconds
    html = client.get(PAGE + "?v=0", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Joined: <strong>5</strong>" in html


def test_it_counts_from_a_full_rebuild_too(campaign: Campaign) -> None:
    add(campaign, "AZ")
    counts.refresh_counts()
    CampaignCounts.objects.update(joined=999)  # drift of any kind
    counts.refresh_counts(full=True)
    assert CampaignCounts.objects.get(campaign=campaign).joined == 1
    row = CampaignCounts.objects.get(campaign=campaign)
    assert row.refreshed_at and timezone.now() - row.refreshed_at < dt.timedelta(minutes=1)


def test_it_counts_what_the_join_form_stored(client: Client, campaign: Campaign) -> None:
    for country in ("AZ", "AZ", "TR"):
        join(Client(), country=country)
    counts.refresh_counts()
    assert CampaignCounts.objects.get(campaign=campaign).by_country == {"AZ": [2, 0], "TR": [1, 0]}


def test_long_recounts_wait_their_turn_within_one_share(
    campaign: Campaign, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recounts that take a second each, with a 5% share, wait about 19 seconds after each,
    whichever campaign they were for, however many joins come meanwhile; campaigns take turns
    (the umbrella, then its initiative); `full` recounts everything anyway."""
    clock = one_second_each(settings, monkeypatch, counts, "recount")
    counts.cooling.clear()
    umbrella = campaign.parent_id
    assert counts.refresh_counts() == [umbrella]  # the first in line, then the budget is spent
    add(campaign, "DE")
    clock[0] += 10.0
    assert counts.refresh_counts() == []
    clock[0] += 12.0
    assert counts.refresh_counts() == [campaign.id]  # its turn: the umbrella was served
    add(campaign, "DE")
    clock[0] += 22.0
    # The umbrella waited longest but its own rows did not change: only the initiative.
    assert counts.refresh_counts() == [campaign.id]
    assert set(counts.refresh_counts(full=True)) == {campaign.id, umbrella}
