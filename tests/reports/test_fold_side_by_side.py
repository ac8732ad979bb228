"""On PostgreSQL the worker folds with two threads side by side (reports/fold.py `_Schedule`):
what they keep is what one thread folding alone keeps, batch for batch (the same text first
seen, the same clusters, the same authors' first posts), and a batch that fails in one thread
stops both without counting anything twice."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.db import connection, transaction

from hashrally.campaigns.models import Campaign
from hashrally.listening.models import PostMatch
from hashrally.reports import fold
from hashrally.reports.counters import counters_from_figures, counters_from_rows
from hashrally.reports.models import (
    CampaignAuthor,
    CampaignMinute,
    CampaignText,
    Figure,
    TextBucket,
)
from tests.fakes import ROOT
from tests.listening.fakes import run_import
from tests.reports.fakes import CHILD, UMBRELLA, csv_file, fold_all, listen_for

pytestmark = pytest.mark.django_db(transaction=True)
FIXTURES = ROOT / "tests" / "fixtures" / "recorded" / "x"
# Small batches, so that the recorded pages make dozens of them for the two threads to share.
BATCH = 7


def initiatives_fixture(child_pages: list[str], *, on: str, otherwise: str) -> Any:
    """A fixture of `initiatives_sharing_posts`, for the tests of one database's fold."""

    @pytest.fixture
    def initiatives(
        campaigns: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> list[Campaign]:
        return initiatives_sharing_posts(
            monkeypatch, tmp_path, child_pages, on=on, otherwise=otherwise
        )

    return initiatives


def initiatives_sharing_posts(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    child_pages: list[str],
    *,
    on: str,
    otherwise: str,
) -> list[Campaign]:
    """On the database `on` (skipped with `otherwise` elsewhere), in batches of BATCH: the
    child and a sibling under the umbrella, both with the recorded brexit posts (the child
    also kpop's, its pages imported in the order given, and a copied message); then the
    umbrella."""
    if connection.vendor != on:
        pytest.skip(otherwise)
    monkeypatch.setattr(fold, "FOLD_BATCH", BATCH)
    child = Campaign.objects.get(slug=CHILD)
    sibling = Campaign.objects.create(slug="sibling", parent=child.parent, status="live")
    listen_for(CHILD, "Brexit", "kpop")
    listen_for(sibling.slug, "Brexit")
    for page in child_pages:
        run_import(FIXTURES / page, "twarc2", CHILD)
    run_import(FIXTURES / "brexit.jsonl", "twarc2", sibling.slug)
    # A copied message across many batches: which post is kept as the first of each text, and
    # which text names a cluster, follow the order batches are added in.
    run_import(csv_file(tmp_path, COPIED), "csv", CHILD)
    return [child, sibling, Campaign.objects.get(slug=UMBRELLA)]


two_initiatives = initiatives_fixture(
    ["brexit.jsonl", "kpop.jsonl"],
    on="postgresql",
    otherwise="folding side by side is PostgreSQL's (SQLite writes one at a time)",
)


MESSAGES = [
    "Recognize the Khojaly massacre today #Khojaly",
    "Recognize the Khojaly massacre today please #Khojaly",
    "Justice for the victims of Khojaly and remember them #Khojaly",
]
COPIED = [
    f"https://x.com/user{n}/status/{900 + n},user{n},{MESSAGES[n % 3]},"
    f"2026-02-24T{10 + n // 10:02d}:{n % 60:02d}:00Z,en,{n % 4},0,0,0,"
    for n in range(60)
]


def kept(campaigns: list[Campaign]) -> dict[str, Any]:
    """Everything the fold keeps, without the row ids a second fold numbers otherwise."""
    ids = [c.pk for c in campaigns]
    texts = CampaignText.objects.filter(campaign_id__in=ids)
    digest_of = dict(texts.values_list("id", "digest"))
    clusters: dict[tuple[int, int], set[str]] = {}
    for campaign_id, digest, cluster in texts.values_list("campaign_id", "digest", "cluster"):
        clusters.setdefault((campaign_id, cluster), set()).add(digest)
    return {
        "figures": sorted(
            Figure.objects.filter(campaign_id__in=ids).values_list(
                "campaign_id", "dimension", "key", "value"
            )
        ),
        "authors": sorted(
            CampaignAuthor.objects.filter(campaign_id__in=ids).values_list(
                "campaign_id",
                "network",
                "author_id",
                "posts",
                "followers",
                "first_hour",
                "language",
                "first_at",
                "last_at",
            )
        ),
        "minutes": sorted(
            CampaignMinute.objects.filter(campaign_id__in=ids).values_list(
                "campaign_id", "minute", "posts", "maybe_new"
            )
        ),
        "texts": sorted(
            texts.values_list("campaign_id", "digest", "posts", "template", "first_post")
        ),
        # A cluster is named by its smallest text id: compared as the texts it holds, named
        # by the digest of that text.
        "clusters": sorted(
            (campaign_id, digest_of.get(cluster, cluster), sorted(digests))
            for (campaign_id, cluster), digests in clusters.items()
        ),
        "matches": sorted(
            PostMatch.objects.filter(campaign_id__in=ids).values_list(
                "campaign_id", "network", "post_id", "pending", "engagement"
            )
        ),
        "tallies": sorted(
            (campaign_id, post_id, orjson.dumps(tally).decode())
            for campaign_id, post_id, tally in PostMatch.objects.filter(
                campaign_id__in=ids
            ).values_list("campaign_id", "post_id", "tally")
        ),
    }


def unfold(initiatives: list[Campaign], umbrella: Campaign) -> None:
    """Back to what the imports left: every initiative match pending, nothing counted."""
    ids = [*(c.pk for c in initiatives), umbrella.pk]
    for model in (Figure, CampaignAuthor, CampaignMinute, TextBucket, CampaignText):
        model.objects.filter(campaign_id__in=ids).delete()
    PostMatch.objects.filter(campaign_id=umbrella.pk).delete()
    PostMatch.objects.filter(campaign_id__in=[c.pk for c in initiatives]).update(
        pending=True, tally=None, engagement=None
    )


def recorded_ids(*names: str) -> set[str]:
    """The posts of recorded pages, counted from the pages themselves."""
    ids: set[str] = set()
    for name in names:
        for line in (FIXTURES / name).read_bytes().splitlines():
            if line.strip():
                ids.update(tweet["id"] for tweet in orjson.loads(line)["data"])
    return ids


def test_two_threads_keep_what_one_keeps(
    two_initiatives: list[Campaign], monkeypatch: pytest.MonkeyPatch
) -> None:
    child, sibling, umbrella = two_initiatives
    threads: set[int] = set()
    batches = fold._fold

    def spied(*args: Any) -> tuple[int, int]:
        threads.add(threading.get_ident())
        return batches(*args)

    counting = fold.count_batch

    def slow_here(rows: Any) -> Any:
        # This thread counts slowly: the other's later batches are ready first, and wait.
        if threading.current_thread() is threading.main_thread():
            time.sleep(0.05)
        return counting(rows)

    monkeypatch.setattr(fold, "_fold", spied)
    monkeypatch.setattr(fold, "count_batch", slow_here)
    fold_all()
    assert len(threads) == 2, "the fold did not run side by side"
    side_by_side = kept(two_initiatives)
    for campaign in two_initiatives:
        assert counters_from_figures(campaign.pk) == counters_from_rows(campaign.pk)
    # Each post once for the umbrella, however many initiatives bring it.
    expected = recorded_ids("brexit.jsonl", "kpop.jsonl") | {str(900 + n) for n in range(60)}
    assert counters_from_figures(umbrella.pk)["total"]["posts"] == len(expected)
    assert (
        set(PostMatch.objects.filter(campaign_id=umbrella.pk).values_list("post_id", flat=True))
        == expected
    )

    unfold([child, sibling], umbrella)
    threads.clear()
    # Inside a transaction a second connection would not see it: one thread folds alone.
    with transaction.atomic():
        fold_all()
    assert len(threads) == 1
    assert kept(two_initiatives) == side_by_side


def test_a_batch_that_fails_stops_both_threads_and_counts_nothing_twice(
    two_initiatives: list[Campaign], monkeypatch: pytest.MonkeyPatch
) -> None:
    counting, batches = fold.count_batch, fold._fold
    calls: list[str] = []
    lock = threading.Lock()

    def failing(rows: Any) -> Any:
        # Fails while its batch holds its matches and waits for nothing yet: the batches
        # handed out after it wait for its turn lock.
        with lock:
            calls.append("count")
            fail = calls.count("count") == 5
        if fail:
            raise RuntimeError("the fifth batch fails")
        return counting(rows)

    def spied(*args: Any) -> tuple[int, int]:
        with lock:
            calls.append("batch")
        return batches(*args)

    monkeypatch.setattr(fold, "count_batch", failing)
    monkeypatch.setattr(fold, "_fold", spied)
    with pytest.raises(RuntimeError, match="fifth batch"):
        fold.fold_everything(budget_seconds=60)
    # No batch is handed out after the failure but the one the other thread had already.
    failed_at = [i for i, call in enumerate(calls) if call == "count"][4]
    assert calls[failed_at:].count("batch") <= 1
    total = PostMatch.objects.filter(campaign_id__in=[c.pk for c in two_initiatives[:2]]).count()
    assert calls.count("batch") < total // BATCH
    monkeypatch.setattr(fold, "count_batch", counting)
    fold_all()
    assert not PostMatch.objects.filter(pending=True).exists()
    for campaign in two_initiatives:
        assert counters_from_figures(campaign.pk) == counters_from_rows(campaign.pk)
    umbrella = two_initiatives[-1]
    expected = recorded_ids("brexit.jsonl", "kpop.jsonl") | {str(900 + n) for n in range(60)}
    assert counters_from_figures(umbrella.pk)["total"]["posts"] == len(expected)
