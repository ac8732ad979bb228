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


def test_values_alike_in_every_row_are_written_as_they_are() -> None:
    """On SQLite they go into the statement itself, quoted: a quote or a percent sign in one
    stays itself, and a value of another type is refused rather than written unquoted."""
    from hashrally.listening.models import Author
    from hashrally.listening.store import _upsert

    odd = "O'Brien 100% %s"
    columns = ["network", "author_id", "handle", "name", "description", "seen_at"]
    at = "2026-12-06 10:00:00+00:00"
    rows = [("x", "1", "ayla", "Ayla", "", at), ("x", "2", "sam", "Sam", "", at)]
    alike = [("location", odd), ("followers", 7)]
    _upsert(Author, columns, rows, ["network", "author_id"], ["handle"], same=alike)
    assert sorted(Author.objects.values_list("author_id", "location", "followers")) == [
        ("1", odd, 7),
        ("2", odd, 7),
    ]
    if connection.vendor == "sqlite":
        with pytest.raises(TypeError):
            _upsert(Author, columns, rows, ["network", "author_id"], [], same=[("followers", 1.5)])


def test_an_authors_own_posts_are_found_through_the_partial_index() -> None:
    from hashrally.reports.flags import own_posts_query

    query = own_posts_query().replace("IN ({marks})", "IN (%s, %s)")
    plan = _plan(query, ["1", "x", "a", "b"])
    assert "post_author_own" in plan, plan


@pytest.mark.parametrize(
    "moment",
    [
        "2021-09-22T16:37:29.000Z",
        "2021-09-22T16:37:29.120Z",
        "2024-02-29T23:59:59.999999+00:00",
        "2024-03-01T01:30:00.000001+05:30",  # another offset: the same moment in UTC
        "0999-01-01T00:00:00Z",
    ],
)
def test_moments_are_prepared_as_django_writes_them_on_sqlite(moment: str) -> None:
    """The rows' moments are made in the parsing processes without Django: they must be the
    text Django itself writes for the same moment, or lookups and ordering by them break."""
    import datetime as dt

    from hashrally.listening.rows import _naive

    value = dt.datetime.fromisoformat(moment)
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL is sent moments with their offset")
    assert _naive(value) == connection.ops.adapt_datetimefield_value(value)
