"""Feeding chunks (pages of a network, lines of a file) into the store, counting as it goes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from hashrally.listening.config import Listening
from hashrally.listening.models import CollectionRun
from hashrally.listening.records import Page
from hashrally.listening.store import record_problem, store_page


@dataclass
class Chunk:
    where: str  # request URL, or file:line
    raw: bytes
    page: Page | None  # None: a problem, recorded and skipped
    problem: str
    checkpoint: dict[str, Any]
    progress: int = 0  # bytes done (files) or posts read (networks)
    fatal: bool = False


class StopRun(Exception):
    """A connector stops a run on purpose (budget reached); the reason is kept with the run."""


def consume(
    run: CollectionRun,
    chunks: Iterator[Chunk],
    listening: Listening,
    on_progress: Callable[[Chunk], object] = lambda chunk: None,
) -> tuple[str, str]:
    """Store every chunk; return the run's final status and the reason it ended."""
    for chunk in chunks:
        if chunk.page is None:
            record_problem(run, chunk.where, chunk.problem, chunk.checkpoint)
            if chunk.fatal:
                return CollectionRun.Status.FAILED, chunk.problem
        else:
            store_page(
                run,
                chunk.page,
                listening=listening,
                raw=chunk.raw,
                source=chunk.where,
                checkpoint=chunk.checkpoint,
            )
        on_progress(chunk)
    return CollectionRun.Status.FINISHED, "done"
