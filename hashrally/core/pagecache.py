"""Cached responses: one second in this process in front of the shared cache, and the last
good copy kept for an outage.

A crowd reloading a campaign page to watch its count (the UK petitions site's 2019 lesson) then
costs each web process one shared-cache read per second per page, not one per view.

Each entry is fresh for HASHRALLY_PAGE_CACHE_SECONDS, then stale; a stale copy is kept for
HASHRALLY_STALE_SECONDS (a day by default). `cached` rebuilds a stale entry; when the database
cannot answer, it serves the stale copy instead (stale-if-error), so the campaign page and
`counts.json` stay up through a database outage of up to that age, and come back fresh by
themselves. After a failure this process does not ask the database again for a few seconds:
an outage costs each request a cache read, not a connection attempt.

The shared cache may fail too (Redis down): then every read is a miss, every write is skipped,
and pages are built from the database each time, slower but served.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest

logger = logging.getLogger(__name__)

T = TypeVar("T")

_LOCAL: dict[str, tuple[float, Any]] = {}
_LOCAL_LIMIT = 2_000
# Errors that mean "the database cannot answer now", not a bug in a query.
DATABASE_DOWN = (OperationalError, InterfaceError)
_database_down_until = 0.0


class _Entry:
    """A cached value and until when it is fresh (wall-clock seconds, shared by processes)."""

    __slots__ = ("fresh_until", "value")

    def __init__(self, value: Any, fresh_until: float) -> None:
        self.value = value
        self.fresh_until = fresh_until

    def __getstate__(self) -> tuple[Any, float]:
        return (self.value, self.fresh_until)

    def __setstate__(self, state: tuple[Any, float]) -> None:
        self.value, self.fresh_until = state


def _shared_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:
        logger.warning("shared cache unavailable; reading %s without it", key, exc_info=True)
        return None


def _shared_set(key: str, value: Any, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("shared cache unavailable; %s not stored", key, exc_info=True)


def _entry(key: str) -> _Entry | None:
    now = time.monotonic()
    hit = _LOCAL.get(key)
    if hit is not None and hit[0] > now:
        entry: _Entry = hit[1]
        return entry
    shared = _shared_get(key)
    if isinstance(shared, _Entry):
        _remember(key, shared, now)
        return shared
    return None


def get(key: str) -> Any:
    """The value if fresh, else None."""
    entry = _entry(key)
    if entry is not None and entry.fresh_until > time.time():
        return entry.value
    return None


def copy(key: str) -> Any:
    """The value, fresh or stale, else None: for when the database cannot build it."""
    entry = _entry(key)
    return None if entry is None else entry.value


def set(key: str, value: Any) -> None:
    entry = _Entry(value, time.time() + settings.HASHRALLY_PAGE_CACHE_SECONDS)
    _shared_set(
        key, entry, settings.HASHRALLY_PAGE_CACHE_SECONDS + settings.HASHRALLY_STALE_SECONDS
    )
    _remember(key, entry, time.monotonic())


def cached(key: str, build: Callable[[], T]) -> tuple[T, bool]:
    """The fresh value of `key`, built if needed; or, when the database is down, the stale
    one. Returns (value, stale). With neither a database nor a copy, the database's error
    rises (the site answers 503: site/middleware.py)."""
    global _database_down_until
    entry = _entry(key)
    now = time.time()
    if entry is not None and entry.fresh_until > now:
        return entry.value, False
    if entry is not None and time.monotonic() < _database_down_until:
        return entry.value, True
    try:
        value = build()
    except DATABASE_DOWN:
        _database_down_until = time.monotonic() + settings.HASHRALLY_DATABASE_RETRY_SECONDS
        if entry is None:
            raise
        logger.warning("database unavailable: serving %s from a stale copy", key)
        return entry.value, True
    set(key, value)
    return value, False


def _remember(key: str, entry: _Entry, now: float) -> None:
    if len(_LOCAL) >= _LOCAL_LIMIT:
        _LOCAL.clear()
    _LOCAL[key] = (now + settings.HASHRALLY_LOCAL_CACHE_SECONDS, entry)


# Whole answers (status, headers, body) to anonymous reads, kept in this process only for
# HASHRALLY_LOCAL_CACHE_SECONDS: site/middleware.py's RecentAnswersMiddleware. Bounded in
# bytes, so that a stranger sending many distinct addresses (variants, parameters) costs a
# refill, never unbounded memory.
_RECENT: dict[tuple[str, ...], tuple[float, int, dict[str, str], bytes]] = {}
_RECENT_MAX_BYTES = 16 << 20
_recent_bytes = 0


def recent_answer(key: tuple[str, ...]) -> tuple[int, dict[str, str], bytes] | None:
    hit = _RECENT.get(key)
    if hit is None or hit[0] <= time.monotonic():
        return None
    return hit[1], dict(hit[2]), hit[3]


def keep_answer(key: tuple[str, ...], status: int, headers: dict[str, str], body: bytes) -> None:
    global _recent_bytes
    now = time.monotonic()
    if _recent_bytes + len(body) > _RECENT_MAX_BYTES:
        # Expired answers first; if the rest is still too much, start again.
        for old in [k for k, hit in _RECENT.items() if hit[0] <= now]:
            _recent_bytes -= len(_RECENT.pop(old)[3])
        if _recent_bytes + len(body) > _RECENT_MAX_BYTES:
            _RECENT.clear()
            _recent_bytes = 0
    previous = _RECENT.get(key)
    if previous is not None:
        _recent_bytes -= len(previous[3])
    _RECENT[key] = (now + settings.HASHRALLY_LOCAL_CACHE_SECONDS, status, headers, body)
    _recent_bytes += len(body)


def site_of(request: HttpRequest) -> str:
    """What a cached page's absolute addresses (canonical, og:url) are built from, as a key
    part. With HASHRALLY_SITE_URL, that address alone: one copy whatever Host header a
    visitor sends (`Example.org:1`, `example.org.`), so nobody fills the caches with spellings
    of the site's name. Without it, the scheme and host of the request, which the page then
    shows: a copy built for one must not be served to another."""
    if settings.SITE_URL:
        return str(settings.SITE_URL)
    return f"{request.scheme}://{request.get_host()}"


def clear() -> None:
    """Forget everything, here and in the shared cache (tests)."""
    global _database_down_until
    global _recent_bytes
    _LOCAL.clear()
    _RECENT.clear()
    _recent_bytes = 0
    _database_down_until = 0.0
    cache.clear()
