"""SQLite on a disk that turns read-only or fills up, for real: a small tmpfs mounted for the
test (skipped where the test may not mount one). Each failure is one line naming the file and
the cause, and the database is intact afterwards (PRAGMA integrity_check, rows counted)."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import CAMPAIGNS, run_hashrally


@contextlib.contextmanager
def small_disk(size: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="hashrally-disk-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


def hashrally(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_hashrally({"DATABASE_URL": f"sqlite:///{database}"}, *args)


def intact(database: Path) -> int:
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return int(db.execute("SELECT count(*) FROM campaigns_campaign").fetchone()[0])


def test_it_names_a_read_only_database_and_changes_nothing() -> None:
    with small_disk("64m") as disk:
        database = disk / "hashrally.sqlite3"
        assert hashrally(database, "migrate", "--no-input").returncode == 0
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        result = hashrally(database, "campaign", "load", *map(str, CAMPAIGNS))
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        line = result.stderr.strip().splitlines()[-1]
        assert line.startswith("hashrally: the database") and str(database) in line
        assert "read-only" in line
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
        assert intact(database) == 0


def test_it_names_a_full_disk_and_keeps_what_was_there() -> None:
    with small_disk("24m") as disk:
        database = disk / "hashrally.sqlite3"
        assert hashrally(database, "migrate", "--no-input").returncode == 0
        first = [str(p) for p in CAMPAIGNS if "justice" in p.name]
        assert hashrally(database, "campaign", "load", *first).returncode == 0
        # Fill the disk to the last byte.
        filler = disk / "filler"
        with filler.open("wb") as out, contextlib.suppress(OSError):
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        result = hashrally(database, "campaign", "load", *map(str, CAMPAIGNS))
        assert result.returncode == 1 and "Traceback" not in result.stderr
        line = result.stderr.strip().splitlines()[-1]
        assert line.startswith("hashrally: the disk holding") and str(database) in line
        assert "full" in line
        filler.unlink()
        assert intact(database) == 1  # the first campaign, and nothing half-written
        assert hashrally(database, "campaign", "load", *map(str, CAMPAIGNS)).returncode == 0
        assert intact(database) == 2
