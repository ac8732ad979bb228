"""What worked: share clicks per network and per message variant, the campaign's posts that
follow each variant, and joins through supporters' personal links. Computed with the extras
(the worker) and by a report; a few grouped reads, none of every post."""

from __future__ import annotations

from django.db.models import Count

from hashrally.campaigns.models import Campaign, MessageVariant
from hashrally.reports import copies, sql
from hashrally.reports.models import CampaignText
from hashrally.reports.types import VariantFigures, WhatWorked
from hashrally.supporters.counts import leaderboard
from hashrally.supporters.models import ShareClick, Supporter


def what_worked(campaign: Campaign) -> WhatWorked:
    ids = campaign.family_ids()
    by_network: dict[str, int] = {}
    by_variant: dict[tuple[int, str], int] = {}
    for row in (
        ShareClick.objects.filter(campaign_id__in=ids)
        .values("campaign_id", "network", "variant")
        .annotate(n=Count("*"))
        .order_by()
    ):
        by_network[row["network"]] = by_network.get(row["network"], 0) + row["n"]
        if row["variant"]:
            key = (row["campaign_id"], row["variant"])
            by_variant[key] = by_variant.get(key, 0) + row["n"]
    # Posts that follow a variant: the fold keeps, per distinct text, the campaign text it
    # is most alike (reports/copies.py), as an index among the family's sorted texts.
    texts = copies.templates(campaign.pk)
    posts_by_text: dict[str, int] = {}
    for index, posts in sql.rows(
        f"SELECT variant, SUM(posts) FROM {sql.table(CampaignText)} "  # noqa: S608
        "WHERE campaign_id = %s AND variant IS NOT NULL GROUP BY variant",
        [campaign.pk],
    ):
        if 0 <= index < len(texts):
            posts_by_text[texts[index]] = posts_by_text.get(texts[index], 0) + int(posts)
    slugs = dict(Campaign.objects.filter(pk__in=ids).values_list("pk", "slug"))
    variants: list[VariantFigures] = [
        {
            "campaign": slugs[variant.campaign_id],
            "language": variant.language,
            "position": variant.position,
            "text": variant.text,
            "clicks": by_variant.get(
                (variant.campaign_id, f"{variant.language}:{variant.position}"), 0
            ),
            # A text used in two variants (two languages, say) counts in each: the posts
            # cannot tell which of the two pages it was taken from.
            "posts": posts_by_text.get(variant.text, 0),
        }
        for variant in MessageVariant.objects.filter(campaign_id__in=ids).order_by(
            "campaign__slug", "language", "position"
        )
    ]
    referred = Supporter.objects.filter(campaign_id__in=ids, referred_by__isnull=False)
    return {
        "clicks_by_network": dict(sorted(by_network.items(), key=lambda kv: (-kv[1], kv[0]))),
        "variants": variants,
        "referral_joins": referred.count(),
        "referrers": referred.values("referred_by").distinct().count(),
        "leaderboard": [
            {"name": str(name), "joins": int(str(joins))}
            for campaign_id in ids
            for name, joins in leaderboard(campaign_id)
        ],
    }
