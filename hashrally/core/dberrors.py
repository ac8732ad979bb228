"""SQLite failures that are about the disk, explained: which file, what is wrong, what to do.

SQLite says "unable to open database file" for a read-only directory (it must create the
-wal and -shm files beside the database) and "disk I/O error" for a full disk in WAL mode;
neither names the file. The operator needs the path and the cause.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from django.conf import settings

LOW_SPACE = 16 * 1024 * 1024


def explain(exc: BaseException) -> str | None:
    """One sentence for an SQLite error caused by its file or disk; None for anything else."""
    database = settings.DATABASES["default"]
    if not str(database["ENGINE"]).endswith("sqlite3"):
        return None
    path = Path(str(database["NAME"]))
    folder = path.parent
    said = str(exc)
    text = said.lower()
    if not any(
        words in text for words in ("readonly", "read-only", "unable to open", "disk", "full")
    ):
        return None
    if not folder.is_dir():
        return f"the database folder {folder} does not exist ({said}): create it"
    writable = os.access(folder, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
    if "readonly" in text or "read-only" in text or not writable:
        return (
            f"the database {path} is read-only ({said}): make {folder} and the files in it "
            f"writable for this user (SQLite writes {path.name}-wal and -shm beside it)"
        )
    free = shutil.disk_usage(folder).free
    if "full" in text or free < LOW_SPACE:
        return (
            f"the disk holding {path} is full ({free:,} bytes free; {said}): free some space "
            "there; the change was not written, and what was there before is intact"
        )
    if "disk" in text:
        return f"the disk holding {path} failed ({said}): check it (dmesg), then retry"
    return f"the database {path} cannot be opened ({said})"
