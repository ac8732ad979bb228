"""Verified supporters: those seen posting among a campaign's collected posts.

A handle typed into the join form is a claim; it becomes a verification only when a collected
post of the campaign shows it as the author, or when the link the supporter gave is one of the
campaign's collected posts. The worker runs this before a campaign's report extras are rebuilt.
"""

from __future__ import annotations

import re
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.core.folding import fold_handle
from hashrally.listening import queries
from hashrally.supporters import crypto
from hashrally.supporters.models import ProofOfPost, SupporterHandle, Verification

_X_STATUS = re.compile(r"/status(?:es)?/(\d+)")


def _by_handle(campaign: Campaign, ids: list[int]) -> set[int]:
    wanted: dict[str, set[str]] = defaultdict(set)
    for network, digest in SupporterHandle.objects.filter(
        supporter__campaign_id__in=ids
    ).values_list("network", "handle_hash"):
        wanted[network].add(digest)
    found: dict[str, set[str]] = defaultdict(set)
    # Handles are stored only as keyed hashes: hash the authors' handles the same way.
    for network, handle in queries.authors_of(campaign.pk, list(wanted)):
        digest = crypto.keyed_hash(f"handle:{network}", fold_handle(handle))
        if digest in wanted[network]:
            found[network].add(digest)
    verified: set[int] = set()
    for network, hashes in found.items():
        verified.update(
            SupporterHandle.objects.filter(
                supporter__campaign_id__in=ids, network=network, handle_hash__in=hashes
            ).values_list("supporter_id", flat=True)
        )
    return verified


def _by_proof(campaign: Campaign, ids: list[int]) -> tuple[set[int], list[int]]:
    """Supporters whose pasted link is a collected post, and the proofs newly found so."""
    proofs = list(
        ProofOfPost.objects.filter(supporter__campaign_id__in=ids).values_list(
            "pk", "supporter_id", "network", "url", "verified_at"
        )
    )
    if not proofs:
        return set(), []
    urls = {url for _, _, _, url, _ in proofs}
    x_ids = {m.group(1) for url in urls if (m := _X_STATUS.search(url))}
    known = queries.known_posts(campaign.pk, urls, x_ids)
    known_x = {url.rsplit("/", 1)[-1] for network, url in known if network == "x"}
    verified: set[int] = set()
    newly = []
    for pk, supporter_id, network, url, verified_at in proofs:
        m = _X_STATUS.search(url)
        if (network, url) in known or (network == "x" and m and m.group(1) in known_x):
            verified.add(supporter_id)
            if verified_at is None:
                newly.append(pk)
    return verified, newly


def do_verify_supporters(campaign: Campaign) -> int:
    """Record who among the supporters of the campaign (and of the campaigns below it) the
    campaign's collected posts show posting; returns how many are newly verified."""
    ids = campaign.family_ids()
    by_handle = _by_handle(campaign, ids)
    by_proof, newly = _by_proof(campaign, ids)
    with transaction.atomic():
        if newly:
            ProofOfPost.objects.filter(pk__in=newly).update(verified_at=timezone.now())
        already = set(
            Verification.objects.filter(campaign=campaign).values_list("supporter_id", flat=True)
        )
        fresh = [
            Verification(
                campaign=campaign,
                supporter_id=supporter_id,
                via=Verification.Via.PROOF if supporter_id in by_proof else Verification.Via.HANDLE,
            )
            for supporter_id in sorted((by_handle | by_proof) - already)
        ]
        Verification.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def verified_ids(campaign: Campaign) -> set[int]:
    return set(
        Verification.objects.filter(campaign=campaign).values_list("supporter_id", flat=True)
    )
