"""`hashrally backup` and `restore` as an operator runs them: a backup of the test database
(SQLite or PostgreSQL, whichever the run uses), restored into a fresh database, gives the same
rows (counted here with plain SQL) and the same report (`dataset_sha256`)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from hashrally.campaigns.models import Campaign
from hashrally.supporters.actions import do_join
from tests.fakes import run_hashrally, subprocess_database_url
from tests.listening.fakes import run_import
from tests.reports.fakes import CHILD, HAND_BUILT, csv_file, fold_all

pytestmark = pytest.mark.django_db(transaction=True)
TABLES = ("supporters_supporter", "listening_post", "listening_rawpage", "campaigns_campaign")


def hashrally(
    database_url: str, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return run_hashrally({"DATABASE_URL": database_url}, *args, check=check)


def counts(database_url: str) -> dict[str, int]:
    """Rows per table, read without hashrally."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608
    with psycopg.connect(database_url) as db:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # type: ignore[index]  # noqa: S608


def report(database_url: str) -> dict[str, object]:
    found = json.loads(hashrally(database_url, "report", CHILD, "--format", "json").stdout)
    return {
        "dataset_sha256": found["dataset_sha256"],
        "joined": found["supporters"]["joined"],
        "headline": found["headline"],
    }


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """An empty database of the run's engine, for the restore."""
    source = subprocess_database_url()
    if source.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"restore_{uuid.uuid4().hex[:8]}"
    server = source.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    connection.close()
    with psycopg.connect(f"{server}/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_it_restores_a_backup_into_a_fresh_database(
    campaigns: list[str], tmp_path: Path, fresh_database: str
) -> None:
    campaign = Campaign.objects.get(slug=CHILD)
    for number, country in enumerate(["AZ", "TR", "DE"]):
        do_join(
            campaign,
            {"country": country, "email": f"p{number}@example.org", "consent": True},
            language="en",
            client_ip="127.0.0.1",
        )
    run_import(csv_file(tmp_path, HAND_BUILT), "csv")
    fold_all()
    source = subprocess_database_url()
    before = report(source)
    rows = counts(source)
    assert rows["supporters_supporter"] == 3 and rows["listening_post"] == len(HAND_BUILT)

    backup = tmp_path / "hashrally.backup"
    made = hashrally(source, "backup", str(backup))
    assert backup.stat().st_size > 0 and "written to" in made.stderr
    assert not backup.with_name(backup.name + ".partial").exists()

    hashrally(fresh_database, "restore", str(backup))
    assert counts(fresh_database) == rows
    assert report(fresh_database) == before


def test_it_refuses_what_is_not_a_backup(tmp_path: Path, fresh_database: str) -> None:
    bogus = tmp_path / "not-a-backup"
    bogus.write_text("hello")
    refused = hashrally(fresh_database, "restore", str(bogus), check=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert str(bogus) in refused.stderr or "pg_restore failed" in refused.stderr
    missing = hashrally(fresh_database, "restore", str(tmp_path / "none"), check=False)
    assert missing.returncode == 1 and "no such file" in missing.stderr
