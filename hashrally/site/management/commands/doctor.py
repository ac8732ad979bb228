"""`hashrally doctor`: is this deployment well? Each check prints one line (OK, WARN or FAIL,
what, and what to do); the command exits 1 when anything fails (2 with --strict and a
warning), so a deployment script or a monitor can run it."""

from __future__ import annotations

import datetime as dt
import io
import re
import smtplib
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from hashrally.listening.collecting import listening_campaigns
from hashrally.listening.models import CollectionRun
from hashrally.site.models import WorkerBeat
from hashrally.supporters.models import MailJob

OK, WARN, FAIL = "OK", "WARN", "FAIL"
Finding = tuple[str, str, str]  # (level, what, detail)
# A worker writes a beat every HASHRALLY_COUNTS_INTERVAL seconds; this long without one is
# a stopped worker, not a slow round.
WORKER_SILENCE = dt.timedelta(minutes=2)


def check_database() -> Iterator[Finding]:
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        connection.ensure_connection()
        plan = MigrationExecutor(connection).migration_plan(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
    except Exception as exc:
        yield FAIL, "database", f"unreachable ({type(exc).__name__}: {exc})"
        return
    vendor = connection.vendor
    if plan:
        yield FAIL, "database", f"{len(plan)} migration(s) not applied: run `hashrally migrate`"
    else:
        yield OK, "database", f"{vendor}, reachable, every migration applied"
    if vendor == "sqlite" and settings.PRODUCTION:
        yield WARN, "database", "SQLite in production: fine for one server, not for several"


def check_cache() -> Iterator[Finding]:
    backend = str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1]
    try:
        cache.set("hashrally:doctor", "1", 30)
        kept = cache.get("hashrally:doctor") == "1"
    except Exception as exc:
        yield FAIL, "cache", f"{backend}: {type(exc).__name__}: {exc}"
        return
    if not kept:
        yield FAIL, "cache", f"{backend} does not answer (is Redis running?)"
    elif "Redis" not in backend:
        level = WARN if settings.PRODUCTION else OK
        yield level, "cache", "per process (set HASHRALLY_REDIS_URL for several processes)"
    else:
        yield OK, "cache", f"{backend}, answering"


def check_mail() -> Iterator[Finding]:
    if not settings.SMTP_HOST:
        level = WARN if settings.PRODUCTION else OK
        yield level, "mail", "printed to the console (set HASHRALLY_SMTP_HOST to send mail)"
    else:
        try:
            with smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=10) as smtp:
                smtp.ehlo()
                if settings.EMAIL_USE_TLS:
                    smtp.starttls()
                    smtp.ehlo()
                if settings.EMAIL_HOST_USER:
                    smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
                smtp.noop()
        except (OSError, smtplib.SMTPException) as exc:
            yield FAIL, "mail", f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}: {exc}"
        else:
            yield OK, "mail", f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT} answers"
    try:
        failed = MailJob.objects.filter(status=MailJob.Status.FAILED).count()
        overdue = MailJob.objects.filter(
            status=MailJob.Status.PENDING,
            next_attempt_at__lt=timezone.now() - dt.timedelta(minutes=10),
        ).count()
        repeated = MailJob.objects.filter(possibly_repeated=True).count()
    except Exception:
        return
    if overdue:
        yield WARN, "mail", f"{overdue} message(s) overdue by 10 minutes or more (is a worker up?)"
    if failed:
        yield WARN, "mail", f"{failed} message(s) given up on (the admin's mail jobs say why)"
    if repeated:
        yield OK, "mail", f"{repeated} message(s) possibly delivered twice after a crash"


def check_keys() -> Iterator[Finding]:
    if settings.DEBUG:
        yield FAIL if settings.PRODUCTION else WARN, "keys", "HASHRALLY_DEBUG is on"
    if len(settings.SECRET_KEY) < 50:
        yield WARN, "keys", "HASHRALLY_SECRET_KEY is shorter than 50 characters"
    if "ZGV2ZWxvcG1lbnQta2V5" in "".join(settings.HASHRALLY_DATA_KEYS):
        yield (
            FAIL if settings.PRODUCTION else WARN,
            "keys",
            "HASHRALLY_DATA_KEYS is the development key",
        )
    else:
        yield OK, "keys", f"{len(settings.HASHRALLY_DATA_KEYS)} data key(s); secret key set"


