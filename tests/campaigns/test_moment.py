"""The campaign moment: written as a local time where the campaign is, kept in UTC, shown on the
page with a countdown, and offered as a calendar event."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import vobject  # type: ignore[import-untyped]
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser

from hashrally.campaigns.actions import do_load_campaign_files
from hashrally.campaigns.campaignfile import CampaignFileError, read_campaign_files
from hashrally.campaigns.dump import campaign_spec, dump_campaign
from hashrally.campaigns.models import Campaign
from tests.browser import Visit
from tests.campaigns.fakes import GOOD

pytestmark = pytest.mark.django_db

# 17:00 in Baku, which keeps UTC+4 all year since 2016: 13:00 UTC.
MOMENT = GOOD.replace(
    "[texts.en]",
    """[moment]
at = 2030-02-26T17:00:00
time_zone = "Asia/Baku"

[texts.en]""",
)
AT_UTC = dt.datetime(2030, 2, 26, 13, 0, tzinfo=dt.UTC)


def load(tmp_path: Path, text: str = MOMENT) -> Campaign:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    do_load_campaign_files(read_campaign_files([str(path)]))
    return Campaign.objects.get(slug="good")


def test_it_keeps_the_moment_in_utc_and_dumps_it_as_written(tmp_path: Path) -> None:
    campaign = load(tmp_path)
    assert campaign.moment_at == AT_UTC
    assert campaign.moment_time_zone == "Asia/Baku"
    dumped = dump_campaign(campaign)
    assert '[moment]\nat = 2030-02-26 17:00:00\ntime_zone = "Asia/Baku"' in dumped
    path = tmp_path / "dumped.toml"
    path.write_text(dumped, encoding="utf-8")
    assert read_campaign_files([str(path)])[0].spec == campaign_spec(campaign)


@pytest.mark.parametrize(
    ("moment", "field", "says"),
    [
        (
            'at = 2030-02-26T17:00:00\ntime_zone = "Mars/Olympus"',
            "moment.time_zone",
            "Mars/Olympus",
        ),
        # Berlin's clocks jump from 02:00 to 03:00 on 31 March 2030.
        ('at = 2030-03-31T02:30:00\ntime_zone = "Europe/Berlin"', "moment", "does not exist"),
        ('at = 2030-02-26T17:00:00+04:00\ntime_zone = "Asia/Baku"', "moment", "without an offset"),
        ('time_zone = "Asia/Baku"', "moment.at", "required"),
    ],
)
def test_it_names_a_bad_moment_and_loads_nothing(
    tmp_path: Path, moment: str, field: str, says: str
) -> None:
    bad = MOMENT.replace('at = 2030-02-26T17:00:00\ntime_zone = "Asia/Baku"', moment)
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(CampaignFileError) as raised:
        read_campaign_files([str(path)])
    message = str(raised.value)
    assert f": {field}: " in message and says in message.replace("Field required", "required")
    assert not Campaign.objects.exists()


def test_it_shows_the_moment_on_the_campaigns_clock_with_a_countdown(
    client: Client, tmp_path: Path
) -> None:
    load(tmp_path)
    html = client.get("/c/good/", {"lang": "en"}).content.decode()
    assert '<time datetime="2030-02-26T13:00:00+00:00" data-moment' in html
    assert "Tuesday, February 26, 2030, 5:00" in html and "UTC+04:00" in html
    assert 'data-countdown-for="2030-02-26T13:00:00+00:00"' in html
    assert 'href="/c/good/moment.ics?lang=en"' in html
    arabic = client.get("/c/good/", {"lang": "ar"}, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "فبراير" in arabic


def test_it_stops_counting_once_the_moment_has_passed(client: Client, tmp_path: Path) -> None:
    campaign = load(tmp_path)
    campaign.moment_at = timezone.now() - dt.timedelta(days=1)
    campaign.save()
    html = client.get("/c/good/", {"lang": "en"}).content.decode()
    assert "Supporters posted together on" in html
    assert "data-countdown-for" not in html and "moment.ics" not in html


def test_it_offers_the_moment_as_a_calendar_event(client: Client, tmp_path: Path) -> None:
    load(tmp_path)
    response = client.get("/c/good/moment.ics", {"lang": "en"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert 'filename="good-moment.ics"' in response["Content-Disposition"]
    # Read back by another maintained iCalendar parser than the one that wrote it.
    calendar = vobject.readOne(response.content.decode())
    event = calendar.vevent
    assert event.dtstart.value == AT_UTC
    assert event.dtend.value - event.dtstart.value == dt.timedelta(hours=1)
    assert event.summary.value == "Good campaign"
    assert event.url.value == "http://testserver/c/good/"
    assert "#One #Two" in event.description.value
    assert event.uid.value == "moment-good@testserver"
    assert event.valarm.trigger.value == dt.timedelta(minutes=-15)
    # The same event each time: importing it again updates it rather than adding another.
    again = vobject.readOne(client.get("/c/good/moment.ics").content.decode())
    assert again.vevent.uid.value == event.uid.value


def test_it_has_no_calendar_event_without_a_moment_or_for_a_draft(
    client: Client, tmp_path: Path
) -> None:
    load(tmp_path, GOOD)
    assert client.get("/c/good/moment.ics").status_code == 404
    load(tmp_path, MOMENT.replace('status = "live"', 'status = "draft"'))
    assert client.get("/c/good/moment.ics").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_the_moment_on_the_readers_own_clock(
    browser: Browser, live_server: object, tmp_path: Path
) -> None:
    load(tmp_path)
    visit = Visit(browser, live_server.url, time_zone="America/New_York")  # type: ignore[attr-defined]
    page = visit.page
    page.goto(f"{live_server.url}/c/good/?lang=en")  # type: ignore[attr-defined]
    # 13:00 UTC is 08:00 in New York in February (UTC-5).
    shown = " ".join(page.locator(".moment").inner_text().replace("\u202f", " ").split())
    assert "(your time: Tuesday, February 26, 2030 at 8:00 AM)" in shown
    countdown = page.locator("[data-countdown-for]").inner_text()
    assert countdown.startswith("in ") and countdown.endswith(("days", "day"))
    visit.context.close()
    assert visit.blocked == [] and visit.violations == []
