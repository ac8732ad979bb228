"""Signs of inauthentic activity in a campaign's posts: bot-like authors, copied texts, bursts.

Pure functions on plain data; the report computation reads the database and calls these. Each
rule is simple enough to state in one sentence of docs/metrics.md ("Authenticity and estimated
countries (rules)"), and each answer says which rule fired, because the report has to explain
its numbers rather than hand down a score.

None of these signals proves anything about a single author or post. They are counted and shown
as such; a campaign's reach is never silently reduced by them.
"""

from __future__ import annotations

import hashlib
import unicodedata
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import regex

__all__ = [
    "AuthorSignals",
    "Burst",
    "ClusterResult",
    "Sketch",
    "bot_like",
    "bursts",
    "clusters",
    "normalise",
    "shingles",
    "text_digest",
]

# --- bot-like authors -------------------------------------------------------------------------

NEW_ACCOUNT_DAYS = 30
HIGH_RATE_POSTS_PER_DAY = 50
# The rate is measured over at least one day. With the one-hour floor of active_days, three
# posts within an hour would already be "72 a day", which is what an ordinary new supporter
# does on the day a campaign starts; more than 50 posts in a day is what the literature on
# automated accounts means by a high rate.
HIGH_RATE_MIN_SPAN_DAYS = 1.0
FOLLOW_RATIO_MIN_FOLLOWING = 1000
FOLLOW_RATIO_MAX = 0.05
# Signals other than the network's own label that must fire together.
BOT_MIN_SIGNALS = 2


@dataclass(frozen=True, slots=True)
class AuthorSignals:
    """What the rules look at for one author. None means the network did not say."""

    network: str
    author_id: str
    created_at: datetime | None
    first_post_at: datetime | None  # their first post matched for the campaign
    posts_in_campaign: int
    # Span between their first and last campaign post, in days, at least 1/24 (one hour).
    active_days: float
    followers: int | None
    following: int | None
    name: str
    description: str
    has_default_profile: bool | None
    bot_label: bool | None


def bot_like(signals: AuthorSignals) -> tuple[bool, list[str]]:
    """Whether the author looks automated, and the names of the signals that fired.

    Signals: ``new_account`` (account younger than 30 days at its first campaign post),
    ``high_rate`` (more than 50 campaign posts per active day, the span counted as at least
    one day), ``empty_profile`` (no description, and a default profile or no display name),
    ``follow_ratio`` (follows 1,000 or more accounts, followed back by fewer than 5 % as many),
    ``network_label`` (the network labels the account automated). Bot-like: the network's
    label alone, or two or more of the other four. Missing data never fires a signal.
    """
    reasons: list[str] = []
    s = signals
    if s.created_at is not None and s.first_post_at is not None:
        age = s.first_post_at - s.created_at
        # A negative age is inconsistent data (or clock skew), not evidence.
        if timedelta(0) <= age < timedelta(days=NEW_ACCOUNT_DAYS):
            reasons.append("new_account")
    span = max(s.active_days, HIGH_RATE_MIN_SPAN_DAYS)
    if s.posts_in_campaign / span > HIGH_RATE_POSTS_PER_DAY:
        reasons.append("high_rate")
    if not s.description.strip() and (s.has_default_profile is True or not s.name.strip()):
        reasons.append("empty_profile")
    if (
        s.followers is not None
        and s.following is not None
        and s.following >= FOLLOW_RATIO_MIN_FOLLOWING
        and s.followers / s.following < FOLLOW_RATIO_MAX
    ):
        reasons.append("follow_ratio")
    if s.bot_label is True:
        reasons.append("network_label")
    is_bot = "network_label" in reasons or len(reasons) >= BOT_MIN_SIGNALS
    return is_bot, reasons


# --- copied texts -----------------------------------------------------------------------------

NUM_PERM = 64
SEED = 1
TEMPLATE_SIMILARITY = 0.5
MIN_CLUSTER_POSTS = 3
# Distinct texts signed per numpy batch, and the most shingles per batch: bounds the batch's
# (shingles x 64) working array to about 25 MB.
_BATCH_TEXTS = 4096
_BATCH_SHINGLES = 100_000

_URL = regex.compile(r"(?:https?://|www\.)\S+")
# "@user" and Mastodon's "@user@server"; "#tag" keeps its word, only the sign goes below.
_MENTION = regex.compile(r"(?<![\w@])@[\w.]+(?:@[\w.-]+)?")
_NOT_WORD = regex.compile(r"[^\p{L}\p{M}\p{N}\s]+")


