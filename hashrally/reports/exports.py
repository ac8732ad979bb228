"""A campaign's collected posts and their authors as rows, streamed from the database, for the
CSV exports (reports/formats.py writes them, safe to open in a spreadsheet)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from django.db import connection

from hashrally.listening import queries, store
from hashrally.listening.models import Author
from hashrally.reports import sql
from hashrally.reports.models import CampaignAuthor

# What the store writes, text last (the longest column reads best at the end of a row).
POST_COLUMNS = [c for c in store.POST_COLUMNS if c != "text"] + ["text"]
# The stored profile (but its free-text description), then what the campaign adds.
AUTHOR_COLUMNS = [c for c in store.AUTHOR_COLUMNS if c != "description"] + [
    "campaign_posts",
    "first_hour",
    "estimated_country",
    "country_method",
]
_JSON_COLUMNS = [POST_COLUMNS.index(c) for c in ("hashtags", "mentions", "links")]


def _stream(query: str, params: list[Any]) -> Iterator[tuple[Any, ...]]:
    with connection.chunked_cursor() as cursor:
        cursor.execute(query, params)
        while rows := cursor.fetchmany(2000):
            yield from rows


def post_rows(campaign_id: int) -> Iterator[list[Any]]:
    """The campaign's posts in time order, one row of POST_COLUMNS each."""
    columns = ", ".join(f"p.{sql.quote(c)}" for c in POST_COLUMNS)
    query = (
        f"SELECT {columns} FROM {queries.matched_posts()} WHERE m.campaign_id = %s "  # noqa: S608
        "ORDER BY p.created_at, p.network, p.post_id"
    )
    for row in _stream(query, [campaign_id]):
        values = list(row)
        for i in _JSON_COLUMNS:
            # JSON columns come back as text from SQLite (Django decodes them only through the
            # ORM): shown as the plain list, space-separated.
            items = values[i]
            if isinstance(items, str):
                items = orjson.loads(items) if items else []
            values[i] = " ".join(str(item) for item in items or [])
        yield values


def author_rows(campaign_id: int) -> Iterator[list[Any]]:
    """The campaign's authors, most posts first, one row of AUTHOR_COLUMNS each."""
    profile = ", ".join(f"a.{sql.quote(c)}" for c in AUTHOR_COLUMNS[:-4])
    query = (
        f"SELECT {profile}, c.posts, c.first_hour, c.country, c.country_method "  # noqa: S608
        f"FROM {sql.table(CampaignAuthor)} c "
        f"JOIN {sql.table(Author)} a ON a.network = c.network AND a.author_id = c.author_id "
        "WHERE c.campaign_id = %s ORDER BY c.posts DESC, a.network, a.author_id"
    )
    for row in _stream(query, [campaign_id]):
        yield list(row)
