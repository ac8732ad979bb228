"""Mastodon statuses (REST API JSON) to normalised records.

A status is identified by its ActivityPub `uri`, the same on every instance that shows it,
so the same post seen through several instances is stored once.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from hashrally.core.folding import fold_handle, fold_tag
from hashrally.listening.records import (
    AuthorRecord,
    Page,
    PostRecord,
    count,
    first_kind,
    links_in,
    parse_time,
    unique,
)

NETWORK = "mastodon"


class _Text(HTMLParser):
    """Status content is HTML; keep its text, with paragraphs and breaks as newlines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(content: str) -> str:
    parser = _Text()
    parser.feed(content or "")
    return html.unescape("".join(parser.parts)).strip()


def acct_of(account: dict[str, Any]) -> str:
    """user@server, even for local accounts whose `acct` is only "user"."""
    acct = str(account.get("acct") or account.get("username") or "")
    if "@" not in acct:
        host = urlsplit(str(account.get("url") or account.get("uri") or "")).netloc
        acct = f"{acct}@{host}" if host else acct
    return acct


def author(account: dict[str, Any]) -> AuthorRecord:
    return AuthorRecord(
        network=NETWORK,
        author_id=str(account.get("uri") or account.get("url") or acct_of(account)),
        handle=acct_of(account),
        name=str(account.get("display_name") or ""),
        followers=count(account.get("followers_count")),
        following=count(account.get("following_count")),
        posts_count=count(account.get("statuses_count")),
        created_at=parse_time(account.get("created_at")),
        description=text_of(str(account.get("note") or "")),
        bot_label=bool(account["bot"]) if isinstance(account.get("bot"), bool) else None,
    )


def post(status: dict[str, Any]) -> PostRecord:
    reblog = status.get("reblog")
    account = status.get("account") or {}
    text = text_of(str(status.get("content") or ""))
    kinds: dict[str, str] = {}
    if reblog:
        kinds["repost"] = str(reblog.get("uri") or "")
    if status.get("quote"):
        quoted = status["quote"].get("quoted_status") or status["quote"]
        kinds["quote"] = str(quoted.get("uri") or "") if isinstance(quoted, dict) else ""
    if status.get("in_reply_to_id"):
        # Mastodon gives the parent's local id only; its uri is not in the status.
        kinds["reply"] = ""
    kind, refers_to = first_kind(kinds)
    # A mention of an account on the post's own server has no host in its `acct`; its `url`
    # has it, and targets are written user@server.
    mentions = [fold_handle(acct_of(m)) for m in status.get("mentions") or []]
    return PostRecord(
        network=NETWORK,
        post_id=str(status["uri"]),
        author_id=str(account.get("uri") or account.get("url") or acct_of(account)),
        author_handle=acct_of(account),
        url=str(status.get("url") or status["uri"]),
        text=text,
        language=str(status.get("language") or ""),
        created_at=parse_time(status.get("created_at")),
        kind=kind,
        refers_to=refers_to,
        likes=count(status.get("favourites_count")),
        reposts=count(status.get("reblogs_count")),
        replies=count(status.get("replies_count")),
        quotes=count(status.get("quotes_count")),
        hashtags=unique(fold_tag(str(t.get("name") or "")) for t in status.get("tags") or []),
        mentions=unique(m for m in mentions if m),
        links=[u for u in links_in(text) if "/tags/" not in u],
    )


def check_status(status: object, where: str) -> None:
    """A status without its uri, account or date is refused, never stored half-known."""
    if not isinstance(status, dict):
        raise ValueError(f"{where} is a JSON {type(status).__name__}, not a status")
    for field in ("uri", "account", "created_at"):
        if not status.get(field):
            raise ValueError(f"{where} has no {field}")


def normalise_statuses(statuses: list[dict[str, Any]]) -> Page:
    for n, status in enumerate(statuses, 1):
        check_status(status, f"status {n}")
    posts = []
    for status in statuses:
        record = post(status)
        # A boost or quote carries the post it shares: its tags and mentions decide too.
        quoted = status.get("quote") or {}
        shared = status.get("reblog") or (
            quoted.get("quoted_status") if isinstance(quoted, dict) else None
        )
        if isinstance(shared, dict) and shared.get("uri"):
            inner = post(shared)
            record.context_hashtags, record.context_mentions = inner.hashtags, inner.mentions
        posts.append(record)
    authors = {a.author_id: a for a in (author(s.get("account") or {}) for s in statuses)}
    return Page(posts=posts, authors=list(authors.values()))
