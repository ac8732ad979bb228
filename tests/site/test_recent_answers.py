"""RecentAnswersMiddleware: anonymous reads of the page and counts.json answered from memory for
a second. What a stranger could try: get someone else's rendition (an organiser's, another
language's), someone else's cookie, or a stale copy kept past an outage."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from hashrally.campaigns.models import Campaign
from hashrally.core import pagecache
from hashrally.supporters.models import CampaignCounts
from tests.fakes import log_in

pytestmark = pytest.mark.django_db

PAGE = "/c/recognize-to-reconcile/"
COUNTS = "/c/recognize-to-reconcile/counts.json"


def _set_joined(joined: int) -> None:
    """A new count in the database, and every shared or per-process copy of the page
    forgotten, except the whole answers this middleware keeps."""
    campaign = Campaign.objects.get(slug="recognize-to-reconcile")
    CampaignCounts.objects.update_or_create(campaign=campaign, defaults={"joined": joined})
    pagecache._LOCAL.clear()
    cache.clear()


def _joined(client: Client) -> int:
    return int(client.get(COUNTS).json()["joined"])


def test_it_answers_a_repeated_read_from_memory_then_forgets_it(
    client: Client, campaigns: list[str]
) -> None:
    _set_joined(111)
    with override_settings(HASHRALLY_LOCAL_CACHE_SECONDS=0.5):
        assert _joined(client) == 111
        _set_joined(222)
        assert _joined(Client()) == 111  # another visitor, within the half second
        time.sleep(0.6)
        assert _joined(Client()) == 222


def test_the_kept_answer_is_the_full_answer(client: Client, campaigns: list[str]) -> None:
    first = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")
    again = Client().get(PAGE, HTTP_ACCEPT_LANGUAGE="en")
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    # Every header the stack behind added (CSP, frame options, Vary, Cache-Control...) is
    # there again; SecurityMiddleware, in front, adds its own to both.
    assert dict(again.items()) == dict(first.items())
    assert "Content-Security-Policy" in again and "public" in again["Cache-Control"]


def test_each_visitor_gets_their_own_language(client: Client, campaigns: list[str]) -> None:
    english = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    arabic = Client().get(PAGE, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    russian = Client(headers={"Cookie": "hashrally_language=ru"}).get(
        PAGE, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert '<html lang="en"' in english
    assert '<html lang="ar" dir="rtl">' in arabic
    assert '<html lang="ru"' in russian.content.decode()


def test_it_never_hands_out_a_language_cookie_or_withholds_one(
    client: Client, campaigns: list[str]
) -> None:
    # ?lang=az from an English browser sets the language cookie: never kept, so the next
    # such visitor gets their own cookie too, and nobody gets the first visitor's.
    for _ in range(2):
        response = Client().get(PAGE + "?lang=az", HTTP_ACCEPT_LANGUAGE="en")
        assert response.cookies["hashrally_language"].value == "az"
    # A visitor whose cookie already says az gets the page without a Set-Cookie.
    settled = Client(headers={"Cookie": "hashrally_language=az"})
    assert not settled.get(PAGE + "?lang=az").cookies


def test_an_organisers_page_is_neither_kept_nor_served_from_memory(
    client: Client, campaigns: list[str], admin_user: object
) -> None:
    Campaign.objects.filter(slug="recognize-to-reconcile").update(status="draft")
    log_in(client, admin_user)
    assert client.get(PAGE).status_code == 200  # the draft, for the organiser
    assert Client().get(PAGE).status_code == 404  # the public never gets the organiser's copy
    Campaign.objects.filter(slug="recognize-to-reconcile").update(status="live")
    pagecache.clear()
    _set_joined(5)
    anonymous = Client().get(COUNTS)
    assert anonymous.status_code == 200
    _set_joined(6)
    # The organiser reads past the memory: their session cookie takes the full way.
    assert _joined(client) == 6


def test_personal_parameters_take_the_full_way(client: Client, campaigns: list[str]) -> None:
    _set_joined(7)
    html = client.get(PAGE + "?ref=abc123&lang=en").content.decode()
    _set_joined(8)
    again = Client().get(PAGE + "?ref=abc123&lang=en").content.decode()
    assert html != again  # rendered again for each visitor, never from memory


def test_a_stale_copy_served_in_an_outage_is_not_kept(
    client: Client, campaigns: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_joined(30)
    assert _joined(client) == 30
    pagecache._RECENT.clear()
    # The page cache's copy goes stale and the database "cannot answer": the copy is served
    # with no-store, which must not be kept as if it were fresh.
    for key, (_until, entry) in list(pagecache._LOCAL.items()):
        entry.fresh_until = 0.0
        cache.set(key, entry)
    monkeypatch.setattr(pagecache, "_database_down_until", time.monotonic() + 60)
    during = Client().get(COUNTS)
    assert during["Cache-Control"] == "no-store"
    assert not pagecache._RECENT
    # The database is back: the next read is fresh, not the outage's copy.
    monkeypatch.setattr(pagecache, "_database_down_until", 0.0)
    _set_joined(31)
    assert _joined(Client()) == 31


def test_spellings_of_the_sites_name_share_one_copy(
    client: Client, campaigns: list[str], settings: Any
) -> None:
    """With the site's address set, a stranger's Host spellings (a port, capitals, a trailing
    dot) are one copy, not one each; the page's own addresses are the site's, whatever Host."""
    settings.SITE_URL = "https://campaign.example.org"
    settings.ALLOWED_HOSTS = ["campaign.example.org"]
    for host in (
        "campaign.example.org",
        "CAMPAIGN.example.org",
        "campaign.example.org.",
        *(f"campaign.example.org:{port}" for port in range(1, 40)),
    ):
        html = Client(HTTP_HOST=host).get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'content="https://campaign.example.org/c/recognize-to-reconcile/"' in html, host
    assert len(pagecache._RECENT) == 1


def test_without_the_sites_address_each_host_gets_its_own_page(
    client: Client, campaigns: list[str], settings: Any
) -> None:
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["a.example.org", "b.example.org"]
    for host in ("a.example.org", "b.example.org"):
        html = Client(HTTP_HOST=host).get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert f'content="http://{host}/c/recognize-to-reconcile/"' in html


def test_memory_stays_bounded_whatever_the_addresses(
    client: Client, campaigns: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagecache, "_RECENT_MAX_BYTES", 100_000)
    for variant in range(40):  # distinct addresses, each a kept answer of about 16 kB
        assert Client().get(f"{PAGE}?shuffle={variant}").status_code == 200
    kept = sum(len(hit[3]) for hit in pagecache._RECENT.values())
    assert 0 < kept <= 100_000
    assert kept == pagecache._recent_bytes
