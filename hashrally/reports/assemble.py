"""The report of a campaign, assembled from its counters and extras: for the pages from what
the worker keeps (`dashboard_report`), or rebuilt from rows for `hashrally report`
(`full_report`). docs/metrics.md defines each figure."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Max, Min, Q, Sum
from django.utils import timezone

from hashrally.campaigns.models import Campaign, Target, TargetResponse
from hashrally.core.folding import fold_handle
from hashrally.reports import fold
from hashrally.reports.counters import Counters, counters_from_figures, counters_from_rows
from hashrally.reports.extras import compute_extras
from hashrally.reports.fold import PENDING_COUNTRY
from hashrally.reports.models import CampaignMinute, ReportExtras
from hashrally.reports.supporter_figures import supporters_section
from hashrally.reports.types import (
    Authenticity,
    DashboardReport,
    DayCounts,
    Extras,
    FlaggedAuthenticity,
    HourCounts,
    MomentFigures,
    Report,
    SupportersSection,
    TargetCounts,
    TargetResponseEntry,
    WhatWorked,
)


def _top(counts: dict[str, int], limit: int | None = None) -> dict[str, int]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return dict(ranked[:limit] if limit else ranked)


def _title(campaign: Campaign) -> str:
    text = campaign.texts.filter(language=campaign.default_language).first()
    return text.title if text else campaign.slug


def _periods(
    posts: dict[str, int], authors: dict[str, int], joins: dict[str, int]
) -> list[tuple[str, int, int, int]]:
    """Posts, new authors and joins per period ("" is a post without a time: left out)."""
    return [
        (period, posts.get(period, 0), authors.get(period, 0), joins.get(period, 0))
        for period in sorted(set(posts) | set(authors) | set(joins))
        if period
    ]


def _targets(campaign: Campaign, counters: Counters) -> dict[str, TargetCounts]:
    """Posts mentioning each target account, by handle; targets not mentioned yet too."""
    targets: dict[str, TargetCounts] = {}
    names = {
        (account.network, fold_handle(account.handle)): target.name
        for target in Target.objects.filter(campaign_id__in=campaign.family_ids()).prefetch_related(
            "accounts"
        )
        for account in target.accounts.all()
    }
    for (network, handle), name in names.items():
        entry = targets.setdefault(
            handle, {"name": name, "total": 0, "by_network": {}, "by_day": {}}
        )
        entry["by_network"].setdefault(network, 0)
    for key, n in counters.get("target", {}).items():
        network, handle = key.split(":", 1)
        entry = targets.setdefault(
            handle,
            {
                "name": names.get((network, handle), handle),
                "total": 0,
                "by_network": {},
                "by_day": {},
            },
        )
        entry["total"] += n
        entry["by_network"][network] = entry["by_network"].get(network, 0) + n
    for key, n in sorted(counters.get("target_day", {}).items()):
        account, _, day = key.rpartition(" ")
        network, handle = account.split(":", 1)
        if handle in targets:
            per_day = targets[handle]["by_day"].setdefault(day, {})
            per_day[network] = per_day.get(network, 0) + n
    return dict(sorted(targets.items(), key=lambda kv: (-kv[1]["total"], kv[0])))


def _responses(campaign: Campaign) -> list[TargetResponseEntry]:
    """The log of what targets answered, oldest first, as the campaign's organisers keep it."""
    return [
        {
            "target": response.target.name,
            "date": response.date.isoformat(),
            "summary": response.summary,
            "url": response.url,
        }
        for response in TargetResponse.objects.filter(target__campaign_id__in=campaign.family_ids())
        .select_related("target")
        .order_by("date", "target__position", "id")
    ]


_NOTHING_WORKED: WhatWorked = {
    "clicks_by_network": {},
    "variants": [],
    "referral_joins": 0,
    "referrers": 0,
    "leaderboard": [],
}


def _moment(campaign: Campaign) -> MomentFigures | None:
    """The hour from the campaign moment against the rest of the window (first to last minute
    with a post), per minute, from the counts per minute the fold keeps."""
    if campaign.moment_at is None:
        return None
    start = int(campaign.moment_at.timestamp()) // 60
    minutes = CampaignMinute.objects.filter(campaign=campaign)
    window = minutes.aggregate(
        first=Min("minute"),
        last=Max("minute"),
        total=Sum("posts"),
        hour=Sum("posts", filter=Q(minute__gte=start, minute__lt=start + 60)),
    )
    first, last = window["first"], window["last"]
    total, hour = window["total"] or 0, window["hour"] or 0
    span = (last - first + 1) if first is not None else 0
    inside = max(0, min(last, start + 59) - max(first, start) + 1) if first is not None else 0
    rest_minutes, rest_posts = span - inside, total - hour
    ratio = None
    if inside and rest_minutes and rest_posts:
        ratio = round((hour / inside) / (rest_posts / rest_minutes), 2)
    return {
        "at": campaign.moment_at.isoformat(),
        "time_zone": campaign.moment_time_zone,
        "hour_posts": hour,
        "hour_minutes": inside,
        "rest_posts": rest_posts,
        "rest_minutes": rest_minutes,
        "times_the_rest": ratio,
    }


