from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hashrally.site.backups import backup
from hashrally.site.management.commands._file_command import FileCommand


class Command(FileCommand):
    help = (
        "Back up the whole database while hashrally runs: SQLite's online backup, or pg_dump "
        "(custom format) on PostgreSQL."
    )
    file_help = "where to write the backup"

    def act(self, path: Path, say: Callable[[str], object]) -> None:
        backup(path, say=say)
