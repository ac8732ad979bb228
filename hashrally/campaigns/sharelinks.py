"""Pre-filled share links: the post text each network receives, measured the way it counts.

People post from their own accounts, so everything here only *prepares* a post: it expands a
message variant's placeholders, measures the result as the network will, and builds the
network's own "share" or "intent" address. Nothing here talks to a network.

Placeholders in a variant are ``{hashtags}``, ``{mentions}`` and ``{url}``; ``{{`` and ``}}``
are literal braces. ``placeholder_errors`` explains anything else.

When a post is too long for its network, ``compose`` drops optional parts one step at a time,
in this order, stopping as soon as the post fits:

1. ``"url"`` - the ``{url}`` placeholder becomes empty (the page is reachable by hashtag).
2. ``"extra_hashtags"`` - only the first, primary hashtag is kept.
3. ``"name_mentions"`` - targets with no account on this network, written by plain name, go;
   if no target has an account there, the first name stays so the post still addresses someone.
4. ``"extra_mentions"`` - only the first @mention is kept.

A step that would change nothing (no ``{url}`` in the variant, a single hashtag...) is skipped
and not recorded. Hashtags and mentions are only ever removed whole, and the person's own
sentence and the variant's wording are never cut: if the post still does not fit, it is returned
as it is with ``fits`` False, and the caller asks the person to shorten their sentence by
``over_by``.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import regex

from hashrally.core import networks

# The registry (hashrally.core.networks) describes each network once; these are its views.
NETWORKS: tuple[str, ...] = networks.SHARE_NETWORKS
COPY_TEXT_NETWORKS: frozenset[str] = frozenset(
    code for code in NETWORKS if networks.NETWORKS[code].copy_only
)
LIMITS: dict[str, int | None] = {code: networks.NETWORKS[code].limit for code in NETWORKS}

PLACEHOLDERS: tuple[str, ...] = ("hashtags", "mentions", "url")

DROP_ORDER: tuple[str, ...] = ("url", "extra_hashtags", "name_mentions", "extra_mentions")


@dataclass(frozen=True)
class Target:
    """Someone a campaign addresses; handles are stored without their leading "@"."""

    name: str
    accounts: Mapping[str, str]


@dataclass(frozen=True)
class ShareContext:
    hashtags: Sequence[str]
    targets: Sequence[Target]
    url: str


@dataclass(frozen=True)
class Composed:
    network: str
    text: str
    length: int
    limit: int | None
    dropped: tuple[str, ...]

    @property
    def fits(self) -> bool:
        return self.limit is None or self.length <= self.limit

    @property
    def over_by(self) -> int:
        if self.limit is None:
            return 0
        return max(0, self.length - self.limit)


# --- measuring -------------------------------------------------------------------------------

# twitter-text v3 configuration (config/v3.json).
_X_SCALE = 100
_X_DEFAULT_WEIGHT = 200
_X_EMOJI_WEIGHT = 200
_X_LIGHT_RANGES: tuple[tuple[int, int, int], ...] = (
    (0x0000, 0x10FF, 100),
    (0x2000, 0x200D, 100),
    (0x2010, 0x201F, 100),
    (0x2032, 0x2037, 100),
)
# X and Mastodon both replace every link by a t.co-sized placeholder when counting.
_SHORTENED_URL_LENGTH = 23

# The candidate is everything up to whitespace; _link_spans then gives back trailing punctuation
# the way twitter-text (which Mastodon also uses) does, so "see https://a.org/x." costs 23 + 1.
_URL_CANDIDATE = regex.compile(r"(?<![\w@$#])https?://\S+", regex.IGNORECASE)
# X also links bare domains such as "khojaly.org" when their ending is a real top-level domain.
# Without twitter-text's list of those we cannot tell, so a bare domain costs 23 or its own
# length, whichever is more: never less than X will count.
_BARE_DOMAIN_CANDIDATE = regex.compile(
    r"(?<![\w@$#.:/\-])(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,}(?![\w\-])(?:/\S*)?",
    regex.IGNORECASE,
)
_URL_LAST_CHAR = regex.compile(r"[\w/=#+\-]")
_SCHEME = regex.compile(r"https?://", regex.IGNORECASE)

_GRAPHEME = regex.compile(r"\X")
_PICTOGRAPHIC = regex.compile(r"\p{Extended_Pictographic}")
_REGIONAL_INDICATOR = regex.compile(r"\p{Regional_Indicator}")
# Keycaps are emoji built from ASCII, with no pictographic code point to recognise them by.
_KEYCAP = regex.compile(r"[#*0-9]\uFE0F?\u20E3")

# Modelled on Mastodon's MENTION_RE, so only what Mastodon links as a mention gets the discount.
_MASTODON_MENTION = regex.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[a-z0-9_.\-]+[a-z0-9_]+)?)(?:@[\w.\-]+\w)?",
    regex.IGNORECASE,
)


def _link_spans(candidates: regex.Pattern[str], text: str) -> list[tuple[int, int]]:
    spans = []
    for match in candidates.finditer(text):
        start, end = match.span()
        while end > start:
            last = text[end - 1]
            if last == ")":
                # A closing parenthesis belongs to the link only when the link opened one,
                # as in Wikipedia addresses; otherwise it closes the sentence's own bracket.
                if text.count("(", start, end) >= text.count(")", start, end):
                    break
            elif _URL_LAST_CHAR.fullmatch(last):
                break
            end -= 1
        if end > start and not _SCHEME.fullmatch(text, start, end):
            spans.append((start, end))
    return spans


def _is_emoji(cluster: str) -> bool:
    return bool(
        _PICTOGRAPHIC.search(cluster)
        or _REGIONAL_INDICATOR.search(cluster)
        or _KEYCAP.fullmatch(cluster)
    )


def _x_code_point_weight(char: str) -> int:
    code = ord(char)
    for first, last, weight in _X_LIGHT_RANGES:
        if first <= code <= last:
            return weight
    return _X_DEFAULT_WEIGHT


def _x_plain_weight(text: str) -> int:
    total = 0
    for cluster in _GRAPHEME.findall(text):
        if _is_emoji(cluster):
            total += _X_EMOJI_WEIGHT
        else:
            total += sum(_x_code_point_weight(char) for char in cluster)
    return total


def _x_weight_between_urls(text: str) -> int:
    total = 0
    position = 0
    for start, end in _link_spans(_BARE_DOMAIN_CANDIDATE, text):
        link_weight = max(_SHORTENED_URL_LENGTH * _X_SCALE, _x_plain_weight(text[start:end]))
        total += _x_plain_weight(text[position:start]) + link_weight
        position = end
    return total + _x_plain_weight(text[position:])


def x_weighted_length(text: str) -> int:
    """Length as X counts it (twitter-text v3): most scripts 1, CJK 2, emoji 2, links 23."""
    # X counts the NFC form, so a decomposed "ə" or "é" must not cost two characters here.
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for start, end in _link_spans(_URL_CANDIDATE, text):
        total += _x_weight_between_urls(text[position:start]) + _SHORTENED_URL_LENGTH * _X_SCALE
        position = end
    total += _x_weight_between_urls(text[position:])
    return total // _X_SCALE


def grapheme_length(text: str) -> int:
    """User-perceived characters (extended grapheme clusters), as Bluesky counts them."""
    return len(_GRAPHEME.findall(text))


def mastodon_length(text: str) -> int:
    """Length as Mastodon counts it: links cost 23, "@user@domain" costs only "@user"."""
    parts = []
    position = 0
    for start, end in _link_spans(_URL_CANDIDATE, text):
        parts.append(_MASTODON_MENTION.sub(r"@\1", text[position:start]))
        parts.append("x" * _SHORTENED_URL_LENGTH)
        position = end
    parts.append(_MASTODON_MENTION.sub(r"@\1", text[position:]))
    # Code points are never fewer than the grapheme clusters newer Mastodon servers count, so
    # the page cannot promise a fit that the server would refuse.
    return len("".join(parts))


def _check_network(network: str) -> None:
    if network not in NETWORKS:
        raise ValueError(f"unknown network {network!r}; expected one of {', '.join(NETWORKS)}")


_MEASURES: dict[networks.Length, Callable[[str], int]] = {
    networks.Length.CHARACTERS: len,
    networks.Length.GRAPHEMES: grapheme_length,
    networks.Length.X_WEIGHTED: x_weighted_length,
    networks.Length.MASTODON: mastodon_length,
}


def measure(network: str, text: str) -> int:
    """Length of ``text`` in the unit the network's limit in ``LIMITS`` is expressed in."""
    _check_network(network)
    return _MEASURES[networks.NETWORKS[network].length](text)


