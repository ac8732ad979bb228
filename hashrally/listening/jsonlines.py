"""Reading JSON files (twarc2, Mastodon, Bluesky) into chunks: one value per line, in this
process or in parsing processes beside it, or a pretty-printed array or values streamed.

Pure: no database, no Django, so the parsing processes start fast and hold nothing of the
writer's. Large files are cut into byte ranges that end on a line break; each range is parsed,
normalised and compressed in a worker process while this process stores the previous ones, and
results come back in file order, so checkpoints stay exact (resume from the byte offset of the
last committed line).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import ijson
import msgspec
import orjson

from hashrally.core import collections_pause
from hashrally.listening import records
from hashrally.listening.codec import compress
from hashrally.listening.normalise import bluesky, mastodon
from hashrally.listening.normalise import x as x_normaliser
from hashrally.listening.records import Chunk, Page, detect_language
from hashrally.listening.rows import Preparing, prepare

# Files smaller than this are parsed here: starting a process costs more than it saves.
# The environment may lower it (tests run both paths) or raise it (to keep to one core).
PARALLEL_FROM_BYTES = int(os.environ.get("HASHRALLY_PARALLEL_IMPORT_BYTES", 32 << 20))
RANGE_BYTES = 4 << 20
# Ranges parsed ahead of the writer; bounds memory whatever the file's size. More than a
# batch's worth (pipeline.BATCH_POSTS): with two, a batch of 5,000 posts of 3.5 kB each (four
# ranges) left the parsing process idle while the writer wrote, and the writer idle while it
# parsed: 7.4 s against 5.6-6.0 s for the brexit-shaped file, peak memory the same.
AHEAD_PER_WORKER = 6
# Seconds the writer waits for parsed ranges before it parses some itself (_parallel). It was
# 0.3 while helping meant loading the language model (0.2-0.4 s); mapped from its cache the
# model loads in 0.01 s, and the lean import took 2.08 s against 2.19 s (medians of twelve and
# thirteen interleaved runs; the brexit-shaped 3.34 against 3.39 s, bench/listening.py). From
# the first wait (0) it was no faster: the writer then parses ranges the parsing process was
# about to finish.
HELP_AFTER_WAITING = 0.05
# Yielded when the next range is not parsed yet (records.Chunk.idle).
IDLE = Chunk("", b"", None, "", {}, idle=True)


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


def _chunk(
    where: str,
    raw: bytes,
    mark: dict[str, Any],
    offset: int,
    parse: Callable[[bytes], Page],
    precompress: bool,
) -> Chunk:
    """One line's (or one streamed value's) chunk: its page, or why it has none."""
    try:
        page = parse(raw)
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
            # Done here, in the parsing process, rather than by the writer.
            return Chunk(where, b"", page, "", mark, offset, compressed=compress(raw))
        else:
            return Chunk(where, raw, page, "", mark, offset)
    return Chunk(where, raw, None, problem, mark, offset)


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
        mark = {"offset": offset, "line": line_no}
        yield _chunk(f"{name}:{line_no}", stripped, mark, offset, parse, precompress)


# --- JSON over several lines ------------------------------------------------------------------
#
# Many tools save posts as one pretty-printed JSON array, or as pretty-printed values one after
# another (`jq .`). These are read as a stream of values (ijson), one held at a time, so memory
# stays flat however long the array; each value is what a line would have held. The raw page kept
# is the value written compactly (the same JSON, without the file's spaces).

BOM = b"\xef\xbb\xbf"


def layout(path: Path) -> str:
    """How the file holds its JSON: "lines" (a value per line), "array" (one array over several
    lines) or "documents" (values over several lines each). Told from the first line: a
    pretty-printer starts with a lone bracket or brace, and an array's first line that is not a
    whole value means the array goes on."""
    with path.open("rb") as handle:
        first = b""
        for line in handle:
            first = line.strip().removeprefix(BOM).strip()
            if first:
                break
    if first == b"{":
        return "documents"
    if first.startswith(b"["):
        try:
            orjson.loads(first)
        except orjson.JSONDecodeError:
            return "array"
    return "lines"


class _Counted:
    """The bytes the stream parser has taken from the file, for progress."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.handle.read(size)
        self.consumed += len(data)
        return data


