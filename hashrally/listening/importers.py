"""Files people already have: twarc2 JSONL, CSV, Mastodon status JSON, Bluesky post-view JSON.

Each reader yields (where, raw bytes, page or problem, checkpoint) one line or batch at a time,
so memory stays flat however large the file, and a run resumes from the byte offset (JSON lines)
or row (CSV) of its last committed checkpoint.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from hashrally.core import networks
from hashrally.core.folding import fold_handle
from hashrally.core.numbers import whole
from hashrally.listening import jsonlines
from hashrally.listening.records import (
    Chunk,
    Page,
    PostRecord,
    hashtags_in,
    links_in,
    mentions_in,
    parse_time,
)
from hashrally.listening.rows import Preparing

FORMATS = ("csv", *jsonlines.FORMATS)
CSV_BATCH = 1000
EXTRA = "(fields beyond the header)"


def file_key(path: Path) -> str:
    """Same path, size and first megabyte: the same file, so an unfinished import resumes."""
    with path.open("rb") as handle:
        head = hashlib.sha256(handle.read(1 << 20)).hexdigest()[:16]
    return f"{path.resolve()}|{path.stat().st_size}|{head}"


def _network_of(url: str) -> str:
    """Which collected network a row's address is on; a post on any other host is taken for
    Mastodon's, which runs on any server."""
    host = urlsplit(url).hostname or ""
    for code in networks.COLLECTED_NETWORKS:
        if networks.on_host(networks.NETWORKS[code], host):
            return code
    return "mastodon"


def csv_row(row: dict[str, str]) -> PostRecord:
    """At least url, author, text, created; id, network, language and counts when present."""
    missing = [c for c in ("url", "author", "text", "created") if not (row.get(c) or "").strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    url = row["url"].strip()
    text = row["text"]
    network = (row.get("network") or "").strip().lower() or _network_of(url)
    post_id = (row.get("id") or "").strip() or url.rstrip("/").rsplit("/", 1)[-1]
    created = parse_time(row["created"].strip())
    if created is None:
        raise ValueError(f"created is not an ISO 8601 time: {row['created']!r}")
    author = row["author"].strip()

    def count(name: str) -> int | None:
        return whole(row.get(name))

    return PostRecord(
        network=network,
        post_id=post_id,
        author_id=fold_handle(author),
        author_handle=author.removeprefix("@"),
        url=url,
        text=text,
        language=(row.get("language") or "").strip(),
        created_at=created,
        likes=count("likes"),
        reposts=count("reposts"),
        replies=count("replies"),
        quotes=count("quotes"),
        views=count("views"),
        hashtags=hashtags_in(text),
        mentions=mentions_in(text),
        links=links_in(text),
    )


class _CountingReader(io.RawIOBase):
    """Lets the progress bar follow a CSV file read through the text layer."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self.raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.consumed += len(data)
        return len(data)


def _csv(path: Path, checkpoint: dict[str, Any]) -> Iterator[Chunk]:
    skip = int(checkpoint.get("row", 0))
    with path.open("rb") as binary:
        counter = _CountingReader(binary)
        text = io.TextIOWrapper(io.BufferedReader(counter), encoding="utf-8-sig", newline="")
        # Fields beyond the header's land under EXTRA (not a None key), and the row is refused.
        reader = csv.DictReader(text, restkey=EXTRA)
        if not reader.fieldnames or not {"url", "author", "text", "created"} <= set(
            reader.fieldnames
        ):
            yield Chunk(
                f"{path.name}:1",
                b"",
                None,
                f"the header must name url, author, text and created; it has {reader.fieldnames}",
                {"row": 0},
                path.stat().st_size,
                fatal=True,
            )
            return
        batch: list[PostRecord] = []
        raw_rows: list[dict[str, str]] = []
        row_no = 0

        def batch_chunk() -> Chunk:
            return Chunk(
                f"{path.name}:rows up to {row_no}",
                orjson.dumps(raw_rows),
                Page(posts=batch),
                "",
                {"row": row_no},
                counter.consumed,
            )

        for row in reader:
            row_no += 1
            if row_no <= skip:
                continue
            try:
                if EXTRA in row:
                    raise ValueError(
                        f"{len(reader.fieldnames) + len(row[EXTRA])} fields where the header "
                        f"names {len(reader.fieldnames)} (an unquoted comma?)"
                    )
                batch.append(csv_row(row))
                raw_rows.append(row)
            except ValueError as exc:
                yield Chunk(
                    f"{path.name}:{row_no + 1}",
                    orjson.dumps(row),
                    None,
                    str(exc),
                    {"row": row_no},
                    counter.consumed,
                )
                continue
            if len(batch) >= CSV_BATCH:
                yield batch_chunk()
                batch, raw_rows = [], []
        if batch:
            yield batch_chunk()


def read(
    path: Path, fmt: str, checkpoint: dict[str, Any], preparing: Preparing | None = None
) -> Iterator[Chunk]:
    if fmt == "csv":
        return _csv(path, checkpoint)
    if fmt in jsonlines.FORMATS:
        return jsonlines.read(path, fmt, checkpoint, preparing)
    raise ValueError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")


def size_of(path: Path) -> int:
    return os.path.getsize(path)
