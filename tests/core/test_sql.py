"""Looking rows up by a list of ids (core/sql.select_in): every id is found as it was written,
whatever characters it holds, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from hashrally.campaigns.models import Campaign
from hashrally.core import sql
from hashrally.listening.models import PostMatch

# Post ids as networks and files give them: digits, URIs, and what an imported file may hold.
AWKWARD = [
    "1234567890123456789",
    "at://did:plc:abc/app.bsky.feed.post/3k2a",
    'with "quotes"',
    "back\\slash",
    "trailing\\",
    "comma,inside",
    "{braces}",
    "NULL",
    " spaced ",
    "",
    "ünïcode ✓ مرحبا",
    "single'quote",
]


@pytest.mark.django_db
def test_every_id_is_found_as_written(campaigns: list[str]) -> None:
    campaign = Campaign.objects.first()
    assert campaign is not None
    PostMatch.objects.bulk_create(
        PostMatch(campaign=campaign, network="x", post_id=post_id) for post_id in AWKWARD
    )
    PostMatch.objects.create(campaign=campaign, network="x", post_id="not asked for")
    query = (
        f"SELECT post_id FROM {sql.table(PostMatch)} "  # noqa: S608
        "WHERE campaign_id = %s AND post_id IN ({marks})"
    )
    found = sql.select_in(query, [campaign.pk], [*AWKWARD, "absent"])
    assert sorted(row[0] for row in found) == sorted(AWKWARD)
    # Each on its own too: an escape that swallowed its neighbour would pass above by luck.
    for post_id in AWKWARD:
        assert sql.select_in(query, [campaign.pk], [post_id]) == [(post_id,)]


@pytest.mark.django_db
def test_integer_ids_are_found(campaigns: list[str]) -> None:
    campaign = Campaign.objects.first()
    assert campaign is not None
    PostMatch.objects.bulk_create(
        PostMatch(campaign=campaign, network="x", post_id=str(n)) for n in range(5)
    )
    ids = sorted(PostMatch.objects.values_list("id", flat=True))
    query = f"SELECT id FROM {sql.table(PostMatch)} WHERE id IN ({{marks}})"  # noqa: S608
    assert sorted(row[0] for row in sql.select_in(query, [], [ids[1], ids[3], 2**62])) == [
        ids[1],
        ids[3],
    ]
    assert sql.select_in(query, [], []) == []