def values_of(path: Path, how: str) -> Iterator[tuple[Any, int]]:
    """Each value of an "array" or "documents" file, with the bytes read so far; raises
    ijson.JSONError where the JSON breaks."""
    with path.open("rb") as handle:
        if handle.read(len(BOM)) != BOM:
            handle.seek(0)
        counted = _Counted(handle)
        prefix = "item" if how == "array" else ""
        for value in ijson.items(
            counted, prefix, multiple_values=how == "documents", use_float=True
        ):
            yield value, counted.consumed


def _streamed(path: Path, fmt: str, how: str, checkpoint: dict[str, Any]) -> Iterator[Chunk]:
    parse = PARSERS[fmt]()
    noun = "item" if how == "array" else "value"
    # A resumed run skips the values its last committed batch ended with.
    done = int(checkpoint.get("item", 0))
    n = offset = 0
    try:
        for value, offset in values_of(path, how):
            n += 1
            if n <= done:
                continue
            mark = {"item": n, "offset": offset}
            try:
                raw = orjson.dumps(value)
            except orjson.JSONEncodeError as exc:  # an integer beyond 64 bits, say
                yield Chunk(f"{path.name}:{noun} {n}", b"", None, f"not storable: {exc}", mark)
                continue
            yield _chunk(f"{path.name}:{noun} {n}", raw, mark, offset, parse, False)
    except ijson.JSONError as exc:
        # Past a break the stream cannot be followed: what came before it is kept.
        yield Chunk(
            f"{path.name}:after {noun} {n}",
            b"",
            None,
            f"not JSON from here on ({exc}); the {n} {noun}s before it are kept",
            {"item": n, "offset": offset},
            path.stat().st_size,
        )


def read(
    path: Path, fmt: str, checkpoint: dict[str, Any], preparing: Preparing | None = None
) -> Iterator[Chunk]:
    """The file's chunks from the checkpoint on. Given `preparing`, chunks parsed in parsing
    processes come with their rows prepared (rows.py) instead of their page."""
    how = layout(path)
    if how != "lines":
        return _streamed(path, fmt, how, checkpoint)
    offset = int(checkpoint.get("offset", 0))
    line_no = int(checkpoint.get("line", 0))
    workers = _workers()
    if workers >= 1 and path.stat().st_size - offset >= PARALLEL_FROM_BYTES:
        return _parallel(path, fmt, offset, line_no, workers, preparing)
    _forget_speculation(path, fmt, -1)
    early = _take_early()
    if early is not None:
        early.shutdown(wait=False, cancel_futures=True)
    return _serial(path, fmt, offset, line_no)


def _workers() -> int:
    return min(4, (os.cpu_count() or 1) - 1)


def _pool(workers: int, model_cache: Path | None) -> ProcessPoolExecutor:
    # spawn, not fork: the parent holds database connections and threads a fork would copy.
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_parsing_process,
        initargs=(os.getpid(), model_cache),
    )


# Parsing processes started before the import knows it needs them (start_early).
_early: ProcessPoolExecutor | None = None
# Ranges parsed before the writer can ask for them (start_early): while Django starts, before
# the campaign (and so the rows' preparing) is known. A parsing process was idle for the first
# 0.15-0.2 s of an import of 100,000 lean posts, waiting for the writer's first range
# (bench/listening.py). Three are about what it parses while Django starts.
SPECULATED_RANGES = 3
_speculation: tuple[str, str, list[Future[None]]] | None = None


