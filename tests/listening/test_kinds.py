"""One kind for a post that is several things at once, the same on every network: a repost,
else a quote, else a reply. Built from recorded posts, given both references."""

from __future__ import annotations

import copy
import json
from typing import Any

import orjson
import yaml

from hashrally.listening.normalise import bluesky, mastodon, x
from tests.fakes import ROOT
from tests.listening.fakes import RECORDED

FIXTURES = ROOT / "tests" / "fixtures" / "recorded"


def _tweets() -> dict[str, Any]:
    return orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())


def test_it_calls_an_x_post_that_answers_and_quotes_a_quote_in_either_order() -> None:
    page = _tweets()
    tweet = next(t for t in page["data"] if not t.get("referenced_tweets"))
    for refs in (
        [{"type": "replied_to", "id": "1"}, {"type": "quoted", "id": "2"}],
        [{"type": "quoted", "id": "2"}, {"type": "replied_to", "id": "1"}],
    ):
        page["data"] = [{**tweet, "referenced_tweets": refs}]
        (record,) = x.normalise_page(page).posts
        assert (record.kind, record.refers_to) == ("quote", "2")


def test_it_calls_a_retweet_a_repost_whatever_else_it_refers_to() -> None:
    page = _tweets()
    tweet = next(t for t in page["data"] if not t.get("referenced_tweets"))
    page["data"] = [
        {
            **tweet,
            "referenced_tweets": [{"type": "quoted", "id": "2"}, {"type": "retweeted", "id": "3"}],
        }
    ]
    (record,) = x.normalise_page(page).posts
    assert (record.kind, record.refers_to) == ("repost", "3")


def test_it_calls_a_mastodon_reply_that_quotes_a_quote() -> None:
    status = copy.deepcopy(RECORDED[0])
    quoted = copy.deepcopy(RECORDED[1])
    status["in_reply_to_id"] = quoted["id"]
    status["quote"] = {"state": "accepted", "quoted_status": quoted}
    (record,) = mastodon.normalise_statuses([status]).posts
    assert (record.kind, record.refers_to) == ("quote", quoted["uri"])
    status.pop("quote")
    (record,) = mastodon.normalise_statuses([status]).posts
    assert record.kind == "reply"


def test_it_calls_a_bluesky_reply_that_embeds_a_post_a_quote() -> None:
    recorded = yaml.safe_load((FIXTURES / "bluesky" / "f_search.yml").read_text(encoding="utf-8"))
    views = json.loads(recorded["http_interactions"][0]["response"]["body"]["string"])["posts"]
    view = copy.deepcopy(views[0])
    parent, quoted = views[1], views[2]
    ref = {"uri": parent["uri"], "cid": parent["cid"]}
    view["record"]["reply"] = {"root": ref, "parent": ref}
    view["record"]["embed"] = {
        "$type": "app.bsky.embed.record",
        "record": {"uri": quoted["uri"], "cid": quoted["cid"]},
    }
    (record,) = bluesky.normalise_posts([view]).posts
    assert (record.kind, record.refers_to) == ("quote", quoted["uri"])
    view["record"].pop("embed")
    (record,) = bluesky.normalise_posts([view]).posts
    assert (record.kind, record.refers_to) == ("reply", parent["uri"])
