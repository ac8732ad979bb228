"""The worker's schedule: which collections are due, with which window, and running them
against a local fake Mastodon instance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.listening import collecting
from hashrally.listening.config import listening_for
from hashrally.listening.fetch import Fetcher
from hashrally.listening.models import CollectionRun, RunProblem
from tests.listening.fakes import FakeMastodon, Reply, statuses, stored, uris

pytestmark = pytest.mark.django_db
SLUG = "recognize-to-reconcile"
NOW = dt.datetime(2026, 8, 1, 14, 0, tzinfo=dt.UTC)


def campaign_with(**listening: object) -> Campaign:
    # The other example campaign is not collected on schedule, so runs are this one's only.
    Campaign.objects.exclude(slug=SLUG).update(listening={"every_minutes": 0})
    campaign = Campaign.objects.get(slug=SLUG)
    campaign.listening = listening
    campaign.save()
    return campaign


def run(campaign: Campaign, network: str, started: dt.datetime, **fields: object) -> CollectionRun:
    made = CollectionRun.objects.create(campaign=campaign, source=network, key="k", **fields)
    CollectionRun.objects.filter(pk=made.pk).update(started_at=started)
    made.refresh_from_db()
    return made


def window(campaign: Campaign, network: str, now: dt.datetime = NOW) -> object:
    return collecting.scheduled_window(campaign, listening_for(campaign), network, now)


def test_it_schedules_only_live_campaigns_that_ask_for_it(campaigns: list[str]) -> None:
    assert SLUG in {c.slug for c, _ in collecting.listening_campaigns(NOW)}
    campaign_with(every_minutes=0)
    assert SLUG not in {c.slug for c, _ in collecting.listening_campaigns(NOW)}
    campaign = campaign_with()
    campaign.status = Campaign.Status.DRAFT
    campaign.save()
    assert SLUG not in {c.slug for c, _ in collecting.listening_campaigns(NOW)}
    campaign.status, campaign.ends_on = Campaign.Status.LIVE, dt.date(2026, 7, 1)
    campaign.save()
    # Late posts are still collected for a week after the last day, then no more.
    assert SLUG in {
        c.slug for c, _ in collecting.listening_campaigns(dt.datetime(2026, 7, 5, tzinfo=dt.UTC))
    }
    assert SLUG not in {c.slug for c, _ in collecting.listening_campaigns(NOW)}


def test_it_makes_a_collection_due_every_n_minutes(campaigns: list[str]) -> None:
    campaign = campaign_with(every_minutes=30)
    assert window(campaign, "x") is not None  # never collected
    run(campaign, "x", NOW - dt.timedelta(minutes=10), status="finished", until=NOW)
    assert window(campaign, "x") is None
    assert window(campaign, "x", NOW + dt.timedelta(minutes=21)) is not None


def test_it_starts_x_and_bluesky_windows_where_the_last_run_ended(campaigns: list[str]) -> None:
    campaign = campaign_with()
    start = listening_for(campaign).since
    assert window(campaign, "bluesky") == (start, NOW)
    ended = NOW - dt.timedelta(hours=2)
    run(campaign, "bluesky", ended - dt.timedelta(minutes=5), status="finished", until=ended)
    assert window(campaign, "bluesky") == (ended - collecting.OVERLAP, NOW)


def test_it_resumes_an_unfinished_run_with_its_own_window(campaigns: list[str]) -> None:
    campaign = campaign_with()
    since, until = NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=1)
    killed = run(
        campaign, "x", NOW - dt.timedelta(minutes=1), status="running", since=since, until=until
    )
    assert window(campaign, "x") == (since, until)  # at once
    CollectionRun.objects.filter(pk=killed.pk).update(status="failed")
    assert window(campaign, "x") is None  # a failed run waits its turn
    assert window(campaign, "x", NOW + dt.timedelta(hours=1)) == (since, until)


def test_it_keeps_the_campaigns_window_for_mastodon_and_carries_its_position_over(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], fetcher: Fetcher
) -> None:
    posts = statuses(12)
    fake = fakes(posts[:8], page_size=5)
    campaign_with(networks=["mastodon"], mastodon={"instances": [fake.base]})
    said: list[str] = []
    first = collecting.collect_due(now=NOW, fetcher=fetcher, say=said.append)
    assert [(r.source, r.status, r.new) for r in first] == [("mastodon", "finished", 8)]
    assert stored() == uris(posts[:8])
    # Not due again until every_minutes (60) have passed.
    assert collecting.collect_due(now=timezone.now(), fetcher=fetcher) == []

    fake.statuses = posts
    later = timezone.now() + dt.timedelta(minutes=61)
    second = collecting.collect_due(now=later, fetcher=fetcher)
    assert [(r.new, r.read) for r in second] == [(4, 4)]  # only the newer ones are fetched
    assert stored() == uris(posts)
    assert said and "mastodon" in said[0]


def test_it_skips_networks_without_credentials_and_says_so_once(
    campaigns: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collecting, "_said", set())
    campaign_with(networks=["x"])
    said: list[str] = []
    with override_settings(HASHRALLY_X_BEARER_TOKEN=""):
        assert collecting.collect_due(now=NOW, say=said.append) == []
        assert collecting.collect_due(now=NOW, say=said.append) == []
    assert len(said) == 1 and "HASHRALLY_X_BEARER_TOKEN" in said[0]
    assert not CollectionRun.objects.exists()


def test_it_leaves_a_collection_to_the_worker_holding_it(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], fetcher: Fetcher
) -> None:
    fake = fakes(statuses(3))
    campaign = campaign_with(networks=["mastodon"], mastodon={"instances": [fake.base]})
    lock = f"hashrally:collect:{campaign.pk}:mastodon"
    cache.add(lock, "1", timeout=60)
    try:
        assert collecting.collect_due(now=NOW, fetcher=fetcher) == []
    finally:
        cache.delete(lock)
    assert [r.new for r in collecting.collect_due(now=NOW, fetcher=fetcher)] == [3]


def test_it_stops_after_the_page_it_stores_when_the_worker_stops(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], fetcher: Fetcher
) -> None:
    fake = fakes(statuses(12), page_size=5)
    campaign_with(networks=["mastodon"], mastodon={"instances": [fake.base]})
    pages = 0

    def stop() -> bool:
        nonlocal pages
        pages += 1
        return pages > 1

    (stopped,) = collecting.collect_due(now=NOW, fetcher=fetcher, should_stop=stop)
    assert (stopped.status, stopped.read) == ("stopped", 5)
    # The next round, at once, resumes that run rather than starting again.
    (resumed,) = collecting.collect_due(now=timezone.now(), fetcher=fetcher)
    assert (resumed.pk, resumed.status, resumed.read) == (stopped.pk, "finished", 12)


def test_it_runs_due_collections_in_the_worker(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fakes(statuses(4))
    campaign_with(networks=["mastodon"], mastodon={"instances": [fake.base]})
    out = StringIO()
    call_command("worker", "--once", "--collect", stdout=out)
    assert f"collect {SLUG} mastodon: read 4, new 4" in out.getvalue()
    assert len(stored()) == 4


def test_it_says_why_a_page_was_refused_in_the_workers_log(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], fetcher: Fetcher
) -> None:
    fake = fakes(statuses(3), page_size=5)
    fake.replies[1] = Reply(body=b'{"error": "This method requires an authenticated user"}')
    campaign_with(networks=["mastodon"], mastodon={"instances": [fake.base]})
    said: list[str] = []
    (run,) = collecting.collect_due(now=NOW, fetcher=fetcher, say=said.append)
    assert run.errors == 1
    (reason,) = RunProblem.objects.filter(run=run).values_list("reason", flat=True)
    assert any(fake.base in line and reason in line for line in said), said
