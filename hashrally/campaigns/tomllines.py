"""Find the line of each key in a TOML document, so errors can name it.

`tomllib` parses but forgets positions. This scanner walks the text once and records the line of
every table header, key and (for arrays written one element per line) array element, keyed by the
same path a validator reports: ("targets", 0, "accounts", "x"). It understands what campaign files
use: tables, arrays of tables, dotted keys, inline tables, multi-line strings and arrays.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')
_HEADER = re.compile(r"^\[\[?\s*(?P<name>[^\]]+?)\s*\]\]?")
_KEY = re.compile(
    r'^(?P<key>(?:[A-Za-z0-9_\-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
    r'(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\'))*)\s*=\s*(?P<rest>.*)$'
)
_PART = re.compile(r'[A-Za-z0-9_\-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\'')


def _key_parts(dotted: str) -> list[str]:
    parts = []
    for token in _PART.findall(dotted):
        parts.append(token[1:-1] if token[0] in "\"'" else token)
    return parts


def _without_strings(text: str) -> str:
    text = _STRING.sub('""', text)
    return text.split("#", 1)[0]


def _opens_multiline_string(rest: str) -> str | None:
    for quote in ('"""', "'''"):
        if rest.count(quote) % 2 == 1:
            return quote
    return None


def key_lines(text: str) -> dict[Path, int]:
    lines: dict[Path, int] = {}
    table: Path = ()
    array_counts: dict[Path, int] = {}
    open_string: str | None = None
    array_path: Path | None = None
    array_depth = 0
    array_index = 0

    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if open_string:
            if raw.count(open_string) % 2 == 1:
                open_string = None
            continue
        if array_path is not None:
            if array_depth == 1 and stripped and stripped[0] not in "]#,":
                lines.setdefault((*array_path, array_index), number)
                array_index += 1
            open_string = _opens_multiline_string(stripped)
            plain = _without_strings(stripped)
            array_depth += plain.count("[") - plain.count("]")
            if array_depth <= 0:
                array_path = None
            continue
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(stripped)
        if header:
            names = _key_parts(header.group("name"))
            is_array = stripped.startswith("[[")
            resolved: list[str | int] = []
            for depth in range(1, len(names) + 1):
                resolved.append(names[depth - 1])
                prefix = tuple(names[:depth])
                if depth == len(names) and is_array:
                    index = array_counts.get(prefix, 0)
                    array_counts[prefix] = index + 1
                    # A nested array of tables restarts its count under each parent element.
                    for known in list(array_counts):
                        if len(known) > depth and known[:depth] == prefix:
                            del array_counts[known]
                    resolved.append(index)
                elif prefix in array_counts:
                    resolved.append(array_counts[prefix] - 1)
            table = tuple(resolved)
            lines.setdefault(table, number)
            continue
        match = _KEY.match(stripped)
        if not match:
            continue
        path = (*table, *_key_parts(match.group("key")))
        lines.setdefault(path, number)
        rest = match.group("rest")
        open_string = _opens_multiline_string(rest)
        if open_string:
            continue
        plain = _without_strings(rest)
        depth = plain.count("[") - plain.count("]")
        if plain.lstrip().startswith("[") and depth > 0:
            array_path, array_depth = path, depth
            array_index = 0
            # Elements that start on the key's own line belong to it.
            after = plain.lstrip()[1:].strip()
            if after and after[0] not in "]#":
                lines.setdefault((*path, 0), number)
                array_index = 1 if "," not in after else after.count(",")
    return lines


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of a path, or of the nearest enclosing key the scanner saw."""
    for end in range(len(path), 0, -1):
        found = lines.get(path[:end])
        if found is not None:
            return found
    return None
