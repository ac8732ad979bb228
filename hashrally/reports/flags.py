"""The authenticity rules (reports/authenticity.py) applied to what the fold keeps, so that a
report reads authors and the few posts that matter, not every post:

- bot-like authors: one scan of the campaign's authors, the rules' signals written in SQL to
  pick the candidates, `authenticity.bot_like` deciding on each;
- bursts: the counts per minute point to the only spans where one can be; their posts alone are
  read and passed to `authenticity.bursts`;
- suspect posts by bot-like authors: those authors' posts, looked up by author.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hashrally.core.sql import select_in
from hashrally.listening import queries
from hashrally.listening.models import Author, Post, PostMatch
from hashrally.reports import copies, sql
from hashrally.reports.models import CampaignAuthor, CampaignMinute

if TYPE_CHECKING:
    from hashrally.reports.authenticity import Burst


@dataclass(frozen=True, slots=True)
class Bot:
    posts: int
    followers: int
    reasons: list[str]


def _at(epoch: float | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.UTC)


def bot_like_authors(
    campaign_id: int, among: list[tuple[str, str]] | None = None
) -> dict[tuple[str, str], Bot]:
    """The campaign's bot-like authors (only `among` these (network, author id), if given),
    with their posts, followers and the signals that fired.

    The SQL writes each rule of `authenticity.bot_like` as a 0/1 signal and keeps the authors
    whose signals could make them bot-like (never stricter than the rule); the rule itself then
    decides on each, so there is one statement of it."""
    from hashrally.reports import authenticity as rules

    first, last = sql.epoch("c.first_at"), sql.epoch("c.last_at")
    created = sql.epoch("a.created_at")
    new_account = (
        f"{created} IS NOT NULL AND {first} IS NOT NULL AND {first} >= {created} "
        f"AND {first} - {created} < {rules.NEW_ACCOUNT_DAYS * 86400}"
    )
    span_days = (
        f"CASE WHEN {first} IS NOT NULL AND {last} IS NOT NULL AND {last} - {first} > "
        f"{rules.HIGH_RATE_MIN_SPAN_DAYS * 86400} THEN ({last} - {first}) / 86400.0 "
        f"ELSE {rules.HIGH_RATE_MIN_SPAN_DAYS} END"
    )
    high_rate = f"c.posts > {rules.HIGH_RATE_POSTS_PER_DAY} * {span_days}"
    no_description = sql.blank("COALESCE(a.description, '')")
    no_name = sql.blank("COALESCE(a.name, '')")
    empty_profile = f"{no_description} AND {no_name}"
    # Integers, not the rule's division: at least every author the rule flags.
    follow_ratio = (
        f"a.followers IS NOT NULL AND a.following IS NOT NULL "
        f"AND a.following >= {rules.FOLLOW_RATIO_MIN_FOLLOWING} "
        f"AND a.followers * {round(1 / rules.FOLLOW_RATIO_MAX)} <= a.following"
    )
    signals = " + ".join(
        f"CASE WHEN {s} THEN 1 ELSE 0 END"
        for s in (new_account, high_rate, empty_profile, follow_ratio)
    )
    only = ""
    params: list[object] = [campaign_id, True]
    if among is not None:
        if not among:
            return {}
        only = " AND (" + " OR ".join(["(c.network = %s AND c.author_id = %s)"] * len(among)) + ")"
        params += [part for author in among for part in author]
    found: dict[tuple[str, str], Bot] = {}
    for (
        network,
        author_id,
        posts,
        first_at,
        last_at,
        created_at,
        followers,
        following,
        name,
        description,
        label,
    ) in sql.stream(
        f"SELECT c.network, c.author_id, c.posts, {first}, {last}, {created}, a.followers, "  # noqa: S608
        f"a.following, a.name, a.description, a.bot_label FROM {sql.table(CampaignAuthor)} c "
        f"LEFT JOIN {sql.table(Author)} a ON a.network = c.network "
        "AND a.author_id = c.author_id WHERE c.campaign_id = %s "
        f"AND (a.bot_label = %s OR {signals} >= {rules.BOT_MIN_SIGNALS}){only}",
        params,
    ):
        active = (last_at - first_at) / 86400 if first_at and last_at else 0.0
        is_bot, reasons = rules.bot_like(
            rules.AuthorSignals(
                network=network,
                author_id=author_id,
                created_at=_at(created_at),
                first_post_at=_at(first_at),
                posts_in_campaign=posts,
                active_days=max(active, 1 / 24),
                followers=followers,
                following=following,
                name=name or "",
                description=description or "",
                has_default_profile=None,
                bot_label=label,
            )
        )
        if is_bot:
            found[network, author_id] = Bot(posts, followers or 0, reasons)
    return found


def bursts(campaign_id: int) -> list[Burst]:
    """`authenticity.bursts` over the campaign's posts, reading only the posts of the minutes
    where a qualifying window can start, and of the ten minutes after each.

    A window from a post in minute m holds posts of minutes m to m + 10 only, and every post of
    minutes m + 1 to m + 9. So it can qualify only if minutes m..m+10 hold at least `min_posts`
    posts, and at least `min_new_share` of `min_posts` that may be from new accounts, and at
    least `min_new_share` of the posts of minutes m+1..m+9 (CampaignMinute counts the posts of
    authors new or not known when folded: never fewer than the new ones)."""
    import numpy as np

    from hashrally.reports import authenticity as rules

    rows = sql.rows(
        f"SELECT minute, posts, maybe_new FROM {sql.table(CampaignMinute)} "  # noqa: S608
        "WHERE campaign_id = %s ORDER BY minute",
        [campaign_id],
    )
    if not rows:
        return []
    span = rules.BURST_WINDOW_MINUTES
    # Sparse: only the minutes with posts (a stray date decades off must not make an array of
    # every minute between).
    minutes = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    before_posts = np.concatenate(([0], np.cumsum([r[1] for r in rows], dtype=np.int64)))
    before_new = np.concatenate(([0], np.cumsum([r[2] for r in rows], dtype=np.int64)))

    def between(before: Any, low: Any, high: Any) -> Any:
        """Per minute m: the sum over minutes m + low to m + high - 1."""
        start = np.searchsorted(minutes, minutes + low, side="left")
        end = np.searchsorted(minutes, minutes + high, side="left")
        return before[end] - before[start]

    most_posts = between(before_posts, 0, span + 1)  # minutes m..m+10
    most_new = between(before_new, 0, span + 1)
    least_posts = between(before_posts, 1, span)  # minutes m+1..m+9
    least = rules.BURST_MIN_POSTS
    share = rules.BURST_MIN_NEW_SHARE
    can = (most_posts >= least) & (most_new >= share * least) & (most_new >= share * least_posts)
    starts = set(minutes[can].tolist())
    if not starts:
        return []
    # Each starting minute and the ten after it, joined where they touch.
    ranges: list[list[int]] = []
    for minute in sorted(starts):
        if ranges and minute <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], minute + span + 1)
        else:
            ranges.append([minute, minute + span + 1])
    events: list[tuple[dt.datetime, bool]] = []
    account_created, post_created = sql.epoch("a.created_at"), sql.epoch("p.created_at")
    for at_range in range(0, len(ranges), _RANGES_A_QUERY):
        chunk = ranges[at_range : at_range + _RANGES_A_QUERY]
        within = " OR ".join(["(p.created_at >= %s AND p.created_at < %s)"] * len(chunk))
        for created, account in sql.stream(
            f"SELECT {post_created}, {account_created} FROM {queries.matched_posts()} "  # noqa: S608
            f"LEFT JOIN {sql.table(Author)} a ON a.network = p.network "
            f"AND a.author_id = p.author_id WHERE m.campaign_id = %s AND ({within})",
            [campaign_id, *(_db(minute) for pair in chunk for minute in pair)],
        ):
            if created is None:
                continue
            is_new = account is not None and created - account < rules.NEW_ACCOUNT_DAYS * 86400
            events.append((dt.datetime.fromtimestamp(created, dt.UTC), is_new))
    return rules.bursts(events, starting=lambda moment: int(moment.timestamp() // 60) in starts)


_RANGES_A_QUERY = 100


def _db(minute: int) -> object:
    from django.db import connection

    return connection.ops.adapt_datetimefield_value(dt.datetime.fromtimestamp(minute * 60, dt.UTC))


def own_posts_query() -> str:
    """The texts of some authors' posts in a campaign ({marks}: their ids), reposts left out (a
    repost's text is the reposted one), through the partial index on (network, author id)."""
    return (
        f"SELECT p.text FROM {sql.table(Post)} p JOIN "  # noqa: S608 (names from the models)
        f"{sql.table(PostMatch)} m ON m.network = p.network AND m.post_id = p.post_id "
        "WHERE m.campaign_id = %s AND p.network = %s AND p.author_id IN ({marks}) "
        # Spelled as the partial index's condition, which SQLite needs to use it.
        "AND NOT (p.kind = 'repost')"
    )


def suspect_posts_of(campaign_id: int, authors: list[tuple[str, str]], suspect: set[int]) -> int:
    """How many of these authors' posts in the campaign are in the suspect clusters."""
    if not authors or not suspect:
        return 0
    from hashrally.reports import authenticity

    digests: list[str] = []
    for network in sorted({n for n, _ in authors}):
        for (text,) in select_in(
            own_posts_query(),
            [campaign_id, network],
            [a for n, a in authors if n == network],
        ):
            if text and (normalised := authenticity.normalise(text)):
                digests.append(authenticity.text_digest(normalised))
    cluster_of = copies.clusters_of(campaign_id, sorted(set(digests)))
    return sum(1 for d in digests if cluster_of.get(d) in suspect)
