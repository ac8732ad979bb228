"""X API v2 responses (search pages, stream lines, twarc2 JSONL lines) to normalised records.

Pure: a parsed response in, records out. Accepts both the older and the newer metric names
(retweet_count / repost_count, impression_count / view_count).
"""

from __future__ import annotations

from typing import Any, TypedDict

import msgspec

from hashrally.core.folding import fold_handle, fold_tag
from hashrally.listening.records import (
    AuthorRecord,
    Page,
    PostRecord,
    count,
    first_kind,
    hashtags_in,
    links_in,
    mentions_in,
    parse_time,
    unique,
)

NETWORK = "x"


# Only the fields the normaliser reads. Decoding into these skips the rest of a response (context
# annotations, media, polls, referenced posts) without building objects for it: half the cost
# of parsing a full twarc2 line, which is most of an import's time.
class _Tag(TypedDict, total=False):
    tag: Any


class _Mention(TypedDict, total=False):
    username: Any


class _Url(TypedDict, total=False):
    url: Any
    expanded_url: Any


class _Entities(TypedDict, total=False):
    hashtags: list[_Tag] | None
    mentions: list[_Mention] | None
    urls: list[_Url] | None


class _Reference(TypedDict, total=False):
    type: Any
    id: Any


class _Note(TypedDict, total=False):
    text: Any
    entities: _Entities | None


class _Tweet(TypedDict, total=False):
    id: Any
    text: Any
    author_id: Any
    created_at: Any
    lang: Any
    entities: _Entities | None
    public_metrics: dict[str, Any] | None
    referenced_tweets: list[_Reference] | None
    note_tweet: _Note | None


class _User(TypedDict, total=False):
    id: Any
    username: Any
    name: Any
    created_at: Any
    location: Any
    description: Any
    public_metrics: dict[str, Any] | None


class _Carried(TypedDict, total=False):
    hashtags: list[_Tag] | None
    mentions: list[_Mention] | None


class _CarriedNote(TypedDict, total=False):
    text: Any
    entities: _Carried | None


# A referenced post: only what decides whether a repost, quote or reply of it is a campaign's.
class _Referenced(TypedDict, total=False):
    id: Any
    entities: _Carried | None
    note_tweet: _CarriedNote | None


class _Includes(TypedDict, total=False):
    users: list[_User] | None
    tweets: list[_Referenced] | None


class _Meta(TypedDict, total=False):
    result_count: Any


class _Response(TypedDict, total=False):
    data: list[_Tweet] | _Tweet | None
    includes: _Includes | None
    errors: list[dict[str, Any]] | None
    meta: _Meta | None  # an empty page of results has only this


_DECODER = msgspec.json.Decoder(_Response)


def decode(raw: bytes) -> dict[str, Any]:
    """A response or twarc2 line, reduced to what `normalise_page` reads.

    Raises msgspec.DecodeError when it is not JSON, msgspec.ValidationError (naming the path,
    e.g. `$.data[0].entities`) when it is JSON of another shape."""
    return _DECODER.decode(raw)  # type: ignore[return-value]


_KINDS = {"retweeted": "repost", "replied_to": "reply", "quoted": "quote"}


def _metric(metrics: dict[str, Any], name: str, other: str = "") -> int | None:
    value = count(metrics.get(name))
    if value is None and other:
        return count(metrics.get(other))
    return value


def author(user: dict[str, Any]) -> AuthorRecord:
    metrics = user.get("public_metrics") or {}
    return AuthorRecord(
        network=NETWORK,
        author_id=str(user["id"]),
        handle=str(user.get("username") or ""),
        name=str(user.get("name") or ""),
        followers=_metric(metrics, "followers_count"),
        following=_metric(metrics, "following_count"),
        posts_count=_metric(metrics, "tweet_count", "post_count"),
        created_at=parse_time(user.get("created_at")),
        location=str(user.get("location") or ""),
        description=str(user.get("description") or ""),
        # X labels automated accounts only in its app; the API has no field for it yet.
        bot_label=None,
    )


