"""The networks hashrally knows, each described once.

Every list of networks (share buttons, length rules, account and handle rules, the join form's
handles, proof-of-post addresses, what can be collected) reads this registry. Adding a network is
one entry here, plus a connector module where it can be collected: see docs/adding-a-network.md.
Nothing here talks to a network.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"


class Length(StrEnum):
    """How a network counts a post's length (the counting lives in campaigns.sharelinks)."""

    CHARACTERS = "characters"  # code points
    GRAPHEMES = "graphemes"  # what a reader sees as one character (Bluesky)
    X_WEIGHTED = "x-weighted"  # twitter-text: CJK and emoji count double, links 23
    MASTODON = "mastodon"  # links 23, a mention counts its user part only


@dataclass(frozen=True)
class Network:
    code: str
    name: str
    # Share address, with {text}, {url} (the campaign page) and {instance} (Mastodon: the
    # person's own server) URL-quoted; None: the network has none (the page offers the text).
    share: str | None = None
    # The network forbids or ignores pre-filled text: the page offers the text to copy.
    copy_only: bool = False
    # The network adds the {url} itself: left in the text it would appear twice.
    link_apart: bool = False
    limit: int | None = None  # longest post, in `length` units; None: no limit that matters
    length: Length = Length.CHARACTERS
    # The composer shows this network's length check, and campaign files' message variants
    # must fit it as written.
    checks_length: bool = False
    topic_tags: int | None = None  # how many hashtags a post can carry as topics (Threads: 1)
    # A target (an official) can have an account here: the handle's shape and a hint for people.
    handle: str | None = None
    handle_hint: str = ""
    profile: str = ""  # profile address, with {handle} (or {user} and {instance})
    # Supporters may give their handle here in the join form (to be verified by their posts).
    supporter_handle: bool = False
    # Hosts whose addresses are this network's posts (empty: posts live on any server).
    post_hosts: tuple[str, ...] = ()
    # The shape of a post's address, to tell which network a pasted proof link is from.
    post_address: str | None = None
    # Composer address for an answer under a post, with {post_id} (taken from the post's
    # address by `reply_id`, one group) and {text} URL-quoted; None: the network has no such
    # address, and people answer from the post's own page.
    reply: str | None = None
    reply_id: str | None = None
    # hashrally can collect its public posts (a connector in hashrally.listening.connectors).
    collected: bool = False

    @property
    def needs_instance(self) -> bool:
        """The share address is on the person's own server, which they must name."""
        return self.share is not None and "{instance}" in self.share

    @property
    def handle_re(self) -> re.Pattern[str] | None:
        return _compiled(self.handle)

    @property
    def post_address_re(self) -> re.Pattern[str] | None:
        return _compiled(self.post_address)


@functools.cache
def _compiled(pattern: str | None) -> re.Pattern[str] | None:
    return None if pattern is None else re.compile(pattern)


