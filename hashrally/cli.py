"""The `hashrally` console command: Django's management commands under one name."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path
from typing import NoReturn


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hashrally.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 (reads the settings, which check the environment)
    except ImproperlyConfigured as problem:
        # A configuration problem is one line naming the variable and the fix, not a traceback.
        sys.stderr.write(f"hashrally: {problem}\n")
        raise SystemExit(1) from None
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["import"]:
        # Pure (no Django): its parsing processes start up while Django does.
        from hashrally.listening import jsonlines

        jsonlines.start_early(settings.VAR_DIR / "cache", *_import_file(args[1:]))
    from django.db import OperationalError

    from hashrally.core.dberrors import explain

    try:
        execute_from_command_line(["hashrally", *args])
    except OperationalError as problem:
        # A read-only or full disk under SQLite: the path and the cause, not a traceback.
        message = explain(problem)
        if message is None:
            raise
        sys.stderr.write(f"hashrally: {message}\n")
        raise SystemExit(1) from None
    finally:
        if args[:1] == ["import"]:
            # A command that failed before reading (an unknown campaign) waits for no parsing.
            jsonlines.end_early()
        # The interpreter's last collection at exit walks and frees every object the command
        # made, for memory the process gives back anyway: a tenth of a second after an import
        # of 100,000 posts (bench/listening.py). Frozen objects are left to the exit.
        gc.freeze()


def _import_file(args: list[str]) -> tuple[Path | None, str | None]:
    """The file `hashrally import` will read and its format, as far as they can be told before
    Django starts (so its first ranges are parsed meanwhile); the command itself checks both."""
    from hashrally.listening.sniff import sniff

    parser = _QuietParser(add_help=False)
    parser.add_argument("slug")
    parser.add_argument("file", type=Path)
    parser.add_argument("--format")
    try:
        known, _ = parser.parse_known_args(args)
        # Only a regular file: a pipe or a device may never end, and the command refuses them.
        if not known.file.is_file():
            return None, None
        return known.file, known.format or sniff(known.file).format
    except (OSError, ValueError):  # the command itself names what is wrong
        return None, None


class _QuietParser(argparse.ArgumentParser):
    """Raises instead of printing a usage of its own and exiting: the command's comes after."""

    def error(self, message: str) -> NoReturn:
        raise ValueError(message)


if __name__ == "__main__":
    main()
