"""A private PostgreSQL server for fault tests: its own cluster in a temporary folder, on its
own port, which a test may stop and start while hashrally runs against it. Debian's
postgresql package provides the programs; without them the tests that need one are skipped.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.fakes import free_port

BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


def available() -> bool:
    return BIN is not None and (BIN / "initdb").exists()


class PrivatePostgres:
    def __init__(self, folder: Path) -> None:
        assert BIN is not None
        self.bin: Path = BIN
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        # PostgreSQL refuses to run as root: as root, the cluster belongs to "postgres".
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        self.url = f"postgresql://{self.user}@127.0.0.1:{self.port}/hashrally"

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(
            [*prefix, *command], capture_output=True, text=True, check=True, cwd=self.folder
        )

    def create(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            self.user,
            "-E",
            "UTF8",
        )
        self.start()
        self._run(
            str(self.bin / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            self.user,
            "hashrally",
        )

    def start(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-o",
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def wait_ready(self, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise AssertionError("the private PostgreSQL did not come up")


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    # Its own folder in /tmp, not pytest's: those are root's alone, and the server may run as
    # "postgres".
    folder = Path(tempfile.mkdtemp(prefix="hashrally-pg-"))
    folder.chmod(0o755)
    server = PrivatePostgres(folder)
    try:
        server.create()
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
