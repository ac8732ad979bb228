"""What every connector writes the same way: run keys and the timestamps networks read."""

from __future__ import annotations

import datetime as dt
import hashlib

from hashrally.listening.config import Listening
from hashrally.listening.models import CollectionRun

MAX_KEY = CollectionRun._meta.get_field("key").max_length or 500


def run_key(*parts: str) -> str:
    """What makes a run "the same run" when resumed, within the key's column; a long key keeps
    its start and ends with a digest of the whole, so two long keys never collide."""
    key = "|".join(parts)
    if len(key) > MAX_KEY:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        key = f"{key[: MAX_KEY - len(digest) - 1]}|{digest}"
    return key


def wanted_languages(listening: Listening) -> frozenset[str]:
    """The campaign's languages by their main part: asking for pt-BR takes pt-PT posts too,
    since a network's language tag is the author's setting more than the text's dialect."""
    return frozenset(code.split("-")[0].lower() for code in listening.languages)


def in_languages(code: str, wanted: frozenset[str]) -> bool:
    return code.split("-")[0].lower() in wanted


def utc_seconds(moment: dt.datetime) -> str:
    """2026-02-26T08:00:00Z: how X and Mastodon take a time."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_milliseconds(moment: dt.datetime) -> str:
    """2026-02-26T08:00:00.000Z: how Bluesky takes a time."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
