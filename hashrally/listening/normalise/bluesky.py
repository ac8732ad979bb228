"""Bluesky post views (app.bsky.feed.searchPosts / getPosts) to normalised records."""

from __future__ import annotations

from typing import Any

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
        followers=count(view.get("followersCount")),
        following=count(view.get("followsCount")),
        posts_count=count(view.get("postsCount")),
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
        likes=count(view.get("likeCount")),
        reposts=count(view.get("repostCount")),
        replies=count(view.get("replyCount")),
        quotes=count(view.get("quoteCount")),
        # A client may mark some hashtags of a text as facets and not others: both count.
        hashtags=unique(tags + hashtags_in(text)),
        mentions=unique([fold_handle(m) for m in mentions_in(text)] + mention_dids),
        links=unique(links) or links_in(text),
    )


def normalise_posts(views: list[dict[str, Any]]) -> Page:
    for n, view in enumerate(views, 1):
        _check_view(view, f"post {n}")
    posts = [post(v) for v in views]
    authors = {a.author_id: a for a in (author(v["author"]) for v in views if v.get("author"))}
    return Page(posts=posts, authors=list(authors.values()))


def _check_view(view: object, where: str) -> None:
    """A post without its uri, author or date is refused, never stored half-known."""
    if not isinstance(view, dict):
        raise ValueError(f"{where} is a JSON {type(view).__name__}, not a post view")
    record = view.get("record") or {}
    if not view.get("uri"):
        raise ValueError(f"{where} has no uri")
    if not (view.get("author") or {}).get("did"):
        raise ValueError(f"{where} has no author did")
    if not (record.get("createdAt") or view.get("indexedAt")):
        raise ValueError(f"{where} has no createdAt or indexedAt")


def _repost(item: dict[str, Any], shared: PostRecord) -> tuple[PostRecord, AuthorRecord]:
    """A feed item's `reason` of type reasonRepost: the reposter shared `shared` at
    `indexedAt`. The view carries no uri of the repost record itself, so it is keyed by the
    reposter and the post, which is what makes one repost."""
    reason = item["reason"]
    by = reason.get("by") or {}
    did = str(by.get("did") or "")
    if not did:
        raise ValueError("a repost reason has no reposter did")
    return (
        PostRecord(
            network=NETWORK,
            post_id=str(reason.get("uri") or f"{shared.post_id}#repost-by-{did}"),
            author_id=did,
            author_handle=str(by.get("handle") or ""),
            url=shared.url,
            created_at=parse_time(reason.get("indexedAt")) or shared.created_at,
            kind="repost",
            refers_to=shared.post_id,
            context_hashtags=shared.hashtags,
            context_mentions=shared.mentions,
        ),
        author(by),
    )


def _thread_views(thread: dict[str, Any]) -> list[dict[str, Any]]:
    """Every post of a getPostThread answer: the post, its parents up the thread, its replies
    down it (a blocked or deleted one comes without a post and is passed over)."""
    views: list[dict[str, Any]] = []
    node = thread.get("parent")
    while isinstance(node, dict):
        if isinstance(node.get("post"), dict):
            views.append(node["post"])
        node = node.get("parent")
    stack = [thread]
    while stack:
        node = stack.pop()
        if isinstance(node.get("post"), dict):
            views.append(node["post"])
        stack.extend(r for r in node.get("replies") or [] if isinstance(r, dict))
    return views


def normalise_items(items: list[Any]) -> Page:
    """Whatever Bluesky's read endpoints put in a list: post views (searchPosts, getPosts),
    feed items `{"post", "reply", "reason"}` (getAuthorFeed, getTimeline, feeds) and thread
    views (getPostThread). A feed item's reply parent is context for matching, not one of the
    answer's posts; a repost reason is a post of its own, by the reposter."""
    views: list[dict[str, Any]] = []
    reposts: list[tuple[int, dict[str, Any]]] = []
    parents: dict[int, dict[str, Any]] = {}
    for n, item in enumerate(items, 1):
        if isinstance(item, dict) and "uri" not in item and isinstance(item.get("post"), dict):
            if str(item.get("$type") or "").endswith("#threadViewPost") or "replies" in item:
                views += _thread_views(item)
                continue
            _check_view(item["post"], f"feed item {n}")
            views.append(item["post"])
            reason = item.get("reason") or {}
            if str(reason.get("$type") or "").endswith("#reasonRepost"):
                reposts.append((len(views) - 1, item))
            parent = (item.get("reply") or {}).get("parent")
            if isinstance(parent, dict) and parent.get("record"):
                parents[len(views) - 1] = parent
        else:
            views.append(item)
    page = normalise_posts(views)
    for index, parent in parents.items():
        carried = post(parent) if parent.get("uri") else None
        if carried is not None:
            page.posts[index].context_hashtags = carried.hashtags
            page.posts[index].context_mentions = carried.mentions
    known = {a.author_id for a in page.authors}
    for index, item in reposts:
        record, reposter = _repost(item, page.posts[index])
        page.posts.append(record)
        if reposter.author_id not in known:
            page.authors.append(reposter)
            known.add(reposter.author_id)
    return page
