"""The wall of real posts: what it shows is counted here from the recorded page itself; what
organisers hide or approve, and that nobody else can."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Browser

from hashrally.campaigns.models import AuditEntry, Campaign, Organiser
from hashrally.core import pagecache
from hashrally.listening.models import Author
from hashrally.reports import wall
from tests.browser import Visit
from tests.fakes import ROOT, log_in
from tests.listening.fakes import run_import
from tests.reports.fakes import CHILD, csv_file, fold_all, listen_for

pytestmark = pytest.mark.django_db
BREXIT = ROOT / "tests" / "fixtures" / "recorded" / "x" / "brexit.jsonl"
WALL = f"/c/{CHILD}/wall"
MODERATE = f"/c/{CHILD}/wall/moderate"


def recorded() -> list[dict[str, Any]]:
    return [t for line in BREXIT.read_text().splitlines() for t in json.loads(line)["data"]]


def retweet(tweet: dict[str, Any]) -> bool:
    return any(r["type"] == "retweeted" for r in tweet.get("referenced_tweets") or [])


@pytest.fixture
def brexit(campaigns: list[str]) -> Campaign:
    """The recorded page imported, on a wall the organisers switched to post-moderation."""
    campaign = listen_for(CHILD, "Brexit")
    run_import(BREXIT, "twarc2")
    fold_all()
    wall.do_set_premoderated(campaign.pk, False)
    return campaign


def test_it_shows_nothing_until_the_organisers_choose(client: Client, campaigns: list[str]) -> None:
    listen_for(CHILD, "Brexit")
    run_import(BREXIT, "twarc2")
    fold_all()
    # Pre-moderation until an organiser says otherwise: replies to the targets by anyone are
    # the campaign's posts too, and its own page does not show them unasked.
    assert shown_ids(client.get(WALL).content.decode()) == []
    assert 'id="wall-h"' not in client.get(f"/c/{CHILD}/", {"lang": "en"}).content.decode()


def shown_ids(html: str) -> list[str]:
    return re.findall(r'id="wp-x-(\d+)"', html)


def test_it_shows_the_recorded_posts_as_written_and_no_reposts(
    client: Client, brexit: Campaign
) -> None:
    tweets = {t["id"]: t for t in recorded()}
    originals = [t for t in tweets.values() if not retweet(t)]
    html = client.get(WALL).content.decode()
    ids = shown_ids(html)
    # Every post not held: none of the recorded authors is bot-like or copied here.
    assert len(ids) == min(wall.SHOWN, len(originals)) and len(ids) == len(set(ids))
    assert all(not retweet(tweets[i]) for i in ids)
    newest = sorted(originals, key=lambda t: (t["created_at"], t["id"]), reverse=True)
    assert {t["id"] for t in newest[: len(ids)]} == set(ids)
    first = tweets[ids[0]]
    # The text as the author wrote it (escaped by the template, never as markup).
    assert first["text"].split("\n")[0].replace("&", "&amp;").replace("<", "&lt;")[:40] in html
    # Nothing from another server: no images, scripts or styles but the site's own.
    assert not re.search(r'<(img|script|link)[^>]+(src|href)="https?://', html)


def test_it_puts_the_newest_on_the_campaign_page(client: Client, brexit: Campaign) -> None:
    html = client.get(f"/c/{CHILD}/", {"lang": "en"}).content.decode()
    assert 'id="wall-h"' in html and len(shown_ids(html)) == wall.ON_PAGE
    assert f'href="{WALL}"' in html


def test_it_keeps_bot_like_authors_off_unless_approved(
    client: Client, brexit: Campaign, admin_client: Client
) -> None:
    first = shown_ids(client.get(WALL).content.decode())[0]
    author = next(t["author_id"] for t in recorded() if t["id"] == first)
    # The network's own label for an automated account: bot-like by the rules.
    Author.objects.filter(network="x", author_id=author).update(bot_label=True)
    pagecache.clear()
    assert first not in shown_ids(client.get(WALL).content.decode())
    moderation = admin_client.get(MODERATE).content.decode()
    assert "bot-like" in moderation
    admin_client.post(MODERATE, {"do": "approve-post", "network": "x", "post": first})
    assert first in shown_ids(client.get(WALL).content.decode())


def test_it_hides_posts_and_authors_and_can_premoderate(
    client: Client, brexit: Campaign, admin_client: Client
) -> None:
    ids = shown_ids(client.get(WALL).content.decode())
    by_author: dict[str, list[str]] = {}
    for tweet in recorded():
        by_author.setdefault(tweet["author_id"], []).append(tweet["id"])
    hidden = ids[0]
    assert (
        admin_client.post(MODERATE, {"do": "hide-post", "network": "x", "post": hidden}).status_code
        == 303
    )
    assert hidden not in shown_ids(client.get(WALL).content.decode())
    author = next(a for a, posts in by_author.items() if ids[1] in posts)
    admin_client.post(
        MODERATE, {"do": "hide-author", "network": "x", "post": ids[1], "author": author}
    )
    assert not set(by_author[author]) & set(shown_ids(client.get(WALL).content.decode()))
    assert AuditEntry.objects.filter(what__startswith="wall: hide-author").exists()

    admin_client.post(MODERATE, {"do": "pre-moderate"})
    pagecache.clear()
    assert shown_ids(client.get(WALL).content.decode()) == []
    admin_client.post(MODERATE, {"do": "approve-post", "network": "x", "post": ids[2]})
    assert shown_ids(client.get(WALL).content.decode()) == [ids[2]]


def test_it_lets_nobody_else_moderate(client: Client, brexit: Campaign) -> None:
    ids = shown_ids(client.get(WALL).content.decode())
    hide = {"do": "hide-post", "network": "x", "post": ids[0]}
    # A visitor is sent to log in; nothing changes.
    response = client.post(MODERATE, hide)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # A viewer of the campaign may not moderate it (the page does not even exist for them).
    viewer = User.objects.create_user("viewer", password="v" * 16, is_staff=True)
    Organiser.objects.create(campaign=brexit, user=viewer, role=Organiser.Role.VIEWER)
    assert log_in(Client(), viewer).post(MODERATE, hide).status_code == 404
    # An editor's form without the CSRF token (a forged cross-site post) is refused.
    editor = User.objects.create_user("editor", password="e" * 16, is_staff=True)
    Organiser.objects.create(campaign=brexit, user=editor, role=Organiser.Role.EDITOR)
    forged = log_in(Client(enforce_csrf_checks=True), editor)
    assert forged.post(MODERATE, hide).status_code == 403
    # A decision about a post that is not the campaign's is refused.
    allowed = log_in(Client(), editor)
    stranger = {"do": "hide-post", "network": "x", "post": "1"}
    assert allowed.post(MODERATE, stranger).status_code == 400
    assert allowed.post(MODERATE, {"do": "delete-everything"}).status_code == 400
    pagecache.clear()
    assert ids[0] in shown_ids(client.get(WALL).content.decode())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_refreshes_itself_in_chromium(
    browser: Browser, live_server: Any, campaigns: list[str], tmp_path: Any, settings: Any
) -> None:
    settings.HASHRALLY_WALL_REFRESH_SECONDS = 5
    wall.do_set_premoderated(Campaign.objects.get(slug=CHILD).pk, False)
    run_import(
        csv_file(
            tmp_path, ["https://x.com/ayla/status/11,ayla,First #Khojaly,2026-02-24T10:05:00Z"]
        ),
        "csv",
    )
    visit = Visit(browser, live_server.url)
    page = visit.page
    page.goto(f"{live_server.url}{WALL}")
    assert page.locator(".wall-post").count() == 1
    run_import(
        csv_file(
            tmp_path,
            ["https://x.com/orhan/status/12,orhan,Second #Khojaly,2026-02-24T11:05:00Z"],
            "more.csv",
        ),
        "csv",
    )
    pagecache.clear()
    page.locator(".wall-post", has_text="Second #Khojaly").wait_for(timeout=15_000)
    assert page.locator(".wall-post").first.inner_text().count("Second") == 1
    visit.context.close()
    assert visit.blocked == [] and visit.violations == []


def test_it_reads_a_bounded_number_of_rows_whatever_the_campaigns_size(
    client: Client, brexit: Campaign, django_assert_max_num_queries: Any
) -> None:
    # The newest CANDIDATES matches, one query each for decisions, bot-like authors among
    # them, their texts' clusters and the mode: the same at a hundred posts or ten million.
    with django_assert_max_num_queries(10):
        assert client.get(WALL).status_code == 200


def test_it_links_only_to_web_addresses(
    client: Client, campaigns: list[str], tmp_path: Any
) -> None:
    # A file may carry anything in its url column; the wall never renders a javascript: link.
    rows = [
        "javascript:alert(1)//x.com/a/status/1,mallory,Look #Khojaly,2026-02-24T10:05:00Z",
        "https://x.com/ayla/status/2,ayla,Fine #Khojaly,2026-02-24T10:06:00Z",
    ]
    run_import(csv_file(tmp_path, rows), "csv")
    fold_all()
    wall.do_set_premoderated(Campaign.objects.get(slug=CHILD).pk, False)
    html = client.get(WALL).content.decode()
    assert "Look #Khojaly" in html and "Fine #Khojaly" in html
    assert "javascript:" not in html
    assert 'href="https://x.com/ayla/status/2"' in html