def start_early(model_cache: Path | None, path: Path | None = None, fmt: str | None = None) -> None:
    """Start the parsing processes now, for an import about to begin: their start-up (Python,
    the parsers, the language model) runs while Django starts in this process, instead of
    after it. That start-up was the writer's first wait, 0.4-0.6 s of an import of 100,000
    posts (bench/listening.py). Given the file, they go on to parse its first ranges, kept
    for the import to claim (_parallel). An import that does not use them ends them."""
    global _early, _speculation
    workers = _workers()
    if workers < 1 or _early is not None:
        return
    _early = _pool(workers, model_cache)
    for _ in range(workers):
        _early.submit(int)  # the pool starts its processes with the first tasks
    if fmt not in PARSERS or path is None or fmt is None:
        return
    try:
        if not path.is_file() or path.stat().st_size < PARALLEL_FROM_BYTES:
            return
        if layout(path) != "lines":
            return
        identity = _identity(path)
        ranges = list(itertools.islice(_ranges(path, 0), SPECULATED_RANGES))
    except OSError:  # the import names the missing or unreadable file
        return
    if ranges:
        futures = [
            _early.submit(_speculate, str(path), fmt, start, end, identity) for start, end in ranges
        ]
        _speculation = (str(path), fmt, futures)


def end_early() -> None:
    """Ends parsing processes started early that no import took, without waiting for what
    they were given."""
    global _speculation
    _speculation = None
    pool = _take_early()
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def _take_early() -> ProcessPoolExecutor | None:
    global _early
    pool, _early = _early, None
    return pool


def _forget_speculation(path: Path, fmt: str, offset: int) -> None:
    """Ranges parsed ahead serve only a run that reads the same file from its start (a resumed
    one begins elsewhere): for any other, those not started yet are cancelled."""
    global _speculation
    speculation, _speculation = _speculation, None
    if speculation is None:
        return
    if speculation[:2] != (str(path), fmt) or offset != 0:
        for future in speculation[2]:
            future.cancel()


def _identity(path: Path | str) -> tuple[int, ...]:
    """Which version of the file: a range parsed ahead of a file rewritten since is not it."""
    stat = os.stat(path)
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


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


