"""The campaign page in Debian's Chromium, driven by Playwright, as a visitor uses it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser

from hashrally.core import pagecache
from tests.browser import LOW_CONTRAST_JS, Visit
from tests.fakes import ROOT, log_in

pytestmark = pytest.mark.browser

SCREENSHOT = ROOT / "docs" / "campaign-page.png"


def text_param(url: str) -> str:
    return parse_qs(urlsplit(url).query)["text"][0]


def test_it_switches_languages_and_shares_a_personal_text(
    visit: Visit, live_server: object
) -> None:
    page = visit.page
    page.goto(f"{live_server.url}/c/recognize-to-reconcile/?v=0")  # type: ignore[attr-defined]
    assert page.locator("h1").inner_text() == "Khojaly: RecognizeToReconcile"

    # Keyboard users land on the skip link first.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"

    page.locator("header a[hreflang=ru]").click()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("article").get_attribute("lang") == "ru"
    russian_title = page.locator("h1").inner_text()
    assert re.search("[А-Яа-я]", russian_title)

    page.locator("header a[hreflang=ar]").click()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('header')).direction") == "rtl"
    # The campaign has no Arabic text: its texts stay left-to-right inside the Arabic page.
    for selector in ("article", "#preview", ".breadcrumb a"):
        script = f"getComputedStyle(document.querySelector('{selector}')).direction"
        assert page.evaluate(script) == "ltr", selector

    page.locator("header a[hreflang=ru]").click()
    # The preview is updated by site.js: wait until it has run before typing.
    page.wait_for_load_state("load")
    sentence = "Я из Баку, и я за мир 🕊️"
    assert re.search("[А-Яа-я]", page.locator("label[for=mine]").inner_text())
    page.locator("#mine").fill(sentence)
    preview = page.locator("#preview").input_value()
    assert preview.startswith(sentence + "\n\n")

    x_text = text_param(visit.press_share(page, page.locator(".net-x").inner_text()))
    assert x_text.startswith(sentence + "\n\n")
    assert "#Khojaly #RecognizeToReconcile" in x_text
    assert "@NikolPashinyan" in x_text and "@atatoyan" in x_text
    assert re.search("[А-Яа-я]{4}", x_text.removeprefix(sentence))

    bluesky_url = visit.press_share(page, page.locator(".net-bluesky").inner_text())
    assert urlsplit(bluesky_url).path == "/intent/compose"
    bluesky_text = text_param(bluesky_url)
    assert bluesky_text.startswith(sentence + "\n\n")
    assert "#Khojaly" in bluesky_text
    # The targets have no Bluesky account in the test campaign: they are named, not @-mentioned.
    assert "@NikolPashinyan" not in bluesky_text


@pytest.mark.parametrize("language", ["en", "ar"])
def test_it_has_enough_contrast_and_labelled_fields(
    visit: Visit, live_server: object, language: str
) -> None:
    page = visit.page
    response = page.goto(f"{live_server.url}/c/recognize-to-reconcile/?lang={language}")  # type: ignore[attr-defined]
    assert response is not None and response.status == 200
    assert page.evaluate(LOW_CONTRAST_JS) == []
    unlabelled = page.evaluate(
        "() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]"
        ".filter((el) => !el.labels || el.labels.length === 0).map((el) => el.name)"
    )
    assert unlabelled == []


def test_it_joins_from_the_page_and_sees_the_count_move(visit: Visit, live_server: object) -> None:
    from hashrally.supporters.counts import refresh_counts

    page = visit.page
    url = f"{live_server.url}/c/recognize-to-reconcile/?lang=en"  # type: ignore[attr-defined]
    page.goto(url)
    assert page.locator(".tally strong").first.inner_text() == "0"
    # The join form arrives by script (the page itself is cached for everyone).
    page.locator("#join-slot form.join").wait_for()
    page.select_option("#id_country", "AZ")
    page.get_by_label("Your name (optional)").fill("Leyla")
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Join the campaign").click()
    page.wait_for_url("**/thanks")
    assert page.locator("h1").inner_text() == "Thank you for joining!"
    assert "?ref=" in page.locator("#referral").input_value()

    refresh_counts()  # what the worker does every few seconds
    pagecache.clear()  # what the page cache's expiry does a few seconds later
    page.goto(url)
    assert page.locator(".tally strong").first.inner_text() == "1"
    assert page.locator("table tbody th").first.inner_text() == "Azerbaijan"


def test_it_joins_without_javascript(
    browser: Browser, live_server: object, campaigns: list[str]
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/c/recognize-to-reconcile/?lang=en")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Join the campaign").click()
    page.select_option("#id_country", "TR")
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Join the campaign").click()
    assert page.locator("h1").inner_text() == "Thank you for joining!"
    context.close()


def test_it_takes_the_readme_screenshot(visit: Visit, live_server: object) -> None:
    page = visit.page
    response = page.goto(f"{live_server.url}/c/recognize-to-reconcile/?lang=en&v=0")  # type: ignore[attr-defined]
    assert response is not None and response.status == 200
    assert page.get_by_role("button", name="Post on X").is_visible()
    page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert SCREENSHOT.stat().st_size > 10_000


def test_it_keeps_to_the_content_security_policy(visit: Visit, live_server: object) -> None:
    """Pages run under the policy without a violation (the visit fixture checks each test);
    here, that an inline style would be reported, and the admin's pages keep to it too."""
    from django.contrib.auth.models import User
    from django.test import Client

    base = live_server.url  # type: ignore[attr-defined]
    page = visit.page
    page.goto(f"{base}/c/recognize-to-reconcile/")
    page.evaluate("document.head.insertAdjacentHTML('beforeend', '<style>p{color:red}</style>')")
    page.wait_for_function("() => true")
    assert visit.violations and visit.violations[0].startswith("style-src")
    visit.violations.clear()
    User.objects.create_superuser("org", password="x")
    client = Client()
    log_in(client, User.objects.get())
    host = base.split("//", 1)[1].split(":")[0]
    session = client.cookies["sessionid"].value
    cookie = {"name": "sessionid", "value": session, "domain": host, "path": "/"}
    visit.context.add_cookies([cookie])  # type: ignore[list-item]
    from hashrally.campaigns.models import Campaign

    first = Campaign.objects.order_by("pk").first()
    assert first is not None
    change = f"/admin/campaigns/campaign/{first.pk}/change/"
    for path in ("/admin/", "/admin/campaigns/campaign/", change, "/admin/supporters/supporter/"):
        assert page.goto(base + path).status == 200  # type: ignore[union-attr]
    assert visit.violations == []
