"""On SQLite the worker's fold reads and counts a campaign's next batch in a process beside it
(reports/fold.py `_Ahead`): what it keeps is what folding alone keeps, a write by another
connection between two batches sends the batch read ahead back to be read again (nothing
counted from rows that changed), and a process that dies leaves the fold to read for itself.

Real parts: the process is spawned as the worker spawns it, on the test's database file."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from hashrally.campaigns.models import Campaign
from hashrally.listening.models import Post, PostMatch
from hashrally.reports import fold
from hashrally.reports.counters import counters_from_figures, counters_from_rows
from tests.reports.fakes import fold_all
from tests.reports.test_fold_side_by_side import (
    initiatives_sharing_posts,
    kept,
    recorded_ids,
    unfold,
)

pytestmark = pytest.mark.django_db(transaction=True)
# Small batches: the recorded pages make dozens, most of them read ahead.
BATCH = 7


@pytest.fixture
def initiatives(
    campaigns: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> list[Campaign]:
    if connection.vendor != "sqlite":
        pytest.skip("reading ahead is SQLite's (PostgreSQL folds with two threads)")
    monkeypatch.setattr(fold, "FOLD_BATCH", BATCH)
    # The child's brexit posts come after its kpop ones: by then the sibling has brought them
    # to the umbrella, which has counted them already (the carry's other path).
    return initiatives_sharing_posts(tmp_path, ["kpop.jsonl", "brexit.jsonl"])


def ready() -> fold._Ahead:
    ahead = fold._ahead()
    assert ahead is not None, "no process to read ahead on a SQLite file"
    deadline = time.monotonic() + 60
    while not ahead.ready():
        assert time.monotonic() < deadline, "the process reading ahead did not start"
        time.sleep(0.02)
    return ahead


def fold_sibling_then_all(sibling: Campaign) -> None:
    """The sibling first, on its own; then the child alone, batch after batch (what is read
    ahead: a campaign folded alone)."""
    after = 0
    while True:
        done, after = fold.fold(sibling.pk, fold.FOLD_BATCH, after)
        if done < fold.FOLD_BATCH:
            break
    fold_all()


def assert_true_counts(initiatives: list[Campaign]) -> None:
    for campaign in initiatives:
        assert counters_from_figures(campaign.pk) == counters_from_rows(campaign.pk)
    umbrella = initiatives[-1]
    # Each post once for the umbrella, counted from the recorded pages themselves.
    expected = recorded_ids("brexit.jsonl", "kpop.jsonl") | {str(900 + n) for n in range(60)}
    assert counters_from_figures(umbrella.pk)["total"]["posts"] == len(expected)
    assert (
        set(PostMatch.objects.filter(campaign_id=umbrella.pk).values_list("post_id", flat=True))
        == expected
    )


def test_reading_ahead_keeps_what_folding_alone_keeps(
    initiatives: list[Campaign], monkeypatch: pytest.MonkeyPatch
) -> None:
    child, sibling, umbrella = initiatives
    monkeypatch.setattr(fold, "READ_AHEAD", False)
    fold_sibling_then_all(sibling)
    assert fold._beside is None or fold._beside.database != connection.settings_dict["NAME"]
    alone = kept(initiatives)
    assert_true_counts(initiatives)

    unfold([child, sibling], umbrella)
    monkeypatch.setattr(fold, "READ_AHEAD", True)
    ahead = ready()
    taken = ahead.taken
    wholes: list[int] = []
    whole = fold._whole

    def spied(rows: Any) -> Any:
        wholes.append(len(rows))
        return whole(rows)

    monkeypatch.setattr(fold, "_whole", spied)
    fold_sibling_then_all(sibling)
    batches = PostMatch.objects.filter(campaign_id=child.pk).count() // BATCH
    assert ahead.taken - taken >= batches - 2, "the batches were not read ahead"
    assert wholes, "no batch read ahead met posts the umbrella had counted"
    assert kept(initiatives) == alone
    assert_true_counts(initiatives)


def after_each_commit(monkeypatch: pytest.MonkeyPatch, then: Any) -> None:
    """`then(ahead)` after each batch whose next one was asked for has committed."""
    committed = fold._Ahead.committed

    def and_then(self: fold._Ahead) -> None:
        committed(self)
        then(self)

    monkeypatch.setattr(fold._Ahead, "committed", and_then)


def test_a_write_between_batches_sends_the_batch_read_ahead_back(
    initiatives: list[Campaign], monkeypatch: pytest.MonkeyPatch
) -> None:
    child, sibling, _ = initiatives
    ahead = ready()
    changed: list[str] = []

    def a_store_writes(_: fold._Ahead) -> None:
        if len(changed) >= 3:
            return
        # Another connection (an import, say) changes a post of the batch that was read ahead,
        # before the fold takes it: that batch must be read again, or the change is lost.
        other = sqlite3.connect(connection.settings_dict["NAME"])
        try:
            row = other.execute(
                "SELECT network, post_id FROM listening_postmatch WHERE campaign_id = ? "
                "AND pending ORDER BY id LIMIT 1",
                [child.pk],
            ).fetchone()
            if row is not None:
                with other:
                    other.execute(
                        "UPDATE listening_post SET likes = COALESCE(likes, 0) + 1000 "
                        "WHERE network = ? AND post_id = ?",
                        row,
                    )
                changed.append(row[1])
        finally:
            other.close()

    after_each_commit(monkeypatch, a_store_writes)
    taken = ahead.taken
    fold_sibling_then_all(sibling)
    assert len(changed) == 3
    batches = PostMatch.objects.filter(campaign_id=child.pk).count() // BATCH
    assert ahead.taken - taken <= batches - 3, "a batch read before a write was used"
    # The thousand likes of each changed post are counted, once.
    likes = sum(
        n or 0 for n in Post.objects.filter(post_id__in=changed).values_list("likes", flat=True)
    )
    assert likes >= 3000
    assert_true_counts(initiatives)


def test_a_process_that_dies_leaves_the_fold_to_read_for_itself(
    initiatives: list[Campaign], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, sibling, _ = initiatives
    ahead = ready()
    batches: list[int] = []

    def it_dies(self: fold._Ahead) -> None:
        batches.append(1)
        if len(batches) == 3:
            self._process.kill()
            self._process.join()

    after_each_commit(monkeypatch, it_dies)
    fold_sibling_then_all(sibling)
    assert not ahead.alive()
    assert_true_counts(initiatives)
    # The next long fold starts another.
    assert fold._ahead() is not ahead


def test_a_process_whose_reading_fails_leaves_the_fold_to_read_for_itself(
    initiatives: list[Campaign], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _, sibling, _ = initiatives
    ahead = ready()
    asking = fold._Ahead.ask
    asked: list[int] = []

    def failing(self: fold._Ahead, campaign_id: int, after: int, limit: int) -> None:
        asking(self, campaign_id, after, limit)
        asked.append(after)
        if len(asked) == 3 and self._asked is not None:
            # The process answers this batch with an error (a limit SQLite refuses), as if
            # its reading failed: the fold reads the batch itself and says so.
            self._answer()  # dropped: the batch as asked
            self._pipe.send((campaign_id, after, "no limit"))

    monkeypatch.setattr(fold._Ahead, "ask", failing)
    with caplog.at_level("WARNING", logger="hashrally.reports.fold"):
        fold_sibling_then_all(sibling)
    assert "reading ahead failed" in caplog.text
    assert not ahead.alive()
    assert_true_counts(initiatives)
