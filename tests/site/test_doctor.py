"""`hashrally doctor` against real parts: the test database, a real SMTP server (aiosmtpd) or a
port where none listens, a worker's real round, and a database that is not there."""

from __future__ import annotations

import io
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command

from hashrally.campaigns.models import Campaign
from hashrally.listening.models import CollectionRun
from tests.fakes import free_port, run_hashrally
from tests.supporters.fakes import Inbox

pytestmark = pytest.mark.django_db


def doctor() -> tuple[int, dict[str, list[str]]]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("doctor", stdout=out, stderr=err)
    except SystemExit as exc:
        code = int(exc.code or 0)
    lines: dict[str, list[str]] = {}
    for line in out.getvalue().splitlines():
        level, what, detail = line[:4].strip(), line[6:].split("  ")[0], line
        lines.setdefault(what.strip(), []).append(f"{level} {detail[6:].strip()}")
    return code, lines


def smtp(settings: Any, port: int) -> None:
    settings.SMTP_HOST = settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""


def test_it_fails_without_a_worker_and_passes_after_its_round(
    campaigns: list[str], settings: Any
) -> None:
    code, lines = doctor()
    assert code == 1
    assert lines["worker"][0].startswith("FAIL")
    assert (
        lines["database"][0].startswith("OK") and "every migration applied" in lines["database"][0]
    )
    call_command("worker", "--once", stdout=io.StringIO(), stderr=io.StringIO())
    code, lines = doctor()
    assert lines["worker"][0].startswith("OK")


def test_it_tells_whether_the_mail_server_answers(campaigns: list[str], settings: Any) -> None:
    call_command("worker", "--once", stdout=io.StringIO(), stderr=io.StringIO())
    port = free_port()
    smtp(settings, port)
    code, lines = doctor()
    assert code == 1 and lines["mail"][0].startswith("FAIL")
    assert f"127.0.0.1:{port}" in lines["mail"][0]
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        code, lines = doctor()
    finally:
        controller.stop()
    assert lines["mail"][0].startswith("OK")


def test_it_names_a_failed_collection(campaigns: list[str], settings: Any) -> None:
    campaign = Campaign.objects.get(slug="recognize-to-reconcile")
    campaign.listening = {"networks": ["x"], "every_minutes": 30}
    campaign.save()
    CollectionRun.objects.create(
        campaign=campaign,
        source="x",
        key="k",
        status=CollectionRun.Status.FAILED,
        stop_reason="HTTP 401 from the X API",
    )
    code, lines = doctor()
    assert code == 1
    found = lines["collect recognize-to-reconcile x"][0]
    assert found.startswith("FAIL") and "HTTP 401 from the X API" in found


def test_it_says_the_database_is_unreachable_in_one_line() -> None:
    result = run_hashrally(
        {"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/none"}, "doctor"
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert any(
        line.startswith("FAIL") and "database" in line and "unreachable" in line
        for line in result.stdout.splitlines()
    ), result.stdout