# In the order people meet them on the page: networks where posts are counted come first.
REGISTRY: tuple[Network, ...] = (
    Network(
        "x",
        "X",
        share="https://x.com/intent/post?text={text}",
        limit=280,
        length=Length.X_WEIGHTED,
        checks_length=True,
        handle=r"[A-Za-z0-9_]{1,15}",
        handle_hint="1 to 15 letters, digits or _",
        profile="https://x.com/{handle}",
        supporter_handle=True,
        post_hosts=("x.com", "twitter.com"),
        post_address=r"https://(?:www\.|mobile\.)?(?:x|twitter)\.com/\w{1,15}/status/\d+",
        reply="https://x.com/intent/post?in_reply_to={post_id}&text={text}",
        reply_id=r"/status/(\d+)",
        collected=True,
    ),
    Network(
        "bluesky",
        "Bluesky",
        share="https://bsky.app/intent/compose?text={text}",
        limit=300,
        length=Length.GRAPHEMES,
        checks_length=True,
        handle="(?i)" + _DOMAIN,
        handle_hint="a domain name such as name.bsky.social",
        profile="https://bsky.app/profile/{handle}",
        supporter_handle=True,
        post_hosts=("bsky.app",),
        post_address=r"https://bsky\.app/profile/[\w.:-]+/post/[a-z0-9]+",
        collected=True,
    ),
    Network(
        "mastodon",
        "Mastodon",
        share="https://{instance}/share?text={text}",
        # 500 is the default; instances can raise it, never the share page's problem.
        limit=500,
        length=Length.MASTODON,
        checks_length=True,
        handle=r"(?i)[A-Za-z0-9_]{1,30}@" + _DOMAIN,
        handle_hint="user@instance, such as someone@mastodon.social",
        profile="https://{instance}/@{user}",
        supporter_handle=True,
        # Mastodon runs on any server; its post addresses have this shape.
        post_address=r"https://[a-z0-9.-]+\.[a-z]{2,}/@\w+(?:@[a-z0-9.-]+)?/\d+",
        collected=True,
    ),
    Network(
        "threads",
        "Threads",
        share="https://www.threads.net/intent/post?text={text}",
        limit=500,
        checks_length=True,
        # Threads turns only one tag per post into a topic; the rest would be dead text.
        topic_tags=1,
        handle=r"[A-Za-z0-9._]{1,30}",
        handle_hint="1 to 30 letters, digits, '.' or _",
        profile="https://www.threads.net/@{handle}",
        supporter_handle=True,
        post_hosts=("threads.net", "threads.com"),
        post_address=r"https://(?:www\.)?threads\.(?:net|com)/@[\w.]+/post/[\w-]+",
    ),
    Network(
        "telegram",
        "Telegram",
        share="https://t.me/share/url?url={url}&text={text}",
        link_apart=True,
        handle=r"[A-Za-z0-9_]{4,32}",
        handle_hint="4 to 32 letters, digits or _",
        profile="https://t.me/{handle}",
        post_hosts=("t.me",),
        post_address=r"https://t\.me/\w+/\d+",
    ),
    Network("whatsapp", "WhatsApp", share="https://wa.me/?text={text}"),
    Network(
        "facebook",
        "Facebook",
        # Facebook's policy forbids pre-filled text: the page offers the text to copy.
        share="https://www.facebook.com/sharer/sharer.php?u={url}",
        copy_only=True,
        handle=r"[A-Za-z0-9.\-]{1,80}",
        handle_hint="letters, digits, '.' or '-'",
        profile="https://www.facebook.com/{handle}",
        post_hosts=("facebook.com", "fb.com"),
        post_address=r"https://(?:www\.|m\.)?facebook\.com/\S+",
    ),
    Network(
        "linkedin",
        "LinkedIn",
        # LinkedIn ignores pre-filled text.
        share="https://www.linkedin.com/sharing/share-offsite/?url={url}",
        copy_only=True,
        handle=r"(?:in|company)/[A-Za-z0-9\-_%]{2,100}",
        handle_hint="in/NAME or company/NAME, as in the profile address",
        profile="https://www.linkedin.com/{handle}/",
        post_hosts=("linkedin.com",),
        post_address=r"https://(?:www\.)?linkedin\.com/(?:posts|feed/update)/\S+",
    ),
    Network(
        "reddit",
        "Reddit",
        share="https://www.reddit.com/submit?url={url}&title={text}",
        limit=300,
    ),
    Network("vk", "VK", share="https://vk.com/share.php?url={url}&title={text}"),
    Network(
        "instagram",
        "Instagram",
        # No web share address at all: the page offers the text to copy.
        copy_only=True,
        handle=r"[A-Za-z0-9._]{1,30}",
        handle_hint="1 to 30 letters, digits, '.' or _",
        profile="https://www.instagram.com/{handle}/",
        supporter_handle=True,
        post_hosts=("instagram.com",),
        post_address=r"https://(?:www\.)?instagram\.com/(?:p|reel)/[\w-]+",
    ),
    Network(
        "tiktok",
        "TikTok",
        copy_only=True,
        handle=r"[A-Za-z0-9._]{2,24}",
        handle_hint="2 to 24 letters, digits, '.' or _",
        profile="https://www.tiktok.com/@{handle}",
        supporter_handle=True,
        post_hosts=("tiktok.com",),
        post_address=r"https://(?:www\.)?tiktok\.com/@[\w.]+/video/\d+",
    ),
    Network(
        "youtube",
        "YouTube",
        handle=r"[A-Za-z0-9._\-]{3,30}",
        handle_hint="3 to 30 letters, digits, '.', '-' or _",
        profile="https://www.youtube.com/@{handle}",
        post_hosts=("youtube.com", "youtu.be"),
        post_address=(r"https://(?:www\.)?(?:youtube\.com/(?:watch\?v=|shorts/)|youtu\.be/)[\w-]+"),
    ),
)

NETWORKS: dict[str, Network] = {network.code: network for network in REGISTRY}

# Derived lists, in the registry's order.
SHARE_NETWORKS: tuple[str, ...] = tuple(n.code for n in REGISTRY if n.share or n.copy_only)
ACCOUNT_NETWORKS: tuple[str, ...] = tuple(n.code for n in REGISTRY if n.handle)
SUPPORTER_NETWORKS: tuple[str, ...] = tuple(n.code for n in REGISTRY if n.supporter_handle)
COLLECTED_NETWORKS: tuple[str, ...] = tuple(n.code for n in REGISTRY if n.collected)
LENGTH_CHECKED: tuple[str, ...] = tuple(n.code for n in REGISTRY if n.checks_length)
NAMES: dict[str, str] = {n.code: n.name for n in REGISTRY}


def name(code: str) -> str:
    """The network's name for people; an unknown code as it is."""
    network = NETWORKS.get(code)
    return network.name if network else code


def on_host(network: Network, host: str) -> bool:
    """`host` is one of the network's post hosts or below one (mobile.x.com, not fox.com)."""
    host = host.lower().rstrip(".")
    return any(host == h or host.endswith("." + h) for h in network.post_hosts)


def of_post(url: str) -> str | None:
    """Which network a post's address belongs to (Mastodon, on any server, is tried last)."""
    for network in sorted(REGISTRY, key=lambda n: not n.post_hosts):
        pattern = network.post_address_re
        if pattern is not None and pattern.match(url):
            return network.code
    return None
