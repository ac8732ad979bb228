"""Answering under a target's pinned posts, and the public log of what targets answered."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from hashrally.campaigns.actions import do_load_campaign_files
from hashrally.campaigns.campaignfile import CampaignFileError, read_campaign_files
from hashrally.campaigns.dump import campaign_spec, dump_campaign
from hashrally.campaigns.models import Campaign, TargetPost, TargetResponse
from tests.campaigns.fakes import GOOD

pytestmark = pytest.mark.django_db

PINNED = GOOD.replace(
    """[[targets.posts]]
network = "x"
url = "https://x.com/AMinister/status/1"
""",
    """[[targets.posts]]
network = "x"
url = "https://x.com/AMinister/status/1760000000000000001?s=20"

[[targets.posts]]
network = "bluesky"
url = "https://bsky.app/profile/aminister.bsky.social/post/3kq2abcde"

[[targets.responses]]
date = 2024-02-01
summary = "The minister said the office would study the request."
url = "https://news.example/minister-answers"

[[targets.responses]]
date = 2024-03-05
summary = "A second answer, in parliament."
""",
)
OTHER = PINNED.replace('slug = "good"', 'slug = "other"').replace("AMinister", "BMinister")


def load(tmp_path: Path, *texts: str) -> None:
    paths = []
    for n, text in enumerate(texts):
        path = tmp_path / f"c{n}.toml"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    do_load_campaign_files(read_campaign_files(paths))


def pinned(slug: str, network: str) -> TargetPost:
    return TargetPost.objects.get(target__campaign__slug=slug, network=network)


def test_it_opens_xs_reply_composer_under_the_post_with_the_campaigns_message(
    client: Client, tmp_path: Path
) -> None:
    load(tmp_path, PINNED)
    post = pinned("good", "x")
    response = client.get(f"/c/good/reply/{post.pk}", {"v": "0", "mine": "I was there."})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (location.scheme, location.hostname, location.path) == ("https", "x.com", "/intent/post")
    query = parse_qs(location.query)
    assert query["in_reply_to"] == ["1760000000000000001"]
    text = query["text"][0]
    assert text == "I was there.\n\nPlease act #One #Two @AMinister http://testserver/c/good/"
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_sends_people_to_the_posts_own_page_where_there_is_no_reply_composer(
    client: Client, tmp_path: Path
) -> None:
    load(tmp_path, PINNED)
    post = pinned("good", "bluesky")
    response = client.get(f"/c/good/reply/{post.pk}")
    assert response.status_code == 302
    assert response["Location"] == "https://bsky.app/profile/aminister.bsky.social/post/3kq2abcde"


def test_it_counts_a_reply_composed_as_a_share_click(client: Client, tmp_path: Path) -> None:
    from hashrally.supporters.models import ShareClick

    load(tmp_path, PINNED)
    client.get(f"/c/good/reply/{pinned('good', 'x').pk}")
    # Opening a post's page composes nothing: a visit, not a share.
    client.get(f"/c/good/reply/{pinned('good', 'bluesky').pk}")
    assert list(ShareClick.objects.values_list("network", "variant")) == [("x", "en:0")]


def test_it_never_redirects_through_another_campaigns_post_or_a_draft(
    client: Client, tmp_path: Path
) -> None:
    load(tmp_path, PINNED, OTHER.replace('status = "live"', 'status = "draft"'))
    # Another campaign's pinned post under this campaign's address: not found, no redirect.
    assert client.get(f"/c/good/reply/{pinned('other', 'x').pk}").status_code == 404
    # A draft's own posts are not public either.
    assert client.get(f"/c/other/reply/{pinned('other', 'x').pk}").status_code == 404
    assert client.get("/c/good/reply/999999").status_code == 404
    assert client.post(f"/c/good/reply/{pinned('good', 'x').pk}").status_code == 405


def test_it_shows_reply_links_and_what_targets_answered_newest_first(
    client: Client, tmp_path: Path
) -> None:
    load(tmp_path, PINNED)
    html = client.get("/c/good/", {"lang": "en"}).content.decode()
    x, bluesky = pinned("good", "x"), pinned("good", "bluesky")
    assert f'href="/c/good/reply/{x.pk}?v=' in html
    assert f'href="/c/good/reply/{bluesky.pk}?v=' in html
    assert "Reply on X" in html and "Reply on Bluesky" in html
    second = html.index("A second answer, in parliament.")
    first = html.index("The minister said the office would study the request.")
    assert second < first
    assert 'href="https://news.example/minister-answers"' in html
    assert '<time datetime="2024-03-05">' in html


def test_it_loads_dumps_and_reloads_responses_unchanged(tmp_path: Path) -> None:
    load(tmp_path, PINNED)
    campaign = Campaign.objects.get(slug="good")
    assert list(TargetResponse.objects.values_list("summary", flat=True)) == [
        "A second answer, in parliament.",
        "The minister said the office would study the request.",
    ]
    dumped = tmp_path / "dumped.toml"
    dumped.write_text(dump_campaign(campaign), encoding="utf-8")
    reread = read_campaign_files([str(dumped)])
    assert reread[0].spec == campaign_spec(campaign)
    assert do_load_campaign_files(reread) == [("good", "unchanged")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ('date = 2024-03-05\nsummary = "A second', "targets[0].responses[1]"),
        ('summary = "A second answer, in parliament."', "targets[0].responses[1].summary"),
        ('url = "https://news.example/minister-answers"', "targets[0].responses[0].url"),
    ],
)
def test_it_names_the_bad_response_and_loads_nothing(
    tmp_path: Path, change: str, field: str
) -> None:
    broken = {
        "targets[0].responses[1]": PINNED.replace(
            'date = 2024-03-05\nsummary = "A second answer, in parliament."',
            'date = 2024-02-01\nsummary = "The minister said the office would study the request."',
        ),
        "targets[0].responses[1].summary": PINNED.replace(change, 'summary = ""'),
        "targets[0].responses[0].url": PINNED.replace(change, 'url = "javascript:alert(1)"'),
    }[field]
    path = tmp_path / "bad.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(CampaignFileError) as raised:
        read_campaign_files([str(path)])
    assert f": {field}" in str(raised.value)
    assert not Campaign.objects.exists()


def test_it_puts_the_targets_answers_into_the_report_oldest_first(tmp_path: Path) -> None:
    from hashrally.reports.assemble import full_report
    from hashrally.reports.documents import html_report

    load(tmp_path, PINNED)
    report = full_report(Campaign.objects.get(slug="good"))
    assert report["target_responses"] == [
        {
            "target": "A Minister",
            "date": "2024-02-01",
            "summary": "The minister said the office would study the request.",
            "url": "https://news.example/minister-answers",
        },
        {
            "target": "A Minister",
            "date": "2024-03-05",
            "summary": "A second answer, in parliament.",
            "url": "",
        },
    ]
    html = html_report(report)
    assert "A second answer, in parliament." in html
