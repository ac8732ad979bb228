"""Storing normalised pages: an idempotent upsert keyed by (network, post id), one transaction
per page together with the run's counters and checkpoint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.core import sql
from hashrally.listening.config import Listening
from hashrally.listening.models import Author, CollectionRun, Post, PostMatch, RawPage, RunProblem
from hashrally.listening.records import Prepared
from hashrally.listening.rows import (
    AUTHOR_COLUMNS,
    NETWORK,
    POST_COLUMNS,
    POST_ID,
    REFERS_TO,
    Preparing,
)

# What a later fetch of a known post may change: its counts, and text where it was edited.
POST_UPDATES = [
    "url",
    "author_handle",
    "text",
    "likes",
    "reposts",
    "replies",
    "quotes",
    "views",
    # An edited post may carry other hashtags, mentions and links; the reports' fold moves its
    # counts with them (reports/fold.py).
    "hashtags",
    "mentions",
    "links",
    "last_run_id",
    "updated_at",
]
CHUNK = 500


JSON_COLUMNS = {"hashtags", "mentions", "links", "targets"}


# Rows this narrow go to SQLite as one JSON parameter: json_each reads each element once a
# column, so wider rows cost more that way than executemany's binding of every value; for
# a post's match (three columns) it took 0.18 s against 0.28 s for 95,000 rows.
SQLITE_JSON_UP_TO_COLUMNS = 3


def _upsert(
    model: type[models.Model],
    columns: list[str],
    rows: Sequence[Sequence[Any]],
    conflict: list[str],
    update: list[str],
    same: Sequence[tuple[str, Any]] = (),
) -> None:
    """INSERT ... ON CONFLICT of many rows (SQLite and PostgreSQL both speak it); the rows'
    keys are distinct. `same`: (column, value) alike in every row, sent once.

    The ORM's bulk_create spends most of an import preparing values field by field; this path
    prepares each row once and lets the driver do the rest. On SQLite, one executemany, or
    narrow rows as one JSON parameter. On PostgreSQL, one statement for all the rows, sent as
    one JSON parameter (core/sql.py): executemany ran the statement once per row there, 73
    microseconds a post, and made the import three times slower than on SQLite
    (bench/listening.py).
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    action = (
        "UPDATE SET " + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update)
        if update
        else "NOTHING"
    )
    # Table and column names come from the models, never from input; values are parameters.
    names = ", ".join(quote(c) for c in [*(c for c, _ in same), *columns])
    keys = ", ".join(quote(c) for c in conflict)
    table = quote(model._meta.db_table)
    tail = f"ON CONFLICT ({keys}) DO {action}"
    fixed = [value for _, value in same]
    marks = "".join("%s, " for _ in same)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = _column_types(model)
            # JSON columns travel as JSON text, parsed by the cast.
            kinds = ["jsonb" if c in JSON_COLUMNS else types[c] for c in columns]
            select = sql.rows_from_json(kinds).replace("SELECT ", f"SELECT {marks}", 1)
            cursor.execute(
                f"INSERT INTO {table} ({names}) {select} {tail}", [*fixed, sql.json_rows(rows)]
            )
        elif len(columns) <= SQLITE_JSON_UP_TO_COLUMNS:
            elements = ", ".join(f"json_extract(value, '$[{n}]')" for n in range(len(columns)))
            cursor.execute(
                # WHERE true: SQLite would read ON CONFLICT as a join's ON without it.
                f"INSERT INTO {table} ({names}) SELECT {marks}{elements} "  # noqa: S608
                f"FROM json_each(%s) WHERE true {tail}",
                [*fixed, orjson.dumps(rows).decode()],
            )
        else:
            # The values alike in every row written into the statement, not bound again for
            # each row: a seventh of the parameters of a post and a tuple built a row, 8% of
            # the posts' statement (bench/listening.py).
            constants = "".join(f"{_literal(value)}, " for value in fixed)
            values = ", ".join("%s" for _ in columns)
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({constants}{values}) {tail}",  # noqa: S608
                rows,
            )


