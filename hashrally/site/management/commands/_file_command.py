"""What `backup` and `restore` share: one file argument, one call, its problems as a
CommandError (one line on stderr, exit 1) rather than a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hashrally.site.backups import BackupError


class FileCommand(BaseCommand):
    file_help = ""

    def act(self, path: Path, say: Callable[[str], object]) -> None:
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help=self.file_help)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.act(options["file"], self.stderr.write)
        except (BackupError, OSError) as problem:
            raise CommandError(str(problem)) from None
