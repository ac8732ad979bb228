"""Quoting for the raw SQL some parts write where the ORM costs more than the query."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from django.db import connection, models


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[models.Model]) -> str:
    """The model's table, quoted: raw SQL names other apps' tables through their models."""
    return quote(model._meta.db_table)


def rows_from_json(types: Iterable[str]) -> str:
    """PostgreSQL: a set of rows from one parameter, the rows as a JSON array of arrays
    (`json_rows`), each element cast to its column's type. Sending each column as an array
    instead had psycopg quote every value in Python: 50-70 ms for 5,000 rows of seven columns,
    against 10-25 ms for orjson and the server's JSON parser."""
    columns = ", ".join(
        # Bytes travel as hex (json_rows).
        f"decode(e->>{n}, 'hex')" if kind == "bytea" else f"CAST(e->>{n} AS {kind})"
        for n, kind in enumerate(types)
    )
    # jsonb, not json: each element is parsed once, not once a column (a posts' batch of 23
    # columns took 0.36 s as json, 0.12-0.16 s as jsonb, 0.34 s as arrays).
    return f"SELECT {columns} FROM jsonb_array_elements(CAST(%s AS jsonb)) AS e"  # noqa: S608 (types from the models)


def json_rows(rows: Sequence[Sequence[Any]]) -> str:
    """Rows as the one parameter `rows_from_json` reads: numbers, text, booleans, nulls and
    aware datetimes (as ISO 8601 with their offset), and bytes (as hex).

    PostgreSQL's text and JSON hold no NUL character, which posts and profiles sometimes
    carry (JSON allows "\\u0000"): it is left out of every text, where a whole batch failed
    before. Looked for in the whole parameter once; rows are only walked when it is there."""
    text = orjson.dumps(rows, default=_hex).decode()
    if "\\u0000" in text:
        text = orjson.dumps([[_without_nul(v) for v in row] for row in rows], default=_hex).decode()
    return text


def _without_nul(value: Any) -> Any:
    # Also in JSON text (a post's links, kept as JSON), where NUL is written as its escape.
    return value.replace("\x00", "").replace("\\u0000", "") if isinstance(value, str) else value


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    raise TypeError(f"{type(value).__name__} cannot be sent as a JSON row")


def select_in(query: str, params: list[Any], ids: list[Any]) -> list[tuple[Any, ...]]:
    """Run `query` (with `IN ({marks})` after `params`) over `ids` in one statement whatever
    their number: on PostgreSQL as `= ANY(array)`, which plans once rather than per list of
    literals; on SQLite as the values of one JSON array (`json_each`), where lists of 500
    marks took a statement each and a third longer (an import looks up 5,000 posts a batch).
    Plain SQL: the ORM's per-value preparation of a long IN list cost more than the query."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(query.replace("IN ({marks})", any_of(ids)), [*params, array(ids)])
        else:
            cursor.execute(
                query.replace("IN ({marks})", "IN (SELECT value FROM json_each(%s))"),
                [*params, orjson.dumps(list(ids)).decode()],
            )
        return cursor.fetchall()


def any_of(values: Sequence[Any]) -> str:
    """PostgreSQL: `= ANY(...)` over the one parameter `array(values)` gives."""
    kind = "bigint" if values and isinstance(values[0], int) else "text"
    return f"= ANY(CAST(%s AS {kind}[]))"


def array(values: Sequence[Any]) -> str:
    """PostgreSQL: integers or texts as one array literal, for `any_of`. psycopg quotes a
    list's values one by one in Python: 2.5 ms for the 5,000 post ids of a fold's batch,
    against 0.5 ms for this, and a fold looks ids up a few times a batch (bench/listening.py).
    Texts are quoted for the array syntax; the literal as a whole is quoted by psycopg."""
    if values and isinstance(values[0], int):
        return "{" + ",".join(map(str, map(int, values))) + "}"
    texts = list(map(str, values))
    # Escaped only when one needs it: looked for once in the whole list.
    flat = "".join(texts)
    if "\\" in flat or '"' in flat:
        texts = [text.replace("\\", "\\\\").replace('"', '\\"') for text in texts]
    return '{"' + '","'.join(texts) + '"}' if texts else "{}"


# SQLite's page cache for bulk writing, in KiB: its default of 2 MiB held too little of the
# posts' and matches' indexes, so an import of 100,000 posts read their pages back from the
# operating system again and again (system time 1.5 s against 0.7 s, bench/listening.py).
# Bounded, so memory stays flat however large the import.
BULK_CACHE_KIB = 64 * 1024


@contextmanager
def bulk_cache() -> Iterator[None]:
    """A larger SQLite page cache on this connection for the length of the block."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        if connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(before)}")
