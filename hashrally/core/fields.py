"""Model fields shaped for the tables every import writes."""

from __future__ import annotations

from typing import Any

from django.db import models


class RowIdField(models.BigAutoField):
    """A big auto primary key that is SQLite's plain rowid, without AUTOINCREMENT.

    AUTOINCREMENT makes SQLite read and write its sqlite_sequence table for every row inserted,
    so that an id is never used twice even after the highest row is deleted: a third of the
    posts' upsert time in an import (bench/listening.py). Nothing keeps these ids beyond a
    fold's own pass (no foreign key points at posts or matches), so reuse after deletion is
    harmless. PostgreSQL keeps its identity column.
    """

    def db_type_suffix(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite":
            return None
        return super().db_type_suffix(connection)
