"""Quoting for the raw SQL some parts write where the ORM costs more than the query."""

from __future__ import annotations

from django.db import connection, models


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[models.Model]) -> str:
    """The model's table, quoted: raw SQL names other apps' tables through their models."""
    return quote(model._meta.db_table)
