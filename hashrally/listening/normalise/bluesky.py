"""Bluesky post views (app.bsky.feed.searchPosts / getPosts) to normalised records."""

from __future__ import annotations

from typing import Any

from hashrally.core.folding import fold_handle, fold_tag
from hashrally.listening.records import (
    AuthorRecord,
    Page,
    PostRecord,
    first_kind,
    hashtags_in,
    links_in,
    mentions_in,
    parse_time,
    unique,
)

NETWORK = "bluesky"


def web_url(uri: str, handle: str) -> str:
    # at://did/app.bsky.feed.post/rkey -> https://bsky.app/profile/handle/post/rkey
    rkey = uri.rsplit("/", 1)[-1]
    return f"https://bsky.app/profile/{handle}/post/{rkey}"


def author(view: dict[str, Any]) -> AuthorRecord:
    labels = {str(label.get("val")) for label in view.get("labels") or []}
    return AuthorRecord(
        network=NETWORK,
        author_id=str(view["did"]),
        handle=str(view.get("handle") or ""),
        name=str(view.get("displayName") or ""),
        followers=view.get("followersCount"),
        following=view.get("followsCount"),
        posts_count=view.get("postsCount"),
        created_at=parse_time(view.get("createdAt")),
        description=str(view.get("description") or ""),
        # Bluesky has a self-applied "bot" label; absent means unknown, not "human".
        bot_label=True if "bot" in labels else None,
    )


def _facets(record: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    tags, mentions, links = [], [], []
    for facet in record.get("facets") or []:
        for feature in facet.get("features") or []:
            kind = str(feature.get("$type") or "")
            if kind.endswith("#tag"):
                # Some clients write a tag facet with no tag, or with spaces around it.
                tag = str(feature.get("tag") or "").strip()
                if tag:
                    tags.append(fold_tag(tag))
            elif kind.endswith("#mention"):
                mentions.append(str(feature.get("did") or ""))
            elif kind.endswith("#link"):
                links.append(str(feature.get("uri") or ""))
    return tags, mentions, links


def post(view: dict[str, Any]) -> PostRecord:
    record = view.get("record") or {}
    author_view = view.get("author") or {}
    handle = str(author_view.get("handle") or "")
    text = str(record.get("text") or "")
    tags, mention_dids, links = _facets(record)
    kinds: dict[str, str] = {}
    if record.get("reply"):
        kinds["reply"] = str((record["reply"].get("parent") or {}).get("uri") or "")
    embed = record.get("embed") or {}
    if str(embed.get("$type") or "").startswith("app.bsky.embed.record"):
        quoted = embed.get("record") or {}
        quoted = quoted.get("record", quoted)
        kinds["quote"] = str(quoted.get("uri") or "")
    kind, refers_to = first_kind(kinds)
    langs = record.get("langs") or []
    # Mentions are facets pointing at DIDs; the handles as written in the text match targets.
    return PostRecord(
        network=NETWORK,
        post_id=str(view["uri"]),
        author_id=str(author_view.get("did") or ""),
        author_handle=handle,
        url=web_url(str(view["uri"]), handle),
        text=text,
        language=str(langs[0]) if langs else "",
        created_at=parse_time(record.get("createdAt") or view.get("indexedAt")),
        kind=kind,
        refers_to=refers_to,
        likes=view.get("likeCount"),
        reposts=view.get("repostCount"),
        replies=view.get("replyCount"),
        quotes=view.get("quoteCount"),
        # A client may mark some hashtags of a text as facets and not others: both count.
        hashtags=unique(tags + hashtags_in(text)),
        mentions=unique([fold_handle(m) for m in mentions_in(text)] + mention_dids),
        links=unique(links) or links_in(text),
    )


def normalise_posts(views: list[dict[str, Any]]) -> Page:
    posts = [post(v) for v in views]
    authors = {a.author_id: a for a in (author(v["author"]) for v in views if v.get("author"))}
    return Page(posts=posts, authors=list(authors.values()))
