"""The dashboard and the results page in Debian's Chromium: charts and their tables render,
with enough contrast, loading nothing from elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from hashrally.campaigns.models import Campaign
from hashrally.reports.extras import refresh_extras
from hashrally.reports.models import ResultsSettings
from tests.browser import LOW_CONTRAST_JS, Visit, logged_in
from tests.listening.fakes import run_import
from tests.reports.fakes import CHILD, HAND_BUILT, csv_file, fold_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def collected(campaigns: list[str], tmp_path: Path) -> Campaign:
    run_import(csv_file(tmp_path, HAND_BUILT), "csv")
    fold_all()
    campaign = Campaign.objects.get(slug=CHILD)
    refresh_extras(campaign)
    return campaign


@pytest.mark.parametrize("language", ["en", "ar"])
def test_it_draws_the_dashboards_charts_and_tables(
    visit: Visit, live_server: object, collected: Campaign, language: str
) -> None:
    logged_in(visit, live_server)
    page = visit.page
    response = page.goto(f"{live_server.url}/c/{CHILD}/dashboard?lang={language}")  # type: ignore[attr-defined]
    assert response is not None and response.status == 200
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 4
    for n in range(charts.count()):
        chart = charts.nth(n)
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50
        assert chart.locator(":scope > title").count() == 1  # its text alternative
    assert page.locator("table").count() >= 4
    assert page.evaluate(LOW_CONTRAST_JS) == []
    if language == "ar":
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"


def test_it_shows_the_published_sections_on_the_results_page(
    visit: Visit, live_server: object, collected: Campaign
) -> None:
    ResultsSettings.objects.create(campaign=collected, sections=["posts", "timeline", "languages"])
    page = visit.page
    response = page.goto(f"{live_server.url}/c/{CHILD}/results")  # type: ignore[attr-defined]
    assert response is not None and response.status == 200
    assert page.locator("#timeline-h").is_visible() and page.locator("#posts-h").is_visible()
    assert page.locator("#supporters-h").count() == 0
    assert page.locator("svg[role=img]").count() >= 2
    assert page.evaluate(LOW_CONTRAST_JS) == []


@pytest.mark.parametrize("language", ["en", "az", "ru", "ar"])
def test_it_fits_the_dashboard_and_results_on_a_phone(
    visit: Visit, live_server: object, collected: Campaign, language: str
) -> None:
    from hashrally.reports.presentation import SECTIONS

    ResultsSettings.objects.create(campaign=collected, sections=list(SECTIONS))
    logged_in(visit, live_server)
    page = visit.page
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("dashboard", "results"):
        page.goto(f"{live_server.url}/c/{CHILD}/{path}?lang={language}")  # type: ignore[attr-defined]
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, language, width)


@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("ar", 390)])
def test_it_keeps_the_dashboard_and_results_accessible(
    visit: Visit, live_server: object, collected: Campaign, language: str, width: int
) -> None:
    from hashrally.reports.presentation import SECTIONS
    from tests.test_accessibility import violations

    ResultsSettings.objects.create(campaign=collected, sections=list(SECTIONS))
    logged_in(visit, live_server)
    page = visit.page
    found = {}
    page.set_viewport_size({"width": width, "height": 900})
    for path in ("dashboard", "results"):
        page.goto(f"{live_server.url}/c/{CHILD}/{path}?lang={language}")  # type: ignore[attr-defined]
        problems = violations(page)
        if problems:
            found[path] = problems
    assert found == {}
