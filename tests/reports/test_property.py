"""A property test: for generated Bluesky files mixing campaign posts and others, replies,
reposts, feed items and repeats, in any order and any grouping into lines, the report's figures
equal a count made here from the generated JSON.

The posts are recorded post views (tests/fixtures/recorded/bluesky, bskyr's cassettes, MIT)
given generated uris, texts, languages, replies and reposts; the count below reads only the
generated items, never hashrally's code.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hashrally.campaigns.models import Campaign
from hashrally.listening.models import Author, CollectionRun, Post, PostMatch, RawPage
from hashrally.reports.assemble import dashboard_report, full_report
from hashrally.reports.models import CampaignAuthor, Figure, ReportExtras
from tests.fakes import ROOT
from tests.listening.fakes import SLUG, run_import
from tests.reports.fakes import fold_all

pytestmark = pytest.mark.django_db
CASSETTES = ROOT / "tests" / "fixtures" / "recorded" / "bluesky"
START = dt.datetime(2026, 2, 20, 9, 0, tzinfo=dt.UTC)


def _recorded(name: str, key: str) -> list[dict[str, Any]]:
    recorded = yaml.safe_load((CASSETTES / name).read_text(encoding="utf-8"))
    answer = json.loads(recorded["http_interactions"][0]["response"]["body"]["string"])
    return [item.get("post", item) for item in answer[key]]


VIEWS = _recorded("f_search.yml", "posts") + _recorded("f_timeline.yml", "feed")
AUTHORS = list({view["author"]["did"]: view["author"] for view in VIEWS}.values())[:4]


@st.composite
def campaign_files(draw: st.DrawFn) -> dict[str, Any]:
    """Posts (each on the campaign's hashtag or not, some replying to an earlier one),
    reposts of some of them, and the lines a file holds them in."""
    count = draw(st.integers(1, 10))
    posts = []
    for n in range(count):
        posts.append(
            {
                "n": n,
                "on_topic": draw(st.booleans()),
                "author": draw(st.integers(0, len(AUTHORS) - 1)),
                "parent": draw(st.none() | st.integers(0, n - 1)) if n else None,
                "language": draw(st.sampled_from(["en", "az", "ru", None])),
                "template": draw(st.integers(0, len(VIEWS) - 1)),
            }
        )
    reposts = draw(
        st.lists(
            st.tuples(st.integers(0, count - 1), st.integers(0, len(AUTHORS) - 1), st.booleans()),
            max_size=5,
            unique_by=lambda r: (r[0], r[1]),
        )
    )
    items = [("post", n, draw(st.booleans())) for n in range(count)]
    items += [("repost", k, False) for k in range(len(reposts))]
    items += draw(st.lists(st.sampled_from(items), max_size=4))  # repeats
    order = draw(st.permutations(items))
    sizes = draw(st.lists(st.integers(1, 4), min_size=len(order), max_size=len(order)))
    return {"posts": posts, "reposts": reposts, "order": order, "sizes": sizes}


def _uri(post: dict[str, Any]) -> str:
    return f"at://{AUTHORS[post['author']]['did']}/app.bsky.feed.post/gen{post['n']}"


def _view(post: dict[str, Any], posts: list[dict[str, Any]]) -> dict[str, Any]:
    view = copy.deepcopy(VIEWS[post["template"]])
    view["uri"], view["author"] = _uri(post), AUTHORS[post["author"]]
    record: dict[str, Any] = {"$type": "app.bsky.feed.post"}
    record["createdAt"] = (START + dt.timedelta(minutes=post["n"])).isoformat()
    if post["on_topic"]:
        text = "Remember Khojaly #Khojaly"
        start = len(text.encode()) - len("#Khojaly")
        record["facets"] = [
            {
                "index": {"byteStart": start, "byteEnd": len(text.encode())},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Khojaly"}],
            }
        ]
    else:
        text = "A quiet day by the sea"
    record["text"] = text
    if post["language"]:
        record["langs"] = [post["language"]]
    if post["parent"] is not None:
        parent = {"uri": _uri(posts[post["parent"]]), "cid": "bafy"}
        record["reply"] = {"parent": parent, "root": parent}
    view["record"] = record
    return view


def _lines(file: dict[str, Any]) -> list[bytes]:
    posts = file["posts"]
    items: list[dict[str, Any]] = []
    for what, n, as_feed_item in file["order"]:
        if what == "post":
            view = _view(posts[n], posts)
            items.append({"post": view} if as_feed_item else view)
        else:
            shared, by, with_uri = file["reposts"][n]
            reason: dict[str, Any] = {
                "$type": "app.bsky.feed.defs#reasonRepost",
                "by": AUTHORS[by],
                "indexedAt": (START + dt.timedelta(hours=1, minutes=n)).isoformat(),
            }
            if with_uri:
                reason["uri"] = f"at://{AUTHORS[by]['did']}/app.bsky.feed.repost/r{shared}"
            items.append({"post": _view(posts[shared], posts), "reason": reason})
    lines, at = [], 0
    for size in file["sizes"]:
        group = items[at : at + size]
        if not group:
            break
        at += size
        # A line holds one item, a list of them, or a feed answer.
        if len(group) == 1:
            lines.append(orjson.dumps(group[0]))
        elif all("post" in item for item in group):
            lines.append(orjson.dumps({"feed": group}))
        else:
            lines.append(orjson.dumps(group))
    return lines


def _expected(file: dict[str, Any]) -> dict[str, int]:
    """The campaign's posts, counted from the generated posts: those on its hashtag, replies to
    one of its posts (at any depth), and reposts of one."""
    posts = file["posts"]
    ours: set[int] = set()
    for post in posts:  # parents come first, so one pass follows a chain of replies
        if post["on_topic"] or (post["parent"] is not None and post["parent"] in ours):
            ours.add(post["n"])
    reposts = {(shared, by) for shared, by, _ in file["reposts"] if shared in ours}
    authors = {posts[n]["author"] for n in ours} | {by for _, by in reposts}
    replies = sum(1 for n in ours if posts[n]["parent"] is not None)
    return {
        "total": len(ours) + len(reposts),
        "originals": len(ours) - replies,
        "replies": replies,
        "reposts": len(reposts),
        "authors": len(authors),
        "khojaly": sum(1 for n in ours if posts[n]["on_topic"]),
    }


def _figures(report: Any) -> dict[str, int]:
    tags = {row["hashtag"]: row["posts"] for row in report["posts"]["hashtags"]}
    return {
        "total": report["posts"]["total"],
        "originals": report["posts"]["originals"],
        "replies": report["posts"]["replies"],
        "reposts": report["posts"]["reposts"],
        "authors": report["authors"]["unique"],
        "khojaly": tags.get("khojaly", 0),
    }


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(file=campaign_files())
def test_it_counts_generated_files_as_an_independent_count_does(
    campaigns: list[str], tmp_path: Path, file: dict[str, Any]
) -> None:
    # Each example starts from no posts (the campaigns stay).
    for model in (PostMatch, Post, Author, RawPage, CollectionRun, Figure, CampaignAuthor):
        model.objects.all().delete()
    ReportExtras.objects.all().delete()
    path = tmp_path / "generated.jsonl"
    path.write_bytes(b"\n".join(_lines(file)) + b"\n")
    summary = run_import(path, "bluesky")
    assert summary["errors"] == 0, summary["problems"]
    fold_all()
    campaign = Campaign.objects.get(slug=SLUG)
    expected = _expected(file)
    assert _figures(dashboard_report(campaign)) == expected
    assert _figures(full_report(campaign)) == expected
