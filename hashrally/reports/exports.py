"""CSV exports of a campaign's posts and authors, streamed, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import orjson
from django.db import connection

from hashrally.listening import store
from hashrally.listening.models import Author, Post, PostMatch
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
# A cell starting with one of these is a formula to a spreadsheet (CSV injection, OWASP).
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    text = str(value)
    if text.startswith(_FORMULA) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Echo:
    def write(self, value: str) -> str:
        return value


def _lines(header: list[str], rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe(v) for v in row])


def _stream(sql: str, params: list[Any]) -> Iterator[tuple[Any, ...]]:
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(2000):
            yield from rows


def posts_csv(campaign_id: int) -> Iterator[str]:
    columns = ", ".join(f"p.{sql.quote(c)}" for c in POST_COLUMNS)
    query = (
        f"SELECT {columns} FROM {sql.table(PostMatch)} m JOIN {sql.table(Post)} p "  # noqa: S608
        "ON p.network = m.network AND p.post_id = m.post_id WHERE m.campaign_id = %s "
        "ORDER BY p.created_at, p.network, p.post_id"
    )
    json_at = [POST_COLUMNS.index(c) for c in ("hashtags", "mentions", "links")]

    def unpacked(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        # JSON columns come back as text (Django decodes them only through the ORM): shown as
        # the plain list instead.
        for row in rows:
            values = list(row)
            for i in json_at:
                if isinstance(values[i], str):
                    values[i] = orjson.loads(values[i]) if values[i] else []
            yield tuple(values)

    rows = unpacked(_stream(query, [campaign_id]))
    return _lines(POST_COLUMNS, rows)


def authors_csv(campaign_id: int) -> Iterator[str]:
    profile = ", ".join(f"a.{sql.quote(c)}" for c in AUTHOR_COLUMNS[:-4])
    query = (
        f"SELECT {profile}, c.posts, c.first_hour, c.country, c.country_method "  # noqa: S608
        f"FROM {sql.table(CampaignAuthor)} c "
        f"JOIN {sql.table(Author)} a ON a.network = c.network AND a.author_id = c.author_id "
        "WHERE c.campaign_id = %s ORDER BY c.posts DESC, a.network, a.author_id"
    )
    return _lines(AUTHOR_COLUMNS, _stream(query, [campaign_id]))
