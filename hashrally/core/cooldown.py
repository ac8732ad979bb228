"""Work that may take at most a share of the time. Per process, on its monotonic clock.

Per key (the default): after a run that took T seconds, the same key waits T x (1/share - 1)
before the next. A worker recounting a viral campaign (seconds per recount) then leaves the
cores to the pages, and small campaigns stay instant (milliseconds).

`shared=True` makes the share one budget for every key, so work on many big campaigns
together still takes at most the share: time earns `share` seconds of work per second, up to
BURST_SECONDS saved, and a key may run while the budget is not spent. Many small campaigns are
then all done in one round; after a long run, every key waits. Callers take keys in `order`,
the longest unserved first, so none waits for ever behind a busy one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

BURST_SECONDS = 0.25


class CoolDown:
    def __init__(self, share: Callable[[], float], *, shared: bool = False) -> None:
        self._share = share  # read each time, so settings can change (tests)
        self._shared = shared
        self._until: dict[int, float] = {}
        self._last_run: dict[int, float] = {}
        self._budget = BURST_SECONDS
        self._budget_at: float | None = None

    def _earned(self, now: float) -> float:
        if self._budget_at is None:
            return self._budget
        return min(BURST_SECONDS, self._budget + (now - self._budget_at) * self._share())

    def ready(self, key: int) -> bool:
        now = time.monotonic()
        if self._shared:
            return self._earned(now) > 0
        return now >= self._until.get(key, 0.0)

    def order(self, keys: Iterable[int]) -> list[int]:
        """Keys never run first, then the longest since their last run."""
        return sorted(keys, key=lambda k: (self._last_run.get(k, float("-inf")), k))

    def run(self, key: int, work: Callable[[], T]) -> T:
        started = time.monotonic()
        result = work()
        ended = time.monotonic()
        took = ended - started
        self._last_run[key] = started
        if self._shared:
            # What was saved before the run (at most BURST_SECONDS), plus what the run's own
            # time earns, minus the run: with a share of 1 the budget never runs out.
            self._budget = self._earned(started) + took * self._share() - took
            self._budget_at = ended
        else:
            self._until[key] = ended + took * (1 / self._share() - 1)
        return result

    def clear(self) -> None:
        self._until.clear()
        self._last_run.clear()
        self._budget = BURST_SECONDS
        self._budget_at = None
