from __future__ import annotations

import json
import sys
from typing import Any

import httpx
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from hashrally.campaigns.models import Campaign
from hashrally.core.networks import COLLECTED_NETWORKS
from hashrally.listening import collecting, runs
from hashrally.listening.config import listening_for
from hashrally.listening.connectors import MissingCredentials
from hashrally.listening.fetch import Fetcher
from hashrally.listening.models import CollectionRun
from hashrally.listening.records import Chunk, parse_time


def _moment(value: str | None, name: str) -> Any:
    if value is None:
        return None
    moment = parse_time(value if "T" in value else f"{value}T00:00:00Z")
    if moment is None:
        raise CommandError(f"--{name} must be a date or an ISO 8601 time, such as 2022-02-23")
    return moment


class Command(BaseCommand):
    help = "Collect the campaign's public posts from X, Mastodon and Bluesky (read only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", metavar="SLUG")
        parser.add_argument("--network", choices=COLLECTED_NETWORKS, action="append")
        parser.add_argument("--since", help="date or ISO time (default: the campaign's)")
        parser.add_argument("--until", help="date or ISO time (default: now)")
        parser.add_argument("--json", action="store_true", help="print each run's summary as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.filter(slug=options["slug"]).first()
        if campaign is None:
            raise CommandError(f"no campaign with slug {options['slug']!r}")
        listening = listening_for(campaign)
        since = _moment(options.get("since"), "since") or listening.since
        until = _moment(options.get("until"), "until") or listening.until
        failed = []
        with httpx.Client(timeout=30, follow_redirects=True) as client:
            fetcher = Fetcher(client=client)
            for network in options.get("network") or list(listening.networks):
                progress = tqdm(
                    desc=f"collect {network}", unit=" posts", file=sys.stderr, disable=None
                )

                def advance(chunk: Chunk, bar: tqdm[Any] = progress) -> None:
                    bar.update(len(chunk.page.posts) if chunk.page else 0)

                try:
                    run = collecting.collect(
                        campaign,
                        listening,
                        network,
                        since=since,
                        until=until,
                        fetcher=fetcher,
                        on_progress=advance,
                    )
                except MissingCredentials as exc:
                    raise CommandError(str(exc)) from None
                except ValueError as exc:
                    raise CommandError(f"{network}: {exc}") from None
                finally:
                    progress.close()
                reason = run.stop_reason
                if options["json"]:
                    summary = {"network": network, **run.summary(), "stop_reason": reason}
                    self.stdout.write(json.dumps(summary))
                else:
                    self.stdout.write(
                        f"{network}: read {run.read}, new {run.new}, updated {run.updated}, "
                        f"duplicates {run.duplicates}, errors {run.errors} ({reason})"
                    )
                for line in runs.problem_lines(run):
                    self.stderr.write(f"{network}: {line}")
                if run.status == CollectionRun.Status.FAILED:
                    failed.append(f"{network}: {reason}")
        if failed:
            raise CommandError("; ".join(failed))