def _authenticity(flagged: FlaggedAuthenticity | None) -> Authenticity:
    """The report's signals: what the extras found, all zero before they are computed."""
    if flagged is None:
        return {
            "bot_like_authors": 0,
            "bot_like_posts": 0,
            "bot_like_reasons": {},
            "template_posts": 0,
            "suspect_cluster_posts": 0,
            "suspect_clusters": [],
            "bursts": 0,
            "burst_windows": [],
        }
    return {
        "bot_like_authors": flagged["bot_like_authors"],
        "bot_like_posts": flagged["bot_like_posts"],
        "bot_like_reasons": flagged["bot_like_reasons"],
        "template_posts": flagged["template_posts"],
        "suspect_cluster_posts": flagged["suspect_cluster_posts"],
        "suspect_clusters": flagged["suspect_clusters"],
        "bursts": flagged["bursts"],
        "burst_windows": flagged["burst_windows"],
    }


def assemble(
    campaign: Campaign,
    counters: Counters,
    more: Extras | None,
    supporters: SupportersSection | None = None,
) -> Report:
    """The report from the counters and what `compute_extras` computed (None: not yet);
    `supporters`, when given, is a fresher count of the supporters' section than `more`'s."""
    total = counters.get("total", {})
    kinds = counters.get("kind", {})
    engagement = counters.get("engagement", {})
    if supporters is None:
        supporters = more["supporters"] if more else supporters_section(campaign)
    hours = sorted(h for h in counters.get("hour", {}) if h)
    timeline: list[DayCounts] = [
        {"date": day, "posts": posts, "authors": authors, "joins": joins}
        for day, posts, authors, joins in _periods(
            counters.get("day", {}),
            counters.get("day_authors", {}),
            supporters["joins_by_day"],
        )
    ]
    timeline_hourly: list[HourCounts] = [
        {"hour": f"{hour}:00Z", "posts": posts, "authors": authors, "joins": joins}
        for hour, posts, authors, joins in _periods(
            counters.get("hour", {}),
            counters.get("hour_authors", {}),
            supporters["joins_by_hour"],
        )
    ]
    countries = counters.get("country", {})
    placed = {k: v for k, v in countries.items() if k not in ("", PENDING_COUNTRY)}
    unplaced = countries.get("", 0) + countries.get(PENDING_COUNTRY, 0)
    authors = total.get("authors", 0)
    flagged = more["authenticity"] if more else None
    posts_total = total.get("posts", 0)
    reach = total.get("potential_reach", 0)
    children = list(
        Campaign.objects.filter(parent=campaign).order_by("slug").values_list("slug", flat=True)
    )
    return {
        "campaign": {
            "slug": campaign.slug,
            "title": _title(campaign),
            "umbrella": Campaign.objects.filter(parent=campaign).exists(),
            "children": children,
        },
        "generated_at": timezone.now().isoformat(),
        "window": {
            "from": hours[0] + ":00:00+00:00" if hours else None,
            "to": hours[-1] + ":59:59+00:00" if hours else None,
        },
        "sources": more["sources"] if more else [],
        "supporters": {
            "joined": supporters["joined"],
            "confirmed": supporters["confirmed"],
            "verified": supporters["verified"],
            "by_country": supporters["by_country"],
        },
        "posts": {
            "total": posts_total,
            "originals": kinds.get("original", 0),
            "reposts": kinds.get("repost", 0),
            "replies": kinds.get("reply", 0),
            "quotes": kinds.get("quote", 0),
            "by_network": _top(counters.get("network", {})),
            "by_language": _top(counters.get("language", {})),
            "hashtags": [
                {"hashtag": tag, "posts": n}
                for tag, n in _top(counters.get("hashtag", {}), 20).items()
            ],
        },
        "authors": {
            "unique": authors,
            "by_network": _top(counters.get("authors_network", {})),
            "potential_reach": reach,
            "potential_impressions": total.get("potential_impressions", 0),
            # Zero when every post with a view count has 0 views; null when none has a count.
            "views": engagement.get("views", 0) if total.get("views_posts") else None,
            "posts_with_views": total.get("views_posts", 0),
            "countries": {
                "by_country": _top(placed),
                "by_method": _top(counters.get("country_method", {})),
                "unplaced": unplaced,
                "unplaced_share": round(unplaced / authors, 4) if authors else 0.0,
                "method": "estimate",
            },
            "top": more["top_authors"] if more else [],
        },
        "engagement": {
            "likes": engagement.get("likes", 0),
            "reposts": engagement.get("reposts", 0),
            "replies": engagement.get("replies", 0),
            "quotes": engagement.get("quotes", 0),
        },
        "top_posts": more["top_posts"] if more else [],
        "targets": _targets(campaign, counters),
        "target_responses": _responses(campaign),
        "moment": _moment(campaign),
        # Extras kept before this figure existed have none: zeros until the worker rebuilds.
        "what_worked": (more.get("what_worked") if more else None) or _NOTHING_WORKED,
        "timeline": timeline,
        "timeline_hourly": timeline_hourly,
        "authenticity": _authenticity(flagged),
        "headline": {
            "with_flagged": {"posts": posts_total, "authors": authors, "potential_reach": reach},
            "without_flagged": {
                "posts": posts_total - (flagged["flagged_posts"] if flagged else 0),
                "authors": authors - (flagged["flagged_authors"] if flagged else 0),
                "potential_reach": reach - (flagged["flagged_reach"] if flagged else 0),
            },
        },
        "dataset_sha256": more["dataset_sha256"] if more else "",
    }


