"""Quoting for the raw SQL some parts write where the ORM costs more than the query."""

from __future__ import annotations

from typing import Any

from django.db import connection, models

CHUNK = 500


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[models.Model]) -> str:
    """The model's table, quoted: raw SQL names other apps' tables through their models."""
    return quote(model._meta.db_table)


def select_in(query: str, params: list[Any], ids: list[Any]) -> list[tuple[Any, ...]]:
    """Run `query` (with `IN ({marks})` after `params`) over `ids` in chunks; on PostgreSQL in
    one go, as `= ANY(array)`, which plans once rather than per list of literals. Plain SQL:
    the ORM's per-value preparation of a long IN list cost more than the query itself."""
    rows: list[tuple[Any, ...]] = []
    if not ids:
        return rows
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(query.replace("IN ({marks})", "= ANY(%s)"), [*params, list(ids)])
            return cursor.fetchall()
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            cursor.execute(query.format(marks=", ".join(["%s"] * len(chunk))), [*params, *chunk])
            rows += cursor.fetchall()
    return rows