def post(tweet: dict[str, Any], usernames: dict[str, str]) -> PostRecord:
    # A long post's full text and its entities are in note_tweet; `text` is cut at 280.
    note = tweet.get("note_tweet") or {}
    source = note if note.get("text") else tweet
    text = str(source.get("text") or "")
    listed = "entities" in source
    entities = source.get("entities") or {}
    metrics = tweet.get("public_metrics") or {}
    kind, refers_to = first_kind(
        {
            _KINDS[ref["type"]]: str(ref.get("id", ""))
            for ref in reversed(tweet.get("referenced_tweets") or [])
            if ref.get("type") in _KINDS
        }
    )
    author_id = str(tweet.get("author_id") or "")
    handle = usernames.get(author_id, "")
    tweet_id = str(tweet["id"])
    hashtags = [fold_tag(h["tag"]) for h in entities.get("hashtags") or [] if h.get("tag")]
    mentions = [
        fold_handle(m["username"]) for m in entities.get("mentions") or [] if m.get("username")
    ]
    links = [
        link for u in entities.get("urls") or [] if (link := u.get("expanded_url") or u.get("url"))
    ]
    language = str(tweet.get("lang") or "")
    return PostRecord(
        network=NETWORK,
        post_id=tweet_id,
        author_id=author_id,
        author_handle=handle,
        url=f"https://x.com/{handle or 'i'}/status/{tweet_id}",
        text=text,
        language="" if language in ("und", "qme", "qht", "zxx") else language,
        created_at=parse_time(tweet.get("created_at")),
        kind=kind,
        refers_to=refers_to,
        likes=_metric(metrics, "like_count"),
        reposts=_metric(metrics, "retweet_count", "repost_count"),
        replies=_metric(metrics, "reply_count"),
        quotes=_metric(metrics, "quote_count"),
        views=_metric(metrics, "impression_count", "view_count"),
        # X lists every hashtag, mention and link in `entities`; only a post without that field
        # (older exports) has them read from its text.
        hashtags=unique(hashtags) if listed else hashtags_in(text),
        mentions=unique(mentions) if listed else mentions_in(text),
        links=unique(links) if listed else links_in(text),
    )


class AuthorMemory:
    """Users already normalised with the same counts: page after page repeats the same accounts,
    and rebuilding their records was a fifth of an import's time. Bounded, so memory stays flat."""

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self.seen: dict[str, tuple[object, ...]] = {}

    @staticmethod
    def _stamp(user: dict[str, Any]) -> tuple[object, ...]:
        metrics = user.get("public_metrics") or {}
        return (user.get("username"), user.get("name"), *metrics.values())

    def fresh(self, user: dict[str, Any]) -> bool:
        return self.seen.get(str(user.get("id"))) != self._stamp(user)

    def remember(self, users: list[dict[str, Any]]) -> None:
        """Once their page is normalised whole: a page refused midway passed on none of them."""
        for user in users:
            if len(self.seen) >= self.size:
                self.seen.clear()
            self.seen[str(user.get("id"))] = self._stamp(user)


def normalise_page(page: dict[str, Any], memory: AuthorMemory | None = None) -> Page:
    """One API response: `data` (a list, or one post in stream output) plus `includes`."""
    if not any(key in page for key in ("data", "errors", "meta")):
        raise ValueError("not an X API v2 response: no data, meta or errors")
    if "data" not in page and "errors" in page:
        first = (page["errors"] or [{}])[0]
        return Page(api_error=str(first.get("detail") or first.get("message") or first)[:500])
    data = page.get("data") or []
    tweets = data if isinstance(data, list) else [data]
    includes = page.get("includes") or {}
    raw_users = [u for u in includes.get("users") or [] if u.get("id")]
    usernames = {str(u["id"]): str(u.get("username") or "") for u in raw_users}
    passed_on = [u for u in raw_users if memory is None or memory.fresh(u)]
    users = [author(u) for u in passed_on]
    # Referenced posts come in includes.tweets: they are public posts of the conversation too,
    # but only the ones the query returned are the campaign's posts. What they carry tells
    # whether a repost, quote or reply of them belongs to the campaign.
    referenced = {str(t["id"]): t for t in includes.get("tweets") or [] if t.get("id")}
    posts = [post(t, usernames) for t in tweets if t.get("id")]
    for record in posts:
        carried = referenced.get(record.refers_to)
        if carried is not None:
            record.context_hashtags, record.context_mentions = _tags_and_mentions(carried)
    if memory is not None:
        memory.remember(passed_on)
    return Page(posts=posts, authors=users)


def _tags_and_mentions(tweet: dict[str, Any]) -> tuple[list[str], list[str]]:
    note = tweet.get("note_tweet") or {}
    entities = (note if note.get("text") else tweet).get("entities") or {}
    tags = [fold_tag(h["tag"]) for h in entities.get("hashtags") or [] if h.get("tag")]
    mentions = [
        fold_handle(m["username"]) for m in entities.get("mentions") or [] if m.get("username")
    ]
    return unique(tags), unique(mentions)
