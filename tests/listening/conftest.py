"""The fake Mastodon instances and the fake-clock fetcher, for every listening test module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from hashrally.listening.fetch import Fetcher
from tests.listening.fakes import FakeClock, FakeMastodon


@pytest.fixture
def fakes() -> Iterator[Callable[..., FakeMastodon]]:
    started: list[FakeMastodon] = []

    def start(statuses: list[dict[str, Any]], page_size: int = 5) -> FakeMastodon:
        started.append(FakeMastodon(statuses, page_size))
        return started[-1]

    yield start
    for fake in started:
        fake.close()


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with httpx.Client(timeout=5, trust_env=False) as client:
        yield Fetcher(client=client, clock=FakeClock())
