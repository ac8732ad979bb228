"""Feeding chunks (pages of a network, lines of a file) into the store, counting as it goes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from hashrally.core.collections_pause import bulk_work
from hashrally.core.sql import bulk_cache
from hashrally.listening.codec import compress
from hashrally.listening.config import Listening
from hashrally.listening.models import CollectionRun
from hashrally.listening.records import Chunk
from hashrally.listening.rows import prepare
from hashrally.listening.store import Batch, Store


class StopRun(Exception):
    """A connector stops a run on purpose (budget reached); the reason is kept with the run."""


# Pages are committed together until a batch holds this many posts (or pages): fewer, larger
# transactions. A killed run loses at most one uncommitted batch, which it fetches again.
# 5,000 rather than 1,000: SQLite's commits took a quarter of an import's statements' time at
# 1,000, half that at 5,000 (bench/listening.py).
BATCH_POSTS = 5000
BATCH_PAGES = 50


def consume(
    run: CollectionRun,
    chunks: Iterator[Chunk],
    listening: Listening,
    on_progress: Callable[[Chunk], object] = lambda chunk: None,
) -> tuple[str, str]:
    """Store every chunk; return the run's final status and the reason it ended."""
    store = Store(run, listening)
    batch = Batch(run=run)
    # zstd lets go of the interpreter while it works, so raw pages are compressed on a second
    # core while the next ones are parsed.
    compressor = ThreadPoolExecutor(max_workers=1)
    done: list[Chunk] = []

    def flush() -> None:
        nonlocal batch, done
        if batch.pages or batch.problems:
            store.write(batch)
        for chunk in done:
            on_progress(chunk)
        batch, done = Batch(run=run), []

    with bulk_work(), bulk_cache():
        try:
            for chunk in chunks:
                if chunk.idle:
                    # Its source would wait for the next chunk: what is gathered is stored
                    # meanwhile, rather than when the batch is full (the writer waited 0.1-0.3
                    # s of an import of 100,000 lean posts, bench/listening.py).
                    if batch.pages:
                        flush()
                    continue
                if chunk.refused:
                    batch.problems.append((chunk.where, chunk.problem))
                else:
                    payload = chunk.compressed or compressor.submit(compress, chunk.raw)
                    prepared = chunk.prepared or prepare(chunk.page, store.preparing)  # type: ignore[arg-type]
                    batch.pages.append((prepared, payload, chunk.where))
                batch.checkpoint = chunk.checkpoint
                done.append(chunk)
                if chunk.fatal:
                    flush()
                    return CollectionRun.Status.FAILED, chunk.problem
                if batch.posts >= BATCH_POSTS or len(batch.pages) >= BATCH_PAGES:
                    flush()
        finally:
            # What was fetched before a stop (budget, Ctrl-C, an error) is still stored.
            flush()
            compressor.shutdown()
    return CollectionRun.Status.FINISHED, "done"