def dashboard_report(campaign: Campaign) -> DashboardReport:
    """From the counters and the worker's extras: a few queries, whatever the campaign's size.
    Reads only: extras not built yet are left to the worker."""
    stored = ReportExtras.objects.filter(campaign=campaign).first()
    more: Extras | None = (stored.data or None) if stored else None
    built_at = stored.built_at.isoformat() if stored and stored.built_at else None
    fresh = stored.supporters if stored and stored.supporters_at else None
    if fresh is None and more is not None:
        counted_at = built_at  # the extras' own count
    elif fresh is not None and stored is not None and stored.supporters_at is not None:
        counted_at = stored.supporters_at.isoformat()
    else:
        counted_at = None  # counted now, from the rows
    report = assemble(campaign, counters_from_figures(campaign.pk), more, fresh)
    return {**report, "built_at": built_at, "supporters_at": counted_at}


class CountersDisagree(Exception):
    """The counters the fold kept differ from a count made again from the posts."""


def full_report(
    campaign: Campaign, say: Callable[[str], object] = lambda stage: None, *, recount: bool = False
) -> Report:
    """The report as of now: what the worker has not done yet is done first (posts not yet
    folded, authors not placed yet), then the counters and what the fold keeps are read, never
    every post. `recount` counts every counter again from the posts too (a few grouped scans of
    them) and raises CountersDisagree, naming the figures, when the two differ. `say` hears each
    stage, for a progress line."""
    say("folding posts the worker has not counted yet")
    # An umbrella's posts are its initiatives' too, carried to it as theirs are folded.
    for pk in reversed(campaign.family_ids()):
        done, after = fold.fold(pk)
        while done:
            done, after = fold.fold(pk, after=after)
    say("placing authors not placed yet")
    placed, after = fold.place_authors(campaign.pk)
    while placed:
        placed, after = fold.place_authors(campaign.pk, after=after)
    # Reach follows the authors' latest follower counts, as the worker's rebuild does.
    fold.resync_followers(campaign.pk)
    counters = counters_from_figures(campaign.pk)
    if recount:
        say("counting posts, authors, languages, hashtags and targets again from the posts")
        _check(counters, counters_from_rows(campaign.pk))
    say("supporters, authenticity (text clusters, bursts, bot-like authors), top posts, hash")
    return assemble(campaign, counters, compute_extras(campaign))


def _check(kept: Counters, counted: Counters) -> None:
    wrong = [
        f"{dimension} {key!r}: {kept.get(dimension, {}).get(key, 0)} kept, "
        f"{counted.get(dimension, {}).get(key, 0)} counted"
        for dimension in sorted(set(kept) | set(counted))
        for key in sorted(set(kept.get(dimension, {})) | set(counted.get(dimension, {})))
        if kept.get(dimension, {}).get(key, 0) != counted.get(dimension, {}).get(key, 0)
    ]
    if wrong:
        shown = "; ".join(wrong[:10]) + (f"; and {len(wrong) - 10} more" if len(wrong) > 10 else "")
        raise CountersDisagree(f"the counters differ from a count of the posts: {shown}")
