"""What the counters do not say, computed from what the fold keeps and a few reads: supporters,
authenticity (bot-like authors, text clusters, bursts), top posts and authors, sources and the
dataset hash. The worker stores them for the pages (`refresh_extras`); a report computes them
directly."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Max, Min, Sum
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.listening import queries
from hashrally.listening.models import Author, CollectionRun, Post
from hashrally.reports import copies, flags, fold, sql
from hashrally.reports.models import CampaignAuthor, Figure, ReportExtras
from hashrally.reports.supporter_figures import supporters_section
from hashrally.reports.types import Extras, Source, TopAuthor, TopPost
from hashrally.reports.what_worked import what_worked

TOP = 10


def _moment(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def compute_extras(campaign: Campaign) -> Extras:
    """Authenticity, top posts and authors, supporters, sources and the dataset hash, from
    what the fold keeps (reports/fold.py, reports/copies.py): a few grouped scans of authors
    and distinct texts, and reads of the posts that matter (bot-like authors' posts, posts in
    the minutes where a burst can be, the top ten), never a read of every post."""
    ids = campaign.family_ids()
    running: dict[str, dict[str, int]] = {}
    for dimension, key, value in Figure.objects.filter(
        campaign=campaign, dimension__in=fold.RUNNING
    ).values_list("dimension", "key", "value"):
        running.setdefault(dimension, {})[key] = value
    bots = flags.bot_like_authors(campaign.pk)
    found_bursts = flags.bursts(campaign.pk)
    found = copies.clusters(campaign.pk)
    top_clusters = found.suspect[:TOP]
    samples = dict(
        sql.rows(
            f"SELECT network || ':' || post_id, text FROM {sql.table(Post)} "  # noqa: S608
            f"WHERE {' OR '.join(['(network = %s AND post_id = %s)'] * len(top_clusters))}",
            [part for _, _, key in top_clusters for part in key.split(":", 1)],
        )
        if top_clusters
        else []
    )
    bot_posts = sum(bot.posts for bot in bots.values())
    # Flagged: every post of a bot-like author, and suspect-cluster posts of the others.
    suspect_roots = {cluster for cluster, _, _ in found.suspect}
    suspect_by_bots = flags.suspect_posts_of(campaign.pk, list(bots), suspect_roots)
    flagged_posts = bot_posts + found.suspect_posts - suspect_by_bots
    flagged_authors = set(bots)
    reach_flagged = sum(bot.followers for bot in bots.values())
    top_posts: list[TopPost] = [
        {
            "network": network,
            "url": url,
            "author": handle or author_id,
            "text": text[:280],
            "created_at": moment.isoformat() if (moment := _moment(created)) else None,
            "likes": likes or 0,
            "reposts": reposts or 0,
            "replies": replies or 0,
            "quotes": quotes or 0,
        }
        for (
            network,
            url,
            author_id,
            handle,
            text,
            created,
            likes,
            reposts,
            replies,
            quotes,
        ) in sql.rows(
            f"SELECT p.network, p.url, p.author_id, p.author_handle, p.text, p.created_at, "  # noqa: S608
            f"p.likes, p.reposts, p.replies, p.quotes FROM {queries.matched_posts()} "
            # The fold's engagement, indexed (match_top): the ten are read, not sorted out.
            "WHERE m.campaign_id = %s AND m.engagement IS NOT NULL "
            "ORDER BY m.engagement DESC, p.network, p.post_id LIMIT %s",
            [campaign.pk, TOP],
        )
    ]
    top_authors: list[TopAuthor] = [
        {
            "network": network,
            "handle": handle or author_id,
            "name": name or "",
            "followers": followers,
            "posts": posts,
        }
        for network, author_id, followers, posts, handle, name in sql.rows(
            f"SELECT c.network, c.author_id, c.followers, c.posts, a.handle, a.name "  # noqa: S608
            f"FROM {sql.table(CampaignAuthor)} c LEFT JOIN {sql.table(Author)} a "
            "ON a.network = c.network AND a.author_id = c.author_id "
            "WHERE c.campaign_id = %s "
            "ORDER BY c.followers DESC, c.posts DESC, c.network, c.author_id LIMIT %s",
            [campaign.pk, TOP],
        )
    ]
    return {
        "supporters": supporters_section(campaign),
        "authenticity": {
            "bot_like_authors": len(bots),
            "bot_like_posts": bot_posts,
            "bot_like_reasons": dict(Counter(r for bot in bots.values() for r in bot.reasons)),
            "template_posts": found.template_posts,
            "suspect_cluster_posts": found.suspect_posts,
            "suspect_clusters": [
                {"posts": posts, "sample": (samples.get(key) or "")[:280]}
                for _, posts, key in top_clusters
            ],
            "bursts": len(found_bursts),
            "burst_windows": [
                {
                    "start": b.start.isoformat(),
                    "end": b.end.isoformat(),
                    "posts": b.posts,
                    "new_account_posts": b.new_account_posts,
                }
                for b in found_bursts
            ],
            "flagged_posts": flagged_posts,
            "flagged_authors": len(flagged_authors),
            "flagged_reach": reach_flagged,
        },
        "top_posts": top_posts,
        "top_authors": top_authors,
        "sources": sources(ids),
        "dataset_sha256": fold.dataset_hash(running.get("dataset", {})),
        "what_worked": what_worked(campaign),
    }


def sources(ids: list[int]) -> list[Source]:
    rows = (
        CollectionRun.objects.filter(campaign_id__in=ids)
        .values("source")
        .annotate(
            read=Sum("read"),
            off_topic=Sum("off_topic"),
            refused=Sum("errors"),
            first=Min("since"),
            last=Max("until"),
            started=Min("started_at"),
            finished=Max("finished_at"),
        )
        .order_by("source")
    )
    out: list[Source] = []
    for row in rows:
        count = CollectionRun.objects.filter(campaign_id__in=ids, source=row["source"]).count()
        start = row["first"] or row["started"]
        end = row["last"] or row["finished"]
        out.append(
            {
                "source": row["source"],
                "runs": count,
                "posts_read": row["read"] or 0,
                "posts_off_topic": row["off_topic"] or 0,
                "refused": row["refused"] or 0,
                "from": start.isoformat() if start else None,
                "to": end.isoformat() if end else None,
            }
        )
    return out


def refresh_extras(campaign: Campaign) -> ReportExtras:
    """The worker's rebuild of the campaign's extras; followers are brought up to date too."""
    data = compute_extras(campaign)
    fold.resync_followers(campaign.pk)
    now = timezone.now()
    stored, _ = ReportExtras.objects.update_or_create(
        campaign=campaign,
        defaults={
            "data": data,
            "built_at": now,
            "supporters": data["supporters"],
            "supporters_at": now,
        },
    )
    return stored
