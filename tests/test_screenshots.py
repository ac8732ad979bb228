"""The screenshots in docs/screenshots/, taken as a visitor and an organiser see the pages:
at 1280 and 390 px, left to right and right to left, and the PDF's cover.

Every run takes them (so the pages they show keep rendering); they are written into docs/ only
with HASHRALLY_SCREENSHOTS=1, so `make test` leaves the checkout as it was:

    HASHRALLY_SCREENSHOTS=1 .venv/bin/pytest tests/test_screenshots.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pypdfium2  # type: ignore[import-untyped]
import pytest
from django.utils import translation
from playwright.sync_api import Page

from hashrally.campaigns.models import Campaign
from hashrally.reports.documents import pdf_report
from tests.browser import Visit, logged_in
from tests.fakes import ROOT
from tests.reports.fakes import CHILD
from tests.reports.test_render import sample_report
from tests.reports.test_reports_browser import collected  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_SENTENCE = (
    "I was in Vienna that week and I have told my whole family and all of my friends about it, "
) * 3


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    if os.environ.get("HASHRALLY_SCREENSHOTS") == "1":
        folder = ROOT / "docs" / "screenshots"
        folder.mkdir(exist_ok=True)
        return folder
    return tmp_path


def open_at(page: Page, url: str, width: int) -> None:
    """`url` in a window `width` px wide: it answers, and nothing is wider than the window."""
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize(
    ("name", "width", "path"),
    [
        ("campaign-en-1280", 1280, f"/c/{CHILD}/?lang=en&v=0"),
        ("campaign-ar-390", 390, f"/c/{CHILD}/?lang=ar&v=0"),
        ("campaign-az-390", 390, f"/c/{CHILD}/?lang=az&v=0"),
        ("umbrella-ru-390", 390, "/c/justice-for-khojaly/?lang=ru"),
        ("join-ar-390", 390, f"/c/{CHILD}/join?lang=ar"),
        ("supporters-en-390", 390, f"/c/{CHILD}/supporters?lang=en"),
    ],
)
def test_it_shows_the_public_pages(
    visit: Visit, live_server: object, shots: Path, name: str, width: int, path: str
) -> None:
    open_at(visit.page, f"{live_server.url}{path}", width)  # type: ignore[attr-defined]
    visit.page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_it_shows_the_composer_offering_a_shorter_sentence(
    visit: Visit, live_server: object, shots: Path
) -> None:
    page = visit.page
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server.url}/c/{CHILD}/?lang=en&v=0")  # type: ignore[attr-defined]
    page.locator("#mine").fill(LONG_SENTENCE)
    offer = page.get_by_role("link", name="Use the shortened sentence")
    offer.wait_for()
    page.locator("#composer-h").scroll_into_view_if_needed()
    page.locator(".shorten").screenshot(path=str(shots / "composer-shorten-en-390.png"))


@pytest.mark.parametrize("language", ["en", "ar"])
def test_it_shows_the_dashboard(
    visit: Visit,
    live_server: object,
    collected: Campaign,  # noqa: F811 (the fixture)
    shots: Path,
    language: str,
) -> None:
    logged_in(visit, live_server)
    page = visit.page
    page.set_viewport_size({"width": 1280, "height": 900})
    response = page.goto(f"{live_server.url}/c/{CHILD}/dashboard?lang={language}")  # type: ignore[attr-defined]
    assert response is not None and response.status == 200
    page.screenshot(path=str(shots / f"dashboard-{language}-1280.png"), full_page=False)


def test_it_shows_the_pdfs_cover(shots: Path) -> None:
    with translation.override("en"):
        document = pypdfium2.PdfDocument(pdf_report(sample_report()))
    try:
        for number in (1, len(document)):
            page = document[number - 1]
            page.render(scale=1.3).to_pil().save(shots / f"report-page-{number}.png")
            page.close()
    finally:
        document.close()


def test_it_shows_the_campaigns_admin_page(visit: Visit, live_server: object, shots: Path) -> None:
    logged_in(visit, live_server)
    campaign = Campaign.objects.get(slug=CHILD)
    page = visit.page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/change/?lang=en")  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "admin-campaign-en-1280.png"), full_page=True)


@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("ar", 390)])
def test_it_shows_the_wall_and_the_campaign_moment(
    visit: Visit,
    live_server: object,
    collected: Campaign,  # noqa: F811 (the fixture)
    shots: Path,
    language: str,
    width: int,
) -> None:
    import datetime as dt

    from django.utils import timezone

    campaign = Campaign.objects.get(slug=CHILD)
    campaign.moment_at = timezone.now() + dt.timedelta(days=12, hours=5)
    campaign.moment_time_zone = "Asia/Baku"
    campaign.save()
    from hashrally.reports import wall

    wall.do_set_premoderated(campaign.pk, False)
    page = visit.page
    base = live_server.url  # type: ignore[attr-defined]
    open_at(page, f"{base}/c/{CHILD}/wall?lang={language}", width)
    page.screenshot(path=str(shots / f"wall-{language}-{width}.png"), full_page=True)
    open_at(page, f"{base}/c/{CHILD}/?v=0&lang={language}", width)
    page.locator("#moment-h").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"moment-{language}-{width}.png"), full_page=False)


def test_it_shows_the_walls_moderation(
    visit: Visit,
    live_server: object,
    collected: Campaign,  # noqa: F811 (the fixture)
    shots: Path,
) -> None:
    logged_in(visit, live_server)
    open_at(visit.page, f"{live_server.url}/c/{CHILD}/wall/moderate?lang=en", 390)  # type: ignore[attr-defined]
    visit.page.screenshot(path=str(shots / "wall-moderation-en-390.png"), full_page=False)