def normalise(text: str) -> str:
    """The text as compared: case-folded, without URLs, mentions and punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _NOT_WORD.sub(" ", text)
    return " ".join(text.split())


def text_digest(normalised: str) -> str:
    """What identifies a normalised text: texts equal after :func:`normalise` are signed once."""
    return hashlib.blake2b(normalised.encode(), digest_size=16).hexdigest()


def shingles(normalised: str) -> list[bytes]:
    words = normalised.split()
    if len(words) < 3:
        return [w.encode() for w in words]
    return [" ".join(words[i : i + 3]).encode() for i in range(len(words) - 2)]


_U32 = npt.NDArray[np.uint32]


def _fmix32(h: _U32) -> _U32:
    # MurmurHash3's finaliser, which datasketch's "affine32" scheme applies to every input hash
    # before its permutations; repeated here so that whole batches are signed in one numpy pass
    # (datasketch signs one set at a time, ~40 times slower). A test checks that the result
    # equals datasketch's own MinHash.
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


class _Signer:
    def __init__(self) -> None:
        # datasketch loads scipy (0.6 s): imported by what signs texts, not by the rules a
        # report applies to authors and bursts.
        from datasketch import MinHash  # type: ignore[import-untyped]

        # datasketch's own permutations for this seed, so that signatures are MinHashes in
        # datasketch's sense (scheme "affine32").
        a, b = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32").permutations
        self.a = np.asarray(a, dtype=np.uint32)[None, :]
        self.b = np.asarray(b, dtype=np.uint32)[None, :]

    def sign(self, docs: list[list[bytes]]) -> _U32:
        """One MinHash signature (row of NUM_PERM uint32) per non-empty shingle list."""
        from datasketch.hashfunc import sha1_hash32  # type: ignore[import-untyped]

        lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        total = int(lengths.sum())
        hv = np.fromiter(
            (sha1_hash32(s) for d in docs for s in d), dtype=np.uint32, count=total
        ).reshape(-1, 1)
        permuted = _fmix32(hv) * self.a + self.b  # wraps modulo 2**32, as in datasketch
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        signed: _U32 = np.minimum.reduceat(permuted, starts, axis=0)
        return signed


class Sketch:
    """How texts are compared, shared by :func:`clusters` and the fold's running clusters
    (reports/copies.py), so that both sign, spot template use and bucket texts alike."""

    def __init__(self, templates: Iterable[str], threshold: float = 0.8) -> None:
        self._signer = _Signer()
        all_docs = [shingles(normalise(t)) for t in templates]
        docs = [sh for sh in all_docs if sh]
        # Which of the texts given each signature is (a text with no words has none).
        self._template_index = np.asarray([i for i, sh in enumerate(all_docs) if sh], dtype=int)
        self._templates = self._signer.sign(docs) if docs else None
        from datasketch import MinHashLSH

        lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.bands, self.rows = lsh.b, lsh.r
        del lsh
        rng = np.random.default_rng(SEED)
        # Odd 64-bit multipliers: a band's r values are folded into one uint64 key.
        self._multipliers = (
            rng.integers(0, 2**63, size=(self.bands, self.rows), dtype=np.uint64) * np.uint64(2)
        ) + np.uint64(1)
        self.need = threshold * NUM_PERM  # equal values for two signatures to be similar

    def sign(self, docs: list[list[bytes]]) -> _U32:
        """One signature (row of NUM_PERM uint32) per non-empty list of :func:`shingles`."""
        return self._signer.sign(docs)

    def template_use(self, signed: _U32) -> npt.NDArray[np.bool_]:
        """Per signature: whether it is 0.5 or more alike one of the campaign's texts."""
        return np.asarray(self.closest_template(signed) >= 0)

    def closest_template(self, signed: _U32) -> npt.NDArray[np.int_]:
        """Per signature: the index (among the texts given) of the campaign's text it is most
        alike, when 0.5 or more alike one; else -1. Which message variant a post followed."""
        if self._templates is None or not len(signed):
            return np.full(len(signed), -1, dtype=int)
        alike = np.stack([(signed == t).sum(axis=1) for t in self._templates], axis=1)
        best = alike.argmax(axis=1)
        enough = alike[np.arange(len(signed)), best] >= TEMPLATE_SIMILARITY * NUM_PERM
        return np.where(enough, self._template_index[best], -1)

    def band_keys(self, signed: _U32) -> npt.NDArray[np.uint64]:
        """Per signature, one uint64 key a band: texts sharing a key are compared."""
        folded = np.empty((len(signed), self.bands), dtype=np.uint64)
        for i in range(self.bands):
            part = signed[:, i * self.rows : (i + 1) * self.rows].astype(np.uint64)
            folded[:, i] = (part * self._multipliers[i]).sum(axis=1, dtype=np.uint64)
        return folded

    def similar(self, signature: _U32, others: _U32) -> npt.NDArray[np.bool_]:
        """Per row of `others`: whether it is `threshold` alike `signature`."""
        return np.asarray((others == signature).sum(axis=1) >= self.need)


