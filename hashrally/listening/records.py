"""Normalised posts and authors: what every connector and importer turns its input into."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import lzma
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import regex

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
# Where the language model is kept as plain arrays (_load_identifier), or None: set by the
# listening app from settings, and handed to parsing processes.
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


# The model's arrays, as py3langid's npz names them.
_MODEL_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


def _load_identifier(cache: Path | None) -> Any:
    """The model as py3langid ships it takes 0.5 s to load, three quarters of it undoing its
    LZMA compression, and every import's first range waited for it (bench/listening.py). Kept
    once in the cache as plain arrays (68 MB), it is mapped into memory instead of read: 0.01
    s to load against 0.2-0.3 s for a zstd copy, and a parsing process and the writer share the
    pages. Any trouble with the cache (unwritable, cut, a py3langid that lays its model out
    otherwise) falls back to py3langid's own loading."""
    # Imported lazily: loading the model costs time most imports never need.
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    if cache is not None:
        source = MODEL_DIR / MODEL_FILE
        stat = source.stat()
        kept = cache / f"langid-{stat.st_size}-{stat.st_mtime_ns}"
        try:
            if not kept.is_dir():
                _keep(source, kept)
            return _mapped(LanguageIdentifier, kept)
        except (OSError, ValueError, KeyError, EOFError):
            # Written again next time, if it can be.
            shutil.rmtree(kept, ignore_errors=True)
    return LanguageIdentifier.from_model_file(MODEL_FILE)


# A half-written copy older than this is a process's that ended before it finished.
_ABANDONED_SECONDS = 3600


def _keep(source: Path, kept: Path) -> None:
    """The model's arrays written out as .npy files and flushed to the disk, the directory whole
    or not at all; copies of other versions, and ones left half-written, removed."""
    import numpy as np

    kept.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f"{kept.name}.", suffix=".tmp", dir=kept.parent))
    try:
        with lzma.open(source) as model:
            npz = np.load(io.BytesIO(model.read()), allow_pickle=False)
        with npz:
            for name in _MODEL_ARRAYS:
                with (partial / f"{name}.npy").open("wb") as out:
                    np.save(out, npz[name], allow_pickle=False)
                    out.flush()
                    # A power cut after the rename must not leave files of the right size
                    # holding zeros: they would load, and guess wrong.
                    os.fsync(out.fileno())
        _sync_directory(partial)
    except BaseException:  # a full disk, Ctrl-C: nothing half-written is left
        shutil.rmtree(partial, ignore_errors=True)
        raise
    try:
        partial.rename(kept)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if not kept.is_dir():
            raise
        # Another process kept it first.
    else:
        _sync_directory(kept.parent)
    _forget_other_copies(kept)


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _forget_other_copies(kept: Path) -> None:
    """Another py3langid's copy, an earlier hashrally's zstd one, or one a process left
    half-written: 68 MB each. Removing a directory another process has mapped is safe (its
    mapping stays until it ends)."""
    now = time.time()
    for other in kept.parent.glob("langid-*"):
        if other == kept:
            continue
        with contextlib.suppress(OSError):
            if other.name.endswith(".tmp") and now - other.stat().st_mtime < _ABANDONED_SECONDS:
                continue  # being written now
            if other.is_dir():
                shutil.rmtree(other)
            else:
                other.unlink()


def _mapped(identifier: Any, kept: Path) -> Any:
    """An identifier over the kept arrays mapped into memory, read as py3langid's loader reads
    its npz (its DFA as flat unsigned integers, indexed one at a time). Arrays of another
    layout raise ValueError, so that py3langid's own loading is used."""
    import numpy as np  # with the model only: 0.08 s of every start otherwise

    model = {name: np.load(kept / f"{name}.npy", mmap_mode="r") for name in _MODEL_ARRAYS}
    for name in ("nextmove", "nextmove_row"):
        array = model[name]
        if array.ndim != 1 or array.dtype.kind != "u" or not array.dtype.isnative:
            raise ValueError(f"the model's {name} is not a flat array of native unsigned integers")
    return identifier(
        model["ptc"],
        np.asarray(model["pc"]),
        model["classes"].tolist(),
        memoryview(model["nextmove"]),
        model["out_feat"].tolist(),
        tk_row=memoryview(model["nextmove_row"]),
    )


def guess_language(text: str) -> str | None:
    """The text's language, if it is long enough to guess from."""
    if len(text) < DETECT_MIN_CHARS:
        return None
    if len(text) > _GUESSES_UP_TO_CHARS:
        return _guess.__wrapped__(text)
    return _guess(text)


# Texts longer than this are guessed each time: the cache's memory stays under 4,096 of them
# (about 16 MB at four bytes a character, a text with an emoji).
_GUESSES_UP_TO_CHARS = 1000


@functools.lru_cache(maxsize=4096)
def _guess(text: str) -> str:
    """Once a text: the posts a network gives no language for come in runs of the same text
    (a post's reposts carry its text, a campaign's message is copied as it is), and each
    guess costs 40-110 microseconds, as much as the rest of a post's parsing (bench/listening.py:
    3,158 posts without a language in the lean file, two texts among them)."""
    guess, _score = language_identifier().classify(text)
    return str(guess)


def detect_language(record: PostRecord) -> None:
    """Only where the network gave no language."""
    if not record.language and not record.language_detected:
        guess = guess_language(record.text)
        if guess is not None:
            record.language = guess
            record.language_detected = True


# What a database's 64-bit integer column holds.
_COUNT_RANGE = range(-(2**63), 2**63)


def count(value: object) -> int | None:
    """A count from a network's JSON (likes, followers), or None: a boolean, a number beyond
    64 bits (which stopped an import at its insert) or anything else is not a count."""
    if type(value) is int and value in _COUNT_RANGE:
        return value
    return None


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
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:  # year 1 or 9999 with an offset: a moment UTC cannot hold
        return None


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
