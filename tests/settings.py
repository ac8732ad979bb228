"""The real settings, with what a test run needs and a production run must never have."""

import os

os.environ.setdefault("HASHRALLY_SECRET_KEY", "tests-only-secret-key-" + "x" * 32)

from hashrally.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
