"""Bulk work (an import, a collection, the fold) with the cyclic garbage collector mostly out of
the way.

Such work allocates hundreds of thousands of short-lived objects that hold no cycles (parsed
pages, records, rows). Each 700 allocations start a collection that walks every young object,
and each tenth of those walks the older ones too: the whole of Django's start-up heap. Measured
on an import of 100,000 posts (bench/listening.py), collections were a seventh of the CPU time,
and half of the time spent decoding parsed ranges. Freezing what start-up built and collecting
young objects every 100,000 allocations instead of 700 keeps collections for real cycles
(a caught exception's traceback, say) at a cost that does not grow with the heap.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BULK_THRESHOLD = 100_000


def for_bulk_work() -> None:
    """For a process that does nothing else (a parsing process): set once, never undone."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(BULK_THRESHOLD, older, oldest)


@contextmanager
def bulk_work() -> Iterator[None]:
    """For the length of the block, in a process that goes on with other work afterwards."""
    threshold = gc.get_threshold()
    for_bulk_work()
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
