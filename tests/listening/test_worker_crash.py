"""A worker killed (kill -9) in the middle of a scheduled collection, then another started:
the collection resumes from its checkpoint once the dead worker's lease runs out, every post
of the recorded X pages is stored once, none is lost, and the run is the same run.

Real parts: `hashrally worker` processes on the test database and the shared Redis, and the
X fake of test_x.py (recorded pages over local HTTP), which holds its answer to the second
page until the first worker is dead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hashrally.campaigns.models import Campaign
from hashrally.listening.models import CollectionRun, Post
from tests.fakes import start_worker
from tests.listening.test_x import ALL_IDS, PAGE, SLUG, TOKEN, FakeClock, FakeX

REDIS_URL = os.environ.get("HASHRALLY_TEST_REDIS_URL", "")
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not REDIS_URL, reason="set HASHRALLY_TEST_REDIS_URL: the lease lives in the shared cache"
    ),
]
LEASE = 3


class HoldingX(FakeX):
    """The X fake, holding its answer to the second page while `hold` is set."""

    def __init__(self) -> None:
        super().__init__(FakeClock())
        self.hold = threading.Event()
        self.hold.set()
        self.held = threading.Event()

    def handle(self, request: Any) -> None:
        if f"next_token=at-{PAGE}" in request.path and self.hold.is_set():
            self.held.set()
            while self.hold.is_set():
                time.sleep(0.05)
            return  # the worker that asked is dead: nobody to answer
        super().handle(request)


@pytest.fixture
def fake() -> Iterator[HoldingX]:
    server = HoldingX()
    server.thread.start()
    yield server
    server.hold.clear()
    server.server.shutdown()
    server.server.server_close()


def worker(fake: HoldingX, log: Path) -> subprocess.Popen[bytes]:
    return start_worker(
        {
            "HASHRALLY_REDIS_URL": REDIS_URL,
            "HASHRALLY_COLLECT_ON_SCHEDULE": "1",
            "HASHRALLY_COLLECT_LEASE_SECONDS": str(LEASE),
            "HASHRALLY_X_API_URL": fake.url,
            "HASHRALLY_X_BEARER_TOKEN": TOKEN,
        },
        log,
    )


def wait_for(condition: Any, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what}\n{log.read_text()}"
        time.sleep(0.1)


def test_a_collection_resumes_after_its_worker_is_killed(
    campaigns: list[str], fake: HoldingX, tmp_path: Path
) -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    campaign = Campaign.objects.get(slug=SLUG)
    campaign.listening = {"networks": ["x"], "every_minutes": 60}
    campaign.save()
    # Only this campaign on a schedule, on X alone: nothing may reach a real network.
    Campaign.objects.exclude(pk=campaign.pk).update(listening={"every_minutes": 0})

    first_log = tmp_path / "worker-1.log"
    first = worker(fake, first_log)
    try:
        wait_for(fake.held.is_set, 60, "the worker never asked for the second page", first_log)
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    # What the dead worker committed: pages are stored in batches, each with its run and
    # checkpoint in one transaction, so either nothing or whole pages and where to go on.
    killed = CollectionRun.objects.filter(campaign=campaign, source="x").first()
    assert killed is None or killed.status == CollectionRun.Status.RUNNING
    stored_before = Post.objects.filter(network="x").count()
    token = killed.checkpoint.get("next_token") if killed else None
    assert (stored_before, token) in ((0, None), (PAGE, f"at-{PAGE}"))
    fake.hold.clear()
    asked_before = len(fake.requests)
    # The dead worker's lease runs out (a live one renews it after every page).
    time.sleep(LEASE + 0.5)

    second_log = tmp_path / "worker-2.log"
    second = worker(fake, second_log)
    try:
        wait_for(
            lambda: CollectionRun.objects.filter(
                campaign=campaign, source="x", status=CollectionRun.Status.FINISHED
            ).exists(),
            60,
            "the collection was not resumed and finished",
            second_log,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    stored = list(Post.objects.filter(network="x").values_list("post_id", flat=True))
    assert sorted(stored) == sorted(ALL_IDS)  # each once, none lost
    assert CollectionRun.objects.filter(campaign=campaign, source="x").count() == 1
    # The new worker went on from the checkpoint (from the start if none was committed).
    assert fake.tokens()[asked_before] == token
    for log in (first_log, second_log):
        assert "ConnectError" not in log.read_text()
