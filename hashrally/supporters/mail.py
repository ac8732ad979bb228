"""Sending queued mail: claim due jobs, send, and retry failures with growing delays."""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from hashrally.campaigns import pages
from hashrally.core import locales
from hashrally.supporters import crypto, links, reminders, updates
from hashrally.supporters.models import MailJob

log = logging.getLogger(__name__)
CLAIM = dt.timedelta(minutes=5)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def _updates_allowed(now: dt.datetime) -> int:
    """Update mails that may still go this minute. Queueing spaces them out already; this keeps
    the pace when they all came due at once (workers down for a while), across workers."""
    recent = MailJob.objects.filter(
        kind=MailJob.Kind.UPDATE, sent_at__gt=now - dt.timedelta(minutes=1)
    ).count()
    return max(0, settings.HASHRALLY_UPDATES_PER_MINUTE - recent)


def _claim(limit: int, now: dt.datetime) -> list[MailJob]:
    # skip_locked lets several workers share the queue on PostgreSQL; SQLite serialises writers.
    with transaction.atomic():
        due = (
            # Only the jobs' rows are locked: PostgreSQL refuses to lock the nullable side of
            # the outer join to an update.
            MailJob.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=MailJob.Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .select_related("supporter__campaign", "update")
            .order_by("next_attempt_at")
        )
        # Confirmations and the like first; updates within their pace.
        jobs = list(due.exclude(kind=MailJob.Kind.UPDATE)[:limit])
        room = min(limit - len(jobs), _updates_allowed(now))
        if room > 0:
            jobs += list(due.filter(kind=MailJob.Kind.UPDATE)[:room])
        MailJob.objects.filter(id__in=[j.id for j in jobs]).update(claimed_until=now + CLAIM)
    return jobs


# An address in an SMTP answer or an exception, masked before it is kept or logged.
_ADDRESS = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")


def mask(text: str) -> str:
    """Addresses in `text` as m***@e***.org: enough to tell two apart, not to read one."""

    def masked(found: re.Match[str]) -> str:
        local, _, domain = found.group(0).partition("@")
        host, _, tld = domain.rpartition(".")
        return f"{local[:1]}***@{host[:1]}***.{tld}"

    return _ADDRESS.sub(masked, text)


def _permanent(exc: Exception) -> bool:
    """A 5xx answer (unknown user, refused): trying again cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(int(code) >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = [f"{code} {message!r}" for code, message in exc.recipients.values()]
        return mask(f"{type(exc).__name__}: {'; '.join(answers)}")
    return mask(f"{type(exc).__name__}: {exc}")


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
        if job.kind in (MailJob.Kind.REMINDER, MailJob.Kind.UPDATE):
            # Mail people forward: no link that opens the record itself, only the page that
            # mails one to the record's address.
            context["my_data_url"] = links.site_url() + reverse(
                "supporters:request_my_data", args=[campaign.slug]
            )
        if job.moment_at is not None:
            context["moment"] = locales.moment_text(
                job.moment_at, campaign.moment_time_zone, translation.get_language() or "en"
            )
        headers = {"Message-ID": job.message_id}
        if job.update is not None:
            update_text = updates.text_for(job.update, supporter.language or language)
            context["subject"] = update_text.subject if update_text else ""
            context["body"] = update_text.body if update_text else ""
            context["unsubscribe_url"] = updates.unsubscribe_url(job)
            # RFC 2369 and 8058: mail programs offer "unsubscribe", and may do it in one click.
            headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        subject = render_to_string(f"supporters/mail/{job.kind}_subject.txt", context).strip()
        body = render_to_string(f"supporters/mail/{job.kind}.txt", context)
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        # The address the job was queued for (jobs queued before jobs kept one: the row's).
        to=[crypto.decrypt(job.address_encrypted or supporter.email_encrypted)],
        headers=headers,
    )


def _reminder_due(job: MailJob, now: dt.datetime) -> bool:
    """Still asked for (the box may have been unticked since), for the campaign's moment as it
    is now, and before it: a reminder after the moment is noise."""
    campaign = job.supporter.campaign
    return (
        reminders.wanted(job.supporter)
        and job.moment_at is not None
        and job.moment_at == campaign.moment_at
        and job.moment_at > now
    )


def send_due_mail(limit: int = 50, now: dt.datetime | None = None) -> tuple[int, int]:
    """Send what is due; return (sent, failed attempts)."""
    now = now or timezone.now()
    sent = failed = 0
    for job in _claim(limit, now):
        supporter = job.supporter
        if not supporter.email_encrypted or (
            job.address_hash and job.address_hash != supporter.email_hash
        ):
            # Erased or anonymised since, or no longer this supporter's address: the mail
            # would go to someone the supporter is not.
            job.status = MailJob.Status.CANCELLED
            job.last_error = "cancelled: the supporter no longer has the address it was for"
        elif job.kind == MailJob.Kind.REMINDER and not _reminder_due(job, now):
            job.status = MailJob.Status.CANCELLED
            job.last_error = "cancelled: no longer asked for, or the moment moved or passed"
        elif job.kind == MailJob.Kind.UPDATE and not updates.still_wanted(supporter):
            job.status = MailJob.Status.CANCELLED
            job.last_error = "cancelled: no longer agrees to be contacted, or not confirmed"
        else:
            # Only pending jobs are claimed: each earlier handover ended in a failed attempt.
            if job.handed_over > job.attempts:
                # A handover with no outcome: the worker died after the server may have
                # accepted it. This send can be a second copy (same Message-ID).
                job.possibly_repeated = True
                log.warning("mail %s may be delivered twice (a worker died mid-send)", job.id)
            # Counted and committed before the handover, so a crash after it is detectable.
            job.handed_over += 1
            MailJob.objects.filter(pk=job.pk).update(
                handed_over=job.handed_over, possibly_repeated=job.possibly_repeated
            )
            try:
                build_message(job).send()
            except (smtplib.SMTPException, OSError, ValueError) as exc:
                failed += 1
                job.attempts += 1
                job.last_error = _describe(exc)[:1000]
                job.next_attempt_at = now + backoff(job.attempts)
                if job.attempts >= settings.HASHRALLY_MAIL_MAX_ATTEMPTS or _permanent(exc):
                    job.status = MailJob.Status.FAILED
                log.warning("mail %s attempt %s failed: %s", job.id, job.attempts, job.last_error)
            else:
                sent += 1
                job.status = MailJob.Status.SENT
                job.sent_at = now  # the round's time: the pace counts from it
        job.claimed_until = None
        job.save(
            update_fields=[
                "status",
                "attempts",
                "last_error",
                "next_attempt_at",
                "claimed_until",
                "sent_at",
                "handed_over",
                "possibly_repeated",
            ]
        )
    return sent, failed
