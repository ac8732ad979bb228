"""Storing normalised pages: an idempotent upsert keyed by (network, post id), one transaction
per page together with the run's counters and checkpoint."""

from __future__ import annotations

import datetime as dt
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
from hashrally.listening.records import AuthorRecord, Page, PostRecord, detect_language

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


POST_COLUMNS = [
    "network",
    "post_id",
    "url",
    "author_id",
    "author_handle",
    "text",
    "language",
    "language_detected",
    "created_at",
    "kind",
    "refers_to",
    "likes",
    "reposts",
    "replies",
    "quotes",
    "views",
    "hashtags",
    "mentions",
    "links",
]
AUTHOR_COLUMNS = [
    "network",
    "author_id",
    "handle",
    "name",
    "followers",
    "following",
    "posts_count",
    "created_at",
    "location",
    "description",
    "bot_label",
]
JSON_COLUMNS = {"hashtags", "mentions", "links", "targets"}


def _upsert(
    model: type[models.Model],
    columns: list[str],
    rows: list[list[Any]],
    conflict: list[str],
    update: list[str],
) -> None:
    """INSERT ... ON CONFLICT of many rows (SQLite and PostgreSQL both speak it); the rows'
    keys are distinct.

    The ORM's bulk_create spends most of an import preparing values field by field; this path
    prepares each row once and lets the driver do the rest. On SQLite, one executemany. On
    PostgreSQL, one statement for all the rows, sent as one JSON parameter (core/sql.py):
    executemany ran the statement once per row there, 73 microseconds a post, and made the
    import three times slower than on SQLite (bench/listening.py).
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
    names = ", ".join(quote(c) for c in columns)
    keys = ", ".join(quote(c) for c in conflict)
    table = quote(model._meta.db_table)
    tail = f"ON CONFLICT ({keys}) DO {action}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = _column_types(model)
            # JSON columns travel as JSON text, parsed by the cast.
            kinds = ["jsonb" if c in JSON_COLUMNS else types[c] for c in columns]
            cursor.execute(
                f"INSERT INTO {table} ({names}) {sql.rows_from_json(kinds)} {tail}",
                [sql.json_rows(rows)],
            )
        else:
            values = ", ".join("%s" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({values}) {tail}", rows)  # noqa: S608


def _column_types(model: type[models.Model]) -> dict[str, str]:
    """Each column's type in the database, as the model declares it (a foreign key's is its
    target key's)."""
    return {
        field.column: str(field.db_type(connection))
        for field in model._meta.concrete_fields
        if field.column
    }


def _json(value: list[str]) -> str:
    return orjson.dumps(value).decode()


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


def _sqlite_moment(value: dt.datetime | None) -> str | None:
    # What Django writes for an aware datetime on SQLite (naive UTC text), without its
    # per-value overhead, which dominated imports.
    if value is None:
        return None
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


def _moment_adapter() -> Any:
    if connection.vendor == "sqlite":
        return _sqlite_moment
    return lambda value: value


