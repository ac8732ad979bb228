from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from hashrally.campaigns.actions import do_load_campaign_files
from hashrally.campaigns.campaignfile import CampaignFileError, read_campaign_files
from hashrally.campaigns.dump import dump_campaign
from hashrally.campaigns.models import Campaign


def _stored_slugs() -> set[str]:
    # `check` is useful before any database exists (in an editor, in CI of the campaign repo).
    try:
        return set(Campaign.objects.values_list("slug", flat=True))
    except DatabaseError:
        return set()


class Command(BaseCommand):
    help = "Check, load and dump campaign files (TOML)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="validate campaign files; change nothing")
        check.add_argument("files", nargs="+", metavar="FILE")
        load = sub.add_parser("load", help="validate, then create or update the campaigns")
        load.add_argument("files", nargs="+", metavar="FILE")
        load.add_argument(
            "--skip-existing",
            action="store_true",
            help="leave campaigns that are already stored as they are (make demo uses this, "
            "so edits made in the admin survive a restart)",
        )
        dump = sub.add_parser("dump", help="write a stored campaign as a campaign file")
        dump.add_argument("slug", metavar="SLUG")
        dump.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "dump":
            self._dump(options["slug"], options.get("output"))
            return
        try:
            files = read_campaign_files(options["files"], known_slugs=_stored_slugs())
        except CampaignFileError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            count = len(exc.problems)
            plural = "s" if count != 1 else ""
            raise CommandError(f"{count} problem{plural}; nothing was changed") from None
        if action == "check":
            for loaded in files:
                self.stdout.write(f"{loaded.path}: ok ({loaded.spec.slug})")
            return
        if options.get("skip_existing"):
            stored = _stored_slugs()
            for loaded in files:
                if loaded.spec.slug in stored:
                    self.stdout.write(f"{loaded.spec.slug}: kept (already stored)")
            files = [f for f in files if f.spec.slug not in stored]
        for slug, outcome in do_load_campaign_files(files):
            self.stdout.write(f"{slug}: {outcome}")

    def _dump(self, slug: str, output: str | None) -> None:
        campaign = Campaign.objects.filter(slug=slug).first()
        if campaign is None:
            raise CommandError(f"no campaign with slug {slug!r}")
        text = dump_campaign(campaign)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            sys.stdout.write(text)
