"""Per-target outreach over time: posts that mention a target, per network and day, counted
here from the recorded page's own entities and timestamps."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from hashrally.campaigns.models import Campaign, Target, TargetAccount
from hashrally.reports.assemble import full_report
from tests.fakes import ROOT
from tests.listening.fakes import run_import
from tests.reports.fakes import CHILD, fold_all, listen_for

pytestmark = pytest.mark.django_db
BREXIT = ROOT / "tests" / "fixtures" / "recorded" / "x" / "brexit.jsonl"


def test_it_counts_mentions_of_a_target_per_day_and_network(campaigns: list[str]) -> None:
    tweets = [t for line in BREXIT.read_text().splitlines() for t in json.loads(line)["data"]]

    def mentioned(tweet: dict[str, object]) -> set[str]:
        entities = tweet.get("entities") or {}
        assert isinstance(entities, dict)
        return {m["username"].casefold() for m in entities.get("mentions") or []}

    # The account the recorded posts mention most, made a target of the campaign.
    handle, _ = Counter(h for t in tweets for h in mentioned(t)).most_common(1)[0]
    campaign = listen_for(CHILD, "Brexit")
    target = Target.objects.create(campaign=campaign, position=9, name="Someone")
    TargetAccount.objects.create(target=target, network="x", handle=handle)
    run_import(BREXIT, "twarc2")
    fold_all()

    expected: Counter[str] = Counter(
        str(t["created_at"])[:10] for t in tweets if handle in mentioned(t)
    )
    counted = full_report(Campaign.objects.get(slug=CHILD))["targets"][handle]
    assert counted["by_day"] == {day: {"x": n} for day, n in expected.items()}
    assert counted["total"] == sum(expected.values())


def test_it_shows_each_targets_mentions_on_the_campaign_page(campaigns: list[str]) -> None:
    from django.test import Client

    from tests.reports.test_figures import FIXTURES  # noqa: F401 (the recorded pages exist)

    test_it_counts_mentions_of_a_target_per_day_and_network(campaigns)
    target = Target.objects.get(name="Someone")
    handle = target.accounts.get().handle
    total = full_report(Campaign.objects.get(slug=CHILD))["targets"][handle]["total"]
    html = Client().get(f"/c/{CHILD}/", {"lang": "en"}).content.decode()
    assert f"Posts that mention them so far: X: {total}" in html


def test_it_fills_the_per_day_figures_of_posts_folded_before_they_existed(
    campaigns: list[str],
) -> None:
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from hashrally.reports.models import Figure

    test_it_counts_mentions_of_a_target_per_day_and_network(campaigns)
    kept = dict(Figure.objects.filter(dimension="target_day").values_list("key", "value"))
    Figure.objects.filter(dimension="target_day").delete()
    migration = importlib.import_module("hashrally.reports.migrations.0006_target_day")
    # The migration reads through its schema editor's connection; the test's will do.
    migration.backfill(apps, SimpleNamespace(connection=connection))
    again = dict(Figure.objects.filter(dimension="target_day").values_list("key", "value"))
    assert again == kept and kept
