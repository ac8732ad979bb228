"""The thread that copies SQLite's write-ahead log into the database beside a bulk writer
(core/sql.py): it copies what the writer commits, so the writer never has to, and it never
holds up the writer."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from hashrally.core.sql import _Checkpointer


def _writer(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA wal_autocheckpoint = 0")  # only the thread checkpoints
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    return db


ROWS_BYTES = 10_000 * 150  # what the writer below commits, at the least


def _copied(path: Path) -> int:
    """Bytes in the database file itself: only a checkpoint writes pages there, from the log."""
    return path.stat().st_size


def test_it_copies_what_the_writer_commits_while_the_writer_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "bulk.sqlite3"
    db = _writer(path)
    checkpointer = _Checkpointer(str(path))
    checkpointer.start()
    try:
        for batch in range(20):
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT INTO t (body) VALUES (?)", [(f"{batch}-{n}" * 50,) for n in range(500)]
            )
            db.execute("COMMIT")
        deadline = time.monotonic() + 10
        while _copied(path) < ROWS_BYTES and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _copied(path) >= ROWS_BYTES
    finally:
        checkpointer.stop()
    assert not checkpointer.is_alive()
    # What was copied is the database itself: a new connection reads every row from it.
    db.close()
    assert sqlite3.connect(path).execute("SELECT count(*) FROM t").fetchone() == (10_000,)


def test_without_it_the_log_is_left_for_the_writer(tmp_path: Path) -> None:
    """The test above would pass on its own if SQLite copied the log anyway."""
    path = tmp_path / "bulk.sqlite3"
    db = _writer(path)
    for batch in range(20):
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO t (body) VALUES (?)", [(f"{batch}-{n}" * 50,) for n in range(500)]
        )
        db.execute("COMMIT")
    time.sleep(0.3)
    assert _copied(path) < ROWS_BYTES // 10


def test_it_ends_quietly_when_the_database_cannot_be_opened(tmp_path: Path) -> None:
    checkpointer = _Checkpointer(str(tmp_path / "missing" / "db.sqlite3"))
    checkpointer.start()
    checkpointer.stop()
    assert not checkpointer.is_alive()