# --- placeholders ----------------------------------------------------------------------------

_TOKEN = regex.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_FRAGMENT_AFTER = regex.compile(r"[^\s{}]{0,30}")
_FRAGMENT_BEFORE = regex.compile(r"[^\s{}]{0,30}$")


def _fragment_at(variant: str, index: int) -> str:
    """The brace with the word it is stuck to, so a message can point at e.g. "{url"."""
    if variant[index] == "{":
        after = _FRAGMENT_AFTER.match(variant, index + 1)
        return "{" + (after.group() if after else "")
    before = _FRAGMENT_BEFORE.search(variant[:index])
    return (before.group() if before else "") + "}"


def placeholder_errors(variant: str) -> list[str]:
    """What is wrong with a variant's placeholders, one message each; empty when it is fine."""
    errors: list[str] = []
    seen: set[str] = set()
    known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    for match in _TOKEN.finditer(variant):
        piece = match.group()
        if piece in ("{{", "}}"):
            continue
        if piece == "{":
            errors.append(
                f'"{_fragment_at(variant, match.start())}" has no closing "}}"; '
                f'write "{{{{" for a literal "{{"'
            )
        elif piece == "}":
            errors.append(
                f'"{_fragment_at(variant, match.start())}" has no opening "{{"; '
                f'write "}}}}" for a literal "}}"'
            )
        elif match.group(1) not in PLACEHOLDERS and piece not in seen:
            seen.add(piece)
            errors.append(f'unknown placeholder "{piece}"; use {known}')
    return errors


