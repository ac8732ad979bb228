from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hashrally.site.backups import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the whole database while hashrally runs: SQLite's online backup, or pg_dump "
        "(custom format) on PostgreSQL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="where to write the backup")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup(options["file"], say=self.stderr.write)
        except (BackupError, OSError) as problem:
            raise CommandError(str(problem)) from None
