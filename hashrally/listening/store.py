"""Storing normalised pages: an idempotent upsert keyed by (network, post id), one transaction
per page together with the run's counters and checkpoint."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any

import py3langid
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hashrally.listening.config import Listening
from hashrally.listening.models import Author, CollectionRun, Post, PostMatch, RawPage, RunProblem
from hashrally.listening.records import Page, PostRecord

POST_UPDATES = [
    "url",
    "author_handle",
    "text",
    "likes",
    "reposts",
    "replies",
    "quotes",
    "views",
    "last_run",
    "updated_at",
]
AUTHOR_UPDATES = [
    "handle",
    "name",
    "followers",
    "following",
    "posts_count",
    "created_at",
    "location",
    "description",
    "bot_label",
    "seen_at",
]
# Short texts are too little to guess a language from honestly.
DETECT_MIN_CHARS = 20
CHUNK = 500


@dataclass(frozen=True)
class Stored:
    new: int
    updated: int
    duplicates: int


def detect_language(record: PostRecord) -> None:
    if not record.language and len(record.text) >= DETECT_MIN_CHARS:
        record.language, _score = py3langid.classify(record.text)
        record.language_detected = True


def _existing(network: str, ids: list[str]) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found.update(
            Post.objects.filter(network=network, post_id__in=chunk).values_list(
                "post_id", "first_run_id"
            )
        )
    return found


def store_page(
    run: CollectionRun,
    page: Page,
    *,
    listening: Listening,
    raw: bytes,
    source: str,
    checkpoint: dict[str, Any],
    fetched_at: dt.datetime | None = None,
) -> Stored:
    now = timezone.now()
    unique_posts: dict[tuple[str, str], PostRecord] = {}
    for record in page.posts:
        unique_posts[(record.network, record.post_id)] = record
    repeats_in_page = len(page.posts) - len(unique_posts)
    new = updated = duplicates = 0
    with transaction.atomic():
        RawPage.objects.create(
            run=run,
            source=source[:2000],
            fetched_at=fetched_at or now,
            payload=zlib.compress(raw, 1),
        )
        authors = {(a.network, a.author_id): a for a in page.authors}
        if authors:
            Author.objects.bulk_create(
                [Author(**vars(a), seen_at=now) for a in authors.values()],
                update_conflicts=True,
                unique_fields=["network", "author_id"],
                update_fields=AUTHOR_UPDATES,
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
            Post.objects.bulk_create(
                [Post(**vars(r), first_run=run, last_run=run, updated_at=now) for r in records],
                update_conflicts=True,
                unique_fields=["network", "post_id"],
                update_fields=POST_UPDATES,
            )
            targets = listening.folded_targets(network)
            hashtags = listening.folded_hashtags
            PostMatch.objects.bulk_create(
                [
                    PostMatch(
                        campaign_id=run.campaign_id,
                        network=network,
                        post_id=r.post_id,
                        hashtags=sorted(hashtags.intersection(r.hashtags)),
                        targets=sorted(targets.intersection(r.mentions)),
                    )
                    for r in records
                ],
                ignore_conflicts=True,
            )
        duplicates += repeats_in_page
        CollectionRun.objects.filter(pk=run.pk).update(
            pages=F("pages") + 1,
            read=F("read") + len(page.posts),
            new=F("new") + new,
            updated=F("updated") + updated,
            duplicates=F("duplicates") + duplicates,
            checkpoint=checkpoint,
        )
    return Stored(new=new, updated=updated, duplicates=duplicates)


def record_problem(run: CollectionRun, where: str, reason: str, checkpoint: dict[str, Any]) -> None:
    """A page or line that cannot be used: say why, count it, move the checkpoint past it."""
    with transaction.atomic():
        RunProblem.objects.create(run=run, where=where[:2000], reason=reason[:2000])
        CollectionRun.objects.filter(pk=run.pk).update(
            errors=F("errors") + 1, checkpoint=checkpoint
        )
