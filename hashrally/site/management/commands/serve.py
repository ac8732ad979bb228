"""`hashrally serve`: the production web server (gunicorn), configured from the environment.

It collects the static files first (compressed and named by their content, so a proxy and
browsers may keep them for a year), then replaces itself with gunicorn: signals from systemd
reach gunicorn's master directly, and a restart is gunicorn's own graceful one.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def gunicorn_arguments(environ: dict[str, str]) -> list[str]:
    """gunicorn's command line from HASHRALLY_* variables, with defaults for one machine."""
    port = environ.get("PORT", "8000")
    bind = environ.get("HASHRALLY_BIND", f"127.0.0.1:{port}")
    # gunicorn's own advice: (2 x cores) + 1 workers; a few threads each hide database waits.
    workers = environ.get("HASHRALLY_WEB_WORKERS", str(2 * _cores() + 1))
    threads = environ.get("HASHRALLY_WEB_THREADS", "4")
    arguments = [
        "hashrally.wsgi:application",
        "--bind",
        bind,
        "--workers",
        workers,
        "--threads",
        threads,
        "--timeout",
        environ.get("HASHRALLY_WEB_TIMEOUT", "30"),
        "--graceful-timeout",
        "30",
        # A worker is replaced after this many requests (with jitter), so a slow leak never
        # grows for the life of the server.
        "--max-requests",
        "5000",
        "--max-requests-jitter",
        "500",
        "--access-logfile",
        environ.get("HASHRALLY_ACCESS_LOG", "-"),
        "--error-logfile",
        "-",
    ]
    proxies = environ.get("HASHRALLY_FORWARDED_ALLOW_IPS")
    if proxies:
        # Which proxies' X-Forwarded-* headers gunicorn believes (default: 127.0.0.1 only).
        arguments += ["--forwarded-allow-ips", proxies]
    return arguments


class Command(BaseCommand):
    help = "Serve hashrally in production with gunicorn (HASHRALLY_BIND, HASHRALLY_WEB_WORKERS...)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="skip collecting static files (another step of the deployment did it)",
        )
        parser.add_argument(
            "--print", action="store_true", help="print gunicorn's command line and stop"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        arguments = gunicorn_arguments(dict(os.environ))
        command = [sys.executable, "-m", "gunicorn", *arguments]
        if options["print"]:
            self.stdout.write(" ".join(command))
            return
        if not options["no_collectstatic"]:
            self.stderr.write(f"collecting static files into {settings.STATIC_ROOT}")
            call_command("collectstatic", interactive=False, verbosity=0)
        self.stderr.write(f"serving on {arguments[2]} with {arguments[4]} workers")
        sys.stderr.flush()
        os.execv(sys.executable, command)  # noqa: S606 (gunicorn, from this interpreter)