class _Rows:
    """Rows appended in chunks: no doubling-and-copying of one big array as it grows."""

    _SHIFT = 16
    _CHUNK = 1 << _SHIFT

    def __init__(self, width: int, dtype: npt.DTypeLike) -> None:
        self._width = width
        self._dtype = dtype
        self._chunks: list[npt.NDArray[Any]] = []
        self.n = 0

    def extend(self, rows: npt.NDArray[Any]) -> None:
        done = 0
        while done < len(rows):
            used = self.n % self._CHUNK
            if used == 0:
                self._chunks.append(np.empty((self._CHUNK, self._width), dtype=self._dtype))
            take = min(self._CHUNK - used, len(rows) - done)
            self._chunks[-1][used : used + take] = rows[done : done + take]
            done += take
            self.n += take

    def row(self, i: int) -> npt.NDArray[Any]:
        return self._chunks[i >> self._SHIFT][i & (self._CHUNK - 1)]

    def column(self, j: int) -> npt.NDArray[Any]:
        if not self._chunks:
            return np.empty(0, dtype=self._dtype)
        return np.concatenate([c[:, j] for c in self._chunks])[: self.n]


@dataclass
class ClusterResult:
    template_posts: set[str] = field(default_factory=set)
    # Each cluster's post keys in input order; the biggest cluster first.
    suspect_clusters: list[list[str]] = field(default_factory=list)
    suspect_posts: set[str] = field(default_factory=set)


def clusters(
    posts: Iterable[tuple[str, str]], templates: Iterable[str], *, threshold: float = 0.8
) -> ClusterResult:
    """Posts that use the campaign's texts, and groups of near-identical posts that don't.

    ``posts`` are (post key, text); pass originals, replies and quotes, not reposts, whose text
    is the reposted one by design. Texts are compared after :func:`normalise`, as sets of word
    3-shingles (single words for texts under three words), through 64-permutation MinHashes
    (datasketch, fixed seed: the same input gives the same answer).

    A post is template use when its estimated Jaccard similarity with one of ``templates`` is
    0.5 or more. The other posts are grouped when their similarity is ``threshold`` or more,
    directly or through a chain; groups of at least 3 posts are suspect clusters.

    Cost: identical normalised texts are grouped by a dictionary first and signed once. Each
    distinct non-template text keeps its signature (256 bytes) and its LSH band keys (8 bytes
    per band); with the bookkeeping, about 0.5 KB per distinct text: a million short posts, 600,000
    of them distinct, took 19 s and 400 MB on one core in our measurement. Band collisions are
    found by sorting each band once at the end rather than with datasketch's MinHashLSH object,
    which took 1.7 KB and 85 µs per text; the bands and rows per band are MinHashLSH's own
    choice for ``threshold``, and every candidate pair is checked against ``threshold``.
    """
    sketch = Sketch(templates, threshold)
    bands = sketch.bands

    keys: list[str] = []
    post_rep = array("q")  # per post: its distinct text's number, or -1 for an empty text
    rep_of: dict[str, int] = {}
    # Per distinct text: its row among the non-template signatures, or -1 for template use.
    rep_row = array("q")
    sigs = _Rows(NUM_PERM, np.uint32)
    band_keys = _Rows(bands, np.uint64)
    pending: list[list[bytes]] = []
    pending_shingles = 0

    def flush() -> None:
        nonlocal pending_shingles
        if not pending:
            return
        signed = sketch.sign(pending)
        is_template = sketch.template_use(signed)
        kept = signed[~is_template]
        first_row = sigs.n
        sigs.extend(kept)
        if len(kept):
            band_keys.extend(sketch.band_keys(kept))
        row = first_row
        for template in is_template.tolist():
            if template:
                rep_row.append(-1)
            else:
                rep_row.append(row)
                row += 1
        pending.clear()
        pending_shingles = 0

    for key, text in posts:
        keys.append(key)
        norm = normalise(text)
        if not norm:
            post_rep.append(-1)
            continue
        digest = text_digest(norm)
        rep = rep_of.get(digest)
        if rep is None:
            rep = rep_of[digest] = len(rep_of)
            words = shingles(norm)
            pending.append(words)
            pending_shingles += len(words)
            if len(pending) >= _BATCH_TEXTS or pending_shingles >= _BATCH_SHINGLES:
                flush()
        post_rep.append(rep)
    flush()
    del rep_of

    n = sigs.n
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    need = sketch.need
    for i in range(bands):
        column = band_keys.column(i)
        order = np.argsort(column, kind="stable")
        ordered = column[order]
        del column
        cuts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        starts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [n]))
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            if end - start < 2:
                continue
            members = order[start:end].tolist()
            # Each member is checked against the first member of each group found so far in
            # this bucket, not against every member: buckets of near-duplicates can be large.
            leaders = [members[0]]
            leader_sigs = [sigs.row(members[0])]
            for m in members[1:]:
                similar = (np.stack(leader_sigs) == sigs.row(m)).sum(axis=1) >= need
                hits = [leader for leader, ok in zip(leaders, similar.tolist(), strict=True) if ok]
                if not hits:
                    leaders.append(m)
                    leader_sigs.append(sigs.row(m))
                    continue
                for leader in hits:
                    a, b = find(m), find(leader)
                    if a != b:
                        parent[max(a, b)] = min(a, b)

    result = ClusterResult()
    roots = np.fromiter((find(i) for i in range(n)), dtype=np.int64, count=n)
    # -2 for posts with an empty text (post_rep -1 picks the appended last entry): neither kind.
    lookup = np.concatenate((np.asarray(rep_row, dtype=np.int64), np.array([-2], dtype=np.int64)))
    post_rows = lookup[np.asarray(post_rep, dtype=np.int64)]
    for index in np.flatnonzero(post_rows == -1).tolist():
        result.template_posts.add(keys[index])
    signed = np.flatnonzero(post_rows >= 0)
    post_roots = roots[post_rows[signed]]
    sizes = np.bincount(post_roots, minlength=n)
    members_of: dict[int, list[int]] = {}
    for index in signed[sizes[post_roots] >= MIN_CLUSTER_POSTS].tolist():
        members_of.setdefault(int(roots[post_rows[index]]), []).append(index)
    groups = list(members_of.values())
    groups.sort(key=lambda m: (-len(m), m[0]))
    for group in groups:
        cluster = [keys[i] for i in group]
        result.suspect_clusters.append(cluster)
        result.suspect_posts.update(cluster)
    return result


