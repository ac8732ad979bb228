"""Rules a campaign must follow, shared by the campaign-file loader and the admin forms.

Each check returns a message naming what is wrong (or None), so both callers report the same
words and neither can accept what the other refuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from hashrally.campaigns import sharelinks
from hashrally.core import networks
from hashrally.core.folding import fold_tag

HASHTAG_RE = re.compile(r"[^\W_][\w]*|_[\w]*[^\W\d_][\w]*")
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


def repeated_hashtags(tags: Sequence[str]) -> list[int]:
    """Positions of hashtags already listed before them, compared as listening compares them
    (#Xocalı and #XOCALI are one), so a campaign never counts one tag twice."""
    seen: set[str] = set()
    repeats = []
    for index, tag in enumerate(tags):
        folded = fold_tag(tag)
        if folded in seen:
            repeats.append(index)
        seen.add(folded)
    return repeats


def check_network(network: str) -> str | None:
    # Networks a target can have an account on (the share composer has its own, longer list).
    if network not in networks.ACCOUNT_NETWORKS:
        known = ", ".join(networks.ACCOUNT_NETWORKS)
        return f"unknown network {network!r}; use one of: {known}"
    return None


def check_handle(network: str, handle: str) -> str | None:
    problem = check_network(network)
    if problem:
        return problem
    if handle.startswith("@"):
        return f"write the {networks.name(network)} handle without '@': {handle[1:]!r}"
    if any(ch.isspace() for ch in handle):
        return f"{networks.name(network)} handles have no spaces: {handle!r}"
    rule = networks.NETWORKS[network]
    if rule.handle_re is None or not rule.handle_re.fullmatch(handle):
        return f"{handle!r} is not a {rule.name} handle ({rule.handle_hint})"
    return None


def profile_url(network: str, handle: str) -> str:
    user, _, instance = handle.partition("@")
    return networks.NETWORKS[network].profile.format(handle=handle, user=user, instance=instance)


def check_post_url(network: str, url: str) -> str | None:
    problem = check_network(network)
    if problem:
        return problem
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or not parts.path.strip("/"):
        return f"{url!r} is not the https address of a post"
    allowed = networks.NETWORKS[network].post_hosts
    if not allowed:  # posts live on any server (Mastodon)
        return None
    if not networks.on_host(networks.NETWORKS[network], parts.hostname):
        return f"{url!r} is not an address on {networks.name(network)} ({', '.join(allowed)})"
    return None


# What a browser drops from or reads into an address (WHATWG URL): control characters, spaces,
# and a backslash, which counts as "/" in http(s) addresses, so "/\\evil.example/p.png" loads
# from evil.example. An address holding one is refused rather than guessed at.
_BROWSER_REWRITES = re.compile(r"[\x00-\x20\x7f\\]")
# A path on this site: letters, digits and the few marks file names use, no "//" start.
_SITE_PATH = re.compile(r"/(?![/])[A-Za-z0-9._~%/+-]*")


# A host name as browsers accept it (letters, digits, hyphens between dots; IDN in any script).
_HOST = re.compile(r"(?:[^\W_](?:[\w-]*[^\W_])?\.)*[^\W_](?:[\w-]*[^\W_])?")


def check_link(url: str) -> str | None:
    if _BROWSER_REWRITES.search(url):
        return f"{url!r} holds a space, a control character or a backslash"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not _HOST.fullmatch(parts.hostname or ""):
        return f"{url!r} is not an http(s) address"
    try:
        parts.port  # noqa: B018 (raises on a port that is no number)
    except ValueError:
        return f"{url!r} has a port that is not a number"
    return None


def check_photo(path: str) -> str | None:
    if path and (
        not _SITE_PATH.fullmatch(path) or ".." in path.split("/") or "%5c" in path.lower()
    ):
        return (
            f"{path!r} must be a path on this site such as /static/photos/name.jpg, in "
            "letters, digits and . _ - ~ + % / (pages load nothing from other servers)"
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
    for network in networks.LENGTH_CHECKED:
        composed = sharelinks.compose(variant, context, network)
        if composed.dropped or not composed.fits:
            limit = sharelinks.LIMITS[network]
            length = sharelinks.measure(network, sharelinks.render(variant, context, network))
            problems.append(
                f"too long for {networks.name(network)}: {length} of {limit} characters "
                f"(as {networks.name(network)} counts them)"
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
