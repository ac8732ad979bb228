"""What tests of several apps share: the repository's root, the test campaign files, a free
port, and the test database as a URL for commands run in a subprocess."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
# Small campaign files made for the tests (examples/ is the shipped example and may change).
CAMPAIGNS = sorted((ROOT / "tests" / "fixtures" / "campaigns").glob("*.toml"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hashrally_env(env: dict[str, str]) -> dict[str, str]:
    """The environment of a `hashrally` subprocess: this one's, the tests' settings, on the
    test database unless `env` names another, plus `env`."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": subprocess_database_url(),
        **env,
    }


def run_hashrally(
    env: dict[str, str], *args: str, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """`hashrally ARGS` as an operator runs it, in a subprocess; its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "hashrally", *args],
        cwd=ROOT,
        env=hashrally_env(env),
        capture_output=True,
        text=True,
        check=check,
    )


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`hashrally worker` in a subprocess (its output in `log`), for tests that kill it."""
    return subprocess.Popen(
        [sys.executable, "-m", "hashrally", "worker"],
        cwd=ROOT,
        env=hashrally_env(env),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def subprocess_database_url() -> str:
    """The test database as a DATABASE_URL, for commands run in a subprocess."""
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    return f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@contextlib.contextmanager
def gunicorn(tmp_path: Path, env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """The site served by gunicorn with `workers` processes on the test database; its base
    address. The log is in tmp_path/gunicorn.log."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "hashrally.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": subprocess_database_url(),
            **env,
        },
        stderr=log.open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError(log.read_text())
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def log_in(client: Any, user: Any) -> Any:
    """`client` logged in as `user` with both factors, as after the admin's login form with a
    password and a one-time code (django-otp keeps the device that verified it in the session).
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    client.force_login(user)
    device, _ = StaticDevice.objects.get_or_create(user=user, name="tests", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def one_second_each(settings: Any, monkeypatch: Any, module: Any, name: str) -> list[float]:
    """The cool-down's clock (core/cooldown.py) stopped at 1000 s, production's 5% share, and
    `module.name` made to take one second of that clock per call. Returns the clock, which a
    test moves by hand: clock[0] += 10."""
    settings.HASHRALLY_RECOUNT_SHARE = 0.05
    clock = [1000.0]
    monkeypatch.setattr("hashrally.core.cooldown.time.monotonic", lambda: clock[0])
    real = getattr(module, name)

    def one_second(*args: Any) -> Any:
        clock[0] += 1.0
        return real(*args)

    monkeypatch.setattr(module, name, one_second)
    return clock
