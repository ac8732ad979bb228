from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import threading
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.db.models import F
from django.utils import timezone

from hashrally.listening.collecting import collect_due
from hashrally.reports.refresh import changed, refresh_reports, refresh_supporters
from hashrally.site.models import WorkerBeat
from hashrally.supporters.counts import refresh_counts
from hashrally.supporters.housekeeping import purge_ip_hashes
from hashrally.supporters.mail import send_due_mail
from hashrally.supporters.reminders import queue_due_reminders
from hashrally.supporters.verification import do_verify_supporters

DAY = 24 * 3600
# How often the collector looks for campaigns whose collection is due.
COLLECT_CHECK_SECONDS = 30


class Command(BaseCommand):
    help = (
        "Background work: send queued mail, refresh public counts, purge old traces, and "
        "collect live campaigns' posts on their schedule."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="do one round and exit")
        parser.add_argument("--full", action="store_true", help="with --once: recount everything")
        parser.add_argument(
            "--collect", action="store_true", help="with --once: also run due collections"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stopping = False
        if options["once"]:
            if options["collect"]:
                self._collect()
            self._round(full=options["full"])
            return
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        if settings.HASHRALLY_COLLECT_ON_SCHEDULE:
            # Collections take minutes; on their own thread they never hold up mail or counts.
            collector = threading.Thread(target=self._collector, name="collector", daemon=True)
            collector.start()
        interval = settings.HASHRALLY_COUNTS_INTERVAL
        self.stderr.write(f"worker: mail, counts every {interval}s, daily rebuild; Ctrl-C stops")
        last_full: float | None = None  # the first round rebuilds everything
        while not self.stopping:
            full = last_full is None or time.monotonic() - last_full > DAY
            started = time.monotonic()
            try:
                self._round(full=full)
            except Exception as exc:
                self.stderr.write(f"worker: round failed: {type(exc).__name__}: {exc}")
            else:
                if full:
                    last_full = started
            close_old_connections()
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
        if settings.HASHRALLY_COLLECT_ON_SCHEDULE:
            # A collection stops after the page it is storing; what it stored stays.
            collector.join(timeout=60)

    def _beat(self) -> None:
        now = timezone.now()
        name = f"{socket.gethostname()}:{os.getpid()}"
        if not WorkerBeat.objects.filter(name=name).update(last_seen=now, rounds=F("rounds") + 1):
            WorkerBeat.objects.create(name=name, started_at=now, last_seen=now, rounds=1)
            # A new worker: forget those gone for a week (restarts leave one row each).
            WorkerBeat.objects.filter(last_seen__lt=now - dt.timedelta(days=7)).delete()

    def _round(self, *, full: bool) -> None:
        self._beat()
        queue_due_reminders()
        sent, failed = send_due_mail()
        refreshed = refresh_counts(full=full)
        if refreshed:
            changed(refreshed)
        # Every round: sections put off by a cool-down are done when it ends.
        refresh_supporters(refreshed)
        reported = refresh_reports(before_rebuild=do_verify_supporters)
        purged = purge_ip_hashes() if full else 0
        if sent or failed or refreshed or purged or reported:
            self.stdout.write(
                f"worker: mail sent {sent}, failed {failed}; counts refreshed for "
                f"{len(refreshed)} campaign(s); reports rebuilt for {len(reported)}; "
                f"ip hashes purged {purged}"
            )

    def _collect(self) -> None:
        collect_due(should_stop=lambda: self.stopping, say=self.stdout.write)

    def _collector(self) -> None:
        while not self.stopping:
            try:
                self._collect()
            except Exception as exc:
                self.stderr.write(f"worker: collecting failed: {type(exc).__name__}: {exc}")
            finally:
                close_old_connections()
            for _ in range(COLLECT_CHECK_SECONDS):
                if self.stopping:
                    break
                time.sleep(1)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
