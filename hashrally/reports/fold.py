"""Folding stored posts into each campaign's counters (reports.Figure), incrementally.

The store marks every match it writes as pending (a new post, or a post fetched again). The
worker folds pending matches, a few thousand at a time, in transactions that also clear them
and keep the counts each match added (`tally`), so:
- a post is counted once per campaign, however often it is fetched; a later fetch adds only
  the difference in its engagement;
- a fold that is killed rolls back whole and is done again; nothing is lost or counted twice;
- imports and collections stay as fast as storing allows, and pages read counters only.
Umbrella campaigns get their children's posts as matches of their own, written as each
child's matches are folded (`_carry`), so their counters are de-duplicated across children.

Dimensions (docs/metrics.md defines every figure):
  total        posts, authors, potential_reach, potential_impressions, views_posts
  kind         original | repost | reply | quote -> posts
  engagement   likes | reposts | replies | quotes | views -> sums
  network      -> posts;  authors_network -> authors
  language     -> posts ("" when unknown)
  hashtag      -> posts carrying it (every hashtag, for co-occurrence)
  target       "network:handle" -> posts mentioning that target
  day, hour    "YYYY-MM-DD", "YYYY-MM-DDTHH" (UTC) -> posts
  day_authors, hour_authors -> authors whose first campaign post falls then
  country      estimated author country ("" unplaced, "?" not estimated yet) -> authors
  country_method  location | language | "" -> authors (placed ones)
Kept for the report's authenticity section and hash, not shown as such (RUNNING):
  dataset      "0".."7" -> sums of the 32-bit words of each post's line hash (dataset_hash)
  texts_for    the message variants the texts were kept against (copies.keep_current)
The campaign's distinct texts and their clusters are kept by reports/copies.py, each author's
first and last post in CampaignAuthor, and posts per minute (with those whose author's account
was under 30 days old or not known: where a burst can be) in CampaignMinute.
"""

from __future__ import annotations

import array
import functools
import hashlib
import logging
import multiprocessing
import operator
import os
import pickle
import secrets
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import connection, transaction

from hashrally.campaigns.models import Campaign
from hashrally.core import sql as core_sql
from hashrally.core.collections_pause import bulk_work
from hashrally.core.sql import bulk_cache, select_in
from hashrally.listening import queries
from hashrally.listening.models import Author, PostMatch
from hashrally.reports import copies, sql
from hashrally.reports.ahead import serve
from hashrally.reports.models import CampaignAuthor, CampaignMinute, Figure

log = logging.getLogger(__name__)
METRICS = ("likes", "reposts", "replies", "quotes", "views")
PENDING_COUNTRY = "?"
FOLD_BATCH = 5000
# On SQLite, whether the worker's fold reads and counts batches ahead in a process beside it
# (`_Ahead`); off, it folds alone, as a report or a deletion does.
READ_AHEAD = True
# How long the fold waits for a batch read ahead before it reads the batch itself: the write
# lock is held meanwhile. A batch takes a tenth of a second.
ANSWER_SECONDS = 30.0
RUNNING = ("dataset", copies.TEXTS_FOR)
NEW_ACCOUNT_SECONDS = 30 * 86400  # authenticity.NEW_ACCOUNT_DAYS
# The dataset hash's words are 32 bits: array's "I" is 4 bytes wherever Python runs.
if array.array("I").itemsize != 4:  # pragma: no cover
    raise ImportError("the dataset hash needs 4-byte unsigned integers")


def _json_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    loaded = orjson.loads(value) if value else None
    return loaded if isinstance(loaded, list) else []


def day_hour(hour: str | None) -> tuple[str, str]:
    """ "YYYY-MM-DD" and "YYYY-MM-DDTHH" (UTC) from the hour the fold's query reads
    (reports/sql.py `hour`: the database's own conversion, cheaper than Python's per row)."""
    if hour is None:
        return "", ""
    return hour[:10], hour


def dataset_line(network: str, post_id: str, author_id: str, metrics: list[Any]) -> bytes:
    """What the dataset hash takes of a post: who wrote which post, and its engagement."""
    return f"{network}\t{post_id}\t{author_id}\t{list(metrics)}\n".encode()


@functools.lru_cache(maxsize=4 * FOLD_BATCH)
def _compared(text: str) -> tuple[str, str]:
    """A text as authenticity compares it, and its digest: once for a text that many posts
    share (a campaign's suggested message)."""
    from hashrally.reports import authenticity

    normalised = authenticity.normalise(text)
    return normalised, authenticity.text_digest(normalised) if normalised else ""


def _lane_sums(added: list[bytes], removed: list[bytes]) -> list[int]:
    """The dataset hash's eight running sums that a batch adds: the 32-bit words (little
    endian) of its posts' line hashes summed lane by lane, once a batch and in C (a Counter
    keyed by lane took a tenth of the fold's time, a Python loop over the lanes of each post
    half of that, unpacking each hash into a tuple a tenth of what was left)."""
    words = _words_of(added)
    lanes = [sum(words[lane::8]) for lane in range(8)]
    if removed:
        words = _words_of(removed)
        for lane in range(8):
            lanes[lane] -= sum(words[lane::8])
    return lanes


def _words_of(digests: list[bytes]) -> array.array[int]:
    words = array.array("I", b"".join(digests))
    if sys.byteorder == "big":
        words.byteswap()
    return words


def dataset_hash(lanes: dict[str, int]) -> str:
    """The campaign's dataset hash from its running lanes: SHA-256 of the eight sums, each as
    16 hex digits. A sum of per-post hashes, so it does not depend on the order posts were
    stored or folded, and changes with any post, author or engagement figure."""
    words = "".join(f"{lanes.get(str(lane), 0):016x}" for lane in range(8))
    return hashlib.sha256(words.encode()).hexdigest()


# The campaigns whose kept texts were found current in this round of the worker's
# (fold_everything): their message variants are read once a round, not once a batch of each
# campaign and umbrella (four queries each time). A variant edited during a round is caught at
# the next, and its campaign's texts are then kept again from every folded post.
_current_texts: ContextVar[set[int] | None] = ContextVar("current_texts", default=None)


