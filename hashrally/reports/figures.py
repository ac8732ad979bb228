"""The report: every figure of a campaign, as one JSON-ready dict.

Two ways to the same counters:
- `counters_from_figures`: what the fold keeps up to date (reports/fold.py), read by the
  dashboard and the results page in one query;
- `counters_from_rows`: a full rebuild from the posts, for `hashrally report`.
Tests check that both give the same figures. What cannot be counted incrementally
(supporters de-duplicated across an umbrella, authenticity, top posts and authors) is computed
by `extras` from rows: by the worker into ReportExtras for the pages, directly for a report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection
from django.db.models import Max, Min, Sum
from django.utils import timezone

from hashrally.campaigns.models import Campaign, MessageVariant, Target
from hashrally.listening.models import CollectionRun
from hashrally.reports import fold
from hashrally.reports.fold import PENDING_COUNTRY, _q
from hashrally.reports.models import Figure, ReportExtras
from hashrally.supporters.models import Supporter
from hashrally.supporters.verification import verified_ids

Counters = dict[str, dict[str, int]]
TOP = 10
KINDS = ("original", "repost", "reply", "quote")


def family(campaign: Campaign) -> list[int]:
    return campaign.family_ids()


def counters_from_figures(campaign_id: int) -> Counters:
    counters: Counters = defaultdict(dict)
    for dimension, key, value in Figure.objects.filter(campaign_id=campaign_id).values_list(
        "dimension", "key", "value"
    ):
        if value:
            counters[dimension][key] = value
    return dict(counters)


def _hour_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24')"
    return f"substr({column}, 1, 10) || 'T' || substr({column}, 12, 2)"


def _elements_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"jsonb_array_elements_text({column})"
    return f"json_each({column})"


def _element_value() -> str:
    return "e" if connection.vendor == "postgresql" else "e.value"


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def counters_from_rows(campaign_id: int) -> Counters:
    """The fold's counters, computed again from the posts with a few grouped scans."""
    match, post, author = _q("listening_postmatch"), _q("listening_post"), _q("listening_author")
    joined = f"{match} m JOIN {post} p ON p.network = m.network AND p.post_id = m.post_id"
    c: dict[str, Counter[str]] = defaultdict(Counter)
    hour = _hour_sql("p.created_at")
    for network, kind, language, at, n, likes, reposts, replies, quotes, views, with_views in _rows(
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
    element = _element_value()
    for tag, n in _rows(
        f"SELECT {element}, COUNT(*) FROM {joined}, {_elements_sql('p.hashtags')} e "  # noqa: S608
        "WHERE m.campaign_id = %s GROUP BY 1",
        [campaign_id],
    ):
        c["hashtag"][tag] += n
    for network, handle, n in _rows(
        f"SELECT m.network, {element}, COUNT(*) FROM {match} m, {_elements_sql('m.targets')} e "  # noqa: S608
        "WHERE m.campaign_id = %s GROUP BY 1, 2",
        [campaign_id],
    ):
        c["target"][f"{network}:{handle}"] += n
    for network, posts, first, followers in _rows(
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
    for country, method, n in _rows(
        f"SELECT country, country_method, COUNT(*) FROM {_q('reports_campaignauthor')} "  # noqa: S608
        "WHERE campaign_id = %s GROUP BY 1, 2",
        [campaign_id],
    ):
        c["country"][country] += n
        if country != PENDING_COUNTRY:
            c["country_method"][method] += n
    return {d: {k: v for k, v in values.items() if v} for d, values in c.items() if values}


# --- what is computed from rows for both ------------------------------------------------------


def supporters_section(campaign: Campaign) -> dict[str, Any]:
    """Joined, confirmed and verified, by country and by day and hour. One person joining
    several campaigns of an umbrella (same email) counts once for it, in the country and at
    the time of their first join. Counted in SQL: a campaign may have millions of supporters."""
    ids = family(campaign)
    verified = verified_ids(campaign)
    table = _q(Supporter._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    # A person: their email's keyed hash, or the row itself when they gave no email (a hash is
    # 64 hex digits, an id never is).
    people = (
        f"SELECT COALESCE(email_hash, CAST(id AS TEXT)) AS person, MIN(id) AS first_id, "  # noqa: S608
        "MAX(CASE WHEN confirmed_at IS NULL THEN 0 ELSE 1 END) AS confirmed, "
        f"MIN(created_at) AS joined_at FROM {table} WHERE campaign_id IN ({marks}) GROUP BY 1"
    )
    first = f"JOIN {table} s ON s.id = people.first_id"
    by_country: dict[str, dict[str, int]] = {}
    for country, joined, confirmed in _rows(
        f"SELECT s.country, COUNT(*), SUM(people.confirmed) FROM ({people}) people {first} "  # noqa: S608
        "GROUP BY 1",
        ids,
    ):
        by_country[country] = {"joined": joined, "confirmed": int(confirmed or 0), "verified": 0}
    verified_people: dict[str, str] = {}
    if verified:
        chosen = sorted(verified)
        for start in range(0, len(chosen), 500):
            chunk = chosen[start : start + 500]
            for person, country in _rows(
                f"SELECT people.person, s.country FROM ({people}) people {first} "  # noqa: S608
                f"WHERE people.person IN (SELECT COALESCE(email_hash, CAST(id AS TEXT)) "
                f"FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))}))",
                [*ids, *chunk],
            ):
                verified_people[person] = country
    for country in verified_people.values():
        by_country[country]["verified"] += 1
    hour = _hour_sql("people.joined_at")
    hours = {
        at: n
        for at, n in _rows(
            f"SELECT {hour}, COUNT(*) FROM ({people}) people GROUP BY 1",  # noqa: S608
            ids,
        )
    }
    days: Counter[str] = Counter()
    for at, n in hours.items():
        days[at[:10]] += n
    return {
        "joined": sum(row["joined"] for row in by_country.values()),
        "confirmed": sum(row["confirmed"] for row in by_country.values()),
        "verified": len(verified_people),
        "by_country": dict(sorted(by_country.items(), key=lambda kv: (-kv[1]["joined"], kv[0]))),
        "joins_by_day": dict(sorted(days.items())),
        "joins_by_hour": dict(sorted(hours.items())),
    }


def _templates(ids: list[int]) -> list[str]:
    return list(MessageVariant.objects.filter(campaign_id__in=ids).values_list("text", flat=True))


def _stream(sql: str, params: list[Any], size: int = 10_000) -> Iterator[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(size):
            yield from rows


def _moment(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _epoch_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})::float8"
    return f"CAST(strftime('%%s', {column}) AS REAL)"


def _from_epoch(value: float | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value, dt.UTC)


def _from_epoch_sure(value: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(value, dt.UTC)


def extras(campaign: Campaign) -> dict[str, Any]:
    """Authenticity, top posts and authors, supporters, sources and the dataset hash."""
    # Imported here: datasketch loads scipy, half a second every command (they all import the
    # URLs for Django's checks) would pay for nothing.
    from hashrally.reports import authenticity

    ids = family(campaign)
    match, post, author = _q("listening_postmatch"), _q("listening_post"), _q("listening_author")
    # Times travel as epoch seconds: the driver turns a million timestamps into datetimes far
    # slower than into floats.
    created_of: dict[tuple[str, str], float | None] = {}
    profiles: dict[tuple[str, str], tuple[Any, ...]] = {}
    for network, author_id, created, *profile in _stream(
        f"SELECT a.network, a.author_id, {_epoch_sql('a.created_at')}, a.handle, a.name, "  # noqa: S608
        f"a.followers, a.following, a.description, a.bot_label FROM {author} a JOIN "
        f"{_q('reports_campaignauthor')} c ON c.network = a.network AND c.author_id = a.author_id "
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
    for network, post_id, author_id, kind, text, created, *metrics in _stream(
        f"SELECT p.network, p.post_id, p.author_id, p.kind, p.text, "  # noqa: S608
        f"{_epoch_sql('p.created_at')}, p.likes, p.reposts, p.replies, p.quotes, p.views "
        f"FROM {match} m JOIN {post} p ON p.network = m.network AND p.post_id = m.post_id "
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
    top_posts = [
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
        ) in _rows(
            f"SELECT p.network, p.url, p.author_id, p.author_handle, p.text, p.created_at, "  # noqa: S608
            f"p.likes, p.reposts, p.replies, p.quotes FROM {match} m JOIN {post} p "
            "ON p.network = m.network AND p.post_id = m.post_id WHERE m.campaign_id = %s "
            "ORDER BY COALESCE(p.likes, 0) + COALESCE(p.reposts, 0) + COALESCE(p.replies, 0) "
            "+ COALESCE(p.quotes, 0) DESC, p.network, p.post_id LIMIT %s",
            [campaign.pk, TOP],
        )
    ]
    top_authors = [
        {
            "network": network,
            "handle": profiles.get((network, author_id), ("",))[0] or author_id,
            "name": profiles.get((network, author_id), ("", ""))[1] or "",
            "followers": followers,
            "posts": posts,
        }
        for network, author_id, followers, posts in _rows(
            f"SELECT network, author_id, followers, posts FROM {_q('reports_campaignauthor')} "  # noqa: S608
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


def sources(ids: list[int]) -> list[dict[str, Any]]:
    rows = (
        CollectionRun.objects.filter(campaign_id__in=ids)
        .values("source")
        .annotate(
            read=Sum("read"),
            first=Min("since"),
            last=Max("until"),
            started=Min("started_at"),
            finished=Max("finished_at"),
        )
        .order_by("source")
    )
    out = []
    for row in rows:
        count = CollectionRun.objects.filter(campaign_id__in=ids, source=row["source"]).count()
        start = row["first"] or row["started"]
        end = row["last"] or row["finished"]
        out.append(
            {
                "source": row["source"],
                "runs": count,
                "posts_read": row["read"] or 0,
                "from": start.isoformat() if start else None,
                "to": end.isoformat() if end else None,
            }
        )
    return out


# --- the report -------------------------------------------------------------------------------


def _top(counts: dict[str, int], limit: int | None = None) -> dict[str, int]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return dict(ranked[:limit] if limit else ranked)


def _title(campaign: Campaign) -> str:
    text = campaign.texts.filter(language=campaign.default_language).first()
    return text.title if text else campaign.slug


def _series(
    name: str,
    posts: dict[str, int],
    authors: dict[str, int],
    joins: dict[str, int],
    suffix: str = "",
) -> list[dict[str, Any]]:
    """Posts, new authors and joins per period ("" is a post without a time: left out)."""
    return [
        {
            name: f"{period}{suffix}",
            "posts": posts.get(period, 0),
            "authors": authors.get(period, 0),
            "joins": joins.get(period, 0),
        }
        for period in sorted(set(posts) | set(authors) | set(joins))
        if period
    ]


def assemble(campaign: Campaign, counters: Counters, more: dict[str, Any]) -> dict[str, Any]:
    """The report dict (docs/metrics.md) from the counters and what `extras` computed."""
    total = counters.get("total", {})
    kinds = counters.get("kind", {})
    engagement = counters.get("engagement", {})
    supporters = more.get("supporters") or supporters_section(campaign)
    hours = sorted(h for h in counters.get("hour", {}) if h)
    days = counters.get("day", {})
    timeline = _series(
        "date",
        days,
        counters.get("day_authors", {}),
        supporters.get("joins_by_day", {}),
    )
    timeline_hourly = _series(
        "hour",
        counters.get("hour", {}),
        counters.get("hour_authors", {}),
        supporters.get("joins_by_hour", {}),
        suffix=":00Z",
    )
    countries = counters.get("country", {})
    placed = {k: v for k, v in countries.items() if k not in ("", PENDING_COUNTRY)}
    unplaced = countries.get("", 0) + countries.get(PENDING_COUNTRY, 0)
    authors = total.get("authors", 0)
    targets: dict[str, dict[str, Any]] = {}
    names = {
        (account.network, account.handle.casefold()): target.name
        for target in Target.objects.filter(campaign_id__in=family(campaign)).prefetch_related(
            "accounts"
        )
        for account in target.accounts.all()
    }
    for (network, handle), name in names.items():
        entry = targets.setdefault(handle, {"name": name, "total": 0, "by_network": {}})
        entry["by_network"].setdefault(network, 0)
    for key, n in counters.get("target", {}).items():
        network, handle = key.split(":", 1)
        entry = targets.setdefault(
            handle, {"name": names.get((network, handle), handle), "total": 0, "by_network": {}}
        )
        entry["total"] += n
        entry["by_network"][network] = entry["by_network"].get(network, 0) + n
    flagged = more.get("authenticity", {})
    posts_total = total.get("posts", 0)
    reach = total.get("potential_reach", 0)
    window_from = hours[0] + ":00:00+00:00" if hours else None
    window_to = hours[-1] + ":59:59+00:00" if hours else None
    return {
        "campaign": {
            "slug": campaign.slug,
            "title": _title(campaign),
            "umbrella": Campaign.objects.filter(parent=campaign).exists(),
            "children": list(
                Campaign.objects.filter(parent=campaign)
                .order_by("slug")
                .values_list("slug", flat=True)
            ),
        },
        "generated_at": timezone.now().isoformat(),
        "window": {"from": window_from, "to": window_to},
        "sources": more.get("sources", []),
        "supporters": {k: supporters[k] for k in ("joined", "confirmed", "verified", "by_country")},
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
            "views": engagement.get("views") if total.get("views_posts") else None,
            "posts_with_views": total.get("views_posts", 0),
            "countries": {
                "by_country": _top(placed),
                "by_method": _top(counters.get("country_method", {})),
                "unplaced": unplaced,
                "unplaced_share": round(unplaced / authors, 4) if authors else 0.0,
                "method": "estimate",
            },
            "top": more.get("top_authors", []),
        },
        "engagement": {
            name: engagement.get(name, 0) for name in ("likes", "reposts", "replies", "quotes")
        },
        "top_posts": more.get("top_posts", []),
        "targets": dict(sorted(targets.items(), key=lambda kv: (-kv[1]["total"], kv[0]))),
        "timeline": timeline,
        "timeline_hourly": timeline_hourly,
        "authenticity": {
            k: flagged.get(
                k, 0 if k not in ("suspect_clusters", "burst_windows", "bot_like_reasons") else []
            )
            for k in (
                "bot_like_authors",
                "bot_like_posts",
                "bot_like_reasons",
                "template_posts",
                "suspect_cluster_posts",
                "suspect_clusters",
                "bursts",
                "burst_windows",
            )
        },
        "headline": {
            "with_flagged": {"posts": posts_total, "authors": authors, "potential_reach": reach},
            "without_flagged": {
                "posts": posts_total - flagged.get("flagged_posts", 0),
                "authors": authors - flagged.get("flagged_authors", 0),
                "potential_reach": reach - flagged.get("flagged_reach", 0),
            },
        },
        "dataset_sha256": more.get("dataset_sha256", ""),
    }


def dashboard_report(campaign: Campaign) -> dict[str, Any]:
    """From the counters and the worker's extras: a few queries, whatever the campaign's size."""
    stored = ReportExtras.objects.filter(campaign=campaign).first()
    more = stored.data if stored else {}
    report = assemble(campaign, counters_from_figures(campaign.pk), more)
    report["built_at"] = stored.built_at.isoformat() if stored and stored.built_at else None
    return report


def full_report(
    campaign: Campaign, say: Callable[[str], object] = lambda stage: None
) -> dict[str, Any]:
    """Rebuilt from rows. What the worker has not done yet is done first (posts not yet folded
    give the campaign's authors, authors not placed yet their countries); the counters the
    fold keeps are not used. `say` hears each stage, for a progress line."""
    say("folding posts the worker has not counted yet")
    done, after = fold.fold(campaign.pk)
    while done:
        done, after = fold.fold(campaign.pk, after=after)
    say("placing authors not placed yet")
    while fold.place_authors(campaign.pk):
        pass
    say("counting posts, authors, languages, hashtags and targets")
    counters = counters_from_rows(campaign.pk)
    say("supporters, authenticity (text clusters, bursts, bot-like authors), top posts, hash")
    return assemble(campaign, counters, extras(campaign))


def refresh_extras(campaign: Campaign) -> ReportExtras:
    data = extras(campaign)
    fold.resync_followers(campaign.pk)
    stored, _ = ReportExtras.objects.update_or_create(
        campaign=campaign, defaults={"data": data, "built_at": timezone.now()}
    )
    return stored
