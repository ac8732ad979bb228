"""Organiser addresses as a browser reads them: a target's photo the campaign accepts is
loaded from this site, and a link it accepts goes to the host it names. Checked against
Chromium's own URL parser, for known tricks and for generated addresses."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Browser, Page

from hashrally.campaigns.rules import check_link, check_photo

pytestmark = pytest.mark.browser
SITE = "https://campaign.test/c/recognize-to-reconcile/"
TRICKS = [
    "/\\tracker.example/photo.png",  # the finding: a backslash is a slash to a browser
    "/\t/tracker.example/photo.png",  # tabs and newlines are dropped
    "/\n/tracker.example/photo.png",
    " //tracker.example/photo.png",
    "//tracker.example/photo.png",
    "\\\\tracker.example\\photo.png",
    "/%5ctracker.example/photo.png",
    "https://tracker.example/photo.png",
    "javascript:alert(1)",
    "/static/../../etc/passwd",
]


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.goto("about:blank")
    yield page
    context.close()


def resolved(page: Page, address: str, base: str = SITE) -> tuple[str, str]:
    """(scheme, host) of `address` as Chromium resolves it on a page at `base`."""
    found = page.evaluate(
        "([a, b]) => { const u = new URL(a, b); return [u.protocol, u.host]; }", [address, base]
    )
    return found[0].rstrip(":"), found[1]


@pytest.mark.parametrize("address", TRICKS)
def test_it_refuses_a_photo_a_browser_would_load_from_elsewhere(address: str) -> None:
    assert check_photo(address) is not None


def test_it_keeps_photo_paths_on_this_site() -> None:
    assert check_photo("/static/photos/nikol-pashinyan.jpg") is None
    assert check_photo("") is None


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(address=st.text(alphabet="/\\\t\n .%5c@:?#ab-", min_size=1, max_size=12))
def test_it_accepts_only_photos_chromium_loads_from_this_site(page: Page, address: str) -> None:
    if check_photo(address) is None:
        assert resolved(page, address) == ("https", "campaign.test"), address


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    address=st.builds(
        lambda scheme, rest: scheme + rest,
        st.sampled_from(["https://", "http://", "https:", "https:/", "javascript:", ""]),
        st.text(alphabet="/\\\t .@:?#ab-", min_size=1, max_size=14),
    )
)
def test_it_accepts_only_links_that_go_where_they_say(page: Page, address: str) -> None:
    if check_link(address) is None:
        parts = urlsplit(address)
        scheme, host = resolved(page, address)
        assert scheme in ("http", "https") and host.split(":")[0] == parts.hostname, address
