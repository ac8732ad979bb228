"""A worker killed (kill -9) between the mail server's acceptance of a message and the
database's update: mail is at-least-once, so the restarted worker sends it again; the repeat
carries the same Message-ID (a receiving server, and this test, can spot it) and the job is
marked as possibly repeated. No job is lost, none is sent a third time.

Real parts: an SMTP server (aiosmtpd) on loopback that holds its answer to QUIT, which comes
after the message was accepted, and `hashrally worker` processes on the test database.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from hashrally.campaigns.models import Campaign
from hashrally.supporters.actions import do_join
from hashrally.supporters.models import MailJob
from tests.fakes import free_port, start_worker
from tests.supporters.fakes import SLUG

pytestmark = pytest.mark.django_db(transaction=True)


class HoldingInbox:
    """Accepts every message, then keeps the sender waiting at QUIT while `hold` is set."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.hold = True

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        while self.hold:
            await asyncio.sleep(0.05)
        return "221 Bye"


def worker(port: int, log: Path) -> subprocess.Popen[bytes]:
    return start_worker(
        {
            "HASHRALLY_SMTP_HOST": "127.0.0.1",
            "HASHRALLY_SMTP_PORT": str(port),
            "HASHRALLY_SMTP_STARTTLS": "0",
            "HASHRALLY_COUNTS_INTERVAL": "1",
        },
        log,
    )


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_a_worker_killed_mid_send_repeats_the_mail_once_and_says_so(
    campaigns: list[str], tmp_path: Path
) -> None:
    campaign = Campaign.objects.get(slug=SLUG)
    result = do_join(
        campaign,
        {"country": "AZ", "email": "ayla@example.org", "consent": True},
        language="en",
        client_ip="127.0.0.1",
    )
    assert result.supporter is not None
    job = MailJob.objects.get(supporter=result.supporter)
    port = free_port()
    inbox = HoldingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        first = worker(port, tmp_path / "worker-1.log")
        try:
            wait_for(lambda: len(inbox.messages) == 1, 30, "the first copy never arrived")
        finally:
            # Accepted by the server, the worker waiting for its QUIT answer: killed there.
            # Killed also when the wait failed: a worker left running kept writing its beat
            # into the next runs' test database (tests/site/test_doctor.py then saw a worker).
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        job.refresh_from_db()
        assert job.status == MailJob.Status.PENDING and job.handed_over == 1
        inbox.hold = False
        # The claim expires; a new worker sends it again.
        MailJob.objects.filter(pk=job.pk).update(claimed_until=None)
        second = worker(port, tmp_path / "worker-2.log")
        try:
            wait_for(
                lambda: MailJob.objects.get(pk=job.pk).status == MailJob.Status.SENT,
                30,
                "the mail was never marked sent",
            )
            time.sleep(1.5)  # a further round sends nothing more
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=20)
    finally:
        controller.stop()
    assert len(inbox.messages) == 2
    ids = [m["Message-ID"] for m in inbox.messages]
    assert ids[0] == ids[1] and ids[0].startswith("<hashrally-mail-")
    job.refresh_from_db()
    assert job.possibly_repeated and job.handed_over == 2 and job.attempts == 0
