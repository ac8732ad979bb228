"""Verifying supporters: a handle that wrote one of the campaign's collected posts, or a pasted
link that is one. Collected posts are written here as rows, the way the store leaves them."""

from __future__ import annotations

import pytest

from hashrally.campaigns.models import Campaign
from hashrally.listening.models import Post, PostMatch
from hashrally.supporters.actions import do_add_proof, do_anonymise, do_join
from hashrally.supporters.models import ProofOfPost, Supporter, Verification
from hashrally.supporters.verification import do_verify_supporters, verified_ids

pytestmark = pytest.mark.django_db


def _collected(campaign: Campaign, network: str, post_id: str, handle: str, url: str) -> None:
    Post.objects.create(
        network=network, post_id=post_id, author_id=handle, author_handle=handle, url=url
    )
    PostMatch.objects.create(campaign=campaign, network=network, post_id=post_id)


def _join(campaign: Campaign, n: int, **handles: str) -> Supporter:
    data = {"country": "AZ", "handles": handles}
    joined = do_join(campaign, data, language="en", client_ip=f"192.0.2.{n}").supporter
    assert joined is not None  # a new supporter: their handles are nobody's yet
    return joined


def test_it_verifies_a_handle_seen_writing_a_collected_post(campaign: Campaign) -> None:
    _collected(campaign, "x", "1", "Ayla_K", "https://x.com/Ayla_K/status/1")
    ayla = _join(campaign, 1, x="ayla_k")  # typed in another case
    _join(campaign, 2, x="somebody")
    _join(campaign, 3, bluesky="ayla_k.bsky.social")  # same name, other network
    assert do_verify_supporters(campaign) == 1
    assert verified_ids(campaign) == {ayla.pk}
    assert Verification.objects.get().via == "handle"
    assert do_verify_supporters(campaign) == 0  # once each


def test_it_verifies_a_pasted_link_to_a_collected_post(campaign: Campaign) -> None:
    _collected(
        campaign,
        "x",
        "1628742392412090370",
        "someone",
        "https://x.com/someone/status/1628742392412090370",
    )
    supporter = _join(campaign, 1)
    # The same X post under another address: its id is what identifies it.
    do_add_proof(supporter, "x", "https://twitter.com/someone/status/1628742392412090370")
    stranger = _join(campaign, 2)
    do_add_proof(stranger, "x", "https://x.com/someone/status/999")
    assert do_verify_supporters(campaign) == 1
    assert verified_ids(campaign) == {supporter.pk}
    proofs = dict(ProofOfPost.objects.values_list("supporter_id", "verified_at"))
    assert proofs[supporter.pk] is not None and proofs[stranger.pk] is None


def test_it_ignores_posts_collected_for_another_campaign(campaign: Campaign) -> None:
    other = Campaign.objects.exclude(pk=campaign.pk).first()
    assert other is not None
    _collected(other, "x", "1", "ayla_k", "https://x.com/ayla_k/status/1")
    _join(campaign, 1, x="ayla_k")
    assert do_verify_supporters(campaign) == 0


def test_it_forgets_the_verification_of_an_anonymised_supporter(campaign: Campaign) -> None:
    _collected(campaign, "x", "1", "ayla_k", "https://x.com/ayla_k/status/1")
    _join(campaign, 1, x="ayla_k")
    do_verify_supporters(campaign)
    do_anonymise(Supporter.objects.all())
    assert verified_ids(campaign) == set()