@dataclass(frozen=True)
class _Parts:
    """Which optional parts are still in; each flag is switched off by one drop step."""

    url: bool = True
    extra_hashtags: bool = True
    name_mentions: bool = True
    extra_mentions: bool = True


_EVERYTHING = _Parts()

_SPACES = regex.compile(r"[ \t]+")
_SPACE_AT_LINE_EDGE = regex.compile(r" ?\n ?")
_BLANK_LINES = regex.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    # Form fields submit CRLF; networks count both characters, so only "\n" should survive.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = _SPACE_AT_LINE_EDGE.sub("\n", text)
    # A placeholder alone on its line leaves an empty line behind when it is dropped.
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _hashtags(ctx: ShareContext, network: str, parts: _Parts) -> str:
    tags = [tag.strip().lstrip("#") for tag in ctx.hashtags]
    tags = [tag for tag in tags if tag]
    topic_tags = networks.NETWORKS[network].topic_tags
    if topic_tags is not None:
        tags = tags[:topic_tags]
    if not parts.extra_hashtags:
        tags = tags[:1]
    return " ".join("#" + tag for tag in tags)


def _mentions(ctx: ShareContext, network: str, parts: _Parts) -> str:
    entries: list[tuple[bool, str]] = []
    for target in ctx.targets:
        handle = target.accounts.get(network, "").strip().lstrip("@")
        if handle:
            entries.append((True, "@" + handle))
        elif target.name.strip():
            entries.append((False, target.name.strip()))
    handles = [entry for entry in entries if entry[0]]
    if not parts.name_mentions:
        entries = handles or entries[:1]
    if not parts.extra_mentions:
        entries = handles[:1] or entries[:1]
    return " ".join(text for _, text in entries)


def _expand(variant: str, ctx: ShareContext, network: str, parts: _Parts) -> str:
    errors = placeholder_errors(variant)
    if errors:
        raise ValueError("; ".join(errors))
    values = {
        "hashtags": _hashtags(ctx, network, parts),
        "mentions": _mentions(ctx, network, parts),
        "url": ctx.url if parts.url else "",
    }

    def replace(match: regex.Match[str]) -> str:
        piece: str = match.group()
        if piece in ("{{", "}}"):
            return piece[0]
        return values[match.group(1)]

    return _tidy(_TOKEN.sub(replace, variant))


def render(variant: str, ctx: ShareContext, network: str) -> str:
    """The variant with every placeholder expanded for ``network``, nothing dropped."""
    _check_network(network)
    return _expand(variant, ctx, network, _EVERYTHING)


def compose(variant: str, ctx: ShareContext, network: str, personal: str = "") -> Composed:
    """The post for ``network``: personal sentence first, then the variant, made to fit.

    See the module docstring for the order in which optional parts are dropped.
    """
    _check_network(network)
    personal = _tidy(personal)
    limit = LIMITS[network]

    def build(parts: _Parts) -> str:
        body = _expand(variant, ctx, network, parts)
        return "\n\n".join(piece for piece in (personal, body) if piece)

    parts = _EVERYTHING
    text = build(parts)
    dropped: list[str] = []
    for step in DROP_ORDER:
        if limit is None or measure(network, text) <= limit:
            break
        parts = dataclasses.replace(parts, **{step: False})
        shorter = build(parts)
        if shorter != text:
            dropped.append(step)
            text = shorter
    return Composed(
        network=network,
        text=text,
        length=measure(network, text),
        limit=limit,
        dropped=tuple(dropped),
    )


