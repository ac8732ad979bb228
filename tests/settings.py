"""The real settings, with what a test run needs and a production run must never have."""

import os

os.environ.setdefault("HASHRALLY_SECRET_KEY", "tests-only-secret-key-" + "x" * 32)
os.environ.setdefault("HASHRALLY_DATA_KEYS", "dGVzdHMtb25seS1rZXktMDEyMzQ1Njc4OWFiY2RlZjA=")
# Workers started by tests never reach out to the networks' real servers; the schedule's own
# tests turn it on against local fake servers.
os.environ.setdefault("HASHRALLY_COLLECT_ON_SCHEDULE", "0")
# Tests recount whenever they ask; the cool-down after a long recount has its own test.
os.environ.setdefault("HASHRALLY_RECOUNT_SHARE", "1")

from hashrally.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared in-memory SQLite: concurrent writers from the live server's threads
    # then wait on SQLite's lock as they would in production instead of failing at once.
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"hashrally-test-{os.getpid()}.sqlite3")
    }
