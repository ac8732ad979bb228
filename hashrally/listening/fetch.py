"""HTTP for connectors: JSON pages with retries, back-off and the networks' rate-limit headers.

Time comes from a Clock so tests wait on a fake clock instead of sleeping.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import orjson

from hashrally.core.numbers import whole
from hashrally.listening.records import parse_time

RETRY_STATUSES = {429, 500, 502, 503, 504}
# Rate-limit headers: X (x-rate-limit-*), Mastodon (X-RateLimit-*), Bluesky (RateLimit-*).
REMAINING = ("x-rate-limit-remaining", "x-ratelimit-remaining", "ratelimit-remaining")
RESET = ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset")
MAX_WAIT = 15 * 60.0


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class FetchError(Exception):
    """The network refused or kept failing; the message says what and where."""

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class MalformedPage(FetchError):
    """The answer arrived but is not the JSON the connector expects."""

    def __init__(self, url: str, reason: str, raw: bytes) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.raw = raw


@dataclass
class Response:
    url: str
    data: Any
    raw: bytes
    headers: httpx.Headers


def reset_at(headers: httpx.Headers, now: float) -> float | None:
    """When the current rate-limit window ends, as a timestamp; None if no header says."""
    retry_after = headers.get("retry-after")
    if retry_after:
        seconds = whole(retry_after)
        if seconds is not None:
            return now + seconds
        try:
            return email.utils.parsedate_to_datetime(retry_after).timestamp()
        except (TypeError, ValueError):
            pass  # neither seconds nor a date: the reset headers may say
    for name in RESET:
        value = headers.get(name)
        if not value:
            continue
        epoch = whole(value)
        if epoch is not None:
            return float(epoch)  # epoch seconds (X, Bluesky)
        moment = parse_time(value)  # ISO 8601 (Mastodon)
        if moment is not None:
            return moment.timestamp()
    return None


def remaining(headers: httpx.Headers) -> int | None:
    for name in REMAINING:
        value = headers.get(name)
        number = whole(value, negative=True)
        if number is not None:
            return number
    return None


def _where(response: httpx.Response) -> str:
    # The status goes first and the query string is left out: run reasons are kept short.
    return str(response.url.copy_with(query=None))


@dataclass
class Fetcher:
    client: httpx.Client
    clock: Clock = field(default_factory=RealClock)
    max_retries: int = 5
    waits: list[float] = field(default_factory=list)  # every wait, for progress and tests
    _not_before: float = 0.0

    def _wait(self, seconds: float) -> None:
        seconds = max(0.0, min(seconds, MAX_WAIT))
        if seconds:
            self.waits.append(seconds)
            self.clock.sleep(seconds)

    def _send(self, url: str, request: Callable[[], httpx.Response]) -> httpx.Response:
        """The response to `request`, retried on network errors, 5xx and 429 (waiting for the
        rate limit's reset where the server says it). Messages name the address and the status,
        never what was sent (a login's body holds a password)."""
        for attempt in range(self.max_retries + 1):
            try:
                response = request()
            except httpx.TransportError as exc:
                if attempt == self.max_retries:
                    raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None
                self._wait(2.0**attempt)
                continue
            if response.status_code not in RETRY_STATUSES:
                return response
            if attempt == self.max_retries:
                raise FetchError(
                    f"HTTP {response.status_code} after {attempt + 1} tries: {_where(response)}",
                    response.status_code,
                    response.text[:2000],
                )
            now = self.clock.now()
            until = reset_at(response.headers, now) if response.status_code == 429 else None
            seconds = (until - now) if until else 2.0**attempt
            if seconds > MAX_WAIT:
                # Retrying early would only spend the remaining tries on more 429s.
                raise FetchError(
                    f"HTTP {response.status_code} from {_where(response)}: rate-limited for "
                    f"another {seconds / 60:.0f} minutes; run again later to resume",
                    response.status_code,
                )
            self._wait(seconds)
        raise FetchError(f"{url}: gave up")  # pragma: no cover - the loop returns or raises

    def post(
        self, url: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """A POST (a login, a session refresh) with the same retries as `get`; any other status
        is the caller's to read."""
        return self._send(url, lambda: self.client.post(url, json=json, headers=headers))

    def get(self, url: str, params: Any = None, headers: dict[str, str] | None = None) -> Response:
        if self._not_before > self.clock.now():
            self._wait(self._not_before - self.clock.now())
        response = self._send(url, lambda: self.client.get(url, params=params, headers=headers))
        now = self.clock.now()
        if response.status_code >= 400:
            raise FetchError(
                f"HTTP {response.status_code} from {_where(response)}: {response.text[:200]}",
                response.status_code,
                response.text[:2000],
            )
        left = remaining(response.headers)
        if left is not None and left <= 0:
            until = reset_at(response.headers, now)
            self._not_before = until or now
        raw = response.content
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise MalformedPage(str(response.url), f"not JSON: {exc}", raw) from None
        return Response(url=str(response.url), data=data, raw=raw, headers=response.headers)
