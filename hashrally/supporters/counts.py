"""Public counts, rebuilt from supporters' rows by the worker and read by pages as one row.

Pages never count supporters themselves (a spike of readers would then be a spike of
aggregate queries), and joins never increment a shared row (a spike of joins would queue on
its lock). Instead the worker recounts a campaign from its rows, through the covering index,
whenever rows changed since the last count; a full recount of every campaign runs daily.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.core.cooldown import CoolDown
from hashrally.supporters.models import CampaignCounts, ShareClick, Supporter

GOAL_STEPS = (100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000)


def is_stale(campaign_id: int, counts: CampaignCounts | None) -> bool:
    if counts is None or counts.source_changed_at is None or counts.refreshed_at is None:
        return True
    return (
        Supporter.objects.filter(
            campaign_id=campaign_id, updated_at__gt=counts.source_changed_at
        ).exists()
        or ShareClick.objects.filter(
            campaign_id=campaign_id, clicked_at__gt=counts.refreshed_at
        ).exists()
    )


LEADERBOARD = 10


def leaderboard(campaign_id: int) -> list[list[object]]:
    """[name, joins] of the supporters whose personal link brought the most others, among
    those who agreed to be named there: shown names only (confirmed, not hidden by an
    organiser), as on the list of names."""
    named = public_names(campaign_id).filter(on_leaderboard=True)
    # Confirmed joins only: joins without an address cost nothing to make up.
    rows = (
        Supporter.objects.filter(
            campaign_id=campaign_id,
            referred_by__in=named.values("pk"),
            confirmed_at__isnull=False,
            anonymised_at__isnull=True,
        )
        .values("referred_by__display_name", "referred_by")
        .annotate(joins=Count("*"))
        .order_by("-joins", "referred_by")[:LEADERBOARD]
    )
    return [[row["referred_by__display_name"], row["joins"]] for row in rows]


def public_names(campaign: Campaign | int) -> QuerySet[Supporter]:
    """Supporters listed by name on the campaign's page, newest first: those who confirmed
    their address and chose to show their name, unless an organiser hid it. A name typed
    without an address is never listed: anyone could type anyone's."""
    return (
        Supporter.objects.filter(
            campaign_id=campaign if isinstance(campaign, int) else campaign.pk,
            show_name=True,
            name_hidden=False,
            confirmed_at__isnull=False,
            anonymised_at__isnull=True,
        )
        .exclude(display_name="")
        .order_by("-confirmed_at", "-id")
        .only("display_name", "country", "confirmed_at")
    )


# Names on the campaign page; the rest are on its list of supporters.
NAMES_ON_PAGE = 12


def recount(campaign_id: int) -> CampaignCounts:
    now = timezone.now()
    # Read the newest change first: rows changing during the count make the next check stale.
    newest = Supporter.objects.filter(campaign_id=campaign_id).aggregate(m=Max("updated_at"))["m"]
    rows = (
        Supporter.objects.filter(campaign_id=campaign_id)
        .values("country")
        .annotate(n_joined=Count("*"), n_confirmed=Count("confirmed_at"))
        .order_by()
    )
    by_country = {r["country"]: [r["n_joined"], r["n_confirmed"]] for r in rows}
    clicks = (
        ShareClick.objects.filter(campaign_id=campaign_id)
        .values("network")
        .annotate(n=Count("*"))
        .order_by()
    )
    counts, _ = CampaignCounts.objects.update_or_create(
        campaign_id=campaign_id,
        defaults={
            "joined": sum(j for j, _ in by_country.values()),
            "confirmed": sum(c for _, c in by_country.values()),
            "countries": len(by_country),
            "by_country": dict(sorted(by_country.items(), key=lambda kv: (-kv[1][0], kv[0]))),
            "share_clicks": {r["network"]: r["n"] for r in clicks},
            # The page shows these from this row: a page view never reads supporters.
            "names": [
                [s.display_name, s.country] for s in public_names(campaign_id)[:NAMES_ON_PAGE]
            ],
            "leaderboard": leaderboard(campaign_id),
            "source_changed_at": newest or now,
            "refreshed_at": now,
        },
    )
    return counts


# A recount reads every supporter row of a campaign; a viral campaign's takes a tenth of a
# second per million, and recounting it after every round kept a core busy for as long as
# joins came, starving the pages (bench/spike.py). All campaigns' recounts together take at
# most HASHRALLY_RECOUNT_SHARE of the time (one budget, the longest waiting first); the page's
# "Counted at" says how old its figures are.
cooling = CoolDown(lambda: settings.HASHRALLY_RECOUNT_SHARE, shared=True)


def refresh_counts(*, full: bool = False) -> list[int]:
    """Recount every campaign whose rows changed (or all, when `full`); return their ids."""
    existing = {c.campaign_id: c for c in CampaignCounts.objects.all()}
    done = []
    for campaign_id in cooling.order(Campaign.objects.values_list("id", flat=True)):
        if full or is_stale(campaign_id, existing.get(campaign_id)):
            if not full and not cooling.ready(campaign_id):
                break  # the budget is spent; the rest wait, first in line next time
            cooling.run(campaign_id, partial(recount, campaign_id))
            done.append(campaign_id)
    return done


@dataclass(frozen=True)
class Progress:
    joined: int
    confirmed: int
    countries: int
    goal: int
    percent: int
    updated_at: dt.datetime | None


def progress(campaign: Campaign, counts: CampaignCounts | None) -> Progress:
    joined = counts.joined if counts else 0
    goal = campaign.goal or next_goal(joined)
    return Progress(
        joined=joined,
        confirmed=counts.confirmed if counts else 0,
        countries=counts.countries if counts else 0,
        goal=goal,
        percent=min(100, joined * 100 // goal) if goal else 0,
        updated_at=counts.refreshed_at if counts else None,
    )


def next_goal(joined: int) -> int:
    """A goal just above the count that rises in steps, so progress is always visible."""
    for step in GOAL_STEPS:
        if joined < step:
            return step
    top = GOAL_STEPS[-1]
    return (joined // top + 1) * top