ELLIPSIS = "…"
_GRAPHEME = regex.compile(r"\X")


def shorten_personal(variant: str, ctx: ShareContext, network: str, personal: str) -> str | None:
    """The person's own sentence cut so that the post for ``network`` fits with everything the
    campaign's text has without it: as long as it can be, ending at a word (within a word only
    when it has no space, as in Chinese or Japanese, and never inside a character such as an
    emoji), marked with an ellipsis. None when their sentence costs nothing (the post fits and
    nothing more is left out than without it), or when no cut of it helps.

    Only *their* words are cut: the campaign's hashtags and targets stay in.
    """
    personal = _tidy(personal)
    if not personal:
        return None
    campaign_only = compose(variant, ctx, network)
    if not campaign_only.fits:
        return None

    def costs_nothing(sentence: str) -> bool:
        composed = compose(variant, ctx, network, sentence)
        return composed.fits and composed.dropped == campaign_only.dropped

    if costs_nothing(personal):
        return None
    graphemes = _GRAPHEME.findall(personal)
    words = [i for i, g in enumerate(graphemes) if g.isspace()]
    cuts = words if words else list(range(1, len(graphemes)))

    def candidate(end: int) -> str:
        kept = "".join(graphemes[:end]).rstrip(" ,;:.-–—")
        # Nothing of the sentence left is no sentence: then the ellipsis alone would not fit.
        return kept + ELLIPSIS if kept else ""

    # Longer cuts are longer posts: the last cut that costs nothing is found by halving.
    low, high, best = 0, len(cuts) - 1, None
    while low <= high:
        middle = (low + high) // 2
        text = candidate(cuts[middle])
        if text and costs_nothing(text):
            best, low = text, middle + 1
        else:
            high = middle - 1
    return best


# --- share addresses -------------------------------------------------------------------------

_LABEL = regex.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?")
_USERNAME = regex.compile(r"[a-z0-9_](?:[a-z0-9_.\-]*[a-z0-9_])?", regex.IGNORECASE)
_HOST_CHARS = regex.compile(r"[^\s/?#@:\\%]+")


def normalise_instance(value: str) -> str | None:
    """The bare host of someone's Mastodon server, from what they typed; None if unusable.

    Accepts "mastodon.social", "https://mastodon.social/", "@me@mastodon.social" and
    "me@mastodon.social". The host goes straight into a link we send people to, so anything
    that could smuggle in a path, query, port or credentials is refused rather than repaired.
    """
    value = value.strip()
    scheme = _SCHEME.match(value)
    if scheme is not None:
        value = value[scheme.end() :]
        if value.endswith("/"):
            value = value[:-1]
    elif "@" in value:
        user, _, value = value.removeprefix("@").partition("@")
        if not _USERNAME.fullmatch(user):
            return None
    if not _HOST_CHARS.fullmatch(value):
        return None
    try:
        # Internationalised domains are valid instances; their ASCII form is what browsers use.
        host = value.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or labels[-1].isdigit():
        return None
    if not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return host


def _q(value: str) -> str:
    return quote(value, safe="")


def share_url(network: str, text: str, page_url: str, instance: str | None = None) -> str | None:
    """The network's share address pre-filled with ``text``; None where there is none.

    Mastodon needs the person's own ``instance``; without a usable one there is no address.
    """
    _check_network(network)
    template = networks.NETWORKS[network].share
    if template is None:
        return None
    host = ""
    if networks.NETWORKS[network].needs_instance:
        host = (normalise_instance(instance) if instance else None) or ""
        if not host:
            return None
    if networks.NETWORKS[network].link_apart and page_url:
        # The network appends the link itself; left in the text it would appear twice.
        text = _tidy(text.replace(page_url, ""))
    return template.format(text=_q(text), url=_q(page_url), instance=host)


def reply_url(network: str, post_url: str, text: str) -> str:
    """Where a person answers under a post: the network's reply composer pre-filled with
    ``text`` where it has one (X), else the post's own page, where the network's reply button
    is (Bluesky, Mastodon and the rest)."""
    _check_network(network)
    described = networks.NETWORKS[network]
    found = (
        regex.search(described.reply_id, urlsplit(post_url).path)
        if described.reply and described.reply_id
        else None
    )
    if described.reply is None or found is None:
        return post_url
    return described.reply.format(post_id=_q(found.group(1)), text=_q(text))
