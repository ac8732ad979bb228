"""One reminder email shortly before a campaign moment, to confirmed supporters who asked for
one when they joined (or later, on their data page). People still post by their own hand: the
mail says when and links to the page."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.supporters.models import MAILABLE, MailJob, Supporter


def wanted(supporter: Supporter) -> bool:
    """Asked for it, still has a confirmed address: checked again when the mail is sent."""
    return supporter.remind_me and supporter.mailable


def queue_due_reminders(now: dt.datetime | None = None) -> int:
    """Queue the reminders of every live campaign whose moment is within the next
    HASHRALLY_REMINDER_MINUTES; return how many. One per supporter and moment, however often
    this runs and however many workers run it (a unique constraint settles races); a moment
    moved later is another moment, and reminded again."""
    now = now or timezone.now()
    soon = now + dt.timedelta(minutes=settings.HASHRALLY_REMINDER_MINUTES)
    queued = 0
    for campaign in Campaign.objects.filter(
        status=Campaign.Status.LIVE, moment_at__gt=now, moment_at__lte=soon
    ):
        asked = Supporter.objects.filter(MAILABLE, campaign=campaign, remind_me=True).exclude(
            mail_jobs__kind=MailJob.Kind.REMINDER, mail_jobs__moment_at=campaign.moment_at
        )
        jobs = [
            MailJob(
                supporter=supporter,
                kind=MailJob.Kind.REMINDER,
                moment_at=campaign.moment_at,
                next_attempt_at=now,
                address_encrypted=supporter.email_encrypted,
                address_hash=supporter.email_hash or "",
            )
            for supporter in asked.only("id", "email_encrypted", "email_hash")
        ]
        MailJob.objects.bulk_create(jobs, ignore_conflicts=True)
        queued += len(jobs)
    return queued
