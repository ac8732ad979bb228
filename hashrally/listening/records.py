"""Normalised posts and authors: what every connector and importer turns its input into."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import lzma
import os
import threading
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import regex
import zstandard

from hashrally.core.folding import fold_handle, fold_tag

_HASHTAG = regex.compile(r"(?<![\w&])[#＃](\w*\p{L}\w*)")
_MENTION = regex.compile(r"(?<![\w@])@([\w.\-]+(?:@[\w.\-]+\.\w+)?)")
_LINK = regex.compile(r"https?://[^\s<>\"']+")


def hashtags_in(text: str) -> list[str]:
    return unique(fold_tag(m) for m in _HASHTAG.findall(text))


def mentions_in(text: str) -> list[str]:
    return unique(fold_handle(m).rstrip(".") for m in _MENTION.findall(text))


def links_in(text: str) -> list[str]:
    return unique(m.rstrip(".,;:!?)") for m in _LINK.findall(text))


def unique(items: object) -> list[str]:
    if isinstance(items, list) and len(items) < 2:  # most posts' tags, mentions and links
        return items
    return list(dict.fromkeys(items))  # type: ignore[call-overload]


# Short texts are too little to guess a language from honestly.
DETECT_MIN_CHARS = 20


_model_lock = threading.Lock()
_identifier: Any = None
# Where the language model is kept decompressed (as zstd), or None: set by the listening app
# from settings, and handed to parsing processes.
_model_cache: Path | None = None


def use_model_cache(directory: Path | None) -> None:
    global _model_cache
    _model_cache = directory


def model_cache() -> Path | None:
    return _model_cache


def language_identifier() -> Any:
    """py3langid's identifier, loaded once, whichever thread asks first. Parsing processes ask
    in a thread of their own as they start, so the first range is parsed meanwhile."""
    global _identifier
    with _model_lock:
        if _identifier is None:
            _identifier = _load_identifier(_model_cache)
    return _identifier


def _load_identifier(cache: Path | None) -> Any:
    """The model as py3langid ships it takes 0.5 s to load, three quarters of it undoing its
    LZMA compression: the first range of every import waited for it (bench/listening.py). Kept
    once in the cache as zstd, which undoes in a sixth of the time, it loads in 0.2 s. Any
    trouble with the cache (unwritable, a py3langid that lays its model out otherwise) falls
    back to py3langid's own loading."""
    # Imported lazily: loading the model costs time most imports never need.
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    if cache is not None:
        source = MODEL_DIR / MODEL_FILE
        stat = source.stat()
        kept = cache / f"langid-{stat.st_size}-{stat.st_mtime_ns}.npz.zst"
        try:
            if not kept.exists():
                _keep(source, kept)
            data = zstandard.ZstdDecompressor().decompress(kept.read_bytes())
            return _from_npz(LanguageIdentifier, data)
        except (OSError, ValueError, KeyError, zstandard.ZstdError):
            # Written again next time, if it can be.
            with contextlib.suppress(OSError):
                kept.unlink(missing_ok=True)
    return LanguageIdentifier.from_model_file(MODEL_FILE)


def _keep(source: Path, kept: Path) -> None:
    """The model decompressed and compressed again with zstd, written whole or not at all."""
    kept.parent.mkdir(parents=True, exist_ok=True)
    with lzma.open(source) as model:
        data = zstandard.ZstdCompressor(level=3).compress(model.read())
    partial = kept.with_name(f"{kept.name}.{os.getpid()}.tmp")
    partial.write_bytes(data)
    partial.replace(kept)


def _from_npz(identifier: Any, data: bytes) -> Any:
    """An identifier from py3langid's npz model (its own layout, read as its loader does)."""
    import numpy as np  # with the model only: 0.08 s of every start otherwise

    with np.load(io.BytesIO(data), allow_pickle=False) as model:
        return identifier(
            np.asarray(model["ptc"]),
            np.asarray(model["pc"]),
            model["classes"].tolist(),
            _uints(model["nextmove"]),
            model["out_feat"].tolist(),
            tk_row=_uints(model["nextmove_row"]),
        )