def _literal(value: Any) -> str:
    """A value of the store's own (a run's id, a moment, a network's name) as an SQL literal."""
    if isinstance(value, bool | int):
        return str(int(value))
    if isinstance(value, str):
        # Django's SQLite cursor turns %s into ?: a literal % is written twice.
        return "'" + value.replace("'", "''").replace("%", "%%") + "'"
    raise TypeError(f"not a literal: {value!r}")


def _column_types(model: type[models.Model]) -> dict[str, str]:
    """Each column's type in the database, as the model declares it (a foreign key's is its
    target key's)."""
    return {
        field.column: str(field.db_type(connection))
        for field in model._meta.concrete_fields
        if field.column
    }


# A post that is the campaign's through the post it refers to: it carries none of its own.
NOTHING_CARRIED = ("[]", "[]")
# Not among the stored posts (a stored post's last run may be None: its run was deleted).
_NEW = object()


def _sqlite_now(value: dt.datetime) -> str:
    # What Django writes for an aware datetime on SQLite: naive UTC text.
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


@dataclass(frozen=True)
class Stored:
    new: int
    updated: int
    duplicates: int
    off_topic: int = 0


def _existing(network: str, ids: list[str]) -> dict[str, int | None]:
    """The run that last wrote each of these posts: this run means a repeat within it (a
    duplicate), another one a post fetched again (updated)."""
    query = (
        f"SELECT post_id, last_run_id FROM {sql.table(Post)} "  # noqa: S608 (names from the model)
        "WHERE network = %s AND post_id IN ({marks})"
    )
    return dict(sql.select_in(query, [network], ids))


def referring_query() -> str:
    """Stored posts that refer to any of some posts ({marks}), through the partial index on
    (network, refers_to)."""
    return (
        f"SELECT post_id, last_run_id FROM {sql.table(Post)} "  # noqa: S608 (names from the model)
        # Spelled as the partial index's condition: SQLite uses the index only when the query
        # repeats it (`<> ''` made each batch scan the network's posts, an import 3x slower).
        "WHERE network = %s AND NOT (refers_to = '') AND refers_to IN ({marks})"
    )


