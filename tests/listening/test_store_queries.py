"""The store's hand-written lookups use the indexes they were written for: a query that misses
its index does not fail, it makes every import batch scan the table (bench/listening.py)."""

from __future__ import annotations

import pytest
from django.db import connection

from hashrally.listening.store import referring_query

pytestmark = pytest.mark.django_db


def _plan(query: str, params: list[str]) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + query, params)
            return " ".join(str(row[-1]) for row in cursor.fetchall())
        # On PostgreSQL an empty table is scanned whatever the indexes: ask for the index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + query, params)
        return " ".join(row[0] for row in cursor.fetchall())


def test_answers_are_found_through_the_partial_index() -> None:
    query = referring_query().replace("IN ({marks})", "IN (%s, %s)")
    plan = _plan(query, ["x", "1", "2"])
    assert "post_refers_to" in plan, plan
