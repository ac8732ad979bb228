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
from hashrally.listening.models import CollectionRun, RunProblem
from hashrally.listening.pipeline import consume
from hashrally.listening.sniff import sniff
from hashrally.listening.store import preparing_for

# Problems the --json summary lists (a broken file can have one per line).
LISTED_PROBLEMS = 100
# Exit status when the file was read but some lines or pages were refused.
SOME_REFUSED = 2


class Command(BaseCommand):
    help = (
        "Import posts people already have (twarc2 JSONL, CSV, Mastodon or Bluesky JSON). Good "
        "lines are kept; each refused line or page is named (file:line) with its reason on "
        "stderr. Exit status: 0 when everything was read, 2 when some lines or pages were "
        "refused, 1 when the import failed."
    )
    # Django's system checks import every URL and admin module first, a quarter to half a
    # second of each run (bench/listening.py); `hashrally doctor` and `check` run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", metavar="SLUG")
        parser.add_argument("file", metavar="FILE")
        parser.add_argument(
            "--format",
            choices=importers.FORMATS,
            help="the file's format; told from its first line when left out, and a file that "
            "is not in the format given is refused before anything is read",
        )
        parser.add_argument("--json", action="store_true", help="print the run's summary as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.filter(slug=options["slug"]).first()
        if campaign is None:
            raise CommandError(f"no campaign with slug {options['slug']!r}")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        found = sniff(path)
        fmt = options["format"] or found.format
        if fmt is None:
            raise CommandError(f"{path}: cannot tell its format: it begins with {found.what}")
        if found.format != fmt and not (fmt == "csv" and found.text):
            raise CommandError(
                f"{path}: not a {fmt} file: it begins with {found.what}"
                + (f" (use --format {found.format})" if found.format else "")
            )
        options["format"] = fmt
        listening = listening_for(campaign)
        run = runs.start_or_resume(campaign, f"import:{fmt}", importers.file_key(path))
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
                importers.read(path, options["format"], run.checkpoint, preparing_for(listening)),
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
        problems = list(
            RunProblem.objects.filter(run=run).order_by("id").values_list("where", "reason")
        )
        summary: dict[str, Any] = {
            **run.summary(),
            "problems": [{"where": w, "reason": r} for w, r in problems[:LISTED_PROBLEMS]],
        }
        for line in runs.problem_lines(run):
            self.stderr.write(line)
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"{path.name}: read {run.read}, new {run.new}, updated {run.updated}, "
                f"duplicates {run.duplicates}, errors {run.errors} ({reason})"
            )
        if status == CollectionRun.Status.FAILED:
            raise CommandError(reason)
        if problems:
            raise CommandError(
                f"{len(problems)} lines or pages refused; the rest was imported",
                returncode=SOME_REFUSED,
            )