def _start_parsing_process(parent: int, model_cache: Path | None) -> None:
    """A parsing process ends when the importer does, even one killed with kill -9 (which
    leaves the process waiting on its queue forever otherwise). It loads the language model
    while it parses its first range, and does nothing but bulk work."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
    records.use_model_cache(model_cache)
    threading.Thread(target=records.language_identifier, daemon=True).start()
    collections_pause.for_bulk_work()


# The parser of each worker process, kept between ranges: the X normaliser remembers authors.
_worker_parsers: dict[str, Callable[[bytes], Page]] = {}
_speculating_parsers: dict[str, Callable[[bytes], Page]] = {}


# Chunks cross from the parsing processes to the writer as MessagePack (msgspec), not pickled
# dataclasses: the writer's process decoded pickles in its result thread, holding the
# interpreter the writer needs, about twice as long as msgspec takes (bench/listening.py).
_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(list[Chunk])


def _parse_range(
    path: str, fmt: str, start: int, end: int, preparing: Preparing | None, origin: int = -1
) -> tuple[bytes, int]:
    """In a parsing process: the range's chunks, encoded, and how many lines it holds. A run
    that reads the file from its start (`origin` 0) claims what start_early parsed ahead."""
    chunks, lines = _range_chunks(path, fmt, start, end, preparing, origin)
    return _ENCODER.encode(chunks), lines


# In a parsing process: ranges parsed ahead, by (path, file identity, format, start, end).
_speculated: dict[tuple[Any, ...], tuple[list[Chunk], int]] = {}


def _speculate(path: str, fmt: str, start: int, end: int, identity: tuple[int, ...]) -> None:
    """In a parsing process: a range parsed (not prepared: the campaign is not known yet) and
    kept for the run that claims it. Its own parser: the X normaliser's memory of authors must
    not skip, in a run resumed elsewhere, an author only a range parsed ahead had seen."""
    if fmt not in _speculating_parsers:
        _speculating_parsers[fmt] = PARSERS[fmt]()
    _speculated[path, identity, fmt, start, end] = _parsed(
        path, fmt, start, end, _speculating_parsers[fmt]
    )


def _range_chunks(
    path: str,
    fmt: str,
    start: int,
    end: int,
    preparing: Preparing | None,
    origin: int = -1,
) -> tuple[list[Chunk], int]:
    """The range's chunks, numbered from line 0 (the writer knows where the range begins), and
    how many lines it holds."""
    claimed = None
    if _speculated:
        key = (path, _identity(path), fmt, start, end)
        claimed = _speculated.pop(key, None) if origin == 0 else None
        for stale in [k for k in _speculated if k[:3] != key[:3] or k[3] < start or origin]:
            del _speculated[stale]
    if claimed is None:
        if fmt not in _worker_parsers:
            _worker_parsers[fmt] = PARSERS[fmt]()
        claimed = _parsed(path, fmt, start, end, _worker_parsers[fmt])
    chunks, lines = claimed
    # Languages (the posts the network gave none) and rows once the range is parsed: by then
    # the model, loading beside the first range, is most likely ready.
    for chunk in chunks:
        if chunk.page is None:
            continue
        if preparing is None:
            for post in chunk.page.posts:
                detect_language(post)
        else:
            chunk.prepared, chunk.page = prepare(chunk.page, preparing), None
    return chunks, lines


def _parsed(
    path: str, fmt: str, start: int, end: int, parse: Callable[[bytes], Page]
) -> tuple[list[Chunk], int]:
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
    chunks = list(chunks_of(Path(path).name, data, start, 0, parse, precompress=True))
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    return chunks, lines


def _renumbered(chunks: list[Chunk], before: int) -> Iterator[Chunk]:
    for chunk in chunks:
        line = chunk.checkpoint["line"] + before
        chunk.checkpoint["line"] = line
        chunk.where = f"{chunk.where.rsplit(':', 1)[0]}:{line}"
        yield chunk


def _parallel(
    path: Path, fmt: str, offset: int, line_no: int, workers: int, preparing: Preparing | None
) -> Iterator[Chunk]:
    """The ranges' chunks in file order, parsed by the parsing processes and, while the
    oldest range is still being parsed, by this process too rather than wait: on a file of
    large lines (3.5 kB a post) the writer waited for the parsing process 1.6 s of a 4.1 s
    import (bench/listening.py)."""
    # Each range: a parsing process's future, or what this process parsed itself.
    pending: deque[Future[tuple[bytes, int]] | tuple[list[Chunk], int]] = deque()
    ranges = _ranges(path, offset)
    ahead = workers * AHEAD_PER_WORKER
    waited, first_line = 0.0, line_no
    _forget_speculation(path, fmt, offset)
    with _take_early() or _pool(workers, records.model_cache()) as pool:

        def feed() -> None:
            # The parsing processes kept busy, however many ranges this process parsed ahead.
            parsing = sum(isinstance(item, Future) for item in pending)
            while parsing <= ahead and (taken := next(ranges, None)):
                pending.append(pool.submit(_parse_range, str(path), fmt, *taken, preparing, offset))
                parsing += 1

        def help_while_waiting(oldest: Future[tuple[bytes, int]]) -> None:
            # Only once waiting has cost more than a little (HELP_AFTER_WAITING): on a lean
            # file (1 kB a post) the writer waits little, and helping from its first wait
            # made the import no faster. Bounded, so memory stays flat.
            while waited > HELP_AFTER_WAITING and not oldest.done() and len(pending) < 2 * ahead:
                taken = next(ranges, None)
                if taken is None:
                    return
                pending.append(_range_chunks(str(path), fmt, *taken, preparing))

        def ready() -> Iterator[Chunk]:
            nonlocal line_no, waited
            oldest = pending[0]
            if isinstance(oldest, Future):
                if not oldest.done():
                    yield IDLE
                help_while_waiting(oldest)
                began = time.perf_counter()
                encoded, lines = oldest.result()
                # The wait for the first range is the parsing processes' start, not their pace.
                if line_no > first_line:
                    waited += time.perf_counter() - began
                chunks = _DECODER.decode(encoded)
            else:
                chunks, lines = oldest
            pending.popleft()
            yield from _renumbered(chunks, line_no)
            line_no += lines

        try:
            feed()
            while pending:
                yield from ready()
                feed()
        finally:
            # A run that stops early (Ctrl-C, a fatal problem) leaves nothing parsing.
            pool.shutdown(cancel_futures=True)
