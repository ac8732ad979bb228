"""Rules a campaign must follow, shared by the campaign-file loader and the admin forms.

Each check returns a message naming what is wrong (or None), so both callers report the same
words and neither can accept what the other refuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from hashrally.campaigns import sharelinks

# Networks a target can have an account on (the share composer has its own, longer list).
ACCOUNT_NETWORKS: tuple[str, ...] = (
    "x",
    "facebook",
    "instagram",
    "threads",
    "bluesky",
    "mastodon",
    "telegram",
    "linkedin",
    "youtube",
    "tiktok",
)

NETWORK_NAMES: dict[str, str] = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "threads": "Threads",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "telegram": "Telegram",
    "linkedin": "LinkedIn",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "whatsapp": "WhatsApp",
    "reddit": "Reddit",
    "vk": "VK",
}

_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"

# What each network accepts as a handle, and how to say it to a person who got it wrong.
_HANDLE_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "x": (re.compile(r"[A-Za-z0-9_]{1,15}"), "1 to 15 letters, digits or _"),
    "facebook": (re.compile(r"[A-Za-z0-9.\-]{1,80}"), "letters, digits, '.' or '-'"),
    "instagram": (re.compile(r"[A-Za-z0-9._]{1,30}"), "1 to 30 letters, digits, '.' or _"),
    "threads": (re.compile(r"[A-Za-z0-9._]{1,30}"), "1 to 30 letters, digits, '.' or _"),
    "bluesky": (re.compile(_DOMAIN, re.IGNORECASE), "a domain name such as name.bsky.social"),
    "mastodon": (
        re.compile(r"[A-Za-z0-9_]{1,30}@" + _DOMAIN, re.IGNORECASE),
        "user@instance, such as someone@mastodon.social",
    ),
    "telegram": (re.compile(r"[A-Za-z0-9_]{4,32}"), "4 to 32 letters, digits or _"),
    "linkedin": (
        re.compile(r"(?:in|company)/[A-Za-z0-9\-_%]{2,100}"),
        "in/NAME or company/NAME, as in the profile address",
    ),
    "youtube": (re.compile(r"[A-Za-z0-9._\-]{3,30}"), "3 to 30 letters, digits, '.', '-' or _"),
    "tiktok": (re.compile(r"[A-Za-z0-9._]{2,24}"), "2 to 24 letters, digits, '.' or _"),
}

# Hosts whose addresses are posts of that network (Mastodon posts live on any instance).
_POST_HOSTS: dict[str, tuple[str, ...]] = {
    "x": ("x.com", "twitter.com"),
    "facebook": ("facebook.com", "fb.com"),
    "instagram": ("instagram.com",),
    "threads": ("threads.net", "threads.com"),
    "bluesky": ("bsky.app",),
    "telegram": ("t.me",),
    "linkedin": ("linkedin.com",),
    "youtube": ("youtube.com", "youtu.be"),
    "tiktok": ("tiktok.com",),
}

HASHTAG_RE = re.compile(r"[^\W_][\w]*|_[\w]*[^\W\d_][\w]*")
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
STATUSES: tuple[str, ...] = ("draft", "live", "closed")


def check_network(network: str) -> str | None:
    if network not in ACCOUNT_NETWORKS:
        return f"unknown network {network!r}; use one of: {', '.join(ACCOUNT_NETWORKS)}"
    return None


def check_handle(network: str, handle: str) -> str | None:
    problem = check_network(network)
    if problem:
        return problem
    if handle.startswith("@"):
        return f"write the {NETWORK_NAMES[network]} handle without '@': {handle[1:]!r}"
    if any(ch.isspace() for ch in handle):
        return f"{NETWORK_NAMES[network]} handles have no spaces: {handle!r}"
    pattern, expected = _HANDLE_RULES[network]
    if not pattern.fullmatch(handle):
        return f"{handle!r} is not a {NETWORK_NAMES[network]} handle ({expected})"
    return None


def profile_url(network: str, handle: str) -> str:
    if network == "mastodon":
        user, _, instance = handle.partition("@")
        return f"https://{instance}/@{user}"
    templates = {
        "x": "https://x.com/{h}",
        "facebook": "https://www.facebook.com/{h}",
        "instagram": "https://www.instagram.com/{h}/",
        "threads": "https://www.threads.net/@{h}",
        "bluesky": "https://bsky.app/profile/{h}",
        "telegram": "https://t.me/{h}",
        "linkedin": "https://www.linkedin.com/{h}/",
        "youtube": "https://www.youtube.com/@{h}",
        "tiktok": "https://www.tiktok.com/@{h}",
    }
    return templates[network].format(h=handle)


def check_post_url(network: str, url: str) -> str | None:
    problem = check_network(network)
    if problem:
        return problem
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or not parts.path.strip("/"):
        return f"{url!r} is not the https address of a post"
    if network == "mastodon":
        return None
    host = parts.hostname.lower()
    allowed = _POST_HOSTS[network]
    if not any(host == h or host.endswith("." + h) for h in allowed):
        return f"{url!r} is not an address on {NETWORK_NAMES[network]} ({', '.join(allowed)})"
    return None


def check_link(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) address"
    return None


def check_photo(path: str) -> str | None:
    if path and (not path.startswith("/") or path.startswith("//")):
        return (
            f"{path!r} must be a path on this site such as /static/photos/name.jpg "
            "(pages load nothing from other servers)"
        )
    return None


def validate_photo(path: str) -> None:
    problem = check_photo(path)
    if problem:
        from django.core.exceptions import ValidationError

        raise ValidationError(problem)


def normalise_hashtag(tag: str) -> str:
    return tag.strip().removeprefix("#")


def check_hashtag(tag: str) -> str | None:
    bare = normalise_hashtag(tag)
    if not bare:
        return "a hashtag cannot be empty"
    if not HASHTAG_RE.fullmatch(bare):
        return f"{tag!r} is not a hashtag (letters, digits and _ only, not only digits)"
    return None


def check_language(code: str) -> str | None:
    if not LANGUAGE_RE.fullmatch(code):
        return f"{code!r} is not a language code such as en, az or pt-BR"
    return None


def validation_url(slug: str, site_url: str) -> str:
    """The campaign address assumed when checking lengths before the site's address is known."""
    return f"{site_url or 'https://hashrally.example.org'}/c/{slug}/"


def check_variant(variant: str, context: sharelinks.ShareContext) -> list[str]:
    """Every way a message variant is broken: bad placeholders, or too long for a network.

    A variant must fit each length-limited network as written, before anyone adds a personal
    sentence: shortening at share time is for the person's own words, not for the organiser's.
    """
    problems = list(sharelinks.placeholder_errors(variant))
    if problems:
        return problems
    for network in ("x", "bluesky", "mastodon", "threads"):
        composed = sharelinks.compose(variant, context, network)
        if composed.dropped or not composed.fits:
            limit = sharelinks.LIMITS[network]
            length = sharelinks.measure(network, sharelinks.render(variant, context, network))
            problems.append(
                f"too long for {NETWORK_NAMES[network]}: {length} of {limit} characters "
                f"(as {NETWORK_NAMES[network]} counts them)"
            )
    return problems


def share_context(
    hashtags: Sequence[str], targets: Iterable[tuple[str, dict[str, str]]], url: str
) -> sharelinks.ShareContext:
    return sharelinks.ShareContext(
        hashtags=tuple(hashtags),
        targets=tuple(
            sharelinks.Target(name=name, accounts=accounts) for name, accounts in targets
        ),
        url=url,
    )
