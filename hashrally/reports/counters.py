"""A campaign's counters (dimension -> key -> value): as the fold keeps them in Figure rows, or
counted again from the posts in a few grouped scans. Tests check that both agree."""

from __future__ import annotations

from collections import Counter, defaultdict

from hashrally.listening import queries
from hashrally.listening.models import Author, PostMatch
from hashrally.reports import fold, sql
from hashrally.reports.fold import PENDING_COUNTRY
from hashrally.reports.models import CampaignAuthor, Figure

Counters = dict[str, dict[str, int]]


def counters_from_figures(campaign_id: int) -> Counters:
    """What the fold (reports/fold.py) keeps up to date: one query, for the pages."""
    counters: Counters = defaultdict(dict)
    # The running figures behind the extras (fold.RUNNING) are read by compute_extras alone.
    for dimension, key, value in (
        Figure.objects.filter(campaign_id=campaign_id)
        .exclude(dimension__in=fold.RUNNING)
        .values_list("dimension", "key", "value")
    ):
        if value:
            counters[dimension][key] = value
    return dict(counters)


def counters_from_rows(campaign_id: int) -> Counters:
    """The fold's counters, computed again from the posts with a few grouped scans."""
    match, author = sql.table(PostMatch), sql.table(Author)
    joined = queries.matched_posts()
    c: dict[str, Counter[str]] = defaultdict(Counter)
    hour = sql.hour("p.created_at")
    for (
        network,
        kind,
        language,
        at,
        n,
        likes,
        reposts,
        replies,
        quotes,
        views,
        with_views,
    ) in sql.rows(
        f"SELECT p.network, p.kind, p.language, {hour}, COUNT(*), SUM(p.likes), "  # noqa: S608
        f"SUM(p.reposts), SUM(p.replies), SUM(p.quotes), SUM(p.views), COUNT(p.views) "
        f"FROM {joined} WHERE m.campaign_id = %s GROUP BY 1, 2, 3, 4",
        [campaign_id],
    ):
        at = at or ""
        c["total"]["posts"] += n
        c["total"]["views_posts"] += with_views
        c["network"][network] += n
        c["kind"][kind] += n
        c["language"][language or ""] += n
        c["day"][at[:10]] += n
        c["hour"][at] += n
        for name, value in zip(fold.METRICS, (likes, reposts, replies, quotes, views), strict=True):
            c["engagement"][name] += int(value or 0)
    element = sql.element()
    for tag, n in sql.rows(
        f"SELECT {element}, COUNT(*) FROM {joined}, {sql.json_elements('p.hashtags')} e "  # noqa: S608
        "WHERE m.campaign_id = %s GROUP BY 1",
        [campaign_id],
    ):
        c["hashtag"][tag] += n
    for network, handle, n in sql.rows(
        f"SELECT m.network, {element}, COUNT(*) FROM {match} m, "  # noqa: S608
        f"{sql.json_elements('m.targets')} e WHERE m.campaign_id = %s GROUP BY 1, 2",
        [campaign_id],
    ):
        c["target"][f"{network}:{handle}"] += n
    for network, handle, at, n in sql.rows(
        f"SELECT m.network, {element}, {hour}, COUNT(*) FROM {joined}, "  # noqa: S608
        f"{sql.json_elements('m.targets')} e WHERE m.campaign_id = %s GROUP BY 1, 2, 3",
        [campaign_id],
    ):
        c["target_day"][f"{network}:{handle} {(at or '')[:10]}"] += n
    for network, posts, first, followers in sql.rows(
        f"SELECT p.network, COUNT(*), MIN({hour}), MAX(COALESCE(a.followers, 0)) "  # noqa: S608
        f"FROM {joined} LEFT JOIN {author} a "
        "ON a.network = p.network AND a.author_id = p.author_id "
        "WHERE m.campaign_id = %s GROUP BY p.network, p.author_id",
        [campaign_id],
    ):
        first = first or ""
        c["total"]["authors"] += 1
        c["total"]["potential_reach"] += followers
        c["total"]["potential_impressions"] += followers * posts
        c["authors_network"][network] += 1
        c["day_authors"][first[:10]] += 1
        c["hour_authors"][first] += 1
    # Countries are estimated once per author and kept (reports/geo.py); a rebuild places the
    # ones not placed yet first.
    for country, method, n in sql.rows(
        f"SELECT country, country_method, COUNT(*) FROM {sql.table(CampaignAuthor)} "  # noqa: S608
        "WHERE campaign_id = %s GROUP BY 1, 2",
        [campaign_id],
    ):
        c["country"][country] += n
        if country != PENDING_COUNTRY:
            c["country_method"][method] += n
    return {d: {k: v for k, v in values.items() if v} for d, values in c.items() if values}
