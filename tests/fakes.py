"""What tests of several apps share: the repository's root, the test campaign files, a free
port, and the test database as a URL for commands run in a subprocess."""

from __future__ import annotations

import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Small campaign files made for the tests (examples/ is the shipped example and may change).
CAMPAIGNS = sorted((ROOT / "tests" / "fixtures" / "campaigns").glob("*.toml"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def subprocess_database_url() -> str:
    """The test database as a DATABASE_URL, for commands run in a subprocess."""
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    return f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