@dataclass
class Batch:
    """Pages stored in one transaction; the checkpoint is the last page's."""

    run: CollectionRun
    # (page's rows, compressed raw payload or its pending compression, where it came from)
    pages: list[tuple[Prepared, bytes | Future[bytes], str]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    checkpoint: dict[str, Any] = field(default_factory=dict)

    @property
    def posts(self) -> int:
        return sum(len(page.posts) for page, _, _ in self.pages)


def preparing_for(listening: Listening) -> Preparing:
    """What preparing a campaign's rows for this database needs (rows.py)."""
    return Preparing(
        hashtags=listening.folded_hashtags,
        targets={network: listening.folded_targets(network) for network in listening.targets},
        naive_moments=connection.vendor == "sqlite",
    )


class Store:
    """Writes a run's pages. Keeps, per run, a bounded memory of authors already written
    unchanged, since the same accounts fill page after page."""

    AUTHOR_MEMORY = 50_000

    def __init__(self, run: CollectionRun, listening: Listening) -> None:
        self.run = run
        self.preparing = preparing_for(listening)
        self._authors: dict[tuple[str, str], int] = {}
        # An umbrella's posts are its initiatives' too, whose matches reach the umbrella only
        # when the fold carries them: a post answering one is the umbrella's at once.
        self.family = run.campaign.family_ids()
        # A post fetched again is folded again for every campaign above that counts it.
        self.umbrellas = Campaign.ancestor_ids([run.campaign_id])[1:]

    def _fresh_authors(self, pages: list[tuple[Prepared, Any, str]]) -> list[tuple[Any, ...]]:
        fresh: dict[tuple[str, str], tuple[Any, ...]] = {}
        for prepared, _, _ in pages:
            for row in prepared.authors:
                key = (row[0], row[1])
                fingerprint = hash(row)
                if self._authors.get(key) != fingerprint:
                    fresh[key] = row
                    self._authors[key] = fingerprint
        if len(self._authors) > self.AUTHOR_MEMORY:
            self._authors.clear()
        return list(fresh.values())

    def write(self, batch: Batch, fetched_at: dt.datetime | None = None) -> Stored:
        run = self.run
        run_id = run.pk
        now = timezone.now()
        stamp = _sqlite_now(now) if self.preparing.naive_moments else now
        # The last of a post's rows in the batch counts, with what it carries of the campaign.
        unique_posts: dict[tuple[str, str], tuple[tuple[Any, ...], tuple[str, str] | None]] = {}
        read = 0
        for prepared, _, _ in batch.pages:
            read += len(prepared.posts)
            for row, found in zip(prepared.posts, prepared.found, strict=True):
                unique_posts[(row[NETWORK], row[POST_ID])] = (row, found)
        new = updated = off_topic = 0
        duplicates = read - len(unique_posts)
        raw_rows = [
            RawPage(
                run=run,
                source=source[:2000],
                fetched_at=fetched_at or now,
                payload=payload if isinstance(payload, bytes) else payload.result(),
            )
            for _, payload, source in batch.pages
        ]
        authors = self._fresh_authors(batch.pages)
        with transaction.atomic():
            RawPage.objects.bulk_create(raw_rows)
            for where, reason in batch.problems:
                # A reason may quote the refused input, NUL included, which PostgreSQL's text
                # cannot hold.
                RunProblem.objects.create(
                    run=run,
                    where=where[:2000].replace("\x00", ""),
                    reason=reason[:2000].replace("\x00", ""),
                )
            _upsert(
                Author,
                list(AUTHOR_COLUMNS),
                authors,
                ["network", "author_id"],
                [*AUTHOR_COLUMNS[2:], "seen_at"],
                same=[("seen_at", stamp)],
            )
            by_network: dict[str, list[tuple[tuple[Any, ...], tuple[str, str] | None]]] = {}
            for entry in unique_posts.values():
                by_network.setdefault(entry[0][NETWORK], []).append(entry)
            for network, entries in by_network.items():
                existing = _existing(network, [row[POST_ID] for row, _ in entries])
                for row, _ in entries:
                    last_run = existing.get(row[POST_ID], _NEW)
                    if last_run is _NEW:
                        new += 1
                    elif last_run == run_id:
                        duplicates += 1
                    else:
                        updated += 1
                _upsert(
                    Post,
                    list(POST_COLUMNS),
                    [row for row, _ in entries],
                    ["network", "post_id"],
                    POST_UPDATES,
                    same=[
                        ("first_run_id", run_id),
                        ("last_run_id", run_id),
                        ("first_seen_at", stamp),
                        ("updated_at", stamp),
                    ],
                )
                matched = self._matched(network, entries)
                ours = {post_id for post_id, _, _ in matched}
                # Stored before and carrying nothing of the campaign now (an edit dropped it).
                # The difference made once: made per row, it cost 0.15 s of an import of
                # 100,000 lean posts whose repeats make `existing` a few hundred a batch.
                dropped = existing.keys() - ours
                ours |= self._kept(
                    network, [row[POST_ID] for row, _ in entries if row[POST_ID] in dropped]
                )
                off_topic += sum(1 for row, _ in entries if row[POST_ID] not in ours)
                _upsert(
                    PostMatch,
                    ["post_id", "hashtags", "targets"],
                    # The run's campaign's only: the fold writes its umbrellas' (a post an
                    # initiative brings is its umbrella's too, counted once however many
                    # initiatives bring it), from the rows it reads for the initiative.
                    matched,
                    ["campaign_id", "network", "post_id"],
                    # Fetched again: its counts, tags or mentions may have changed, so the
                    # reports' fold looks at it again (reports/fold.py).
                    ["hashtags", "targets", "pending"],
                    same=[
                        ("campaign_id", run.campaign_id),
                        ("network", network),
                        ("pending", True),
                    ],
                )
            CollectionRun.objects.filter(pk=run.pk).update(
                pages=F("pages") + len(batch.pages),
                read=F("read") + read,
                new=F("new") + new,
                updated=F("updated") + updated,
                duplicates=F("duplicates") + duplicates,
                off_topic=F("off_topic") + off_topic,
                errors=F("errors") + len(batch.problems),
                checkpoint=batch.checkpoint,
            )
        return Stored(new=new, updated=updated, duplicates=duplicates, off_topic=off_topic)

    def _matched(
        self, network: str, entries: list[tuple[tuple[Any, ...], tuple[str, str] | None]]
    ) -> list[tuple[str, str, str]]:
        """(post id, hashtags, targets as JSON) of the posts that are the campaign's: those that
        carry one of its hashtags or mention one of its targets (found as their rows were
        prepared), or repost, quote or answer a post that does (in this batch, stored before,
        or carried along by the page). A post stored before that answers one of these becomes
        the campaign's too, so the order in which pages arrive does not change the result.
        Called inside the write's transaction."""
        found: dict[str, tuple[str, str]] = {
            row[POST_ID]: carried for row, carried in entries if carried is not None
        }
        referring = [
            (row[POST_ID], row[REFERS_TO])
            for row, carried in entries
            if carried is None and row[REFERS_TO]
        ]
        if referring:
            wanted = list({refers_to for _, refers_to in referring})
            known = {row[0] for row in self._matches_among(network, wanted)}
            # Until nothing changes: an answer to an answer of a campaign post in one batch.
            changed = True
            while changed:
                changed = False
                for post_id, refers_to in referring:
                    if post_id not in found and (refers_to in found or refers_to in known):
                        found[post_id] = NOTHING_CARRIED
                        changed = True
        recounted: dict[int, int] = {}
        frontier = list(found)
        while frontier:  # answers to answers, stored before, become the campaign's in turn
            earlier = self._referring(network, frontier, found)
            frontier = []
            for post_id, last_run_id in earlier:
                found[post_id] = NOTHING_CARRIED
                frontier.append(post_id)
                if last_run_id is not None:
                    recounted[last_run_id] = recounted.get(last_run_id, 0) + 1
        # Read as off-topic by this campaign's earlier runs: they are its posts after all.
        for run_id, n in recounted.items():
            CollectionRun.objects.filter(
                pk=run_id, campaign_id=self.run.campaign_id, off_topic__gte=n
            ).update(off_topic=F("off_topic") - n)
        return [(post_id, tags, handles) for post_id, (tags, handles) in found.items()]

    def _matches_among(self, network: str, post_ids: list[str]) -> list[tuple[Any, ...]]:
        """(post id,) of those among `post_ids` that are already this campaign's (or one of
        its initiatives')."""
        family = ", ".join("%s" for _ in self.family)
        query = (
            f"SELECT DISTINCT post_id FROM {sql.table(PostMatch)} "  # noqa: S608 (names from the model)
            f"WHERE campaign_id IN ({family}) AND network = %s AND post_id IN ({{marks}})"
        )
        return sql.select_in(query, [*self.family, network], post_ids)

    def _kept(self, network: str, post_ids: list[str]) -> set[str]:
        """Of posts that carry nothing of the campaign now, those that were its posts before (an
        edit dropped the hashtag): they stay its posts (docs/metrics.md), and are folded again
        so their counts and hashtags follow."""
        kept: set[str] = set()
        for start in range(0, len(post_ids), CHUNK):
            chunk = post_ids[start : start + CHUNK]
            matches = PostMatch.objects.filter(
                campaign_id__in=[self.run.campaign_id, *self.umbrellas],
                network=network,
                post_id__in=chunk,
            )
            kept.update(
                matches.filter(campaign_id=self.run.campaign_id).values_list("post_id", flat=True)
            )
            # The umbrellas' too: one may count the post through another initiative.
            matches.update(pending=True)
        return kept

    def _referring(
        self, network: str, post_ids: list[str], found: dict[str, Any]
    ) -> list[tuple[str, int | None]]:
        """Stored posts that refer to one of `post_ids` and are not the campaign's yet, through
        the partial index on (network, refers_to), so the cost follows the posts that refer to
        these ones, not the size of the table."""
        candidates = {
            post_id: run_id
            for post_id, run_id in sql.select_in(referring_query(), [network], post_ids)
            if post_id not in found
        }
        for (post_id,) in self._matches_among(network, list(candidates)):
            candidates.pop(post_id, None)
        return list(candidates.items())
