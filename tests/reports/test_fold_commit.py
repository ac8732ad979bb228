"""The fold's own transactions do not wait for the disk at commit (what they write is worked
out again if a crash loses it); a caller's transaction keeps waiting."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from hashrally.reports import fold


def waits() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_only_a_transaction_of_the_folds_own_commits_without_waiting() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    assert waits() == "on"
    with transaction.atomic(), fold.derived_data():
        assert waits() == "off"
    assert waits() == "on"
    with transaction.atomic(), transaction.atomic(), fold.derived_data():
        assert waits() == "on"
