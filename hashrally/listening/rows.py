"""A page's posts and authors as the rows the store writes, and which posts carry the campaign.

Pure: no database, no Django. A file's parsing processes run it beside the writer, so the
writer only looks up, counts and writes: building rows and matching hashtags were a third of
the writer's time on a lean file, while the parsing process had time to spare
(bench/listening.py). Connectors and small files run it in the writer's process; the rows are
the same either way.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import msgspec
import orjson
from msgspec.structs import astuple

from hashrally.listening.records import AuthorRecord, Page, PostRecord, Prepared, detect_language

# The columns each row holds, in order: the records' fields up to the JSON lists (records.py).
# The store adds the run's own after them.
POST_COLUMNS: tuple[str, ...] = PostRecord.__struct_fields__[
    : PostRecord.__struct_fields__.index("links") + 1
]
AUTHOR_COLUMNS: tuple[str, ...] = AuthorRecord.__struct_fields__
_AS_IS = POST_COLUMNS.index("created_at")  # the post's fields written as they are
_AUTHOR_AS_IS = AUTHOR_COLUMNS.index("created_at")
NETWORK, POST_ID, REFERS_TO = 0, 1, POST_COLUMNS.index("refers_to")


class Preparing(msgspec.Struct, frozen=True):
    """What preparing rows needs to know of the campaign and the database: sent to parsing
    processes, so plain values only."""

    hashtags: frozenset[str]  # folded
    targets: dict[str, frozenset[str]]  # network -> folded handles
    # SQLite keeps a moment as naive UTC text (as Django writes it); PostgreSQL is sent ISO
    # 8601 with its offset.
    naive_moments: bool


# msgspec writes a moment as RFC 3339 four times faster than datetime.isoformat, the largest
# part of preparing a post's row (bench/listening.py): "2021-09-22T16:37:29Z", its fraction of
# a second in six digits when it has one, as isoformat does.
_RFC3339 = msgspec.json.Encoder()


def _naive(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not dt.UTC:  # records.parse_time gives UTC
        value = value.astimezone(dt.UTC)
    text = _RFC3339.encode(value).decode()
    return f"{text[1:11]} {text[12:-2]}"  # Django's text: a space for the T, without the Z


def _aware(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _json(value: list[str]) -> str:
    return orjson.dumps(value).decode() if value else "[]"


_NONE: frozenset[str] = frozenset()


@lru_cache(maxsize=4096)
def _carried(tags: frozenset[str], handles: frozenset[str]) -> tuple[str, str]:
    # The same few combinations of a campaign's hashtags and targets, post after post.
    return _json(sorted(tags)), _json(sorted(handles))


def prepare(page: Page, preparing: Preparing) -> Prepared:
    """The page's rows, and for each post the campaign's hashtags and targets it carries
    (itself or in the post it reposts, quotes or answers, when the page brings that along) as
    JSON, or None. A post that carries none may still be the campaign's through the post it
    refers to: the store decides that, as it needs what is stored."""
    moment = _naive if preparing.naive_moments else _aware
    hashtags = preparing.hashtags
    posts: list[tuple[Any, ...]] = []
    found: list[tuple[str, str] | None] = []
    for r in page.posts:
        # Here for every post, as the parsing processes do: what the network gave no language.
        detect_language(r)
        fields = astuple(r)
        posts.append(
            (
                *fields[:_AS_IS],
                moment(r.created_at),
                _json(r.hashtags),
                _json(r.mentions),
                _json(r.links),
            )
        )
        tags = hashtags.intersection([*r.hashtags, *r.context_hashtags])
        targets = preparing.targets.get(r.network)
        handles = targets.intersection([*r.mentions, *r.context_mentions]) if targets else _NONE
        found.append(_carried(tags, handles) if tags or handles else None)
    authors = [(*astuple(a)[:_AUTHOR_AS_IS], moment(a.created_at)) for a in page.authors]
    return Prepared(posts=posts, found=found, authors=authors)
