"""What cannot be counted incrementally, computed from a campaign's rows: supporters,
authenticity (bot-like authors, text clusters, bursts), top posts and authors, sources and the
dataset hash. The worker stores them for the pages (`refresh_extras`); a report computes them
directly."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from typing import Any

from django.db.models import Max, Min, Sum
from django.utils import timezone

from hashrally.campaigns.models import Campaign, MessageVariant
from hashrally.listening import queries
from hashrally.listening.models import Author, CollectionRun
from hashrally.reports import fold, sql
from hashrally.reports.models import CampaignAuthor, ReportExtras
from hashrally.reports.supporter_figures import supporters_section
from hashrally.reports.types import Extras, Source, TopAuthor, TopPost

TOP = 10


def _templates(ids: list[int]) -> list[str]:
    return list(MessageVariant.objects.filter(campaign_id__in=ids).values_list("text", flat=True))


def _moment(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _from_epoch(value: float | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value, dt.UTC)


def _from_epoch_sure(value: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(value, dt.UTC)


def compute_extras(campaign: Campaign) -> Extras:
    """Authenticity, top posts and authors, supporters, sources and the dataset hash."""
    # Imported here: datasketch loads scipy, half a second every command (they all import the
    # URLs for Django's checks) would pay for nothing.
    from hashrally.reports import authenticity

    ids = campaign.family_ids()
    author = sql.table(Author)
    # Times travel as epoch seconds: the driver turns a million timestamps into datetimes far
    # slower than into floats.
    created_of: dict[tuple[str, str], float | None] = {}
    profiles: dict[tuple[str, str], tuple[Any, ...]] = {}
    for network, author_id, created, *profile in sql.stream(
        f"SELECT a.network, a.author_id, {sql.epoch('a.created_at')}, a.handle, a.name, "  # noqa: S608
        f"a.followers, a.following, a.description, a.bot_label FROM {author} a JOIN "
        f"{sql.table(CampaignAuthor)} c ON c.network = a.network AND c.author_id = a.author_id "
        "WHERE c.campaign_id = %s",
        [campaign.pk],
    ):
        created_of[network, author_id] = created
        profiles[network, author_id] = tuple(profile)
    # One pass over the posts: texts for clustering, times for bursts, each author's campaign
    # posts, and the dataset hash.
    digest = hashlib.sha256()
    texts: list[tuple[str, str]] = []
    text_author: dict[str, tuple[str, str]] = {}
    times: list[float] = []
    new_account: list[bool] = []
    per_author: dict[tuple[str, str], list[Any]] = {}  # [posts, first, last]
    new_span = authenticity.NEW_ACCOUNT_DAYS * 86400
    for network, post_id, author_id, kind, text, created, *metrics in sql.stream(
        f"SELECT p.network, p.post_id, p.author_id, p.kind, p.text, "  # noqa: S608
        f"{sql.epoch('p.created_at')}, p.likes, p.reposts, p.replies, p.quotes, p.views "
        f"FROM {queries.matched_posts()} "
        "WHERE m.campaign_id = %s ORDER BY p.network, p.post_id",
        [campaign.pk],
    ):
        digest.update(f"{network}\t{post_id}\t{author_id}\t{metrics}\n".encode())
        key = (network, author_id)
        seen = per_author.get(key)
        if seen is None:
            per_author[key] = [1, created, created]
        else:
            seen[0] += 1
            if created is not None:
                seen[1] = created if seen[1] is None else min(seen[1], created)
                seen[2] = created if seen[2] is None else max(seen[2], created)
        # A repost's text is the reposted one by design: not evidence of copying.
        if kind != "repost" and text:
            post_key = f"{network}:{post_id}"
            texts.append((post_key, text))
            text_author[post_key] = key
        if created is not None:
            account = created_of.get(key)
            times.append(created)
            new_account.append(account is not None and created - account < new_span)
    bots: dict[tuple[str, str], list[str]] = {}
    for key, (n, first, last) in per_author.items():
        _, name, followers, following, description, label = profiles.get(
            key, ("", "", None, None, "", None)
        )
        is_bot, reasons = authenticity.bot_like(
            authenticity.AuthorSignals(
                network=key[0],
                author_id=key[1],
                created_at=_from_epoch(created_of.get(key)),
                first_post_at=_from_epoch(first),
                posts_in_campaign=n,
                active_days=max((last - first) / 86400 if first and last else 0.0, 1 / 24),
                followers=followers,
                following=following,
                name=name or "",
                description=description or "",
                has_default_profile=None,
                bot_label=label,
            )
        )
        if is_bot:
            bots[key] = reasons
    found_bursts = authenticity.bursts(zip(map(_from_epoch_sure, times), new_account, strict=True))
    del times, new_account
    result = authenticity.clusters(texts, _templates(ids))
    samples = {cluster[0] for cluster in result.suspect_clusters[:TOP]}
    texts_of = {key: text for key, text in texts if key in samples}
    del texts
    bot_posts = sum(per_author[key][0] for key in bots)
    # Flagged: every post of a bot-like author, and suspect-cluster posts of the others.
    flagged_posts = bot_posts + sum(
        1 for post_key in result.suspect_posts if text_author[post_key] not in bots
    )
    flagged_authors = set(bots)
    reach_flagged = sum((profiles.get(a, ("", "", 0))[2] or 0) for a in flagged_authors)
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
            "WHERE m.campaign_id = %s "
            "ORDER BY COALESCE(p.likes, 0) + COALESCE(p.reposts, 0) + COALESCE(p.replies, 0) "
            "+ COALESCE(p.quotes, 0) DESC, p.network, p.post_id LIMIT %s",
            [campaign.pk, TOP],
        )
    ]
    top_authors: list[TopAuthor] = [
        {
            "network": network,
            "handle": profiles.get((network, author_id), ("",))[0] or author_id,
            "name": profiles.get((network, author_id), ("", ""))[1] or "",
            "followers": followers,
            "posts": posts,
        }
        for network, author_id, followers, posts in sql.rows(
            f"SELECT network, author_id, followers, posts FROM {sql.table(CampaignAuthor)} "  # noqa: S608
            "WHERE campaign_id = %s ORDER BY followers DESC, posts DESC, network, author_id "
            "LIMIT %s",
            [campaign.pk, TOP],
        )
    ]
    return {
        "supporters": supporters_section(campaign),
        "authenticity": {
            "bot_like_authors": len(bots),
            "bot_like_posts": bot_posts,
            "bot_like_reasons": dict(Counter(r for reasons in bots.values() for r in reasons)),
            "template_posts": len(result.template_posts),
            "suspect_cluster_posts": len(result.suspect_posts),
            "suspect_clusters": [
                {"posts": len(cluster), "sample": texts_of.get(cluster[0], "")[:280]}
                for cluster in result.suspect_clusters[:TOP]
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
        "dataset_sha256": digest.hexdigest(),
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
