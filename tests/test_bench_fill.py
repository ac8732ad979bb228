"""`make bench` fills a million supporters with one INSERT of its own (bench/run.py); a column
added to supporters without it broke the benchmark unnoticed. Run here on a few rows."""

from __future__ import annotations

import sys

import pytest
from django.db import connection

from hashrally.campaigns.models import Campaign
from hashrally.supporters.models import Supporter
from tests.fakes import ROOT

pytestmark = pytest.mark.django_db


def test_the_benchmarks_fill_matches_the_schema(campaigns: list[str]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the fill is PostgreSQL SQL (gen_random_uuid, generate_series)")
    sys.path.insert(0, str(ROOT / "bench"))
    import run  # type: ignore[import-not-found]

    campaign = Campaign.objects.get(slug=run.SLUG)
    with connection.cursor() as cursor:
        cursor.execute(
            run.FILL_SQL,
            {
                "campaign": campaign.pk,
                "countries": list(run.COUNTRIES),
                "consent": run.BENCH_CONSENT,
                "first": 1,
                "last": 5,
            },
        )
    assert (
        Supporter.objects.filter(campaign=campaign, consent_version=run.BENCH_CONSENT).count() == 5
    )
