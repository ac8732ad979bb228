from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hashrally.site.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the configured database's contents with a backup made by `hashrally backup`. "
        "Stop web servers and workers first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the backup to restore")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restore(options["file"], say=self.stderr.write)
        except (BackupError, OSError) as problem:
            raise CommandError(str(problem)) from None
