from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hashrally.campaigns.models import Campaign
from hashrally.reports.assemble import CountersDisagree, full_report
from hashrally.reports.formats import REPORT_FORMATS
from hashrally.supporters.verification import do_verify_supporters


class Command(BaseCommand):
    help = (
        "A campaign's report, from its counters and what the fold keeps (posts not folded yet "
        "are folded first): JSON, CSV (one figure a row), HTML or PDF. --recount counts every "
        "figure again from the posts and stops if the counters disagree."
    )
    # As for `import`: the system checks are `doctor`'s and `check`'s, not every report's.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", metavar="SLUG")
        parser.add_argument("--format", choices=list(REPORT_FORMATS), default="json")
        parser.add_argument("-o", "--output", metavar="FILE", help="default: standard output")
        parser.add_argument(
            "--recount",
            action="store_true",
            help="count again from the posts (several scans of them) and check the counters",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.filter(slug=options["slug"]).first()
        if campaign is None:
            raise CommandError(f"no campaign with slug {options['slug']!r}")
        fmt = REPORT_FORMATS[options["format"]]
        output = options.get("output")
        if fmt.name == "pdf" and not output:
            raise CommandError("--format pdf needs -o FILE (a PDF is not for a terminal)")
        started = time.monotonic()

        def say(stage: str) -> None:
            sys.stderr.write(
                f"report {campaign.slug} [{time.monotonic() - started:5.1f} s]: {stage}\n"
            )

        # The worker's step, done here for what it has not verified yet (a report is read
        # only: it counts the verifications it finds).
        say("verifying supporters against the collected posts")
        do_verify_supporters(campaign)
        try:
            report = full_report(campaign, say, recount=options["recount"])
        except CountersDisagree as error:
            raise CommandError(str(error)) from None
        sys.stderr.write(
            f"report {campaign.slug}: {report['posts']['total']} posts, "
            f"{report['authors']['unique']} authors, {report['supporters']['joined']} joined; "
            f"writing {fmt.name}\n"
        )
        data = fmt.write(report)
        if output:
            Path(output).write_bytes(data)
            sys.stderr.write(f"report {campaign.slug}: wrote {output}\n")
        else:
            self.stdout.write(data.decode(), ending="")
