"""Updates from the organisers: queued once to every supporter who agreed to be contacted and
confirmed their address, spread over time (HASHRALLY_UPDATES_PER_MINUTE), each with a link
that stops further updates in one click (RFC 8058's List-Unsubscribe-Post too)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hashrally.supporters import links
from hashrally.supporters.models import MAILABLE, MailJob, Supporter, Update, UpdateText

UNSUBSCRIBE = "hashrally.unsubscribe"
# Long: an update read months later must still stop the next one.
UNSUBSCRIBE_AGE = dt.timedelta(days=3650)
QUEUE_BATCH = 1000


def recipients(update: Update) -> Any:
    """Who an update may reach; asked again when each mail is sent (`still_wanted`)."""
    return Supporter.objects.filter(MAILABLE, campaign_id=update.campaign_id, contact_ok=True)


def still_wanted(supporter: Supporter) -> bool:
    return supporter.contact_ok and supporter.mailable


def do_queue_update(update: Update, now: dt.datetime | None = None) -> int:
    """Queue the update's mail, once (a second call queues nothing); return how many. Mail n is
    due n / HASHRALLY_UPDATES_PER_MINUTE minutes from now, so a large list goes out at a pace
    mail providers accept, whatever the number of workers."""
    now = now or timezone.now()
    gap = dt.timedelta(minutes=1) / max(1, settings.HASHRALLY_UPDATES_PER_MINUTE)
    with transaction.atomic():
        locked = Update.objects.select_for_update().get(pk=update.pk)
        if locked.queued_at is not None or not locked.texts.exists():
            return 0
        queued = 0
        batch: list[MailJob] = []
        for supporter in (
            recipients(locked)
            .only("id", "email_encrypted", "email_hash")
            .iterator(chunk_size=QUEUE_BATCH)
        ):
            batch.append(
                MailJob(
                    supporter=supporter,
                    kind=MailJob.Kind.UPDATE,
                    update=locked,
                    next_attempt_at=now + gap * queued,
                    address_encrypted=supporter.email_encrypted,
                    address_hash=supporter.email_hash or "",
                )
            )
            queued += 1
            if len(batch) >= QUEUE_BATCH:
                MailJob.objects.bulk_create(batch)
                batch = []
        MailJob.objects.bulk_create(batch)
        locked.queued_at, locked.queued_to = now, queued
        locked.save(update_fields=["queued_at", "queued_to"])
    update.queued_at, update.queued_to = locked.queued_at, locked.queued_to
    return queued


def text_for(update: Update, language: str) -> UpdateText | None:
    """The supporter's language, else the campaign's default, else the first written."""
    texts = {t.language: t for t in update.texts.all()}
    for wanted in (language, language.split("-")[0], update.campaign.default_language):
        if wanted in texts:
            return texts[wanted]
    return next(iter(texts.values()), None)


def unsubscribe_url(job: MailJob) -> str:
    token = signing.dumps(
        {"s": str(job.supporter.public_id), "j": job.pk}, salt=UNSUBSCRIBE, compress=True
    )
    return links.site_url() + reverse("supporters:unsubscribe", args=[token])


def read_unsubscribe(token: str) -> MailJob | None:
    """The mail job a link was made for, if the link is one we signed for that supporter."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE, max_age=UNSUBSCRIBE_AGE)
        supporter, job = str(data["s"]), int(data["j"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return (
        MailJob.objects.select_related("supporter__campaign", "update")
        .filter(pk=job, supporter__public_id=supporter)
        .first()
    )


def do_unsubscribe(job: MailJob) -> None:
    """No more updates for this supporter; counted against the update that carried the link."""
    now = timezone.now()
    with transaction.atomic():
        Supporter.objects.filter(pk=job.supporter_id).update(contact_ok=False, updated_at=now)
        MailJob.objects.filter(pk=job.pk, unsubscribed_at__isnull=True).update(unsubscribed_at=now)
        # Updates queued and not sent yet will not go either (mail.py checks at send time).
