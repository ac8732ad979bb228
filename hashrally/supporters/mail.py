"""Sending queued mail: claim due jobs, send, and retry failures with growing delays."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from hashrally.campaigns import pages
from hashrally.supporters import crypto, links
from hashrally.supporters.models import MailJob

log = logging.getLogger(__name__)
CLAIM = dt.timedelta(minutes=5)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def _claim(limit: int, now: dt.datetime) -> list[MailJob]:
    # skip_locked lets several workers share the queue on PostgreSQL; SQLite serialises writers.
    with transaction.atomic():
        jobs = list(
            MailJob.objects.select_for_update(skip_locked=True)
            .filter(status=MailJob.Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .select_related("supporter__campaign")
            .order_by("next_attempt_at")[:limit]
        )
        MailJob.objects.filter(id__in=[j.id for j in jobs]).update(claimed_until=now + CLAIM)
    return jobs


def build_message(job: MailJob) -> EmailMessage:
    supporter = job.supporter
    campaign = supporter.campaign
    with translation.override(supporter.language or campaign.default_language):
        language = pages.language_of(campaign, supporter.language, supporter.language)
        text = pages.text_in(campaign, language)
        context = {
            "title": text.title if text else campaign.slug,
            "confirm_url": links.confirm_url(supporter),
            "my_data_url": links.my_data_url(
                supporter, links.MY_DATA_LONG if job.kind == MailJob.Kind.CONFIRM else links.MY_DATA
            ),
            "campaign_url": links.site_url() + campaign.get_absolute_url(),
        }
        subject = render_to_string(f"supporters/mail/{job.kind}_subject.txt", context).strip()
        body = render_to_string(f"supporters/mail/{job.kind}.txt", context)
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[crypto.decrypt(supporter.email_encrypted)],
    )


def send_due_mail(limit: int = 50, now: dt.datetime | None = None) -> tuple[int, int]:
    """Send what is due; return (sent, failed attempts)."""
    now = now or timezone.now()
    sent = failed = 0
    for job in _claim(limit, now):
        try:
            if not job.supporter.email_encrypted:
                raise ValueError("the supporter no longer has an email address")
            build_message(job).send()
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            failed += 1
            job.attempts += 1
            job.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            job.next_attempt_at = now + backoff(job.attempts)
            if job.attempts >= settings.HASHRALLY_MAIL_MAX_ATTEMPTS or isinstance(exc, ValueError):
                job.status = MailJob.Status.FAILED
            log.warning("mail %s attempt %s failed: %s", job.id, job.attempts, job.last_error)
        else:
            sent += 1
            job.status = MailJob.Status.SENT
            job.sent_at = timezone.now()
        job.claimed_until = None
        job.save(
            update_fields=[
                "status",
                "attempts",
                "last_error",
                "next_attempt_at",
                "claimed_until",
                "sent_at",
            ]
        )
    return sent, failed
