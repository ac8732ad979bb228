"""Starting, resuming and finishing collection runs."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.listening.models import CollectionRun


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
