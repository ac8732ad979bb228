"""Starting, resuming and finishing collection runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.listening.models import CollectionRun, RunProblem


def start_or_resume(campaign: Campaign, source: str, key: str, **fields: object) -> CollectionRun:
    """The unfinished run with the same source and key continues; otherwise a new one starts."""
    with transaction.atomic():
        run = (
            CollectionRun.objects.select_for_update()
            .filter(campaign=campaign, source=source, key=key)
            .exclude(status=CollectionRun.Status.FINISHED)
            .order_by("-started_at")
            .first()
        )
        if run is None:
            return CollectionRun.objects.create(campaign=campaign, source=source, key=key, **fields)
        run.status = CollectionRun.Status.RUNNING
        run.save(update_fields=["status"])
        return run


def finish(run: CollectionRun, status: str, reason: str = "") -> CollectionRun:
    run.refresh_from_db()
    run.status = status
    run.stop_reason = reason[:300]
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "stop_reason", "finished_at"])
    return run


def last_finished(campaign: Campaign, source: str, key: str) -> CollectionRun | None:
    return (
        CollectionRun.objects.filter(
            campaign=campaign, source=source, key=key, status=CollectionRun.Status.FINISHED
        )
        .order_by("-finished_at")
        .first()
    )


# Problems said in full where people look (a command's stderr, the worker's log); the rest are
# counted, and all are in the admin's collection runs.
SHOWN_PROBLEMS = 5


def problem_lines(run: CollectionRun, shown: int = SHOWN_PROBLEMS) -> list[str]:
    """The run's refused pages or lines as "where: reason", the first `shown` of them, then how
    many more there are."""
    problems = RunProblem.objects.filter(run=run).order_by("id")
    total = problems.count()
    lines = [f"{where}: {why}" for where, why in problems.values_list("where", "reason")[:shown]]
    if total > shown:
        more = total - shown
        lines.append(f"... and {more} more refused lines or pages (all in the admin's runs)")
    return lines


@dataclass(frozen=True)
class RunHealth:
    """A source's latest run, when it did not go cleanly: what the dashboard shows."""

    source: str
    status: str
    stop_reason: str
    finished_at: dt.datetime | None
    errors: int
    problems: list[tuple[str, str]]  # (where, reason), the first `shown`


def troubled(campaign_ids: list[int], shown: int = SHOWN_PROBLEMS) -> list[RunHealth]:
    """For each source of these campaigns, its latest run if it refused anything or did not
    finish (failed, stopped), with its first problems: the state of collection now, so a
    source that has recovered shows nothing."""
    last_ids = (
        CollectionRun.objects.filter(campaign_id__in=campaign_ids)
        .values("source")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    out = []
    for run in CollectionRun.objects.filter(id__in=list(last_ids)).order_by("source"):
        if run.errors == 0 and run.status in (
            CollectionRun.Status.FINISHED,
            CollectionRun.Status.RUNNING,
        ):
            continue
        problems = list(
            RunProblem.objects.filter(run=run).order_by("id").values_list("where", "reason")[:shown]
        )
        health = RunHealth(
            run.source, run.status, run.stop_reason, run.finished_at, run.errors, problems
        )
        out.append(health)
    return out