@dataclass
class Batch:
    """Pages stored in one transaction; the checkpoint is the last page's."""

    run: CollectionRun
    # (page, compressed raw payload or its pending compression, where it came from)
    pages: list[tuple[Page, bytes | Future[bytes], str]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    checkpoint: dict[str, Any] = field(default_factory=dict)

    @property
    def posts(self) -> int:
        return sum(len(page.posts) for page, _, _ in self.pages)


class Store:
    """Writes a run's pages. Keeps, per run, a bounded memory of authors already written
    unchanged, since the same accounts fill page after page."""

    AUTHOR_MEMORY = 50_000

    def __init__(self, run: CollectionRun, listening: Listening) -> None:
        self.run = run
        self.listening = listening
        self._authors: dict[tuple[str, str], int] = {}
        # An umbrella's posts are its initiatives' too, whose matches reach the umbrella only
        # when the fold carries them: a post answering one is the umbrella's at once.
        self.family = run.campaign.family_ids()
        # A post fetched again is folded again for every campaign above that counts it.
        self.umbrellas = Campaign.ancestor_ids([run.campaign_id])[1:]

    def _fresh_authors(
        self, pages: list[tuple[Page, bytes | Future[bytes], str]]
    ) -> list[AuthorRecord]:
        fresh: dict[tuple[str, str], AuthorRecord] = {}
        for page, _, _ in pages:
            for author in page.authors:
                key = (author.network, author.author_id)
                fingerprint = hash(tuple(vars(author).values()))
                if self._authors.get(key) != fingerprint:
                    fresh[key] = author
                    self._authors[key] = fingerprint
        if len(self._authors) > self.AUTHOR_MEMORY:
            self._authors.clear()
        return list(fresh.values())

    def write(self, batch: Batch, fetched_at: dt.datetime | None = None) -> Stored:
        run = self.run
        now = timezone.now()
        moment = _moment_adapter()
        stamp = moment(now)
        posts = [post for page, _, _ in batch.pages for post in page.posts]
        unique_posts: dict[tuple[str, str], PostRecord] = {}
        for record in posts:
            unique_posts[(record.network, record.post_id)] = record
        new = updated = off_topic = 0
        duplicates = len(posts) - len(unique_posts)
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
                [*AUTHOR_COLUMNS, "seen_at"],
                [
                    [
                        *(
                            moment(getattr(a, c)) if c == "created_at" else getattr(a, c)
                            for c in AUTHOR_COLUMNS
                        ),
                        stamp,
                    ]
                    for a in authors
                ],
                ["network", "author_id"],
                [*AUTHOR_COLUMNS[2:], "seen_at"],
            )
            by_network: dict[str, list[PostRecord]] = {}
            for record in unique_posts.values():
                by_network.setdefault(record.network, []).append(record)
            for network, records in by_network.items():
                existing = _existing(network, [r.post_id for r in records])
                for record in records:
                    if record.post_id not in existing:
                        new += 1
                        detect_language(record)
                    elif existing[record.post_id] == run.pk:
                        duplicates += 1
                    else:
                        updated += 1
                _upsert(
                    Post,
                    [*POST_COLUMNS, "first_run_id", "last_run_id", "first_seen_at", "updated_at"],
                    [
                        [
                            r.network,
                            r.post_id,
                            r.url,
                            r.author_id,
                            r.author_handle,
                            r.text,
                            r.language,
                            r.language_detected,
                            moment(r.created_at),
                            r.kind,
                            r.refers_to,
                            r.likes,
                            r.reposts,
                            r.replies,
                            r.quotes,
                            r.views,
                            _json(r.hashtags),
                            _json(r.mentions),
                            _json(r.links),
                            run.pk,
                            run.pk,
                            stamp,
                            stamp,
                        ]
                        for r in records
                    ],
                    ["network", "post_id"],
                    POST_UPDATES,
                )
                matched = self._matched(network, records)
                ours = {post_id for post_id, _, _ in matched}
                ours |= self._kept(
                    network, [r.post_id for r in records if r.post_id in existing.keys() - ours]
                )
                off_topic += sum(1 for r in records if r.post_id not in ours)
                _upsert(
                    PostMatch,
                    ["campaign_id", "network", "post_id", "hashtags", "targets", "pending"],
                    # The run's campaign's only: the fold writes its umbrellas' (a post an
                    # initiative brings is its umbrella's too, counted once however many
                    # initiatives bring it), from the rows it reads for the initiative.
                    [
                        [run.campaign_id, network, post_id, tags, handles, True]
                        for post_id, tags, handles in matched
                    ],
                    ["campaign_id", "network", "post_id"],
                    # Fetched again: its counts, tags or mentions may have changed, so the
                    # reports' fold looks at it again (reports/fold.py).
                    ["hashtags", "targets", "pending"],
                )
            CollectionRun.objects.filter(pk=run.pk).update(
                pages=F("pages") + len(batch.pages),
                read=F("read") + len(posts),
                new=F("new") + new,
                updated=F("updated") + updated,
                duplicates=F("duplicates") + duplicates,
                off_topic=F("off_topic") + off_topic,
                errors=F("errors") + len(batch.problems),
                checkpoint=batch.checkpoint,
            )
        return Stored(new=new, updated=updated, duplicates=duplicates, off_topic=off_topic)

    def _matched(self, network: str, records: list[PostRecord]) -> list[tuple[str, str, str]]:
        """(post id, hashtags, targets as JSON) of the posts that are the campaign's: those that
        carry one of its hashtags or mention one of its targets, or repost, quote or answer a
        post that does (in this batch, stored before, or carried along by the page). A post
        stored before that answers one of these becomes the campaign's too, so the order in
        which pages arrive does not change the result. Called inside the write's transaction."""
        targets = self.listening.folded_targets(network)
        hashtags = self.listening.folded_hashtags
        found: dict[str, tuple[list[str], list[str]]] = {}
        for r in records:
            tags = sorted(hashtags.intersection([*r.hashtags, *r.context_hashtags]))
            handles = sorted(targets.intersection([*r.mentions, *r.context_mentions]))
            if tags or handles:
                found[r.post_id] = (tags, handles)
        referring = [r for r in records if r.refers_to and r.post_id not in found]
        if referring:
            wanted = list({r.refers_to for r in referring})
            known = {row[0] for row in self._matches_among(network, wanted)}
            # Until nothing changes: an answer to an answer of a campaign post in one batch.
            changed = True
            while changed:
                changed = False
                for r in referring:
                    if r.post_id not in found and (r.refers_to in found or r.refers_to in known):
                        found[r.post_id] = ([], [])
                        changed = True
        recounted: dict[int, int] = {}
        frontier = list(found)
        while frontier:  # answers to answers, stored before, become the campaign's in turn
            earlier = self._referring(network, frontier, found)
            frontier = []
            for post_id, last_run_id in earlier:
                found[post_id] = ([], [])
                frontier.append(post_id)
                if last_run_id is not None:
                    recounted[last_run_id] = recounted.get(last_run_id, 0) + 1
        # Read as off-topic by this campaign's earlier runs: they are its posts after all.
        for run_id, n in recounted.items():
            CollectionRun.objects.filter(
                pk=run_id, campaign_id=self.run.campaign_id, off_topic__gte=n
            ).update(off_topic=F("off_topic") - n)
        return [
            (post_id, _json(tags), _json(handles)) for post_id, (tags, handles) in found.items()
        ]

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
