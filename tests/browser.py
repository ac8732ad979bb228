"""Debian's Chromium driven by Playwright, for every browser test: one browser per session,
tabs that may reach only the test server, and a check of the contrast of every text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Every page a visitor can open without a token or a login (the browser tests' rounds).
PUBLIC_PAGES = [
    "/",
    "/c/recognize-to-reconcile/",
    "/c/justice-for-khojaly/",
    "/c/recognize-to-reconcile/join",
    "/c/recognize-to-reconcile/thanks",
    "/c/recognize-to-reconcile/my-data",
    "/c/recognize-to-reconcile/supporters",
    "/c/recognize-to-reconcile/wall",
]
COMPOSERS = {"x.com", "bsky.app"}


# WCAG 2 contrast of every visible text against the first opaque background behind it.
LOW_CONTRAST_JS = """
() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] === 1) return c;
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const text = el.textContent.trim().slice(0, 30);
    if (ratio < 4.5) low.push(`${el.tagName} ${ratio.toFixed(2)} ${text}`);
  }
  return low;
}
"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


CSP_REPORTER_JS = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.hashrallyViolation(`${e.violatedDirective} ${e.blockedURI} on ${location.pathname}`);
});
"""


class Visit:
    """A browser tab that may only reach the test server; composers are caught, not contacted."""

    def __init__(self, browser: Browser, base_url: str, time_zone: str | None = None) -> None:
        self.context = browser.new_context(
            locale="en-GB", viewport={"width": 1200, "height": 1500}, timezone_id=time_zone
        )
        self.composer_urls: list[str] = []
        self.blocked: list[str] = []
        self.base = urlsplit(base_url).netloc
        self.context.route("**/*", self._route)
        # Every content-security-policy violation on any page of the tab is kept and, at the
        # end of the test, must be none (the policy is in hashrally/settings.py).
        self.violations: list[str] = []
        self.context.expose_binding(
            "hashrallyViolation", lambda source, text: self.violations.append(text)
        )
        self.context.add_init_script(CSP_REPORTER_JS)
        self.page = self.context.new_page()

    def _route(self, route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.netloc != self.base:
            self.blocked.append(route.request.url)
            route.abort()
        elif "/go/" in url.path:
            # Fetch our redirect ourselves and stop there: the network's composer is recorded,
            # never contacted.
            response = route.fetch(max_redirects=0)
            location = response.headers.get("location")
            if location:
                self.composer_urls.append(location)
                route.fulfill(status=200, content_type="text/html", body="<p>composer</p>")
            else:
                route.fulfill(response=response)
        else:
            route.continue_()

    def press_share(self, page: Page, label: str) -> str:
        """Press a share button; return the address its new tab is sent to."""
        before = len(self.composer_urls)
        with page.expect_popup() as popup:
            page.get_by_role("button", name=label, exact=True).click()
        popup.value.wait_for_url(re.compile("/go/"))
        popup.value.wait_for_load_state()
        assert len(self.composer_urls) == before + 1
        url = self.composer_urls[-1]
        assert urlsplit(url).netloc in COMPOSERS
        return url


@pytest.fixture
def visit(browser: Browser, live_server: object, campaigns: list[str]) -> Iterator[Visit]:
    visit = Visit(browser, live_server.url)  # type: ignore[attr-defined]
    yield visit
    visit.context.close()
    assert visit.blocked == [], "the page tried to load something from another server"
    assert visit.violations == [], "the content security policy refused part of a page"


def logged_in(visit: Visit, live_server: object) -> None:
    """The tab logged in as an organiser with both factors (a superuser, "org")."""
    from django.contrib.auth.models import User
    from django.test import Client

    from tests.fakes import log_in

    user = User.objects.create_superuser("org", password="x" * 16)
    client = Client()
    log_in(client, user)
    host = live_server.url.split("//", 1)[1].split(":")[0]  # type: ignore[attr-defined]
    visit.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
