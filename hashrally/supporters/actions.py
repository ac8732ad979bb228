"""Writes about supporters. Each is one transaction; mail is queued inside it (an outbox)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.supporters import crypto
from hashrally.supporters.consent import consent_version
from hashrally.supporters.models import (
    CampaignCounts,
    MailJob,
    ProofOfPost,
    ShareClick,
    Supporter,
    SupporterHandle,
    Verification,
)

MY_DATA_MAIL_EVERY = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class JoinResult:
    """What a join did. `supporter` is the row this browser may now hold (None when the join
    changed nothing: someone else's email or handle); `mailed` says a message went to the
    address given, which the page says without telling which message."""

    supporter: Supporter | None
    created: bool
    mailed: bool = False


def _queue_mail(supporter: Supporter, kind: str) -> None:
    # The job carries the address it is for: if the supporter's address is no longer this
    # one when the job is sent, it is cancelled (supporters/mail.py).
    MailJob.objects.create(
        supporter=supporter,
        kind=kind,
        next_attempt_at=timezone.now(),
        address_encrypted=supporter.email_encrypted,
        address_hash=supporter.email_hash or "",
    )


def do_join(
    campaign: Campaign,
    data: dict[str, Any],
    *,
    language: str,
    client_ip: str,
    owner: Supporter | None = None,
) -> JoinResult:
    """Record a join. Only the record's owner changes it: `owner` is the supporter this browser
    already holds (a signed cookie); anyone else's join with a known email changes nothing and
    mails that address a link to its own record, and a handle is a claim that never merges two
    people or moves from one to another (docs/security.md)."""
    email = crypto.normalise_email(data.get("email") or "")
    email_hash = crypto.keyed_hash("email", email) if email else None
    handles: dict[str, str] = data.get("handles") or {}
    handle_hashes = {n: crypto.keyed_hash(f"handle:{n}", h) for n, h in handles.items()}
    referrer = None
    if data.get("ref"):
        referrer = Supporter.objects.filter(campaign=campaign, ref_code=data["ref"]).first()
    fields = {
        "country": data["country"],
        "display_name": data.get("display_name") or "",
        "show_name": bool(data.get("show_name")),
        "contact_ok": bool(data.get("contact_ok")),
        "remind_me": bool(data.get("remind_me")),
        "on_leaderboard": bool(data.get("on_leaderboard")),
        "language": language,
        "consent_version": consent_version(campaign),
        "consented_at": timezone.now(),
        "ip_hash": crypto.ip_hash(client_ip) if client_ip else None,
    }
    if owner is not None and owner.campaign_id != campaign.pk:
        owner = None
    # Two identical submissions may race; the unique constraints let one win, and the other
    # is then read as a repeat of the winner's.
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _join_once(
                    campaign, fields, email, email_hash, handles, handle_hashes, referrer, owner
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not record the join after three attempts")


def _claimed(campaign: Campaign, handle_hashes: dict[str, str]) -> dict[str, int]:
    """network -> the supporter already holding that handle."""
    match = Q()
    for network, handle_hash in handle_hashes.items():
        match |= Q(network=network, handle_hash=handle_hash)
    if not match:
        return {}
    return dict(
        SupporterHandle.objects.filter(campaign=campaign)
        .filter(match)
        .values_list("network", "supporter_id")
    )


def _join_once(
    campaign: Campaign,
    fields: dict[str, Any],
    email: str,
    email_hash: str | None,
    handles: dict[str, str],
    handle_hashes: dict[str, str],
    referrer: Supporter | None,
    owner: Supporter | None,
) -> JoinResult:
    if owner is not None:
        owner = Supporter.objects.select_for_update().filter(pk=owner.pk).first()
    known = (
        Supporter.objects.filter(campaign=campaign, email_hash=email_hash).first()
        if email_hash
        else None
    )
    claimed = _claimed(campaign, handle_hashes)
    if known is not None and known != owner:
        # Someone's email: their record stays as it is. They hear of it (now and then), with a
        # link through which they alone can change what they entered.
        _mail_rejoin(known)
        return JoinResult(None, created=False, mailed=True)
    if owner is not None and (not email_hash or owner.email_hash in (None, email_hash)):
        supporter, created = owner, False
        for name, value in fields.items():
            # A repeat without a name must not wipe the name given the first time.
            if value or name != "display_name":
                setattr(supporter, name, value)
    elif not email_hash and claimed:
        # No email, and a handle someone already holds: the same person again or someone else
        # using their public handle; either way nothing changes and nobody is counted twice.
        return JoinResult(None, created=False)
    else:
        supporter, created = Supporter(campaign=campaign, referred_by=referrer, **fields), True
    mailed = False
    if email_hash and supporter.email_hash != email_hash:
        # A new row, or the owner's row that had no email: the address is new and unconfirmed.
        supporter.email_encrypted = crypto.encrypt(email)
        supporter.email_hash = email_hash
        supporter.confirmed_at = None
        mailed = True
    supporter.save()
    for network, handle in handles.items():
        # A handle another supporter holds stays theirs: a claim moves nothing.
        if network not in claimed:
            SupporterHandle.objects.create(
                campaign=campaign,
                supporter=supporter,
                network=network,
                handle_hash=handle_hashes[network],
                handle_encrypted=crypto.encrypt(handle),
            )
    if mailed:
        _queue_mail(supporter, MailJob.Kind.CONFIRM)
    return JoinResult(supporter=supporter, created=created, mailed=mailed)


def _mail_unless_recent(supporter: Supporter, kind: str, within: dt.timedelta) -> None:
    """Queue the mail unless one of its kind went to the supporter lately: a stranger
    repeating joins or requests with their address must not flood their mailbox."""
    since = timezone.now() - within
    if not MailJob.objects.filter(supporter=supporter, kind=kind, created_at__gte=since).exists():
        _queue_mail(supporter, kind)


def _mail_rejoin(supporter: Supporter) -> None:
    _mail_unless_recent(
        supporter, MailJob.Kind.REJOIN, dt.timedelta(hours=settings.HASHRALLY_REJOIN_MAIL_HOURS)
    )


def do_confirm(supporter: Supporter) -> bool:
    """Mark the supporter confirmed; False if they already were."""
    updated = Supporter.objects.filter(pk=supporter.pk, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now(), updated_at=timezone.now()
    )
    return bool(updated)


def do_update_record(supporter: Supporter, data: dict[str, Any]) -> None:
    """The owner's change to their own record (through their data link)."""
    fields = ["country", "display_name", "show_name", "contact_ok", "remind_me", "on_leaderboard"]
    for name in fields:
        setattr(supporter, name, data[name])
    supporter.save(update_fields=[*fields, "updated_at"])


def do_add_proof(supporter: Supporter, network: str, url: str) -> ProofOfPost:
    proof, _ = ProofOfPost.objects.get_or_create(
        supporter=supporter, url=url, defaults={"network": network}
    )
    return proof


def do_record_share_click(campaign: Campaign, network: str, variant: str = "") -> None:
    ShareClick.objects.create(campaign=campaign, network=network, variant=variant[:24])


def do_request_my_data(campaign: Campaign, email: str) -> None:
    """Mail a link to the supporter's own data, if there is one; say nothing either way."""
    email_hash = crypto.keyed_hash("email", crypto.normalise_email(email))
    with transaction.atomic():
        supporter = Supporter.objects.filter(campaign=campaign, email_hash=email_hash).first()
        if supporter is not None:
            # A lost mail can be asked for again after a few minutes, not a hundred times.
            _mail_unless_recent(supporter, MailJob.Kind.MY_DATA, MY_DATA_MAIL_EVERY)


def do_erase(supporter: Supporter) -> None:
    """Erase a supporter on their own request: the row goes, and with it they leave the counts."""
    with transaction.atomic():
        Supporter.objects.filter(pk=supporter.pk).delete()
        # A deleted row leaves no newer timestamp behind, so mark the counts stale explicitly.
        CampaignCounts.objects.filter(campaign_id=supporter.campaign_id).update(
            source_changed_at=None
        )


def do_anonymise(queryset: Any, now: dt.datetime | None = None) -> int:
    """Keep only what counts need (campaign, country, confirmation); drop everything personal."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(queryset.filter(anonymised_at__isnull=True).values_list("id", flat=True))
        SupporterHandle.objects.filter(supporter_id__in=ids).delete()
        ProofOfPost.objects.filter(supporter_id__in=ids).delete()
        # Verified means "this handle posted": without the handle it is no longer shown.
        Verification.objects.filter(supporter_id__in=ids).delete()
        MailJob.objects.filter(supporter_id__in=ids).delete()
        return Supporter.objects.filter(id__in=ids).update(
            display_name="",
            show_name=False,
            email_encrypted="",
            email_hash=None,
            contact_ok=False,
            remind_me=False,
            on_leaderboard=False,
            ip_hash=None,
            anonymised_at=now,
            updated_at=now,
        )
