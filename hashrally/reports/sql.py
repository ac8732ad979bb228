"""What the reports' raw SQL shares: table names quoted from the models, how each database
spells hours, epoch seconds and JSON array elements, and running a query."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from django.db import connection

from hashrally.core import sql as core_sql
from hashrally.core.sql import quote as quote
from hashrally.core.sql import table as table


def hour(column: str) -> str:
    """`column` (a timestamp) as "YYYY-MM-DDTHH" in UTC."""
    if connection.vendor == "postgresql":
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24')"
    return f"substr({column}, 1, 10) || 'T' || substr({column}, 12, 2)"


def epoch(column: str) -> str:
    """`column` (a timestamp) as seconds since 1970, a float."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})::float8"
    return f"CAST(strftime('%%s', {column}) AS REAL)"


@functools.cache
def _whitespace() -> str:
    """Every character Python's str.strip() takes away, so that "blank" means the same in SQL.
    Found when first asked: walking every code point took 0.1 s of each process's start."""
    return "".join(c for c in map(chr, range(0x110000)) if c.isspace())


def blank(column: str) -> str:
    """Whether the text `column` (not null) is empty or only whitespace, as `not x.strip()`."""
    trim = "btrim" if connection.vendor == "postgresql" else "trim"
    return f"{trim}({column}, '{_whitespace()}') = ''"


def json_elements(column: str) -> str:
    """A table of the elements of the JSON array in `column`, to join as `e`; read each one
    as `element()`."""
    if connection.vendor == "postgresql":
        return f"jsonb_array_elements_text({column})"
    return f"json_each({column})"


def element() -> str:
    return "e" if connection.vendor == "postgresql" else "e.value"


def many(
    cursor: Any, head: str, rows: list[list[Any]], tail: str, types: tuple[str, ...]
) -> list[tuple[Any, ...]]:
    """`head <rows> tail` where <rows> is a set of rows: on PostgreSQL one JSON parameter
    (core/sql.py, `rows_from_json`); elsewhere VALUES lists of a few hundred rows. Either way
    a statement per many rows, not a round trip per row. What a RETURNING tail returns, in
    order."""
    out: list[tuple[Any, ...]] = []
    if not rows:
        return out
    if connection.vendor == "postgresql":
        cursor.execute(
            f"{head} {core_sql.rows_from_json(types)} {tail}",  # names and types from code
            [core_sql.json_rows(rows)],
        )
        return cursor.fetchall() if cursor.description else out
    marks = "(" + ", ".join(["?"] * len(types)) + ")"
    step = max(1, 900 // len(types))  # SQLite's default limit is 999 parameters a statement
    # The driver's own cursor, with its own marks: Django's rewrote each statement's 900 marks
    # with a regular expression and wrapped each call, a third of these statements' time (the
    # fold's update of 95,000 matches: 0.29 s through Django, 0.14-0.18 s through sqlite3).
    # Its errors are still Django's.
    head, tail = head.replace("%%", "%"), tail.replace("%%", "%")
    raw = connection.connection.cursor()
    try:
        with connection.wrap_database_errors:
            for start in range(0, len(rows), step):
                chunk = rows[start : start + step]
                raw.execute(
                    f"{head} VALUES {', '.join([marks] * len(chunk))} {tail}",
                    [value for row in chunk for value in row],
                )
                if raw.description:
                    out += raw.fetchall()
    finally:
        raw.close()
    return out


def from_epoch(expression: str) -> str:
    """A timestamp from seconds since 1970 (the database's own conversion: faster than
    handing the driver a datetime per value)."""
    if connection.vendor == "postgresql":
        return f"to_timestamp({expression})"
    return f"datetime({expression}, 'unixepoch')"


def rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def stream(sql: str, params: list[Any], size: int = 10_000) -> Iterator[tuple[Any, ...]]:
    """The rows of `sql`, fetched `size` at a time."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(size):
            yield from chunk
