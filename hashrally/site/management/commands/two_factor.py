from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hashrally.site import twofactor


class Command(BaseCommand):
    help = (
        "Set up (or replace) an organiser's second factor: prints a QR code for an "
        "authenticator app and ten one-time recovery codes. The admin's login asks for a code "
        "from the app or one of the recovery codes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}; create it first")
        enrolment = twofactor.enrol(user)
        self.stdout.write("Scan this with an authenticator app (or enter the address):")
        self.stdout.write(enrolment.qr_text())
        self.stdout.write(enrolment.uri)
        self.stdout.write("Recovery codes, each usable once (keep them somewhere safe):")
        self.stdout.write("  " + "  ".join(enrolment.recovery_codes))
