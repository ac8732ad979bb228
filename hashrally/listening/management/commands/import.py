from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from hashrally.campaigns.models import Campaign
from hashrally.listening import importers, runs
from hashrally.listening.config import listening_for
from hashrally.listening.models import CollectionRun
from hashrally.listening.pipeline import consume


class Command(BaseCommand):
    help = "Import posts people already have (twarc2 JSONL, CSV, Mastodon or Bluesky JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", metavar="SLUG")
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--format", required=True, choices=importers.FORMATS)
        parser.add_argument("--json", action="store_true", help="print the run's summary as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.filter(slug=options["slug"]).first()
        if campaign is None:
            raise CommandError(f"no campaign with slug {options['slug']!r}")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        listening = listening_for(campaign)
        run = runs.start_or_resume(
            campaign, f"import:{options['format']}", importers.file_key(path)
        )
        resumed_at = int(run.checkpoint.get("offset", 0))
        progress = tqdm(
            total=importers.size_of(path),
            initial=resumed_at,
            unit="B",
            unit_scale=True,
            desc=f"import {path.name}",
            file=sys.stderr,
            disable=None,  # only on a terminal
        )
        try:
            status, reason = consume(
                run,
                importers.read(path, options["format"], run.checkpoint),
                listening,
                on_progress=lambda chunk: progress.update(chunk.progress - progress.n),
            )
        except KeyboardInterrupt:
            status, reason = CollectionRun.Status.STOPPED, "interrupted; run again to resume"
        finally:
            progress.close()
        if status == CollectionRun.Status.FINISHED:
            reason = "end of file"
        run = runs.finish(run, status, reason)
        summary = run.summary()
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"{path.name}: read {run.read}, new {run.new}, updated {run.updated}, "
                f"duplicates {run.duplicates}, errors {run.errors} ({reason})"
            )
        if status == CollectionRun.Status.FAILED:
            raise CommandError(reason)
