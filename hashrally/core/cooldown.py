"""Work that may take at most a share of the time: after a run that took T seconds, the same
key waits T x (1/share - 1) before the next. A worker recounting a viral campaign (seconds per
recount) then leaves the cores to the pages, and small campaigns stay instant (milliseconds).
Per process, on its monotonic clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class CoolDown:
    def __init__(self, share: Callable[[], float]) -> None:
        self._share = share  # read each time, so settings can change (tests)
        self._until: dict[int, float] = {}

    def ready(self, key: int) -> bool:
        return time.monotonic() >= self._until.get(key, 0.0)

    def run(self, key: int, work: Callable[[], T]) -> T:
        started = time.monotonic()
        result = work()
        took = time.monotonic() - started
        self._until[key] = time.monotonic() + took * (1 / self._share() - 1)
        return result

    def clear(self) -> None:
        self._until.clear()
