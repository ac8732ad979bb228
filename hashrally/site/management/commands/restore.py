from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hashrally.site.backups import restore
from hashrally.site.management.commands._file_command import FileCommand


class Command(FileCommand):
    help = (
        "Replace the configured database's contents with a backup made by `hashrally backup`. "
        "Stop web servers and workers first."
    )
    file_help = "the backup to restore"

    def act(self, path: Path, say: Callable[[str], object]) -> None:
        restore(path, say=say)