def _uints(values: Any) -> array:
    """Unsigned integers as the standard library's array, as py3langid keeps its DFA."""
    import numpy as np

    out = array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out


def guess_language(text: str) -> str | None:
    """The text's language, if it is long enough to guess from."""
    if len(text) < DETECT_MIN_CHARS:
        return None
    guess, _score = language_identifier().classify(text)
    return str(guess)


def detect_language(record: PostRecord) -> None:
    """Only where the network gave no language."""
    if not record.language and not record.language_detected:
        guess = guess_language(record.text)
        if guess is not None:
            record.language = guess
            record.language_detected = True


def parse_time(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        # Python 3.11 reads a trailing Z as UTC.
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is dt.UTC:
        return parsed
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


# Records are msgspec Structs rather than dataclasses: made three times faster, a tenth of the
# parsing processes' time per post, and read back as a tuple in one call (rows.py). The fields
# the store writes come first, in the order it writes them; the moment, then the JSON lists,
# last, as they are converted on the way.
class AuthorRecord(msgspec.Struct):
    network: str
    author_id: str
    handle: str = ""
    name: str = ""
    followers: int | None = None
    following: int | None = None
    posts_count: int | None = None
    location: str = ""
    description: str = ""
    bot_label: bool | None = None
    created_at: dt.datetime | None = None


class PostRecord(msgspec.Struct):
    network: str
    post_id: str
    author_id: str
    url: str = ""
    author_handle: str = ""
    text: str = ""
    language: str = ""
    language_detected: bool = False
    kind: str = "original"
    refers_to: str = ""
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    quotes: int | None = None
    views: int | None = None
    created_at: dt.datetime | None = None
    hashtags: list[str] = []
    mentions: list[str] = []
    links: list[str] = []
    # What the post it reposts, quotes or answers carries, when the page brings that post along
    # (an X retweet's own text is cut short, so its tags are only in the retweeted post). Read
    # to decide whether the post is a campaign's; not stored as the post's own.
    context_hashtags: list[str] = []
    context_mentions: list[str] = []


# A post that is several things at once takes the first of these, on every network: a repost
# shares a post as it is (its own text, if any, is not the author's), a quote adds a comment to
# another post even when it also answers one (docs/metrics.md).
KIND_PRECEDENCE = ("repost", "quote", "reply", "original")


def first_kind(kinds: dict[str, str]) -> tuple[str, str]:
    """(kind, the post it refers to) of the first kind in KIND_PRECEDENCE among `kinds`
    (kind -> referred post id); ("original", "") when it refers to nothing."""
    for kind in KIND_PRECEDENCE:
        if kind in kinds:
            return kind, kinds[kind]
    return "original", ""


@dataclass
class Page:
    """What one page of a network's answer, or one line of a file, yields."""

    posts: list[PostRecord] = field(default_factory=list)
    authors: list[AuthorRecord] = field(default_factory=list)
    # A line or page that is an error object from the API rather than data.
    api_error: str = ""


class Prepared(msgspec.Struct, array_like=True):
    """A page as the rows the store writes (listening/rows.py): one per post (in the order of
    rows.POST_COLUMNS) with what of the campaign it carries, one per author."""

    posts: list[tuple[Any, ...]]
    # Per post: (hashtags, targets) of the campaign it carries, as JSON, or None.
    found: list[tuple[str, str] | None]
    authors: list[tuple[Any, ...]]


@dataclass
class Chunk:
    """One unit a run stores: a network's page or a file's line (or batch of rows)."""

    where: str  # request URL, or file:line
    raw: bytes
    page: Page | None  # None: a problem, recorded and skipped
    problem: str
    checkpoint: dict[str, Any]
    progress: int = 0  # bytes done (files) or posts read (networks)
    fatal: bool = False
    compressed: bytes = b""  # the raw bytes already compressed, by a parsing process
    # The page's rows, prepared by a parsing process, which then leaves out `page`.
    prepared: Prepared | None = None
    # Not a page: the source is about to wait for its next one (jsonlines.IDLE), so the
    # writer may store what it has gathered meanwhile.
    idle: bool = False

    @property
    def refused(self) -> bool:
        return self.page is None and self.prepared is None and not self.idle
