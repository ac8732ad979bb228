from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hashrally.supporters.housekeeping import anonymise_expired, purge_ip_hashes


class Command(BaseCommand):
    help = "Privacy housekeeping."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "purge",
            help="anonymise supporters of campaigns closed longer than their retention period, "
            "and drop old address hashes",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        done = anonymise_expired()
        for slug, count in done.items():
            self.stdout.write(f"{slug}: {count} supporter(s) anonymised")
        if not done:
            self.stdout.write("no campaign past its retention period")
        self.stdout.write(f"address hashes dropped: {purge_ip_hashes()}")
