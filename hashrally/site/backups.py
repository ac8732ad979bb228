"""Backups of the whole database, taken while hashrally serves, and their restoring.

SQLite: the online backup API copies a consistent snapshot page by page while writers go on
(WAL), and the copy is checked with `PRAGMA integrity_check` before it is called a backup.
PostgreSQL: `pg_dump` in its custom format (one consistent snapshot, compressed), restored
with `pg_restore`. A backup is written beside its destination and renamed into place, so a
crash never leaves half a file under the backup's name.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connections


class BackupError(Exception):
    """Why a backup or restore could not be made, in words for the operator."""


def _settings() -> dict[str, Any]:
    return dict(connections["default"].settings_dict)


def _pg_environment(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    arguments = ["-h", str(db["HOST"] or "127.0.0.1"), "-p", str(db["PORT"] or 5432)]
    arguments += ["-U", str(db["USER"] or "postgres")]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return arguments, env


def _postgres_tool(
    db: dict[str, Any], name: str, *arguments: str, database_last: bool = True
) -> None:
    """Run pg_dump or pg_restore on the configured database; BackupError with its words."""
    connection, env = _pg_environment(db)
    command = [_tool(name), *connection, *arguments]
    if database_last:
        command.append(str(db["NAME"]))
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{name} failed: {result.stderr.strip()}")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    # Debian keeps the versioned programs out of PATH; the newest major version reads older.
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if candidates:
        return str(candidates[-1])
    raise BackupError(f"{name} is not installed (Debian: apt install postgresql-client)")


def backup(destination: Path, say: Callable[[str], object] = print) -> None:
    db = _settings()
    partial = destination.with_name(destination.name + ".partial")
    if db["ENGINE"].endswith("sqlite3"):
        connection = connections["default"]
        connection.ensure_connection()
        source: sqlite3.Connection = connection.connection
        partial.unlink(missing_ok=True)
        target = sqlite3.connect(partial)
        try:

            def progress(status: int, remaining: int, total: int) -> None:
                say(f"backup: {total - remaining} of {total} pages")

            source.backup(target, pages=1024, progress=progress)
            check = target.execute("PRAGMA integrity_check").fetchone()
        finally:
            target.close()
        if not check or check[0] != "ok":
            partial.unlink(missing_ok=True)
            raise BackupError(f"the copy failed its integrity check: {check}")
    elif db["ENGINE"].endswith("postgresql"):
        say(f"backup: pg_dump of {db['NAME']}")
        try:
            _postgres_tool(db, "pg_dump", "--format=custom", "--no-owner", "-f", str(partial))
        except BackupError:
            partial.unlink(missing_ok=True)
            raise
    else:
        raise BackupError(f"no backup for the {db['ENGINE']} engine")
    os.replace(partial, destination)
    say(f"backup: written to {destination} ({destination.stat().st_size:,} bytes)")


def restore(source: Path, say: Callable[[str], object] = print) -> None:
    """Replace the configured database's contents with a backup's. Stop the web servers and
    workers first: what they write meanwhile is lost."""
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    db = _settings()
    if db["ENGINE"].endswith("sqlite3"):
        try:
            backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            check = backup_db.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not an SQLite backup: {exc}") from None
        if not check or check[0] != "ok":
            raise BackupError(f"{source} failed its integrity check: {check}")
        connection = connections["default"]
        connection.ensure_connection()
        try:
            backup_db.backup(connection.connection, pages=1024)
        finally:
            backup_db.close()
    elif db["ENGINE"].endswith("postgresql"):
        say(f"restore: pg_restore into {db['NAME']}")
        _postgres_tool(
            db, "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
            "-d", str(db["NAME"]), str(source), database_last=False,
        )  # fmt: skip
    else:
        raise BackupError(f"no restore for the {db['ENGINE']} engine")
    say(f"restore: {source} restored")
