"""Periodic clean-up of personal traces."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.supporters.actions import do_anonymise
from hashrally.supporters.models import Supporter


def purge_ip_hashes(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.HASHRALLY_IP_HASH_DAYS)
    # No updated_at change: dropping an audit trace is not a change the counts care about.
    return Supporter.objects.filter(ip_hash__isnull=False, created_at__lt=cutoff).update(
        ip_hash=None
    )


def expired_campaigns(today: dt.date) -> list[Campaign]:
    """Closed campaigns whose retention period has run out since they ended."""
    out = []
    for campaign in Campaign.objects.filter(status=Campaign.Status.CLOSED):
        ended = campaign.ends_on or campaign.updated_at.date()
        if ended + dt.timedelta(days=campaign.retention_days) < today:
            out.append(campaign)
    return out


def anonymise_expired(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    done = {}
    for campaign in expired_campaigns(now.date()):
        pending = Supporter.objects.filter(campaign=campaign).filter(Q(anonymised_at__isnull=True))
        done[campaign.slug] = do_anonymise(pending, now)
    return done
