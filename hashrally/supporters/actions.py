"""Writes about supporters. Each is one transaction; mail is queued inside it (an outbox)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class JoinResult:
    supporter: Supporter
    created: bool


def _existing(
    campaign: Campaign, email_hash: str | None, handle_hashes: dict[str, str]
) -> Supporter | None:
    match = Q()
    if email_hash:
        match |= Q(email_hash=email_hash)
    for network, handle_hash in handle_hashes.items():
        match |= Q(handles__network=network, handles__handle_hash=handle_hash)
    if not match:
        return None
    return Supporter.objects.filter(campaign=campaign).filter(match).order_by("id").first()


def _queue_mail(supporter: Supporter, kind: str) -> None:
    MailJob.objects.create(supporter=supporter, kind=kind, next_attempt_at=timezone.now())


def do_join(
    campaign: Campaign,
    data: dict[str, Any],
    *,
    language: str,
    client_ip: str,
) -> JoinResult:
    """Record a join, or update the supporter it duplicates (same email or handle)."""
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
        "language": language,
        "consent_version": consent_version(campaign),
        "consented_at": timezone.now(),
        "ip_hash": crypto.ip_hash(client_ip) if client_ip else None,
    }
    # Two identical submissions may race; the unique constraints let one win, and the other
    # retries as an update of the winner's row.
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _join_once(
                    campaign, fields, email, email_hash, handles, handle_hashes, referrer
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not record the join after three attempts")


def _join_once(
    campaign: Campaign,
    fields: dict[str, Any],
    email: str,
    email_hash: str | None,
    handles: dict[str, str],
    handle_hashes: dict[str, str],
    referrer: Supporter | None,
) -> JoinResult:
    supporter = _existing(campaign, email_hash, handle_hashes)
    created = supporter is None
    if supporter is None:
        supporter = Supporter(campaign=campaign, referred_by=referrer, **fields)
    else:
        for name, value in fields.items():
            # A repeat without a name must not wipe the name given the first time.
            if value or name not in ("display_name",):
                setattr(supporter, name, value)
    new_email = bool(email_hash) and supporter.email_hash != email_hash
    if email_hash and new_email:
        supporter.email_encrypted = crypto.encrypt(email)
        supporter.email_hash = email_hash
        supporter.confirmed_at = None
    supporter.save()
    for network, handle in handles.items():
        SupporterHandle.objects.update_or_create(
            campaign=campaign,
            network=network,
            handle_hash=handle_hashes[network],
            defaults={"supporter": supporter, "handle_encrypted": crypto.encrypt(handle)},
        )
    if email_hash and supporter.confirmed_at is None and (created or new_email):
        _queue_mail(supporter, MailJob.Kind.CONFIRM)
    return JoinResult(supporter=supporter, created=created)


def do_confirm(supporter: Supporter) -> bool:
    """Mark the supporter confirmed; False if they already were."""
    updated = Supporter.objects.filter(pk=supporter.pk, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now(), updated_at=timezone.now()
    )
    return bool(updated)


def do_add_proof(supporter: Supporter, network: str, url: str) -> ProofOfPost:
    proof, _ = ProofOfPost.objects.get_or_create(
        supporter=supporter, url=url, defaults={"network": network}
    )
    return proof


def do_record_share_click(campaign: Campaign, network: str) -> None:
    ShareClick.objects.create(campaign=campaign, network=network)


def do_request_my_data(campaign: Campaign, email: str) -> None:
    """Mail a link to the supporter's own data, if there is one; say nothing either way."""
    email_hash = crypto.keyed_hash("email", crypto.normalise_email(email))
    with transaction.atomic():
        supporter = Supporter.objects.filter(campaign=campaign, email_hash=email_hash).first()
        if supporter is not None:
            _queue_mail(supporter, MailJob.Kind.MY_DATA)


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
            ip_hash=None,
            anonymised_at=now,
            updated_at=now,
        )
