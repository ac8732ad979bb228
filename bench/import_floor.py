"""The floor for `hashrally import` (bench/listening.py): the least a plain script does to put a
twarc2 file's posts into SQLite with the fields a report needs, measured in the same run.

    .venv/bin/python bench/import_floor.py FILE.jsonl DATABASE.sqlite3

Each line parsed with orjson; posts and authors upserted with executemany, one transaction per
1,000 posts. No raw pages, no provenance, no matching, no language detection: what hashrally
keeps beyond this is the price of being checkable, and the bench prints it as a ratio.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS post (
    post_id TEXT PRIMARY KEY, author_id TEXT, text TEXT, lang TEXT, created_at TEXT,
    likes INTEGER, reposts INTEGER, replies INTEGER, quotes INTEGER,
    hashtags TEXT, mentions TEXT, refers_to TEXT
);
CREATE TABLE IF NOT EXISTS author (
    author_id TEXT PRIMARY KEY, handle TEXT, name TEXT, followers INTEGER, location TEXT
);
"""
POST = (
    "INSERT INTO post VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (post_id) DO UPDATE "
    "SET text = excluded.text, likes = excluded.likes, reposts = excluded.reposts, "
    "replies = excluded.replies, quotes = excluded.quotes"
)
AUTHOR = (
    "INSERT INTO author VALUES (?, ?, ?, ?, ?) ON CONFLICT (author_id) DO UPDATE "
    "SET handle = excluded.handle, followers = excluded.followers"
)


def post_row(tweet: dict) -> tuple:
    metrics = tweet.get("public_metrics") or {}
    entities = tweet.get("entities") or {}
    refs = tweet.get("referenced_tweets") or [{}]
    return (
        tweet["id"],
        tweet.get("author_id"),
        tweet.get("text"),
        tweet.get("lang"),
        tweet.get("created_at"),
        metrics.get("like_count"),
        metrics.get("retweet_count"),
        metrics.get("reply_count"),
        metrics.get("quote_count"),
        orjson.dumps([h["tag"].lower() for h in entities.get("hashtags") or []]).decode(),
        orjson.dumps([m["username"].lower() for m in entities.get("mentions") or []]).decode(),
        refs[0].get("id"),
    )


def author_row(user: dict) -> tuple:
    return (
        user["id"],
        user.get("username"),
        user.get("name"),
        (user.get("public_metrics") or {}).get("followers_count"),
        user.get("location"),
    )


def main(source: Path, database: Path) -> int:
    db = sqlite3.connect(database)
    db.executescript(SCHEMA)
    posts: list[tuple] = []
    authors: list[tuple] = []
    count = 0

    def flush() -> None:
        with db:
            db.executemany(AUTHOR, authors)
            db.executemany(POST, posts)
        posts.clear()
        authors.clear()

    with source.open("rb") as handle:
        for line in handle:
            page = orjson.loads(line)
            posts.extend(post_row(t) for t in page.get("data") or [])
            authors.extend(author_row(u) for u in (page.get("includes") or {}).get("users") or [])
            if len(posts) >= 1000:
                count += len(posts)
                flush()
    count += len(posts)
    flush()
    print(count)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
