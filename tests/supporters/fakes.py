"""What supporters' tests share: the campaign they join, joining as a browser would, and a
mailbox on a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import base64
import json
import re
from email import message_from_bytes, policy
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


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def link_in(message: Any, pattern: str) -> str:
    found = re.search(pattern, message.get_content())
    assert found, message.get_content()
    return found.group(0).removeprefix("http://campaign.test")
