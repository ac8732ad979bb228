"""Storing normalised pages: an idempotent upsert keyed by (network, post id), one transaction
per page together with the run's counters and checkpoint."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import connection, transaction
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
    table: str,
    columns: list[str],
    rows: list[list[Any]],
    conflict: list[str],
    update: list[str],
) -> None:
    """INSERT ... ON CONFLICT in one executemany (SQLite and PostgreSQL both speak it).

    The ORM's bulk_create spends most of an import preparing values field by field; this path
    prepares each row once and lets the driver do the rest.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    json_cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    values = ", ".join(json_cast if c in JSON_COLUMNS else "%s" for c in columns)
    action = (
        "UPDATE SET " + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update)
        if update
        else "NOTHING"
    )
    # Table and column names come from the models, never from input; values are parameters.
    names = ", ".join(quote(c) for c in columns)
    keys = ", ".join(quote(c) for c in conflict)
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({values}) ON CONFLICT ({keys}) DO {action}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _json(value: list[str]) -> str:
    return orjson.dumps(value).decode()


@dataclass(frozen=True)
class Stored:
    new: int
    updated: int
    duplicates: int


def _existing(network: str, ids: list[str]) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    table = sql.table(Post)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            # Plain SQL: the ORM's per-value preparation cost more than the query itself.
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT post_id, first_run_id FROM {table} "  # noqa: S608 (names from the model)
                f"WHERE network = %s AND post_id IN ({marks})",
                [network, *chunk],
            )
            found.update(cursor.fetchall())
    return found


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
        # The run's campaign and the umbrellas above it: a post matched to a child campaign
        # is one of its umbrella's posts too, counted once however many children bring it.
        self.campaign_ids = Campaign.ancestor_ids([run.campaign_id])

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
        run, listening = self.run, self.listening
        now = timezone.now()
        moment = _moment_adapter()
        stamp = moment(now)
        posts = [post for page, _, _ in batch.pages for post in page.posts]
        unique_posts: dict[tuple[str, str], PostRecord] = {}
        for record in posts:
            unique_posts[(record.network, record.post_id)] = record
        new = updated = 0
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
                RunProblem.objects.create(run=run, where=where[:2000], reason=reason[:2000])
            _upsert(
                Author._meta.db_table,
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
                    Post._meta.db_table,
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
                targets = listening.folded_targets(network)
                hashtags = listening.folded_hashtags
                # What each post matched, once, for the campaign and its umbrellas alike.
                matched = [
                    (
                        r.post_id,
                        _json(sorted(hashtags.intersection(r.hashtags))),
                        _json(sorted(targets.intersection(r.mentions))),
                    )
                    for r in records
                ]
                _upsert(
                    PostMatch._meta.db_table,
                    ["campaign_id", "network", "post_id", "hashtags", "targets", "pending"],
                    [
                        [campaign_id, network, post_id, tags, handles, True]
                        for campaign_id in self.campaign_ids
                        for post_id, tags, handles in matched
                    ],
                    ["campaign_id", "network", "post_id"],
                    # Fetched again: its counts may have changed, so the reports' fold looks
                    # at it again (reports/fold.py).
                    ["pending"],
                )
            CollectionRun.objects.filter(pk=run.pk).update(
                pages=F("pages") + len(batch.pages),
                read=F("read") + len(posts),
                new=F("new") + new,
                updated=F("updated") + updated,
                duplicates=F("duplicates") + duplicates,
                errors=F("errors") + len(batch.problems),
                checkpoint=batch.checkpoint,
            )
        return Stored(new=new, updated=updated, duplicates=duplicates)
