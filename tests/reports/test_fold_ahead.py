"""On SQLite the worker's fold reads and counts a campaign's next batch in a process beside it
(reports/fold.py `_Ahead`): what it keeps is what folding alone keeps, a write by another
connection between two batches sends the batch read ahead back to be read again (nothing
counted from rows that changed), and a process that dies leaves the fold to read for itself.

Real parts: the process is spawned as the worker spawns it, on the test's database file."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sqlite3
import time
from typing import Any

import pytest
from django.db import connection

from hashrally.campaigns.models import Campaign
from hashrally.listening.models import PostMatch
from hashrally.reports import fold
from hashrally.reports.counters import counters_from_figures, counters_from_rows
from tests.reports.fakes import fold_all
from tests.reports.test_fold_side_by_side import (
    BATCH,
    initiatives_fixture,
    kept,
    recorded_ids,
    unfold,
)

pytestmark = pytest.mark.django_db(transaction=True)


# The child's brexit posts come after its kpop ones: by then the sibling has brought them to the
# umbrella, which has counted them already (the carry's other path).
initiatives = initiatives_fixture(
    ["kpop.jsonl", "brexit.jsonl"],
    on="sqlite",
    otherwise="reading ahead is SQLite's (PostgreSQL folds with two threads)",
)


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
    """`then(ahead)` as soon as each batch whose next one was asked for has committed (before
    the fold notes it: a write there is the one a version read after the commit would miss)."""
    committed = fold._Ahead.committed

    def and_then(self: fold._Ahead) -> None:
        then(self)
        committed(self)

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
    # The thousand likes of each changed post are counted, once (against the rows).
    assert_true_counts(initiatives)


@pytest.mark.parametrize("fate", ["killed", "hung"])
def test_a_process_that_dies_or_hangs_leaves_the_fold_to_read_for_itself(
    initiatives: list[Campaign], monkeypatch: pytest.MonkeyPatch, fate: str
) -> None:
    _, sibling, _ = initiatives
    ahead = ready()
    monkeypatch.setattr(fold, "ANSWER_SECONDS", 0.5)
    asking, reading = fold._Ahead.ask, fold.read_batch
    asked: list[int] = []
    read_here: list[int] = []

    def and_then_it_stops(self: fold._Ahead, campaign_id: int, after: int, limit: int) -> None:
        asked.append(after)
        pid = self._process.pid
        assert pid is not None
        if len(asked) == 3:
            # Stopped before it can answer: the batch is asked for and never answered.
            os.kill(pid, signal.SIGSTOP)
        asking(self, campaign_id, after, limit)
        if len(asked) == 3 and fate == "killed":
            os.kill(pid, signal.SIGKILL)

    def read(*args: Any) -> Any:
        read_here.append(args[1])
        return reading(*args)

    monkeypatch.setattr(fold._Ahead, "ask", and_then_it_stops)
    monkeypatch.setattr(fold, "read_batch", read)
    fold_sibling_then_all(sibling)
    assert not ahead.alive()
    # The batch asked for last is read here, and those after it.
    assert asked[2] in read_here
    assert_true_counts(initiatives)
    # The next long fold starts another.
    assert fold._ahead() is not ahead


@pytest.mark.parametrize("answer", ["failed", "out of step"])
def test_an_answer_that_is_not_the_batch_leaves_the_fold_to_read_for_itself(
    initiatives: list[Campaign],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    answer: str,
) -> None:
    _, sibling, _ = initiatives
    ahead = ready()
    asking = fold._Ahead.ask
    asked: list[int] = []

    def and_then_it_errs(self: fold._Ahead, campaign_id: int, after: int, limit: int) -> None:
        asking(self, campaign_id, after, limit)
        asked.append(after)
        if len(asked) != 3 or self._asked is None:
            return
        self._answer()  # the batch as asked, dropped
        if answer == "failed":
            # Its reading failed (the process's database gone, say): it says so.
            theirs, self._pipe = self._pipe, _answering((self._asked, "OperationalError: gone"))
            theirs.close()
        else:
            # It answers another batch than the one asked (out of step with its requests).
            self._pipe.send((campaign_id, after + 1, limit))

    monkeypatch.setattr(fold._Ahead, "ask", and_then_it_errs)
    with caplog.at_level("WARNING", logger="hashrally.reports.fold"):
        fold_sibling_then_all(sibling)
    expected = "reading ahead failed" if answer == "failed" else "reading ahead answered"
    assert expected in caplog.text
    assert not ahead.alive()
    assert_true_counts(initiatives)


def _answering(answer: Any) -> Any:
    """A pipe end whose one message is `answer`, as the process pickles it."""
    mine, theirs = multiprocessing.Pipe()
    theirs.send_bytes(pickle.dumps(answer))
    theirs.close()
    return mine
