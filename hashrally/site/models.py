from __future__ import annotations

from django.db import models


class WorkerBeat(models.Model):
    """A worker's sign of life, written each round: `hashrally doctor` warns when none is
    recent, since then mail waits and counts stand still."""

    name = models.CharField(max_length=200, unique=True)  # host:pid
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField()
    rounds = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