def _keep_current(campaign_id: int) -> None:
    current = _current_texts.get()
    if current is not None and campaign_id in current:
        return
    copies.keep_current(campaign_id)
    if current is not None:
        current.add(campaign_id)


def lock(campaign_ids: Iterable[int]) -> None:
    """One fold (or placing, or resync) per campaign at a time, across worker processes.
    SQLite writes one transaction at a time already."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for campaign_id in sorted(set(campaign_ids)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x4852, campaign_id])


@contextmanager
def derived_data() -> Iterator[None]:
    """PostgreSQL: the commit of the transaction just begun does not wait for its log to
    reach the disk. What the fold writes is worked out again from the matches it clears in
    the same transaction: a crash of the server just after the commit loses the fold and its
    clearing together (never one without the other), and the matches are folded again. A
    twentieth of the fold's time on PostgreSQL was waiting for that flush. Only for a
    transaction of its own: inside a caller's, the caller's writes decide."""
    if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
    yield


def add(campaign_id: int, figures: Counter[tuple[str, str]]) -> None:
    rows: list[list[Any]] = [[campaign_id, d, k[:300], v] for (d, k), v in figures.items() if v]
    if not rows:
        return
    table, key, value = sql.table(Figure), sql.quote("key"), sql.quote("value")
    with connection.cursor() as cursor:
        sql.many(
            cursor,
            f"INSERT INTO {table} (campaign_id, dimension, {key}, {value})",
            rows,
            f"ON CONFLICT (campaign_id, dimension, {key}) "
            f"DO UPDATE SET {value} = {table}.{value} + excluded.{value}",
            ("bigint", "text", "text", "bigint"),
        )


def campaigns_pending() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT campaign_id FROM {sql.table(PostMatch)} WHERE pending"  # noqa: S608
        )
        return [row[0] for row in cursor.fetchall()]


def fold(campaign_id: int, limit: int = FOLD_BATCH, after: int = 0) -> tuple[int, int]:
    """Fold up to `limit` pending matches of a campaign with ids above `after`, for the
    campaign and every umbrella above it; return how many were folded and the last id, to pass
    as `after` next time (so a long fold never scans again through what it folded: the planner
    may walk the primary key rather than the pending index while its statistics still say most
    matches are pending).

    The store writes a post's match for the run's campaign only; its umbrellas' matches are
    written here, from the rows read once for the campaign (`_carry`). Writing them at import
    time was a fifth of the import's statements, and each was then read and folded again on
    its own (bench/listening.py)."""
    return _fold(campaign_id, limit, after, None)


def _fold(
    campaign_id: int, limit: int, after: int, turn: _Turn | None, ahead: _Ahead | None = None
) -> tuple[int, int]:
    """`fold`, as the batch `turn` of a schedule shared by two threads (`_Schedule`), or alone;
    on SQLite perhaps with its rows read and counted ahead by a process beside (`_Ahead`)."""
    match = sql.table(PostMatch)
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(), derived_data():
        if turn is not None:
            turn.hold()
        umbrellas = Campaign.ancestor_ids([campaign_id])[1:]
        # Beside another thread (fold_everything, on PostgreSQL), a batch is read, counted and
        # its matches' tallies written before it waits for the campaign's lock to add it to
        # what batches share (figures, authors, texts, the umbrellas' matches). Not for an
        # umbrella: a child's fold locks the umbrella's matches while holding the umbrella's
        # lock (`_carry`), so there the lock comes first. Nor before the campaign's texts were
        # found current this round: keeping them again reads every match with a tally, which
        # this batch's must not have yet.
        early = turn is not None and _texts_current(campaign_id) and not _has_children(campaign_id)
        if not early:
            if turn is not None:
                turn.wait()
            lock([campaign_id, *umbrellas])
            _keep_current(campaign_id)
        # On PostgreSQL the matches stay locked until the fold commits: a store marking one of
        # them pending again waits, and its change is folded next time rather than lost. Beside
        # another thread, those another fold or a store holds are left for the next round: a
        # batch waiting for them while holding the campaign's lock could wait for one that
        # waits for that lock. Alone (a report, a campaign being deleted), every one is folded.
        locking = ""
        if postgres:
            locking = " FOR UPDATE OF m SKIP LOCKED" if turn is not None else " FOR UPDATE OF m"
        read = ahead.take(campaign_id, after, limit) if ahead is not None else None
        whole = None
        if read is None:
            rows = read_batch(campaign_id, after, limit, locking)
            counted = count_batch(rows) if rows else None
        else:
            rows, counted = read
            whole = functools.cache(functools.partial(_whole, rows))
        if turn is not None:
            turn.taken(rows)
        if not rows:
            return 0, after
        assert counted is not None
        if ahead is not None and len(rows) == limit:
            # The next batch, read and counted beside this one's writing (`_Ahead`).
            ahead.ask(campaign_id, rows[-1][0], limit)
        # The tally is what was just counted, from the rows read above: a store for another
        # campaign may change one of these posts meanwhile (it does not wait for these matches'
        # locks), and its change is then counted at that post's next fold, never half.
        with connection.cursor() as cursor:
            sql.many(
                cursor,
                "WITH v(id, tally, engagement) AS (",
                counted.tallies,
                f") UPDATE {match} SET pending = FALSE, tally = CAST(v.tally AS {_tally_type()}), "  # noqa: S608
                f"engagement = v.engagement FROM v WHERE {match}.id = v.id",
                ("bigint", "text", "bigint"),
            )
        if early:
            assert turn is not None
            turn.wait()
            lock([campaign_id, *umbrellas])
        _apply(campaign_id, counted)
        for umbrella in umbrellas:
            _carry(umbrella, rows, counted, whole)
    if ahead is not None:
        ahead.committed()
    return len(rows), rows[-1][0]


def read_batch(
    campaign_id: int, after: int, limit: int, locking: str = ""
) -> list[tuple[Any, ...]]:
    """The next `limit` pending matches of a campaign after the id `after`, with what the fold
    counts of their posts (the columns `count_batch` unpacks)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"{_batch_select()} WHERE m.campaign_id = %s AND m.pending AND m.id > %s "
            f"ORDER BY m.id LIMIT %s{locking}",
            [campaign_id, after, limit],
        )
        return cursor.fetchall()


