"""Bluesky files in every shape its read endpoints answer with, from recorded answers
(tests/fixtures/recorded/bluesky, bskyr's cassettes), counted here from the raw JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from hashrally.listening.models import Author, Post
from hashrally.listening.normalise import bluesky, mastodon
from tests.fakes import ROOT
from tests.listening.fakes import recorded_statuses, run_import

pytestmark = pytest.mark.django_db
CASSETTES = ROOT / "tests" / "fixtures" / "recorded" / "bluesky"


def answer(name: str) -> dict[str, Any]:
    recorded = yaml.safe_load((CASSETTES / name).read_text(encoding="utf-8"))
    return dict(json.loads(recorded["http_interactions"][0]["response"]["body"]["string"]))


@pytest.mark.parametrize("name", ["f_autfeed.yml", "f_timeline.yml"])
def test_it_imports_a_feed_with_its_posts_and_reposts(
    campaigns: list[str], tmp_path: Path, name: str
) -> None:
    feed = answer(name)["feed"]
    posts = {item["post"]["uri"] for item in feed}
    reposts = [item for item in feed if item.get("reason", {}).get("$type", "").endswith("Repost")]
    assert reposts
    path = tmp_path / "feed.json"
    path.write_bytes(orjson.dumps({"feed": feed}))
    summary = run_import(path, "bluesky")
    assert summary["errors"] == 0
    assert summary["read"] == len(feed) + len(reposts)
    stored = dict(Post.objects.values_list("post_id", "author_id"))
    assert posts <= set(stored)
    # Every stored post has its author and date: no phantom "" author.
    assert "" not in stored.values()
    assert not Post.objects.filter(created_at=None).exists()
    for item in reposts:
        repost = Post.objects.get(
            kind="repost", refers_to=item["post"]["uri"], author_id=item["reason"]["by"]["did"]
        )
        assert repost.text == ""
    assert Author.objects.filter(author_id__in=[i["reason"]["by"]["did"] for i in reposts]).exists()


def test_it_reads_every_post_of_a_thread() -> None:
    thread = answer("f_postthread.yml")["thread"]
    count, stack = 0, [thread]
    while stack:
        node = stack.pop()
        count += 1 if isinstance(node.get("post"), dict) else 0
        stack += node.get("replies") or []
    node = thread.get("parent")
    while isinstance(node, dict):
        count += 1
        node = node.get("parent")
    page = bluesky.normalise_items([thread])
    assert len(page.posts) == count
    assert page.posts[0].post_id == thread["post"]["uri"]


def test_it_refuses_a_feed_item_without_its_post_uri() -> None:
    feed = answer("f_autfeed.yml")["feed"]
    broken = json.loads(json.dumps(feed[0]))
    del broken["post"]["uri"]
    with pytest.raises(ValueError, match="feed item 2 has no uri"):
        bluesky.normalise_items([feed[1], broken])


@pytest.mark.parametrize("count", [2**63, -(2**63) - 1, True, "12", 1.5])
def test_a_count_that_is_not_a_64_bit_whole_number_is_kept_as_unknown(count: object) -> None:
    """Bluesky's and Mastodon's counts are read as X's are: what a 64-bit column cannot hold
    (it stopped an import at its insert) or what is not a whole number is no count."""
    post = answer("f_getposts.yml")["posts"][0]
    post["likeCount"] = count
    post["author"]["followersCount"] = count
    page = bluesky.normalise_items([post])
    assert page.posts[0].likes is None and page.authors[0].followers is None

    status = recorded_statuses()[0]
    status["favourites_count"] = count
    status["account"]["followers_count"] = count
    page = mastodon.normalise_statuses([status])
    assert page.posts[0].likes is None and page.authors[0].followers is None
