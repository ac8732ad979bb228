"""A self-hosted proof-of-work check (ALTCHA v1) the organiser can switch on per campaign.

The browser must find a number whose SHA-256 with the salt matches the challenge: a moment for
one person, expensive for a bot posting thousands of joins. The challenge is signed, so the
server keeps no state until a solution is used; used solutions are remembered in the cache until
they expire, so one solution cannot be replayed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

import altcha
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

# About 0.1-0.5 s of hashing in a browser on average; raise for a campaign under attack.
MAX_NUMBER = 100_000
LIFETIME = dt.timedelta(minutes=20)


def _key() -> str:
    return f"altcha:{settings.SECRET_KEY}"


def new_challenge() -> dict[str, object]:
    options = altcha.ChallengeOptionsV1(
        hmac_key=_key(), max_number=MAX_NUMBER, expires=timezone.now() + LIFETIME
    )
    challenge = altcha.create_challenge_v1(options)
    return {
        "algorithm": challenge.algorithm,
        "challenge": challenge.challenge,
        "maxnumber": challenge.max_number,
        "salt": challenge.salt,
        "signature": challenge.signature,
    }


def verify(payload: str) -> bool:
    if not payload or len(payload) > 2000:
        return False
    try:
        ok, _error = altcha.verify_solution_v1(payload, _key(), check_expires=True)
        signature = json.loads(base64.b64decode(payload))["signature"]
    except (ValueError, KeyError, TypeError):
        return False
    if not ok:
        return False
    # cache.add is atomic: only the first use of a solution succeeds.
    return bool(cache.add(f"altcha-used:{signature}", 1, int(LIFETIME.total_seconds())))
