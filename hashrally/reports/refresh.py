"""The worker's part for reports: fold new posts into counters, and rebuild the extras of
campaigns whose posts or supporters changed, at most every HASHRALLY_REPORT_EXTRAS_SECONDS."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.core.cooldown import CoolDown
from hashrally.reports import fold
from hashrally.reports.extras import refresh_extras
from hashrally.reports.models import ReportExtras
from hashrally.reports.supporter_figures import supporters_section


def changed(campaign_ids: list[int]) -> None:
    """Mark campaigns (and the umbrellas above them) as having new data for their extras."""
    now = timezone.now()
    for campaign_id in Campaign.ancestor_ids(campaign_ids):
        ReportExtras.objects.update_or_create(
            campaign_id=campaign_id, defaults={"posts_changed_at": now}
        )


# Campaigns whose supporters' section is due. A section de-duplicates every supporter of a
# campaign and its initiatives, 1.5 s for a million: all campaigns' sections together take at
# most HASHRALLY_RECOUNT_SHARE of the time (one budget, core/cooldown.py). A viral initiative
# is also in its umbrella's section, so one budget per campaign would have let their sections
# together take twice the share (bench/spike.py). What is due meanwhile is kept and done, the
# longest waiting first, when the wait ends.
_due: set[int] = set()
cooling = CoolDown(lambda: settings.HASHRALLY_RECOUNT_SHARE, shared=True)


def refresh_supporters(campaign_ids: list[int]) -> None:
    """Recount the supporters' section of campaigns whose supporters changed, and of the
    umbrellas above them: the dashboard then follows joins and confirmations as fast as the
    public counter, not at the extras' pace. Called every round, so sections put off by their
    cool-down are done as soon as it ends."""
    if campaign_ids:
        _due.update(Campaign.ancestor_ids(campaign_ids))
    for pk in cooling.order(_due):
        if not cooling.ready(pk):
            break
        _due.discard(pk)
        campaign = Campaign.objects.filter(pk=pk).first()  # None: deleted meanwhile
        if campaign is not None:
            cooling.run(pk, partial(_store_section, campaign))


def _store_section(campaign: Campaign) -> None:
    ReportExtras.objects.update_or_create(
        campaign=campaign,
        defaults={"supporters": supporters_section(campaign), "supporters_at": timezone.now()},
    )


def refresh_reports(
    *,
    budget_seconds: float = 10.0,
    now: dt.datetime | None = None,
    before_rebuild: Callable[[Campaign], object] = lambda campaign: None,
) -> list[int]:
    """One worker round; returns the campaigns whose extras were rebuilt. `before_rebuild` is
    the worker's step that brings what the extras read up to date (verifying supporters)."""
    folded = fold.fold_everything(budget_seconds=budget_seconds)
    changed([campaign_id for campaign_id, n in folded.items() if n])
    now = now or timezone.now()
    due = ReportExtras.objects.filter(
        Q(built_at=None) | Q(posts_changed_at__gt=F("built_at")),
        Q(built_at=None)
        | Q(built_at__lt=now - dt.timedelta(seconds=settings.HASHRALLY_REPORT_EXTRAS_SECONDS)),
    ).exclude(posts_changed_at=None)
    rebuilt = []
    for extras in due.select_related("campaign"):
        before_rebuild(extras.campaign)
        refresh_extras(extras.campaign)
        rebuilt.append(extras.campaign_id)
    return rebuilt
