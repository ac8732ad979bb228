"""Cached responses: one second in this process in front of the shared cache.

A crowd reloading a campaign page to watch its count (the UK petitions site's 2019 lesson) then
costs each web process one shared-cache read per second per page, not one per view.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache

_LOCAL: dict[str, tuple[float, Any]] = {}
_LOCAL_LIMIT = 2_000


def get(key: str) -> Any:
    now = time.monotonic()
    hit = _LOCAL.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = cache.get(key)
    if value is not None:
        _remember(key, value, now)
    return value


def set(key: str, value: Any) -> None:
    cache.set(key, value, settings.HASHRALLY_PAGE_CACHE_SECONDS)
    _remember(key, value, time.monotonic())


def _remember(key: str, value: Any, now: float) -> None:
    if len(_LOCAL) >= _LOCAL_LIMIT:
        _LOCAL.clear()
    _LOCAL[key] = (now + settings.HASHRALLY_LOCAL_CACHE_SECONDS, value)


def clear() -> None:
    """Forget everything, here and in the shared cache (tests)."""
    _LOCAL.clear()
    cache.clear()
