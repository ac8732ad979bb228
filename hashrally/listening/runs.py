"""Starting, resuming and finishing collection runs."""

from __future__ import annotations

from django.db import transaction
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