def _batch_select() -> str:
    return (
        f"SELECT m.id, m.network, m.tally, m.targets, p.author_id, p.language, "  # noqa: S608
        f"p.kind, {sql.hour('p.created_at')}, p.likes, p.reposts, p.replies, p.quotes, "
        "p.views, "
        f"p.hashtags, m.post_id, p.text, {sql.epoch('p.created_at')}, m.hashtags "
        f"FROM {queries.matched_posts()}"
    )


# Where a batch's rows (`read_batch`) hold what the carry reads (`_carry`): all that the
# process reading ahead sends.
_MATCH_ID, _NETWORK, _TALLY, _TARGETS, _POST_ID, _MATCH_TAGS = 0, 1, 2, 3, 14, 17
_CARRIED = (_MATCH_ID, _NETWORK, _TALLY, _TARGETS, _POST_ID, _MATCH_TAGS)


def carried(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows with only what the carry reads (the rest None, in place): a third of the time to
    send them between processes."""
    width = len(rows[0]) if rows else 0
    keep = [i in _CARRIED for i in range(width)]
    return [tuple(v if k else None for v, k in zip(row, keep, strict=True)) for row in rows]


def _whole(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The whole rows of `rows`, read again by their matches' ids, in this transaction: as
    they were read but for what this batch wrote since (its matches' pending, tally and
    engagement; the carry reads none of those from them)."""
    ids = [row[_MATCH_ID] for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(
            f"{_batch_select()} WHERE m.id {_JSON_IDS} ORDER BY m.id",
            [orjson.dumps(ids).decode()],
        )
        found = cursor.fetchall()
    if [row[_MATCH_ID] for row in found] != ids:
        raise RuntimeError("a batch's matches changed while it was folded")
    return found


class _Ahead:
    """SQLite: a process beside the worker that reads and counts a campaign's next batch while
    the worker writes this one. SQLite writes one transaction at a time, so on SQLite the fold
    used one core: reading a batch and counting it in Python were three fifths of its time
    (bench/listening.py). Threads cannot share that work: counting holds the interpreter.

    What the process read is used only if nothing but this fold wrote since (`take`): it read
    what was committed while the fold held SQLite's write lock for the batch before, and that
    batch's transaction writes none of the rows the next one reads (its own matches, lower
    ids, and its umbrellas' matches, another campaign's). `PRAGMA data_version` is read in that
    transaction, where no other connection can commit, and again under the next batch's lock:
    any commit by another connection in between (an import, a collection, a second worker)
    changes it, and then the batch is read again. (Read after the commit instead, it could
    already include a write that came between, found by a second reader.) Each batch is read
    and counted in one place or the other, never half in each. Answers name the batch they
    answer; one that takes longer than ANSWER_SECONDS is given up, and the fold reads the
    batch itself."""

    def __init__(self, database: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.database = database
        self._pipe, theirs = context.Pipe()
        # spawn, not fork: the worker holds database connections and threads a fork would copy.
        self._process = context.Process(
            target=serve,
            args=(theirs, os.getpid(), database),
            name="hashrally fold ahead",
            daemon=True,
        )
        self._process.start()
        theirs.close()
        self._ready = False
        self.told = False  # that it did not start
        self._asked: tuple[int, int, int] | None = None
        # (connection, data version) in the transaction that asked, and whether it committed
        self._version: tuple[Any, int] | None = None
        self._committed = False
        self.taken = 0  # batches the process read that were used

    def ready(self) -> bool:
        """Whether the process has started (Django's start takes it half a second): until
        then the fold reads its batches itself rather than wait."""
        if not self._ready and self.alive() and self._pipe.poll():
            self._ready = self._answer() == b"ready"
        return self._ready

    def ask(self, campaign_id: int, after: int, limit: int) -> None:
        """Read and count this batch, from within the transaction of the one before it."""
        if self._asked is not None or not self.ready() or not self.alive():
            return
        try:
            self._pipe.send((campaign_id, after, limit))
        except OSError:  # it has died: the fold reads for itself
            self.stop()
            return
        self._asked = (campaign_id, after, limit)
        self._version = (connection.connection, _data_version())
        self._committed = False

    def committed(self) -> None:
        """The transaction that asked has committed."""
        if self._asked is not None:
            self._committed = True

    def take(
        self, campaign_id: int, after: int, limit: int
    ) -> tuple[list[tuple[Any, ...]], _Counted | None] | None:
        """The batch read and counted ahead, if it is this one and nothing else was written
        since it was read; None otherwise (read it again)."""
        if self._asked is None:
            return None
        asked, version, committed = self._asked, self._version, self._committed
        self._asked, self._version, self._committed = None, None, False
        answer = self._answer()  # always: the next answer must be the next batch's
        if answer is None or asked != (campaign_id, after, limit) or not committed:
            return None
        if version != (connection.connection, _data_version()):
            return None
        key, outcome = pickle.loads(answer)  # noqa: S301 (from our own process, over its pipe)
        if key != asked:  # out of step with its answers: stopped, never trusted again
            log.warning("fold: reading ahead answered %s for %s, stopped", key, asked)
            self.stop()
            return None
        if isinstance(outcome, str):
            # Its reading failed: the fold reads for itself (and counts the same), and says so.
            log.warning("fold: reading ahead failed, stopped: %s", outcome)
            self.stop()
            return None
        self.taken += 1
        return outcome

    def forget(self) -> None:
        """Drop an answer not taken (the fold stopped before its batch)."""
        if self._asked is not None:
            self._asked, self._version, self._committed = None, None, False
            self._answer()

    def _answer(self) -> bytes | None:
        """The process's next answer; None if it has died or takes too long (the fold reads
        for itself while holding the write lock, rather than hold it waiting, and the next
        long fold starts another process)."""
        try:
            if self._pipe.poll(ANSWER_SECONDS):
                return self._pipe.recv_bytes()
            log.warning("fold: reading ahead took over %s s, stopped", ANSWER_SECONDS)
        except (EOFError, OSError):
            pass
        self.stop()
        return None

    def alive(self) -> bool:
        return self._process.is_alive()

    def stop(self) -> None:
        self._process.kill()
        self._process.join(timeout=5)


def _data_version() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA data_version")
        return int(cursor.fetchone()[0])


# The process beside the worker's fold on SQLite, started at its first long fold and kept for
# the worker's life (`_ahead`).
_beside: _Ahead | None = None


def _ahead() -> _Ahead | None:
    """The process that reads ahead, if this fold can use one: SQLite in a file, outside any
    caller's transaction (the process would not see what it has not committed)."""
    global _beside
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return None
    if not READ_AHEAD or connection.is_in_memory_db():  # type: ignore[attr-defined]
        return None
    database = str(connection.settings_dict["NAME"])
    if _beside is not None and _beside.database == database:
        if _beside.alive():
            return _beside
        if not _beside.ready():
            # It died before it could start (Django's start failed there): not started again
            # with every round, and said once.
            if not _beside.told:
                log.warning("fold: the process reading ahead did not start; folding alone")
                _beside.told = True
            return None
    try:
        _beside = _Ahead(database)
    except OSError as exc:
        log.warning("fold: could not start the process reading ahead (%s); folding alone", exc)
        return None
    return _beside


class _Schedule:
    """The order one thread folds in (a batch of each campaign in turn, each campaign's
    matches in id order), kept by two threads folding side by side on PostgreSQL: batches are
    read one at a time in that order, and each adds to what batches share (figures, authors,
    texts, umbrellas' matches) only once the batch before it has committed, so that what is
    kept does not depend on which thread was faster (the same text first seen, the same
    sample of a cluster). What overlaps is a batch's counting and the writing of its
    matches' tallies with another's adding.

    A batch waits for the one before it through a PostgreSQL advisory lock that one holds
    until it commits, not in Python: a batch waiting holds its matches' row locks, and a cycle
    through a store or another worker waiting for those is then one the server sees and
    breaks (it aborts one transaction), rather than two threads waiting for ever."""

    def __init__(self, campaigns: list[int], started: float, budget_seconds: float) -> None:
        self._reading = threading.Lock()  # held from a batch's turn until its rows are read
        self._queue = deque(campaigns)
        self._after = dict.fromkeys(campaigns, 0)  # campaign -> the last match id read
        self._started, self._budget = started, budget_seconds
        self._issued = 0  # batches handed out
        self.failed = False
        # Turn locks' first key: this schedule's own, apart from the campaigns' (`lock`).
        self.key = secrets.randbelow(2**31 - 2**20) + 2**20

    def next(self) -> _Turn | None:
        """The next batch to fold, or None when nothing is left, the time is up or a batch
        failed. Its rows are read before the next is handed out (`_Turn.taken`)."""
        self._reading.acquire()
        within = time.monotonic() - self._started < self._budget
        if not self._queue or not within or self.failed:
            self._reading.release()
            return None
        campaign_id = self._queue.popleft()
        self._issued += 1
        return _Turn(self, self._issued - 1, campaign_id, self._after[campaign_id])

    def _taken(self, turn: _Turn, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._after[turn.campaign_id] = rows[-1][0]
        if len(rows) == FOLD_BATCH:
            self._queue.append(turn.campaign_id)
        self._reading.release()


@dataclass
class _Turn:
    """One batch of a `_Schedule`: its place in the order, campaign and first match id."""

    schedule: _Schedule
    number: int
    campaign_id: int
    after: int
    reading: bool = True

    def hold(self) -> None:
        """This batch's turn lock, held until it commits; the next batch waits for it."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [self.schedule.key, self.number])

    def wait(self) -> None:
        """Until the batch before this one has committed (or failed)."""
        if self.number:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [self.schedule.key, self.number - 1]
                )

    def taken(self, rows: list[tuple[Any, ...]]) -> None:
        if self.reading:
            self.reading = False
            self.schedule._taken(self, rows)

    def close(self, failed: bool) -> None:
        """After the batch, whatever happened: no batch is handed out after one that failed."""
        if self.reading:
            # Failed before its rows were read: the campaign is left for the next round.
            self.reading = False
            self.schedule._reading.release()
        if failed:
            self.schedule.failed = True


def _texts_current(campaign_id: int) -> bool:
    current = _current_texts.get()
    return current is not None and campaign_id in current


def _has_children(campaign_id: int) -> bool:
    return Campaign.objects.filter(parent_id=campaign_id).exists()


def _tally_type() -> str:
    return "jsonb" if connection.vendor == "postgresql" else "text"


def _carry(
    umbrella_id: int,
    rows: list[tuple[Any, ...]],
    counted: _Counted,
    whole: Callable[[], list[tuple[Any, ...]]] | None = None,
) -> None:
    """Count a child's folded rows (`counted` for the child) for an umbrella: each post once
    however many of its initiatives bring it (the umbrella's own match keeps what was counted
    for it), and write the umbrella's matches as counted. Called in the child's fold, under
    both locks. `whole`: where rows read ahead hold only what the carry reads, their
    whole rows, read again."""
    _keep_current(umbrella_id)
    match = sql.table(PostMatch)
    locking = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    known: dict[tuple[str, str], tuple[int, Any]] = {}
    # The umbrella's own matches that a store marked pending (its own runs, or before this
    # version): they stay pending, for the umbrella's fold to count what the store changed
    # since the initiative's rows were read. What is counted here is their tally meanwhile.
    waiting: set[int] = set()
    for network in {row[_NETWORK] for row in rows}:
        for match_id, post_id, tally, pending in select_in(
            f"SELECT id, post_id, tally, pending FROM {match} "  # noqa: S608 (names from the model)
            "WHERE campaign_id = %s AND network = %s AND post_id IN ({marks})" + locking,
            [umbrella_id, network],
            [row[_POST_ID] for row in rows if row[_NETWORK] == network],
        ):
            known[network, post_id] = (match_id, tally)
            if pending:
                waiting.add(match_id)
    # The umbrella's view of each row: its own match and what was counted for it, if any.
    theirs = []
    for row in rows:
        match_id, tally = known.get((row[_NETWORK], row[_POST_ID]), (None, None))
        theirs.append((match_id, row[_NETWORK], tally, *row[_TALLY + 1 :]))
    # Most often the umbrella had counted of each post what the initiative had (nothing, for
    # new posts): the same additions, worked out once. Their tallies are the same either way.
    same = all(mine[_TALLY] == row[_TALLY] for mine, row in zip(theirs, rows, strict=True))
    if not same:
        if whole is not None:
            # Read ahead, the rows came without what only counting needs (`_Ahead`).
            theirs = [
                (mine[0], *mine[1 : _TALLY + 1], *row[_TALLY + 1 :])
                for mine, row in zip(theirs, whole(), strict=True)
            ]
        counted = count_batch(theirs)
    _apply(umbrella_id, counted)
    seen: list[list[Any]] = []
    added: list[list[Any]] = []
    copied: list[int] = []  # the child's matches, which hold what the umbrella's new ones do
    for row, child, (_, tally, engagement) in zip(theirs, rows, counted.tallies, strict=True):
        if row[_MATCH_ID] is not None:
            tags, targets = _text(row[_MATCH_TAGS]), _text(row[_TARGETS])
            pending = row[_MATCH_ID] in waiting
            seen.append([row[_MATCH_ID], tally, engagement, tags, targets, pending])
        elif same:
            copied.append(child[_MATCH_ID])
        else:
            tags, targets = _text(row[_MATCH_TAGS]), _text(row[_TARGETS])
            added.append(
                [umbrella_id, row[_NETWORK], row[_POST_ID], tags, targets, tally, engagement]
            )
    kind = _tally_type()
    # Only on PostgreSQL can a store have written one of the umbrella's new matches since it
    # was looked for (SQLite writes one transaction at a time): that match was never counted,
    # as this one assumes; the fold looks at it again for whatever the store changed.
    conflict = (
        "ON CONFLICT (campaign_id, network, post_id) DO UPDATE SET "
        "hashtags = excluded.hashtags, targets = excluded.targets, tally = excluded.tally, "
        "engagement = excluded.engagement, pending = TRUE"
    )
    with connection.cursor() as cursor:
        if copied:
            # Copied in the database from the child's matches, written just before with the
            # same tallies: sending them again took a fifth of the fold's time on PostgreSQL.
            # The child's matches are locked by this fold (FOR UPDATE), so they are as counted.
            if connection.vendor == "postgresql":
                ids, given = core_sql.any_of(copied), core_sql.array(copied)
            else:
                ids, given = _JSON_IDS, orjson.dumps(copied).decode()
            cursor.execute(
                f"INSERT INTO {match} (campaign_id, network, post_id, hashtags, targets, tally, "  # noqa: S608
                f"engagement, pending) SELECT %s, network, post_id, hashtags, targets, tally, "
                f"engagement, FALSE FROM {match} WHERE id {ids} {conflict}",
                [umbrella_id, given],
            )
        sql.many(
            cursor,
            "WITH v(id, tally, engagement, hashtags, targets, pending) AS (",
            seen,
            f") UPDATE {match} SET pending = v.pending, tally = CAST(v.tally AS {kind}), "  # noqa: S608
            f"engagement = v.engagement, hashtags = CAST(v.hashtags AS {kind}), "
            f"targets = CAST(v.targets AS {kind}) FROM v WHERE {match}.id = v.id",
            ("bigint", "text", "bigint", "text", "text", "boolean"),
        )
        sql.many(
            cursor,
            "WITH v(campaign_id, network, post_id, hashtags, targets, tally, engagement) AS (",
            added,
            f") INSERT INTO {match} (campaign_id, network, post_id, hashtags, targets, tally, "  # noqa: S608
            "engagement, pending) SELECT campaign_id, network, post_id, "
            f"CAST(hashtags AS {kind}), CAST(targets AS {kind}), CAST(tally AS {kind}), "
            # WHERE TRUE: SQLite reads ON CONFLICT after a bare SELECT as part of a join.
            f"engagement, FALSE FROM v WHERE TRUE {conflict}",
            ("bigint", "text", "text", "text", "text", "text", "bigint"),
        )


# SQLite: ids given as one JSON array.
_JSON_IDS = "IN (SELECT value FROM json_each(%s))"


def _text(value: Any) -> str:
    """A JSON value as the database gave it (text from SQLite, parsed from PostgreSQL), as
    JSON text."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


@dataclass
class _Counted:
    """What a batch of matched posts adds, before it is added to a campaign: the same for an
    initiative and an umbrella that had counted the same of each post before."""

    figures: Counter[tuple[str, str]]  # from the posts alone; authors are per campaign
    per_author: dict[tuple[str, str], list[tuple[str, str, float | None]]]
    texts: list[copies.Text]
    tallies: list[list[Any]]  # each row's [match id, tally as JSON, engagement] to write back
    # The batch's authors and posts per minute, worked out once for the initiative and every
    # umbrella the batch is carried to: they are the network's and the posts', not the
    # campaign's (_batch_authors).
    authors: _BatchAuthors | None = None


@dataclass(frozen=True, slots=True)
class _Author:
    """An author's posts in a batch: how many, the first hour and the first and last moment
    (epoch), the language most used; and the author's followers."""

    posts: int
    followers: int
    first: str
    first_at: float | None
    last_at: float | None
    language: str


@dataclass(frozen=True, slots=True)
class _BatchAuthors:
    authors: dict[tuple[str, str], _Author]
    minutes: Counter[tuple[int, bool]]  # (minute, all posts or maybe new only) -> posts


def _apply(campaign_id: int, counted: _Counted) -> None:
    """Add a batch to a campaign's figures, authors, minutes and texts."""
    figures = counted.figures.copy()
    if counted.authors is None:
        counted.authors = _batch_authors(counted.per_author)
    _authors(campaign_id, counted.authors, figures)
    copies.add_texts(campaign_id, counted.texts)
    add(campaign_id, figures)


def count_batch(rows: list[tuple[Any, ...]]) -> _Counted:
    """What a batch of matched posts adds to a campaign whose matches' tallies (each row's)
    say what was counted for each post before (None: nothing).

    New posts' dimensions are gathered a column each and counted once a batch, in C: a key
    tuple a post and dimension, counted as it came, was three fifths of the fold's counting
    (bench/listening.py)."""
    figures: Counter[tuple[str, str]] = Counter()
    networks: list[str] = []
    kinds: list[str] = []
    languages: list[str] = []
    hours: list[str] = []
    tags: list[str] = []
    # (network, targets, day) of new posts that mention targets.
    targeted: list[tuple[str, list[str], str]] = []
    fresh: list[tuple[Any, ...]] = []  # the new posts' rows
    # The SHA-256 of each post's line, for the dataset hash's running sums (dataset_hash),
    # and of what was counted before of a post fetched again.
    added: list[bytes] = []
    removed: list[bytes] = []
    per_author: dict[tuple[str, str], list[tuple[str, str, float | None]]] = {}
    texts: list[copies.Text] = []
    tallies: list[list[Any]] = []  # [match id, tally as JSON, engagement]
    sha256 = hashlib.sha256
    for row in rows:
        (
            match_id,
            network,
            tally,
            targets,
            author_id,
            language,
            kind,
            created,
            *metrics,
            hashtags,
            post_id,
            text,
            epoch,
            _,
        ) = row
        # Read once a row: each was parsed three times, a tenth of the fold's Python.
        hashtags, targets = _json_list(hashtags), _json_list(targets)
        tallies.append(
            [
                match_id,
                orjson.dumps([*metrics, hashtags, targets]).decode(),
                (metrics[0] or 0) + (metrics[1] or 0) + (metrics[2] or 0) + (metrics[3] or 0),
            ]
        )
        counted = _json_list(tally) if tally is not None else None
        if counted:
            # Counted before: only the difference in engagement.
            if counted[: len(METRICS)] != metrics:
                was = dataset_line(network, post_id, author_id, counted[: len(METRICS)])
                removed.append(sha256(was).digest())
                added.append(sha256(dataset_line(network, post_id, author_id, metrics)).digest())
            for name, now, before in zip(METRICS, metrics, counted, strict=False):
                if now != before:
                    figures["engagement", name] += (now or 0) - (before or 0)
            if (metrics[4] is None) != (counted[4] is None):
                figures["total", "views_posts"] += 1 if counted[4] is None else -1
            if len(counted) > len(METRICS):
                # Fetched again with other hashtags or mentions (an edited post): move its
                # count from the tags and targets it had to those it has.
                was_tags, was_targets = counted[len(METRICS)], counted[len(METRICS) + 1]
                _move(figures, "hashtag", was_tags, hashtags)
                _move(
                    figures,
                    "target",
                    [f"{network}:{h}" for h in was_targets],
                    [f"{network}:{h}" for h in targets],
                )
                # A post's time does not change when it is fetched again.
                day = day_hour(created)[0]
                _move(
                    figures,
                    "target_day",
                    [f"{network}:{h} {day}" for h in was_targets],
                    [f"{network}:{h} {day}" for h in targets],
                )
            continue
        hour = created or ""  # "YYYY-MM-DDTHH" (day_hour): its day is its first ten
        fresh.append(row)
        networks.append(network)
        kinds.append(kind)
        languages.append(language or "")
        hours.append(hour)
        tags += hashtags
        if targets:
            targeted.append((network, targets, hour[:10]))
        per_author.setdefault((network, author_id), []).append((hour, language or "", epoch))
        added.append(sha256(dataset_line(network, post_id, author_id, metrics)).digest())
        # A repost's text is the reposted one by design: not evidence of copying.
        if kind != "repost" and text and (compared := _compared(text))[0]:
            normalised, digest = compared
            texts.append(copies.Text(f"{network}:{post_id}", digest, normalised))
    if fresh:
        _count_columns(figures, networks, kinds, languages, hours, tags, targeted, fresh)
    for lane, total in enumerate(_lane_sums(added, removed)):
        if total:
            figures["dataset", str(lane)] += total
    return _Counted(figures, per_author, texts, tallies)


# Where the fold's rows hold each metric (METRICS, in order).
_FIRST_METRIC = 8


def _count_columns(
    figures: Counter[tuple[str, str]],
    networks: list[str],
    kinds: list[str],
    languages: list[str],
    hours: list[str],
    tags: list[str],
    targeted: list[tuple[str, list[str], str]],
    fresh: list[tuple[Any, ...]],
) -> None:
    """New posts' dimensions, gathered a column each, added to the figures."""
    figures["total", "posts"] += len(fresh)
    for dimension, column in (
        ("network", networks),
        ("kind", kinds),
        ("language", languages),
        ("hashtag", tags),
    ):
        for value, n in Counter(column).items():
            figures[dimension, value] += n
    for hour, n in Counter(hours).items():
        figures["hour", hour] += n
        figures["day", hour[:10]] += n
    for lane, name in enumerate(METRICS):
        values = list(map(operator.itemgetter(_FIRST_METRIC + lane), fresh))
        if total := sum(filter(None, values)):
            figures["engagement", name] += total
        if name == "views" and (views := len(values) - values.count(None)):
            figures["total", "views_posts"] += views
    for network, targets, day in targeted:
        for handle in targets:
            figures["target", f"{network}:{handle}"] += 1
            # Per target, network and day (UTC): outreach over time.
            figures["target_day", f"{network}:{handle} {day}"] += 1


def _move(
    figures: Counter[tuple[str, str]], dimension: str, was: list[Any], now: list[Any]
) -> None:
    for key in set(was) - set(now):
        figures[dimension, key] -= 1
    for key in set(now) - set(was):
        figures[dimension, key] += 1


def _batch_authors(
    per_author: dict[tuple[str, str], list[tuple[str, str, float | None]]],
) -> _BatchAuthors:
    """The batch's authors (their followers and account age read from the stored authors)
    and its posts per minute, with those whose author's account was under 30 days old or not
    known: where a burst can be."""
    accounts: dict[tuple[str, str], tuple[int, float | None]] = {}
    for network in {n for n, _ in per_author}:
        for author_id, followers, created in select_in(
            f"SELECT author_id, followers, {sql.epoch('created_at')} "  # noqa: S608
            f"FROM {sql.table(Author)} WHERE network = %s AND author_id IN ({{marks}})",
            [network],
            [a for n, a in per_author if n == network],
        ):
            accounts[network, author_id] = (followers or 0, created)
    authors: dict[tuple[str, str], _Author] = {}
    minutes: Counter[tuple[int, bool]] = Counter()
    for key, posts in per_author.items():
        # An author not stored may be new.
        followers, account = accounts.get(key, (0, None))
        for _, _, epoch in posts:
            if epoch is not None:
                minute = int(epoch // 60)
                minutes[minute, True] += 1
                if account is None or epoch - account < NEW_ACCOUNT_SECONDS:
                    minutes[minute, False] += 1
        moments = [epoch for _, _, epoch in posts if epoch is not None]
        authors[key] = _Author(
            posts=len(posts),
            followers=followers,
            # Hours sort as text; a post without a time ("") counts only if it is all there is.
            first=min((hour for hour, _, _ in posts if hour), default=""),
            first_at=min(moments) if moments else None,
            last_at=max(moments) if moments else None,
            language=Counter(lang for _, lang, _ in posts).most_common(1)[0][0],
        )
    return _BatchAuthors(authors, minutes)


def _authors(campaign_id: int, batch: _BatchAuthors, figures: Counter[tuple[str, str]]) -> None:
    table = sql.table(CampaignAuthor)
    known: dict[tuple[str, str], tuple[int, int, str, float | None, float | None]] = {}
    for network in {n for n, _ in batch.authors}:
        for author_id, posts, followers, first, first_at, last_at in select_in(
            f"SELECT author_id, posts, followers, first_hour, {sql.epoch('first_at')}, "  # noqa: S608
            f"{sql.epoch('last_at')} FROM {table} "
            "WHERE campaign_id = %s AND network = %s AND author_id IN ({marks})",
            [campaign_id, network],
            [a for n, a in batch.authors if n == network],
        ):
            known[network, author_id] = (posts, followers, first or "", first_at, last_at)
    keys: list[tuple[str, str]] = []
    reach = impressions = 0
    new_rows: list[list[Any]] = []
    changed_rows: list[list[Any]] = []
    for (network, author_id), author in batch.authors.items():
        followers, first = author.followers, author.first
        first_at, last_at = author.first_at, author.last_at
        if (network, author_id) not in known:
            reach += followers
            impressions += followers * author.posts
            keys += [("day_authors", first[:10]), ("hour_authors", first)]
            keys.append(("authors_network", network))
            new_rows.append(
                [
                    campaign_id,
                    network,
                    author_id,
                    author.posts,
                    followers,
                    first,
                    author.language,
                    first_at,
                    last_at,
                ]
            )
            continue
        count, old_followers, old_first, was_first_at, was_last_at = known[network, author_id]
        if was_first_at is not None:
            first_at = was_first_at if first_at is None else min(first_at, was_first_at)
        if was_last_at is not None:
            last_at = was_last_at if last_at is None else max(last_at, was_last_at)
        # Impressions are posts x followers: the new posts at today's followers, plus the
        # change in followers over the posts counted before.
        reach += followers - old_followers
        impressions += followers * author.posts + (followers - old_followers) * count
        if first and (not old_first or first < old_first):
            # An import reaching further back: the author's first post moves earlier.
            keys += [("day_authors", first[:10]), ("hour_authors", first)]
            figures["day_authors", old_first[:10]] -= 1
            figures["hour_authors", old_first] -= 1
        else:
            first = old_first
        changed_rows.append(
            [
                count + author.posts,
                followers,
                first,
                first_at,
                last_at,
                campaign_id,
                network,
                author_id,
            ]
        )
    figures.update(keys)
    figures["total", "authors"] += len(new_rows)
    figures["country", PENDING_COUNTRY] += len(new_rows)
    figures["total", "potential_reach"] += reach
    figures["total", "potential_impressions"] += impressions
    with connection.cursor() as cursor:
        minutes = batch.minutes
        counted = sorted({minute for minute, _ in minutes})
        sql.many(
            cursor,
            f"INSERT INTO {sql.table(CampaignMinute)} (campaign_id, minute, posts, maybe_new)",
            [[campaign_id, m, minutes[m, True], minutes[m, False]] for m in counted],
            "ON CONFLICT (campaign_id, minute) DO UPDATE SET "
            f"posts = {sql.table(CampaignMinute)}.posts + excluded.posts, "
            f"maybe_new = {sql.table(CampaignMinute)}.maybe_new + excluded.maybe_new",
            ("bigint", "bigint", "integer", "integer"),
        )
        columns = "campaign_id, network, author_id, posts, followers, first_hour, language"
        sql.many(
            cursor,
            f"WITH v({columns}, first_at, last_at) AS (",
            new_rows,
            f") INSERT INTO {table} ({columns}, first_at, last_at, country, country_method) "  # noqa: S608
            f"SELECT {columns}, {sql.from_epoch('first_at')}, {sql.from_epoch('last_at')}, "
            f"'{PENDING_COUNTRY}', '' FROM v",
            ("bigint", "text", "text", "integer", "bigint", "text", "text", "float8", "float8"),
        )
        sql.many(
            cursor,
            "WITH v(posts, followers, first_hour, first_at, last_at, campaign_id, network, "
            "author_id) AS (",
            changed_rows,
            f") UPDATE {table} SET posts = v.posts, followers = v.followers, "  # noqa: S608
            f"first_hour = v.first_hour, first_at = {sql.from_epoch('v.first_at')}, "
            f"last_at = {sql.from_epoch('v.last_at')} "
            f"FROM v WHERE {table}.campaign_id = v.campaign_id "
            f"AND {table}.network = v.network AND {table}.author_id = v.author_id",
            ("integer", "bigint", "text", "float8", "float8", "bigint", "text", "text"),
        )


def place_authors(campaign_id: int, limit: int = FOLD_BATCH, after: int = 0) -> tuple[int, int]:
    """Estimate the country of authors not placed yet (reports/geo.py) with ids above `after`;
    return how many, and the last id, to pass as `after` next time: asking again from the
    start read past every author placed so far, each batch longer than the one before (ten
    minutes for 2.5 million authors, bench/reports.py)."""
    from hashrally.reports import geo  # its gazetteer loads on first use

    table, author = sql.table(CampaignAuthor), sql.table(Author)
    with transaction.atomic(), derived_data():
        lock([campaign_id])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT c.id, c.language, a.location FROM {table} c "  # noqa: S608
                f"LEFT JOIN {author} a ON a.network = c.network AND a.author_id = c.author_id "
                "WHERE c.campaign_id = %s AND c.country = %s AND c.id > %s ORDER BY c.id LIMIT %s",
                [campaign_id, PENDING_COUNTRY, after, limit],
            )
            rows = cursor.fetchall()
            if not rows:
                return 0, after
            figures: Counter[tuple[str, str]] = Counter()
            updates = []
            for row_id, language, location in rows:
                country, method = geo.estimate(location or "", language or "")
                figures["country", PENDING_COUNTRY] -= 1
                figures["country", country or ""] += 1
                figures["country_method", method] += 1
                updates.append([country or "", method, row_id])
            cursor.executemany(
                f"UPDATE {table} SET country = %s, country_method = %s WHERE id = %s",  # noqa: S608
                updates,
            )
        add(campaign_id, figures)
    return len(rows), rows[-1][0]


def resync_followers(campaign_id: int) -> int:
    """Authors whose follower count changed since their last campaign post: reach and
    impressions follow the latest count. Returns how many authors changed."""
    table, author = sql.table(CampaignAuthor), sql.table(Author)
    with transaction.atomic(), derived_data():
        lock([campaign_id])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT c.id, c.posts, c.followers, COALESCE(a.followers, 0) FROM {table} c "  # noqa: S608
                f"JOIN {author} a ON a.network = c.network AND a.author_id = c.author_id "
                "WHERE c.campaign_id = %s AND c.followers <> COALESCE(a.followers, 0)",
                [campaign_id],
            )
            rows = cursor.fetchall()
            if not rows:
                return 0
            figures: Counter[tuple[str, str]] = Counter()
            for _, posts, old, new in rows:
                figures["total", "potential_reach"] += new - old
                figures["total", "potential_impressions"] += (new - old) * posts
            cursor.executemany(
                f"UPDATE {table} SET followers = %s WHERE id = %s",  # noqa: S608
                [[new, row_id] for row_id, _, _, new in rows],
            )
        add(campaign_id, figures)
    return len(rows)


def fold_everything(*, budget_seconds: float = 10.0) -> dict[int, int]:
    """What the worker runs each round: pending matches, then unplaced authors, within a
    time budget so mail and counts are not held up. Returns the matches folded per campaign."""
    current = _current_texts.set(set())
    try:
        with bulk_work(), bulk_cache():
            return _fold_everything(budget_seconds)
    finally:
        _current_texts.reset(current)


def _fold_campaigns(campaigns: list[int], started: float, budget_seconds: float) -> dict[int, int]:
    folded: dict[int, int] = {}
    # A batch of each campaign in turn: an initiative and its umbrella count the same posts,
    # stored side by side, so each post's text and hash line are worked out once for both
    # (the caches below), and neither dashboard waits for the other's whole backlog.
    folding = dict.fromkeys(campaigns, 0)  # campaign -> the last match id folded
    ahead: _Ahead | None = None
    try:
        while folding and time.monotonic() - started < budget_seconds:
            for campaign_id in list(folding):
                # Read ahead only a campaign folded alone, batch after batch: between two of
                # its batches nothing else may be written (`_Ahead`).
                beside = ahead if len(folding) == 1 else None
                done, folding[campaign_id] = _fold(
                    campaign_id, FOLD_BATCH, folding[campaign_id], None, beside
                )
                folded[campaign_id] = folded.get(campaign_id, 0) + done
                if done < FOLD_BATCH:
                    del folding[campaign_id]
                elif ahead is None:
                    ahead = _ahead()  # a backlog of more than a batch
    finally:
        if ahead is not None:
            ahead.forget()
    return folded


def _fold_scheduled(schedule: _Schedule, *, own_connection: bool = False) -> dict[int, int]:
    """Fold the batches `schedule` hands out until none is left."""
    folded: dict[int, int] = {}
    try:
        while (turn := schedule.next()) is not None:
            failed = True
            try:
                done, _ = _fold(turn.campaign_id, FOLD_BATCH, turn.after, turn)
                failed = False
            finally:
                turn.close(failed)
            folded[turn.campaign_id] = folded.get(turn.campaign_id, 0) + done
    finally:
        if own_connection:
            connection.close()  # this thread's
    return folded


def _fold_everything(budget_seconds: float) -> dict[int, int]:
    started = time.monotonic()
    pending = campaigns_pending()
    # A second connection would not see what this one has not committed (a caller's
    # transaction, a test's): then this thread folds alone.
    if connection.vendor == "postgresql" and pending and not connection.in_atomic_block:
        # A second thread with a connection of its own folds beside this one, in the same
        # order (`_Schedule`): while one waits for the server, the other counts (the GIL is
        # released while waiting): a third to a half of the fold's time (bench/listening.py).
        schedule = _Schedule(pending, started, budget_seconds)
        with ThreadPoolExecutor(max_workers=1) as pool:
            beside = pool.submit(copy_context().run, _fold_scheduled, schedule, own_connection=True)
            try:
                folded = _fold_scheduled(schedule)
            finally:
                theirs = beside.result()
            for campaign_id, done in theirs.items():
                folded[campaign_id] = folded.get(campaign_id, 0) + done
    else:
        folded = _fold_campaigns(pending, started, budget_seconds)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT campaign_id FROM {sql.table(CampaignAuthor)} "  # noqa: S608
            "WHERE country = %s",
            [PENDING_COUNTRY],
        )
        unplaced = [row[0] for row in cursor.fetchall()]
    for campaign_id in unplaced:
        after = 0
        while time.monotonic() - started < budget_seconds:
            placed, after = place_authors(campaign_id, after=after)
            if placed < FOLD_BATCH:
                break
    return folded
