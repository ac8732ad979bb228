"""Reading JSON-lines files (twarc2, Mastodon, Bluesky) into chunks, in this process or in
parsing processes beside it.

Pure: no database, no Django, so the parsing processes start fast and hold nothing of the
writer's. Large files are cut into byte ranges that end on a line break; each range is parsed,
normalised and compressed in a worker process while this process stores the previous ones, and
results come back in file order, so checkpoints stay exact (resume from the byte offset of the
last committed line).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import msgspec
import orjson

from hashrally.listening.codec import compress
from hashrally.listening.normalise import bluesky, mastodon
from hashrally.listening.normalise import x as x_normaliser
from hashrally.listening.records import Chunk, Page, detect_language

# Files smaller than this are parsed here: starting a process costs more than it saves.
# The environment may lower it (tests run both paths) or raise it (to keep to one core).
PARALLEL_FROM_BYTES = int(os.environ.get("HASHRALLY_PARALLEL_IMPORT_BYTES", 32 << 20))
RANGE_BYTES = 4 << 20
# Ranges parsed ahead of the writer; bounds memory whatever the file's size.
AHEAD_PER_WORKER = 2


def _twarc2() -> Callable[[bytes], Page]:
    memory = x_normaliser.AuthorMemory()
    return lambda raw: x_normaliser.normalise_page(x_normaliser.decode(raw), memory)


def _mastodon() -> Callable[[bytes], Page]:
    def parse(raw: bytes) -> Page:
        data = orjson.loads(raw)
        return mastodon.normalise_statuses(data if isinstance(data, list) else [data])

    return parse


def _bluesky() -> Callable[[bytes], Page]:
    def parse(raw: bytes) -> Page:
        data = orjson.loads(raw)
        # An endpoint's whole answer (searchPosts, getPosts, feeds, getPostThread), or its items.
        if isinstance(data, dict):
            for key in ("posts", "feed"):
                if isinstance(data.get(key), list):
                    return bluesky.normalise_items(data[key])
            if isinstance(data.get("thread"), dict):
                return bluesky.normalise_items([data["thread"]])
        return bluesky.normalise_items(data if isinstance(data, list) else [data])

    return parse


PARSERS: dict[str, Callable[[], Callable[[bytes], Page]]] = {
    "twarc2": _twarc2,
    "mastodon": _mastodon,
    "bluesky": _bluesky,
}
FORMATS = tuple(PARSERS)


def chunks_of(
    name: str,
    data: bytes,
    offset: int,
    line_no: int,
    parse: Callable[[bytes], Page],
    *,
    precompress: bool = False,
) -> Iterator[Chunk]:
    """The chunks of `data`, whole lines that start at byte `offset` after line `line_no`."""
    end = offset + len(data)
    # Split on "\n" only, as the ranges count lines; a last line may lack its line break.
    for line in data.removesuffix(b"\n").split(b"\n") if data else []:
        offset = min(offset + len(line) + 1, end)
        line_no += 1
        stripped = line.strip()
        if not stripped:
            continue
        where = f"{name}:{line_no}"
        mark = {"offset": offset, "line": line_no}
        try:
            page = parse(stripped)
        except msgspec.ValidationError as exc:
            problem = f"not the expected shape: {exc}"
        except (orjson.JSONDecodeError, msgspec.DecodeError) as exc:
            problem = f"not JSON: {exc}"
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problem = f"not the expected shape: {exc!r}"
        else:
            if page.api_error:
                problem = f"API error object: {page.api_error}"
            elif precompress:
                # Done here, in the parsing process, rather than by the writer for new posts.
                for post in page.posts:
                    detect_language(post)
                yield Chunk(where, b"", page, "", mark, offset, compressed=compress(stripped))
                continue
            else:
                yield Chunk(where, stripped, page, "", mark, offset)
                continue
        yield Chunk(where, stripped, None, problem, mark, offset)


def read(path: Path, fmt: str, checkpoint: dict[str, Any]) -> Iterator[Chunk]:
    offset = int(checkpoint.get("offset", 0))
    line_no = int(checkpoint.get("line", 0))
    workers = min(4, (os.cpu_count() or 1) - 1)
    if workers >= 1 and path.stat().st_size - offset >= PARALLEL_FROM_BYTES:
        return _parallel(path, fmt, offset, line_no, workers)
    return _serial(path, fmt, offset, line_no)


def _serial(path: Path, fmt: str, offset: int, line_no: int) -> Iterator[Chunk]:
    parse = PARSERS[fmt]()
    with path.open("rb") as handle:
        handle.seek(offset)
        while block := _block(handle):
            yield from chunks_of(path.name, block, offset, line_no, parse)
            offset += len(block)
            line_no += block.count(b"\n")


def _block(handle: Any) -> bytes:
    """About RANGE_BYTES of whole lines (or the rest of the file)."""
    block: bytes = handle.read(RANGE_BYTES)
    if block and not block.endswith(b"\n"):
        block += handle.readline()
    return block


def _ranges(path: Path, offset: int) -> Iterator[tuple[int, int]]:
    """(start, end) of consecutive ranges of whole lines, found without reading them all:
    seek ahead, then read on to the next line break."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        while offset < size:
            handle.seek(offset + RANGE_BYTES)
            end = min(size, handle.tell() + len(handle.readline()))
            yield offset, end
            offset = end


def _exit_with(parent: int) -> None:
    """A parsing process ends when the importer does, even one killed with kill -9 (which
    leaves the process waiting on its queue forever otherwise)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


# The parser of each worker process, kept between ranges: the X normaliser remembers authors.
_worker_parsers: dict[str, Callable[[bytes], Page]] = {}


def _parse_range(path: str, fmt: str, start: int, end: int) -> tuple[list[Chunk], int]:
    """The range's chunks, numbered from line 0 (the writer knows where the range begins), and
    how many lines it holds."""
    if fmt not in _worker_parsers:
        _worker_parsers[fmt] = PARSERS[fmt]()
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
    name = Path(path).name
    chunks = list(chunks_of(name, data, start, 0, _worker_parsers[fmt], precompress=True))
    return chunks, data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


def _renumbered(chunks: list[Chunk], before: int) -> Iterator[Chunk]:
    for chunk in chunks:
        line = chunk.checkpoint["line"] + before
        chunk.checkpoint["line"] = line
        chunk.where = f"{chunk.where.rsplit(':', 1)[0]}:{line}"
        yield chunk


def _parallel(path: Path, fmt: str, offset: int, line_no: int, workers: int) -> Iterator[Chunk]:
    # spawn, not fork: the parent holds database connections and threads a fork would copy.
    context = multiprocessing.get_context("spawn")
    pending: deque[Future[tuple[list[Chunk], int]]] = deque()
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_exit_with, initargs=(os.getpid(),)
    ) as pool:

        def ready() -> Iterator[Chunk]:
            nonlocal line_no
            chunks, lines = pending.popleft().result()
            yield from _renumbered(chunks, line_no)
            line_no += lines

        try:
            for start, end in _ranges(path, offset):
                pending.append(pool.submit(_parse_range, str(path), fmt, start, end))
                if len(pending) > workers * AHEAD_PER_WORKER:
                    yield from ready()
            while pending:
                yield from ready()
        finally:
            # A run that stops early (Ctrl-C, a fatal problem) leaves nothing parsing.
            pool.shutdown(cancel_futures=True)
