"""What a file to import holds, told from its start: which format, or why none.

JSON may hold a value per line or run over several lines (a pretty-printed array or values);
either way the first value tells the format. `hashrally import` asks this before it starts a
run, so a file given the wrong `--format` (or none) is refused at once with what was found,
instead of being read line by line into posts with no text, author or date, or into nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ijson
import orjson

from hashrally.listening import jsonlines

# Enough to hold the first line of any real page (twarc2 lines run to a few hundred kB).
HEAD_BYTES = 8 << 20


@dataclass(frozen=True)
class Found:
    format: str | None  # None: no format recognised
    what: str  # what the first line is, for a person
    text: bool = False  # not JSON: the CSV reader's own header check says what is missing


def _kind_of_object(data: dict[str, Any]) -> Found:
    if "__twarc" in data or any(k in data for k in ("data", "includes", "meta")):
        return Found("twarc2", "an X API v2 response (data, includes, meta)")
    if "errors" in data and not any(k in data for k in ("feed", "posts", "thread")):
        return Found("twarc2", "an X API error object")
    for key in ("feed", "posts"):
        if isinstance(data.get(key), list):
            return Found("bluesky", f'a Bluesky answer with "{key}"')
    if isinstance(data.get("thread"), dict):
        return Found("bluesky", "a Bluesky thread view")
    return _kind_of_item(data)


def _kind_of_item(item: Any) -> Found:
    if not isinstance(item, dict):
        return Found(None, f"a JSON {type(item).__name__}")
    if "account" in item and ("content" in item or "reblog" in item):
        return Found("mastodon", "a Mastodon status (account, content)")
    if "record" in item and str(item.get("uri", "")).startswith("at://"):
        return Found("bluesky", "a Bluesky post view (uri at://, record)")
    if isinstance(item.get("post"), dict):
        return Found("bluesky", "a Bluesky feed item (post)")
    keys = ", ".join(sorted(item)[:6])
    return Found(None, f"a JSON object with {keys or 'no keys'}")


def _first_line(path: Path) -> bytes:
    """The first line that is not blank, BOM and spaces taken off, cut at HEAD_BYTES. Read line
    by line: the head read whole and split took 0.03-0.06 s of every import."""
    left = HEAD_BYTES
    with path.open("rb") as handle:
        while left > 0 and (line := handle.readline(left)):
            left -= len(line)
            if stripped := line.lstrip(jsonlines.BOM).strip():
                # A line may end on a carriage return alone (a CSV saved by an old Mac).
                return next(part.strip() for part in stripped.splitlines() if part.strip())
    return b""


def sniff(path: Path) -> Found:
    how = jsonlines.layout(path)
    if how != "lines":
        # A pretty-printed array or values: what its first value is.
        try:
            first, _ = next(jsonlines.values_of(path, how), (None, 0))
        except ijson.JSONError as exc:
            return Found(None, f"JSON over several lines, broken before its first value ({exc})")
        if first is None:
            return Found(None, "an empty JSON array" if how == "array" else "an empty file")
        found = _kind_of_object(first) if isinstance(first, dict) else _kind_of_item(first)
        shape = "a JSON array over several lines" if how == "array" else "JSON over several lines"
        return Found(found.format, f"{shape} whose first value is {found.what}")
    first_line = _first_line(path)
    if not first_line:
        return Found(None, "an empty file")
    try:
        data = orjson.loads(first_line)
    except orjson.JSONDecodeError:
        header = first_line.decode("utf-8", "replace").lower().split(",")
        if {"url", "author", "text", "created"} <= {h.strip().strip('"') for h in header}:
            return Found("csv", "a CSV header with url, author, text, created")
        if first_line[:1] == b"{":
            return Found(None, f"a JSON object that does not end on its line: {first_line[:60]!r}")
        return Found(None, f"neither JSON nor a CSV header: {first_line[:60]!r}", text=True)
    if isinstance(data, list):
        return _kind_of_item(data[0]) if data else Found(None, "an empty JSON array")
    if isinstance(data, dict):
        return _kind_of_object(data)
    return Found(None, f"a JSON {type(data).__name__}")
