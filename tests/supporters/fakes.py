"""What supporters' tests share: the campaign they join, and joining as a browser would."""

from __future__ import annotations

import base64
import json
from typing import Any

import altcha
from django.test import Client

SLUG = "recognize-to-reconcile"
JOIN = f"/c/{SLUG}/join"


def join(client: Client, **fields: Any) -> Any:
    data = {"country": "AZ", "consent": "on", **fields}
    return client.post(JOIN, {k: v for k, v in data.items() if v is not None})


def solve(challenge: dict[str, Any]) -> str:
    """What the page's script does: find the number, send back the signed answer."""
    solution = altcha.solve_challenge_v1(
        challenge["challenge"], challenge["salt"], max_number=challenge["maxnumber"]
    )
    assert solution is not None
    payload = {
        "algorithm": challenge["algorithm"],
        "challenge": challenge["challenge"],
        "number": solution.number,
        "salt": challenge["salt"],
        "signature": challenge["signature"],
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()
