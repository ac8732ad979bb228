from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from hashrally.campaigns.models import Campaign
from tests.campaigns.fakes import GOOD
from tests.fakes import CAMPAIGNS, ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))  # read by one test only, the first below


def hashrally(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hashrally", *args],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def test_it_checks_files_from_the_command_line(tmp_path: Path) -> None:
    # The one test that reads examples/: the shipped example campaigns pass `campaign check`.
    # Every other test loads the tests' own campaigns (tests/fixtures/campaigns).
    ok = hashrally("campaign", "check", *map(str, EXAMPLES))
    assert ok.returncode == 0, ok.stderr
    assert EXAMPLES and ok.stdout.count(": ok (") == len(EXAMPLES)

    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace('x = "AMinister"', 'x = "@AMinister"'), encoding="utf-8")
    result = hashrally("campaign", "check", str(bad))
    assert result.returncode == 1
    assert f"{bad}:22: targets[0].accounts.x: write the X handle without '@'" in result.stderr
    assert "1 problem; nothing was changed" in result.stderr
    assert result.stdout == ""


def test_it_wraps_django_commands() -> None:
    result = hashrally("help")
    assert result.returncode == 0
    assert "migrate" in result.stdout and "campaign" in result.stdout


@pytest.mark.django_db
def test_it_loads_and_reports_what_changed() -> None:
    out = StringIO()
    call_command("campaign", "load", *map(str, CAMPAIGNS), stdout=out)
    assert "justice-for-khojaly: created" in out.getvalue()
    out = StringIO()
    call_command("campaign", "load", *map(str, CAMPAIGNS), stdout=out)
    assert out.getvalue().count(": unchanged") == 2


@pytest.mark.django_db
def test_it_keeps_stored_campaigns_with_skip_existing(campaigns: list[str]) -> None:
    Campaign.objects.filter(slug="recognize-to-reconcile").update(status="closed")
    out = StringIO()
    call_command("campaign", "load", "--skip-existing", *campaigns, stdout=out)
    assert "kept (already stored)" in out.getvalue()
    assert Campaign.objects.get(slug="recognize-to-reconcile").status == "closed"


@pytest.mark.django_db
def test_it_refuses_a_bad_file_and_changes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace('status = "live"', 'status = "maybe"'), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("campaign", "load", str(bad), *map(str, CAMPAIGNS), stderr=err)
    assert f"{bad}:2: status:" in err.getvalue()
    assert Campaign.objects.count() == 0


@pytest.mark.django_db
def test_it_dumps_to_a_file(tmp_path: Path, campaigns: list[str]) -> None:
    target = tmp_path / "dump.toml"
    call_command("campaign", "dump", "recognize-to-reconcile", "-o", str(target))
    text = target.read_text(encoding="utf-8")
    assert 'slug = "recognize-to-reconcile"' in text
    assert "needs_review = true" in text
    with pytest.raises(CommandError, match="no campaign with slug 'nope'"):
        call_command("campaign", "dump", "nope")
