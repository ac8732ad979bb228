"""The campaign moment in reports: the hour from it against the rest of the window, counted here
from the recorded page's own timestamps, and its mark on the timeline."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hashrally.campaigns.models import Campaign
from hashrally.reports.assemble import full_report
from hashrally.reports.documents import html_report
from tests.fakes import ROOT
from tests.listening.fakes import run_import
from tests.reports.fakes import CHILD, fold_all, listen_for

pytestmark = pytest.mark.django_db
BREXIT = ROOT / "tests" / "fixtures" / "recorded" / "x" / "brexit.jsonl"


def minutes_of_recorded_posts() -> list[int]:
    """Each recorded post's minute since 1970, read from the raw JSON."""
    found = []
    for line in BREXIT.read_text(encoding="utf-8").splitlines():
        for tweet in json.loads(line)["data"]:
            at = dt.datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00"))
            found.append(int(at.timestamp()) // 60)
    return found


@pytest.mark.parametrize("offset_minutes", [4, -90, 30])
def test_it_compares_the_hour_from_the_moment_with_the_rest(
    campaigns: list[str], offset_minutes: int
) -> None:
    minutes = minutes_of_recorded_posts()
    first, last = min(minutes), max(minutes)
    start = first + offset_minutes
    campaign = listen_for(CHILD, "Brexit")
    campaign.moment_at = dt.datetime.fromtimestamp(start * 60, tz=dt.UTC)
    campaign.moment_time_zone = "Europe/London"
    campaign.save()
    run_import(BREXIT, "twarc2")
    fold_all()
    moment = full_report(Campaign.objects.get(slug=CHILD))["moment"]
    assert moment is not None

    hour = [m for m in minutes if start <= m < start + 60]
    inside = max(0, min(last, start + 59) - max(first, start) + 1)
    rest_minutes = (last - first + 1) - inside
    assert moment["hour_posts"] == len(hour)
    assert moment["hour_minutes"] == inside
    assert moment["rest_posts"] == len(minutes) - len(hour)
    assert moment["rest_minutes"] == rest_minutes
    if inside and rest_minutes and len(minutes) > len(hour):
        expected = (len(hour) / inside) / ((len(minutes) - len(hour)) / rest_minutes)
        assert moment["times_the_rest"] == round(expected, 2)
    else:
        assert moment["times_the_rest"] is None


def test_it_marks_the_moment_on_the_timeline(campaigns: list[str]) -> None:
    minutes = minutes_of_recorded_posts()
    campaign = listen_for(CHILD, "Brexit")
    campaign.moment_at = dt.datetime.fromtimestamp((min(minutes) + 4) * 60, tz=dt.UTC)
    campaign.moment_time_zone = "Europe/London"
    campaign.save()
    run_import(BREXIT, "twarc2")
    fold_all()
    report = full_report(Campaign.objects.get(slug=CHILD))
    html = html_report(report)
    hour = campaign.moment_at.strftime("%Y-%m-%d %H:00")
    assert f"<title>The campaign moment: {hour}</title>" in html
    assert 'class="moment-figures"' in html
    # Without a moment, neither.
    campaign.moment_at = None
    campaign.save()
    report = full_report(Campaign.objects.get(slug=CHILD))
    assert report["moment"] is None
    assert 'class="marker"' not in html_report(report)
