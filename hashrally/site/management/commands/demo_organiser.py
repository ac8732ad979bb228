from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from hashrally.site import twofactor


class Command(BaseCommand):
    help = "Create the demo's organiser login once and print it (used by `make demo`)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="organiser")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        # The password is kept beside the demo database so later runs can print it again; a
        # hash in the database alone could not be shown back.
        password_file = settings.VAR_DIR / "organiser-password"
        users = get_user_model().objects
        user = users.filter(username=username).first()
        if user is None or not password_file.exists():
            password = secrets.token_urlsafe(12)
            if user is None:
                user = users.create_superuser(username=username, email="", password=password)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n", encoding="utf-8")
            password_file.chmod(0o600)
        password = password_file.read_text(encoding="utf-8").strip()
        self.stdout.write(f"Organiser login: {username} / {password}  (admin at /admin/)")
        # The second factor: the demo's login takes one of these recovery codes (each once);
        # `hashrally two_factor organiser` sets up an authenticator app instead.
        codes = twofactor.unused_recovery_codes(user)
        if not codes:
            codes = twofactor.enrol(user).recovery_codes
        self.stdout.write(f"One-time code for the login (each works once): {'  '.join(codes)}")
