"""The wall: the campaign's real public posts as they come, rendered by hashrally from stored
data (text, author, network, time, counts; no network scripts, no remote images), moderated.

A post is on the public wall when it is the campaign's (a PostMatch), not a repost (the wall
shows voices, not copies of them), not hidden by an organiser (itself or its author), and either
approved by one, or, without pre-moderation, not flagged: bot-like authors and posts in
suspect clusters of copied text stay off unless an organiser approves them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from hashrally.core import networks, pagecache
from hashrally.core.addresses import web_address
from hashrally.listening import queries
from hashrally.reports import authenticity, copies, flags, sql
from hashrally.reports.models import CampaignText, WallDecision, WallSettings

SHOWN = 30  # posts on the wall
ON_PAGE = 6  # of them, on the campaign page
# The newest stored posts looked at for a wall: enough that hidden and flagged ones leave it
# full, few enough that a wall costs the same at a thousand posts and at ten million.
CANDIDATES = 300


@dataclass(frozen=True)
class WallPost:
    network: str
    post_id: str
    author_id: str
    url: str
    author: str
    text: str
    created_at: dt.datetime | None
    likes: int
    reposts: int
    replies: int
    # Why it is not on the public wall ("" when it is): hidden, hidden-author, bot-like,
    # copied, awaiting (pre-moderation).
    held: str = ""
    approved: bool = False

    @property
    def network_name(self) -> str:
        return networks.name(self.network)


def public(campaign_id: int) -> list[WallPost]:
    """The public wall, built at most once every few seconds however many screens poll it (and
    served from its last copy while the database is down)."""
    found, _stale = pagecache.cached(f"wall:{campaign_id}", lambda: posts(campaign_id))
    return found


def refresh_public(campaign_id: int) -> None:
    """After a moderation decision: the public wall follows at once, not after its seconds."""
    pagecache.set(f"wall:{campaign_id}", posts(campaign_id))


def premoderated(campaign_id: int) -> bool:
    """Pre-moderation until an organiser chooses otherwise: a campaign's posts include replies
    to its targets by anyone, and the campaign's own page should not show them unasked."""
    settings = WallSettings.objects.filter(campaign_id=campaign_id).first()
    return settings is None or settings.premoderated


def posts(campaign_id: int, *, everything: bool = False, limit: int = SHOWN) -> list[WallPost]:
    """The wall, newest first; `everything` keeps held posts too, with the reason (for the
    organisers' moderation page)."""
    rows = sql.rows(
        "SELECT p.network, p.post_id, p.author_id, p.url, p.author_handle, p.text, "  # noqa: S608
        f"p.created_at, p.likes, p.reposts, p.replies FROM {queries.matched_posts()} "
        "WHERE m.campaign_id = %s AND p.kind <> 'repost' ORDER BY m.id DESC LIMIT %s",
        [campaign_id, CANDIDATES],
    )
    if not rows:
        return []
    decisions = {
        (what, network, key): shown
        for what, network, key, shown in WallDecision.objects.filter(
            campaign_id=campaign_id
        ).values_list("what", "network", "key", "shown")
    }
    authors = list({(row[0], row[2]) for row in rows})
    bots = flags.bot_like_authors(campaign_id, among=authors)
    copied = _copied(campaign_id, [row[5] for row in rows])
    before = premoderated(campaign_id)
    found = []
    for network, post_id, author_id, url, handle, text, created, likes, reposts, replies in rows:
        post_decision = decisions.get((WallDecision.What.POST, network, post_id))
        author_decision = decisions.get((WallDecision.What.AUTHOR, network, author_id))
        approved = post_decision is True
        held = ""
        if post_decision is False:
            held = "hidden"
        elif author_decision is False:
            held = "hidden-author"
        elif not approved and (network, author_id) in bots:
            held = "bot-like"
        elif not approved and _digest(text) in copied:
            held = "copied"
        elif not approved and before and author_decision is not True:
            held = "awaiting"
        if held and not everything:
            continue
        found.append(
            WallPost(
                network=network,
                post_id=post_id,
                author_id=author_id,
                # Collected data: an address that is not http(s) (javascript:) never renders.
                url=web_address(url),
                author=handle or author_id,
                text=text,
                created_at=_aware(created),
                likes=likes or 0,
                reposts=reposts or 0,
                replies=replies or 0,
                held=held,
                approved=approved,
            )
        )
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    found.sort(key=lambda post: post.created_at or oldest, reverse=True)
    return found[:limit]


def _digest(text: str) -> str:
    normalised = authenticity.normalise(text)
    return authenticity.text_digest(normalised) if normalised else ""


def _copied(campaign_id: int, texts: list[str]) -> set[str]:
    """Digests of these texts that sit in a suspect cluster (many posts of one copied text that
    is not one of the campaign's own), through the clusters the fold keeps."""
    cluster_of = copies.clusters_of(campaign_id, [d for d in map(_digest, texts) if d])
    if not cluster_of:
        return set()
    ids = sorted(set(cluster_of.values()))
    big = {
        cluster
        for cluster, total in sql.rows(
            f"SELECT cluster, SUM(posts) FROM {sql.table(CampaignText)} "  # noqa: S608
            f"WHERE campaign_id = %s AND cluster IN ({', '.join(['%s'] * len(ids))}) "
            "GROUP BY cluster",
            [campaign_id, *ids],
        )
        if total >= authenticity.MIN_CLUSTER_POSTS
    }
    return {digest for digest, cluster in cluster_of.items() if cluster in big}


def _aware(value: object) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def do_decide(
    campaign_id: int, what: str, network: str, key: str, shown: bool | None, by: str
) -> None:
    """Hide (False), approve (True) or forget (None) a post or an author on the wall."""
    with transaction.atomic():
        if shown is None:
            WallDecision.objects.filter(
                campaign_id=campaign_id, what=what, network=network, key=key
            ).delete()
            return
        WallDecision.objects.update_or_create(
            campaign_id=campaign_id,
            what=what,
            network=network,
            key=key,
            defaults={"shown": shown, "decided_by": by},
        )


def do_set_premoderated(campaign_id: int, premoderated: bool) -> None:
    WallSettings.objects.update_or_create(
        campaign_id=campaign_id, defaults={"premoderated": premoderated}
    )
