"""The public list of supporters who chose to show their name."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.core import pagecache
from hashrally.supporters import counts
from hashrally.supporters.models import Supporter
from tests.supporters.fakes import SLUG

pytestmark = pytest.mark.django_db


def supporter(campaign: Campaign, name: str, **fields: object) -> Supporter:
    defaults: dict[str, object] = {
        "country": "AZ",
        "display_name": name,
        "show_name": True,
        "consent_version": "v",
        "consented_at": timezone.now(),
        "confirmed_at": timezone.now(),
        "email_hash": name,
    }
    return Supporter.objects.create(campaign=campaign, **{**defaults, **fields})


def test_it_lists_confirmed_supporters_who_chose_to_show_their_name(campaign: Campaign) -> None:
    supporter(campaign, "Aysel")
    supporter(campaign, "Not confirmed", confirmed_at=None)
    supporter(campaign, "Did not choose", show_name=False)
    supporter(campaign, "Hidden by the organisers", name_hidden=True)
    counts.refresh_counts()  # the worker's round: the page reads names from the counts row
    pagecache.clear()
    page = Client().get(f"/c/{SLUG}/?lang=az").content.decode()
    assert "Aysel" in page and "Azərbaycan" in page
    for absent in ("Not confirmed", "Did not choose", "Hidden by the organisers"):
        assert absent not in page


def test_it_pages_through_every_name_newest_first(campaign: Campaign) -> None:
    for n in range(120):
        supporter(campaign, f"Person {n:03d}")
    first = Client().get(f"/c/{SLUG}/supporters").content.decode()
    assert "Person 119" in first and "Person 069" not in first and 'rel="next"' in first
    last = Client().get(f"/c/{SLUG}/supporters?page=3").content.decode()
    assert "Person 000" in last and 'rel="next"' not in last
    assert Client().get(f"/c/{SLUG}/supporters?page=²").status_code == 200
