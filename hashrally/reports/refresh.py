"""The worker's part for reports: fold new posts into counters, and rebuild the extras of
campaigns whose posts or supporters changed, at most every HASHRALLY_REPORT_EXTRAS_SECONDS."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.reports import fold
from hashrally.reports.figures import refresh_extras
from hashrally.reports.models import ReportExtras


def changed(campaign_ids: list[int]) -> None:
    """Mark campaigns (and the umbrellas above them) as having new data for their extras."""
    now = timezone.now()
    seen: set[int] = set()
    frontier = set(campaign_ids)
    while frontier:
        seen |= frontier
        frontier = {
            pk
            for pk in Campaign.objects.filter(pk__in=frontier).values_list("parent_id", flat=True)
            if pk is not None and pk not in seen
        }
    for campaign_id in seen:
        ReportExtras.objects.update_or_create(
            campaign_id=campaign_id, defaults={"posts_changed_at": now}
        )


def refresh_reports(*, budget_seconds: float = 10.0, now: dt.datetime | None = None) -> list[int]:
    """One worker round; returns the campaigns whose extras were rebuilt."""
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
        refresh_extras(extras.campaign)
        rebuilt.append(extras.campaign_id)
    return rebuilt
