"""Django's Redis cache, keeping one client per connection pool.

Django's backend builds a new redis.Redis object on every cache call; that construction cost
about as much as the GET itself, on the hottest paths (cached pages, counts.json).
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        base: Any = self  # the private helpers below are Django's, untyped in its stubs
        index = base._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = base._client(connection_pool=base._get_connection_pool(write))
            self._clients[index] = client
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient


class TolerantRedisCache(ReusingRedisCache):
    """Redis that may be down: reads miss, writes are skipped, `add` says "not added" and
    `incr` says "no such key" (ValueError), each logged once per call. The cache is for speed
    and for rate limits; with Redis down pages are built from the database, and rate limits
    fail open or closed as RATELIMIT_FAIL_OPEN says (docs/security.md)."""

    def _down(self, operation: str, key: Any) -> None:
        logger.warning("redis unavailable: %s %s skipped", operation, key)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        try:
            return super().get(key, default, version)
        except REDIS_DOWN:
            self._down("get", key)
            return default

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        try:
            super().set(key, value, timeout, version)
        except REDIS_DOWN:
            self._down("set", key)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        try:
            return bool(super().add(key, value, timeout, version))
        except REDIS_DOWN:
            self._down("add", key)
            return False

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        try:
            return int(super().incr(key, delta, version))
        except REDIS_DOWN:
            self._down("incr", key)
            raise ValueError(f"redis unavailable: {key}") from None

    def delete(self, key: Any, version: Any = None) -> bool:
        try:
            return bool(super().delete(key, version))
        except REDIS_DOWN:
            self._down("delete", key)
            return False

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        try:
            return bool(super().touch(key, timeout, version))
        except REDIS_DOWN:
            self._down("touch", key)
            return False