# --- bursts -----------------------------------------------------------------------------------


# The fold counts posts per ten minutes for these windows (reports/flags.py).
BURST_WINDOW_MINUTES = 10
BURST_MIN_POSTS = 20
BURST_MIN_NEW_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Burst:
    start: datetime  # the first post of the burst
    end: datetime  # the last post of the burst
    posts: int
    new_account_posts: int


def bursts(
    events: Iterable[tuple[datetime, bool]],
    *,
    window_minutes: int = BURST_WINDOW_MINUTES,
    min_posts: int = BURST_MIN_POSTS,
    min_new_share: float = BURST_MIN_NEW_SHARE,
    starting: Callable[[datetime], bool] | None = None,
) -> list[Burst]:
    """Short spells of many posts mostly from new accounts.

    ``events`` are (post time, whether its author's account is new). Every window of
    ``window_minutes`` that starts at a post is considered, holding every post up to (not
    including) ``window_minutes`` later. A window with ``min_posts`` posts or more, of which a
    share of ``min_new_share`` or more come from new accounts, qualifies; qualifying windows
    that overlap are merged into one burst, reported from its first to its last post with the
    counts of all posts in between.

    ``starting``, when given, says which posts may start a window: a caller that knows the
    others cannot start a qualifying one (reports/flags.py) passes only the posts around those
    that can, and windows from the rest would see too few of the posts after them.
    """
    ordered = sorted(events, key=lambda e: e[0])
    times = [t for t, _ in ordered]
    new_before = [0]  # new-account posts before index i
    for _, is_new in ordered:
        new_before.append(new_before[-1] + (1 if is_new else 0))
    window = timedelta(minutes=window_minutes)

    spans: list[tuple[int, int]] = []  # qualifying windows as [first, last] post indexes
    end = 0
    for start in range(len(times)):
        end = max(end, start)
        while end + 1 < len(times) and times[end + 1] - times[start] < window:
            end += 1
        if starting is not None and not starting(times[start]):
            continue
        count = end - start + 1
        new = new_before[end + 1] - new_before[start]
        if count >= min_posts and new >= min_new_share * count:
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], end))
            else:
                spans.append((start, end))

    return [
        Burst(
            start=times[first],
            end=times[last],
            posts=last - first + 1,
            new_account_posts=new_before[last + 1] - new_before[first],
        )
        for first, last in spans
    ]