def check_static() -> Iterator[Finding]:
    from django.contrib.staticfiles.storage import staticfiles_storage

    collected = getattr(staticfiles_storage, "collected", None)
    if collected is None:
        yield OK, "static files", "served from the apps' folders (development)"
    elif collected:
        yield OK, "static files", f"collected under hashed names in {settings.STATIC_ROOT}"
    else:
        yield (
            WARN,
            "static files",
            "not collected: pages link plain names, cached briefly; `hashrally serve` "
            "collects them (or `hashrally collectstatic`)",
        )


def check_deploy() -> Iterator[Finding]:
    out = io.StringIO()
    try:
        call_command("check", deploy=True, fail_level="WARNING", stdout=out, stderr=out)
    except (CommandError, SystemExit) as exc:
        issues = re.findall(r"\((\w+\.[WE]\d+)\)", f"{exc} {out.getvalue()}")
        level = FAIL if settings.PRODUCTION else WARN
        named = ", ".join(issues) or "see `hashrally check --deploy`"
        yield level, "check --deploy", f"{len(issues)} issue(s): {named}"
    else:
        yield OK, "check --deploy", "no issues"


def check_worker() -> Iterator[Finding]:
    try:
        beat = WorkerBeat.objects.order_by("-last_seen").first()
    except Exception:
        return
    if beat is None:
        yield FAIL, "worker", "none has ever run: start `hashrally worker`"
        return
    silent = timezone.now() - beat.last_seen
    if silent > WORKER_SILENCE:
        minutes = int(silent.total_seconds() // 60)
        yield FAIL, "worker", f"last seen {minutes} min ago ({beat.name}): is it running?"
    else:
        alive = WorkerBeat.objects.filter(last_seen__gte=timezone.now() - WORKER_SILENCE).count()
        yield OK, "worker", f"{alive} running, last round {int(silent.total_seconds())} s ago"


def check_collections() -> Iterator[Finding]:
    now = timezone.now()
    try:
        scheduled = list(listening_campaigns(now))
    except Exception:
        return
    for campaign, listening in scheduled:
        every = dt.timedelta(minutes=listening.spec.every_minutes)
        for network in listening.networks:
            what = f"collect {campaign.slug} {network}"
            run = CollectionRun.objects.filter(campaign=campaign, source=network).first()
            if run is None:
                yield WARN, what, "never collected yet"
                continue
            when = run.finished_at or run.started_at
            ago = f"{int((now - when).total_seconds() // 60)} min ago"
            if run.status == CollectionRun.Status.FAILED:
                yield FAIL, what, f"failed {ago}: {run.stop_reason or 'see the admin'}"
            elif now - when > 3 * every + dt.timedelta(minutes=10):
                yield WARN, what, f"last run {ago}, due every {listening.spec.every_minutes} min"
            elif run.errors:
                yield WARN, what, f"{run.status} {ago}, {run.errors} page(s) or line(s) refused"
            else:
                yield OK, what, f"{run.status} {ago}, {run.new} new post(s)"


CHECKS: list[Callable[[], Iterator[Finding]]] = [
    check_database,
    check_cache,
    check_mail,
    check_keys,
    check_static,
    check_deploy,
    check_worker,
    check_collections,
]


class Command(BaseCommand):
    help = "Check this deployment: database, cache, mail, keys, deploy checks, worker, collections."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--strict", action="store_true", help="warnings fail too (exit 2)")

    def handle(self, *args: Any, **options: Any) -> None:
        findings = [finding for check in CHECKS for finding in check()]
        width = max(len(what) for _, what, _ in findings)
        for level, what, detail in findings:
            self.stdout.write(f"{level:<4}  {what:<{width}}  {detail}")
        failures = sum(level == FAIL for level, _, _ in findings)
        warnings = sum(level == WARN for level, _, _ in findings)
        if failures or (options["strict"] and warnings):
            self.stdout.flush()
            self.stderr.write(f"doctor: {failures} failure(s), {warnings} warning(s)")
            raise SystemExit(1 if failures else 2)
