"""Every figure on hand-built data where the answer is known, and the fold's counters equal to
a rebuild from rows on the recorded fixtures."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import struct
from io import StringIO
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import call_command

from hashrally.campaigns.models import Campaign
from hashrally.listening.models import Author, PostMatch
from hashrally.reports import fold
from hashrally.reports.assemble import dashboard_report, full_report
from hashrally.reports.counters import counters_from_figures, counters_from_rows
from hashrally.reports.extras import refresh_extras
from hashrally.reports.models import CampaignAuthor
from hashrally.supporters.actions import do_join
from hashrally.supporters.verification import do_verify_supporters
from tests.fakes import ROOT
from tests.listening.fakes import run_import
from tests.reports.fakes import CHILD, HAND_BUILT, UMBRELLA, csv_file, fold_all, listen_for

pytestmark = pytest.mark.django_db
FIXTURES = ROOT / "tests" / "fixtures" / "recorded"


def test_it_computes_every_figure_on_a_hand_built_dataset(
    campaigns: list[str], tmp_path: Path
) -> None:
    run_import(csv_file(tmp_path, HAND_BUILT), "csv")
    # A CSV names authors only: their profiles come from the networks.
    Author.objects.create(
        network="x", author_id="ayla", handle="ayla", followers=1000, location="Baku, Azerbaijan"
    )
    fold_all()
    report = full_report(Campaign.objects.get(slug=CHILD))
    posts = report["posts"]
    assert (posts["total"], posts["originals"], posts["reposts"]) == (4, 4, 0)
    assert posts["by_network"] == {"x": 3, "mastodon": 1}
    assert posts["by_language"] == {"en": 2, "az": 1, "": 1}
    assert {h["hashtag"]: h["posts"] for h in posts["hashtags"]} == {"khojaly": 4, "peace": 1}
    assert report["engagement"] == {"likes": 8, "reposts": 5, "replies": 1, "quotes": 1}
    authors = report["authors"]
    assert authors["unique"] == 3
    # Only ayla's followers are known: reach counts them once, impressions once per post.
    assert (authors["potential_reach"], authors["potential_impressions"]) == (1000, 2000)
    assert (authors["views"], authors["posts_with_views"]) == (100, 1)
    assert authors["countries"]["by_country"] == {"AZ": 2}  # ayla by location, orhan by language
    assert authors["countries"]["unplaced"] == 1
    assert report["timeline"] == [
        {"date": "2026-02-24", "posts": 2, "authors": 1, "joins": 0},
        {"date": "2026-02-25", "posts": 2, "authors": 2, "joins": 0},
    ]
    assert report["targets"]["nikolpashinyan"]["total"] == 1
    assert report["targets"]["nikolpashinyan"]["by_network"] == {"x": 1}
    assert len(report["dataset_sha256"]) == 64


def test_it_folds_into_counters_what_a_rebuild_counts(campaigns: list[str], tmp_path: Path) -> None:
    listen_for(CHILD, "Brexit", "kpop")
    run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2")
    run_import(FIXTURES / "x" / "kpop.jsonl", "twarc2")
    run_import(csv_file(tmp_path, HAND_BUILT), "csv")
    fold_all()
    for slug in (CHILD, UMBRELLA):
        campaign = Campaign.objects.get(slug=slug)
        assert counters_from_figures(campaign.pk) == counters_from_rows(campaign.pk)
    # Fetched again with other counts: only the differences are added.
    page = orjson.loads((FIXTURES / "x" / "kpop.jsonl").read_bytes())
    for tweet in page["data"]:
        tweet["public_metrics"]["like_count"] += 5
        tweet["public_metrics"].pop("impression_count", None)
    again = tmp_path / "kpop-later.jsonl"
    again.write_bytes(orjson.dumps(page))
    before = counters_from_figures(Campaign.objects.get(slug=CHILD).pk)["engagement"]["likes"]
    run_import(again, "twarc2")
    fold_all()
    after = counters_from_figures(Campaign.objects.get(slug=CHILD).pk)["engagement"]["likes"]
    assert after == before + 5 * len(page["data"])
    campaign = Campaign.objects.get(slug=CHILD)
    assert counters_from_figures(campaign.pk) == counters_from_rows(campaign.pk)


def test_it_counts_a_post_from_two_children_once_for_their_umbrella(
    campaigns: list[str], tmp_path: Path
) -> None:
    child = Campaign.objects.get(slug=CHILD)
    sibling = Campaign.objects.create(slug="sibling", parent=child.parent, status="live")
    listen_for(CHILD, "Brexit")
    listen_for(sibling.slug, "Brexit")
    run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2", CHILD)
    run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2", sibling.slug)
    fold_all()
    umbrella = Campaign.objects.get(slug=UMBRELLA)
    assert counters_from_figures(umbrella.pk)["total"]["posts"] == 100
    assert counters_from_figures(sibling.pk)["total"]["posts"] == 100
    assert full_report(umbrella)["posts"]["total"] == 100


def test_it_carries_an_initiatives_posts_and_their_later_counts_to_its_umbrella(
    campaigns: list[str], tmp_path: Path
) -> None:
    """The import writes matches for the run's campaign only; the fold carries them to the
    umbrella. Counted here from the recorded page itself."""
    page = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    posts = {tweet["id"] for tweet in page["data"]}
    likes = sum(tweet["public_metrics"]["like_count"] for tweet in page["data"])
    authors = {tweet["author_id"] for tweet in page["data"]}
    child = Campaign.objects.get(slug=CHILD)
    sibling = Campaign.objects.create(slug="sibling", parent=child.parent, status="live")
    listen_for(CHILD, "Brexit")
    listen_for(sibling.slug, "Brexit")
    umbrella = Campaign.objects.get(slug=UMBRELLA)
    run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2", CHILD)
    # A report of the umbrella folds its initiatives' posts first, as the worker would.
    report = full_report(umbrella)
    assert report["posts"]["total"] == len(posts)
    assert report["engagement"]["likes"] == likes
    assert report["authors"]["unique"] == len(authors)
    # The sibling brings the same posts, later with more likes: counted once, the likes moved.
    for tweet in page["data"]:
        tweet["public_metrics"]["like_count"] += 2
    later = tmp_path / "brexit-later.jsonl"
    later.write_bytes(orjson.dumps(page))
    run_import(later, "twarc2", sibling.slug)
    fold_all()
    figures = counters_from_figures(umbrella.pk)
    assert figures["total"]["posts"] == len(posts)
    assert figures["total"]["authors"] == len(authors)
    assert figures["engagement"]["likes"] == likes + 2 * len(posts)
    for campaign in (umbrella, sibling):
        assert counters_from_figures(campaign.pk) == counters_from_rows(campaign.pk)
    assert full_report(umbrella)["dataset_sha256"] == full_report(sibling)["dataset_sha256"]


def test_it_counts_supporters_joined_confirmed_and_verified(
    campaigns: list[str], tmp_path: Path
) -> None:
    campaign = Campaign.objects.get(slug=CHILD)
    run_import(csv_file(tmp_path, HAND_BUILT), "csv")
    fold_all()
    people: list[dict[str, Any]] = [
        {"country": "AZ", "handles": {"x": "ayla"}},  # posted: verified
        {"country": "TR", "handles": {"x": "nobody"}},
        {"country": "AZ", "email": "a@example.org"},
    ]
    for n, data in enumerate(people):
        do_join(campaign, data, language="en", client_ip=f"192.0.2.{n}")
    # A report only reads verifications: until the worker's step runs there are none.
    assert full_report(campaign)["supporters"]["verified"] == 0
    assert do_verify_supporters(campaign) == 1
    supporters = full_report(campaign)["supporters"]
    assert (supporters["joined"], supporters["confirmed"], supporters["verified"]) == (3, 0, 1)
    assert supporters["by_country"]["AZ"] == {"joined": 2, "confirmed": 0, "verified": 1}
    # The same email joining the umbrella too: one person for the umbrella, in the country of
    # their first join.
    umbrella = Campaign.objects.get(slug=UMBRELLA)
    do_join(umbrella, {"country": "TR", "email": "a@example.org"}, language="en", client_ip="x")
    do_verify_supporters(umbrella)
    report = full_report(umbrella)
    whole = report["supporters"]
    assert (whole["joined"], whole["verified"]) == (3, 1)
    assert whole["by_country"]["AZ"]["joined"] == 2 and whole["by_country"]["TR"]["joined"] == 1
    assert sum(day["joins"] for day in report["timeline"]) == 3


def test_it_builds_the_dashboard_from_counters_and_extras(
    campaigns: list[str], tmp_path: Path
) -> None:
    campaign = Campaign.objects.get(slug=CHILD)
    run_import(csv_file(tmp_path, HAND_BUILT), "csv")
    fold_all()
    refresh_extras(campaign)
    dashboard, full = dashboard_report(campaign), full_report(campaign)
    for key in ("posts", "engagement", "targets", "timeline", "supporters", "dataset_sha256"):
        assert dashboard[key] == full[key], key
    assert dashboard["authors"]["unique"] == full["authors"]["unique"]


def test_it_writes_each_format_with_the_report_command(
    campaigns: list[str], tmp_path: Path
) -> None:
    run_import(csv_file(tmp_path, HAND_BUILT), "csv")
    out = StringIO()
    call_command("report", CHILD, "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    for key in (
        "campaign",
        "generated_at",
        "window",
        "sources",
        "supporters",
        "posts",
        "authors",
        "engagement",
        "targets",
        "timeline",
        "authenticity",
        "dataset_sha256",
    ):
        assert key in data, key
    assert data["posts"]["total"] == 4 and data["sources"][0]["source"] == "import:csv"
    csv_out = StringIO()
    call_command("report", CHILD, "--format", "csv", stdout=csv_out)
    assert "posts.total,4" in csv_out.getvalue()
    target = tmp_path / "r.html"
    call_command("report", CHILD, "--format", "html", "-o", str(target))
    assert "<html" in target.read_text()


def test_it_folds_and_rebuilds_what_changed_in_the_worker(
    campaigns: list[str], tmp_path: Path
) -> None:
    run_import(csv_file(tmp_path, HAND_BUILT), "csv")
    campaign = Campaign.objects.get(slug=CHILD)
    assert counters_from_figures(campaign.pk) == {}
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "reports rebuilt for 2" in out.getvalue()  # the campaign and its umbrella
    report = dashboard_report(campaign)
    assert report["posts"]["total"] == 4 and report["built_at"] is not None
    assert CampaignAuthor.objects.filter(campaign=campaign, country="?").count() == 0
    # Nothing new: nothing rebuilt.
    again = StringIO()
    call_command("worker", "--once", stdout=again)
    assert "reports rebuilt" not in again.getvalue()


def test_it_computes_authenticity_figures_on_a_hand_built_dataset(
    campaigns: list[str], tmp_path: Path
) -> None:
    """A bot-like author, three copies of a spam text, template use, and a burst of new
    accounts: each lands in its figure, and the headline is given without them too."""
    variant = "Recognize the Khojaly tragedy and help reconciliation #Khojaly"
    campaign = Campaign.objects.get(slug=CHILD)
    campaign.variants.create(language="en", position=9, text=variant)
    start = dt.datetime(2026, 2, 26, 9, 0, tzinfo=dt.UTC)
    rows = []

    def row(n: int, author: str, text: str, minutes: float) -> str:
        moment = (start + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
        return f"https://x.com/{author}/status/{n},{author},{text},{moment},en,0,0,0,0,"

    for n in range(4):  # template use, four people
        rows.append(row(100 + n, f"fan{n}", f"{variant} today", n * 60))
    for n in range(3):  # the same spam from three accounts
        rows.append(row(200 + n, f"spam{n}", "Cheap followers at example dot com #Khojaly", n))
    for n in range(24):  # 24 posts in 5 minutes from accounts made the day before
        rows.append(row(300 + n, f"new{n}", f"My own words number {n} #Khojaly", 300 + n / 5))
    rows.append(row(400, "bot", "Beep #Khojaly", 0))
    run_import(csv_file(tmp_path, rows), "csv")
    day_before = start - dt.timedelta(days=1)
    for n in range(24):
        Author.objects.create(
            network="x",
            author_id=f"new{n}",
            handle=f"new{n}",
            created_at=day_before,
            name=f"New {n}",
            description="Hello",
        )
    Author.objects.create(network="x", author_id="bot", handle="bot", bot_label=True)
    report = full_report(campaign)
    flags = report["authenticity"]
    assert flags["template_posts"] == 4
    assert flags["suspect_cluster_posts"] == 3 and flags["suspect_clusters"][0]["posts"] == 3
    assert flags["bursts"] == 1 and flags["burst_windows"][0]["posts"] == 24
    # The network's own label makes an author bot-like on its own.
    assert (flags["bot_like_authors"], flags["bot_like_posts"]) == (1, 1)
    assert report["headline"]["with_flagged"]["posts"] == 32
    assert report["headline"]["without_flagged"]["posts"] == 32 - 3 - 1
    assert report["headline"]["without_flagged"]["authors"] == report["authors"]["unique"] - 1

    # A bot-like author whose post is in a suspect cluster too: flagged once.
    Author.objects.create(network="x", author_id="spam0", handle="spam0", bot_label=True)
    refresh_extras(campaign)
    report = full_report(campaign)
    assert report["authenticity"]["bot_like_posts"] == 2
    assert report["headline"]["without_flagged"]["posts"] == 32 - 3 - 1


def test_it_matches_the_figures_of_a_recorded_x_page_to_the_page_itself(
    campaigns: list[str],
) -> None:
    """The recorded brexit.jsonl page, counted by hand from its JSON, against the report."""
    page = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    tweets = page["data"]
    kinds = {"original": 0, "repost": 0, "reply": 0, "quote": 0}
    for tweet in tweets:
        types = [ref["type"] for ref in tweet.get("referenced_tweets") or []]
        kind = (
            "repost"
            if "retweeted" in types
            else "quote"
            if "quoted" in types
            else "reply"
            if "replied_to" in types
            else "original"
        )
        kinds[kind] += 1
    followers = {u["id"]: u["public_metrics"]["followers_count"] for u in page["includes"]["users"]}
    authors = {t["author_id"] for t in tweets}
    listen_for(CHILD, "Brexit")  # every post carries it, 41 only in the post they retweet
    run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2")
    report = full_report(Campaign.objects.get(slug=CHILD))
    posts = report["posts"]
    assert posts["total"] == len(tweets) == 100
    assert (posts["originals"], posts["reposts"], posts["replies"], posts["quotes"]) == (
        kinds["original"],
        kinds["repost"],
        kinds["reply"],
        kinds["quote"],
    )
    assert report["authors"]["unique"] == len(authors)
    assert report["authors"]["potential_reach"] == sum(followers.get(a, 0) for a in authors)
    likes = sum(t["public_metrics"]["like_count"] for t in tweets)
    assert report["engagement"]["likes"] == likes
    languages: dict[str, int] = {}
    for tweet in tweets:
        languages[tweet["lang"]] = languages.get(tweet["lang"], 0) + 1
    by_language = report["posts"]["by_language"]
    assert sum(by_language.values()) == 100
    # X's "und" (undetermined) is not a language: those posts get a detected one.
    assert "und" not in by_language
    for code, n in languages.items():
        if code != "und":
            assert n <= by_language[code] <= n + languages.get("und", 0), code


def _tags_of(tweet: dict[str, Any]) -> set[str]:
    return {h["tag"].casefold() for h in (tweet.get("entities") or {}).get("hashtags") or []}


def _johnson_out(page: dict[str, Any]) -> list[dict[str, Any]]:
    """The page's posts carrying #JohnsonOut, or referring to a post that does."""
    carried = {t["id"]: _tags_of(t) for t in page["includes"]["tweets"]}
    return [
        t
        for t in page["data"]
        if "johnsonout" in _tags_of(t)
        or any(
            "johnsonout" in carried.get(r["id"], set()) for r in t.get("referenced_tweets") or []
        )
    ]


def test_it_counts_only_the_campaigns_posts_of_a_recorded_x_page(campaigns: list[str]) -> None:
    """A search brings more than a campaign's posts: only those carrying its hashtag, or
    retweeting, quoting or answering a post that does, are counted; the rest is off-topic.
    Counted here from the raw JSON: #JohnsonOut in the post, or in the post it refers to."""
    page = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    on_topic = _johnson_out(page)
    assert 0 < len(on_topic) < len(page["data"])
    listen_for(CHILD, "JohnsonOut")
    summary = run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2")
    report = full_report(Campaign.objects.get(slug=CHILD))
    assert report["posts"]["total"] == len(on_topic)
    assert report["authors"]["unique"] == len({t["author_id"] for t in on_topic})
    assert report["engagement"]["likes"] == sum(t["public_metrics"]["like_count"] for t in on_topic)
    assert summary["off_topic"] == len(page["data"]) - len(on_topic)
    assert report["sources"][0]["posts_off_topic"] == len(page["data"]) - len(on_topic)


def test_it_counts_nothing_of_a_page_about_another_topic(campaigns: list[str]) -> None:
    """The Brexit page imported into the Khojaly campaign: not one post carries its hashtags
    or mentions its targets, so no figure counts any of them."""
    page = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    summary = run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2")
    fold_all()
    campaign = Campaign.objects.get(slug=CHILD)
    for report in (full_report(campaign), dashboard_report(campaign)):
        assert report["posts"]["total"] == 0
        assert report["authors"]["unique"] == 0
        assert not report["authors"]["potential_reach"]
    assert summary["read"] == summary["off_topic"] == len(page["data"])


@pytest.mark.parametrize("retweets_first", [True, False])
def test_it_counts_a_retweet_of_a_campaign_post_whatever_the_order_of_files(
    campaigns: list[str], tmp_path: Path, retweets_first: bool
) -> None:
    """Retweets whose own (cut short) text lacks #JohnsonOut, in a file without the posts they
    retweet; those posts, which carry it, in another file. Either order counts the same."""
    page = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    carried = {t["id"]: t for t in page["includes"]["tweets"] if "johnsonout" in _tags_of(t)}
    retweets = [
        t
        for t in page["data"]
        if "johnsonout" not in _tags_of(t)
        and any(
            r["type"] == "retweeted" and r["id"] in carried for r in t.get("referenced_tweets", [])
        )
    ]
    originals = [carried[r["id"]] for t in retweets for r in t["referenced_tweets"]]
    originals = list({t["id"]: t for t in originals}.values())
    assert retweets and originals
    first = tmp_path / "retweets.jsonl"
    first.write_bytes(
        orjson.dumps({"data": retweets, "includes": {"users": page["includes"]["users"]}})
    )
    second = tmp_path / "originals.jsonl"
    second.write_bytes(
        orjson.dumps({"data": originals, "includes": {"users": page["includes"]["users"]}})
    )
    listen_for(CHILD, "JohnsonOut")
    for path in (first, second) if retweets_first else (second, first):
        run_import(path, "twarc2")
    report = full_report(Campaign.objects.get(slug=CHILD))
    assert report["posts"]["total"] == len(retweets) + len(originals)
    assert report["posts"]["reposts"] == len(retweets)
    assert sum(source["posts_off_topic"] for source in report["sources"]) == 0


@pytest.mark.parametrize("views", [0, None])
def test_it_tells_zero_views_from_unknown_views(
    campaigns: list[str], tmp_path: Path, views: int | None
) -> None:
    """X sends `impression_count` 0 for posts nobody viewed: the report says 0, not unknown.
    Without the field (older exports) the views are unknown: null."""
    page = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    for tweet in page["data"]:
        tweet["public_metrics"].pop("impression_count", None)
        if views is not None:
            tweet["public_metrics"]["impression_count"] = views
    path = tmp_path / "views.jsonl"
    path.write_bytes(orjson.dumps(page))
    listen_for(CHILD, "Brexit")
    run_import(path, "twarc2")
    fold_all()
    campaign = Campaign.objects.get(slug=CHILD)
    for report in (full_report(campaign), dashboard_report(campaign)):
        assert report["authors"]["views"] == views
        assert report["authors"]["posts_with_views"] == (0 if views is None else len(page["data"]))


def test_it_moves_the_counts_of_an_edited_post_to_its_new_hashtags(
    campaigns: list[str], tmp_path: Path
) -> None:
    """The Brexit page, then the same posts fetched again after their authors edited
    #JohnsonOut into #BorisOut: the counters follow the edit, as a rebuild from rows does."""
    page = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    listen_for(CHILD, "Brexit")
    run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2")
    fold_all()
    for tweet in page["data"]:
        for tag in (tweet.get("entities") or {}).get("hashtags") or []:
            if tag["tag"].casefold() == "johnsonout":
                tag["tag"] = "BorisOut"
    edited = tmp_path / "edited.jsonl"
    edited.write_bytes(orjson.dumps(page))
    run_import(edited, "twarc2")
    fold_all()
    campaign = Campaign.objects.get(slug=CHILD)
    counters = counters_from_figures(campaign.pk)
    assert counters == counters_from_rows(campaign.pk)
    expected = sum(1 for t in page["data"] if "borisout" in _tags_of(t))
    assert expected and counters["hashtag"]["borisout"] == expected
    assert "johnsonout" not in counters["hashtag"]


def test_it_keeps_a_post_edited_to_drop_the_campaigns_hashtag(
    campaigns: list[str], tmp_path: Path
) -> None:
    """A campaign on #JohnsonOut; the same posts fetched again after their authors edited the
    hashtag away and got a like more: still the campaign's posts (docs/metrics.md), with the
    new likes and hashtags, and not off-topic for the run that read them again."""
    page = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    listen_for(CHILD, "JohnsonOut")
    ours = _johnson_out(page)
    carrying = sum(1 for t in ours if "johnsonout" in _tags_of(t))
    first = run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2")
    fold_all()
    for tweet in page["data"] + page["includes"]["tweets"]:
        tweet["public_metrics"]["like_count"] += 1
        for tag in (tweet.get("entities") or {}).get("hashtags") or []:
            if tag["tag"].casefold() == "johnsonout":
                tag["tag"] = "BorisOut"
    edited = tmp_path / "edited.jsonl"
    edited.write_bytes(orjson.dumps(page))
    again = run_import(edited, "twarc2")
    assert again["off_topic"] == first["off_topic"] == len(page["data"]) - len(ours)
    fold_all()
    campaign = Campaign.objects.get(slug=CHILD)
    counters = counters_from_figures(campaign.pk)
    assert counters == counters_from_rows(campaign.pk)
    assert counters["total"]["posts"] == len(ours)
    likes = sum(t["public_metrics"]["like_count"] for t in ours)
    assert counters["engagement"]["likes"] == likes
    assert "johnsonout" not in counters["hashtag"]
    assert counters["hashtag"]["borisout"] == carrying


def test_it_gives_the_same_dataset_whatever_the_order_pages_arrive_in(
    campaigns: list[str], tmp_path: Path
) -> None:
    """The Brexit and K-pop pages and a later fetch of the K-pop page with more likes, in
    both orders of the first two, each from an empty database: the same dataset hash and
    figures, counted here from the JSON."""
    from hashrally.listening.models import CollectionRun, Post, PostMatch
    from hashrally.reports.models import CampaignAuthor, Figure, ReportExtras

    later = orjson.loads((FIXTURES / "x" / "kpop.jsonl").read_bytes())
    for tweet in later["data"]:
        tweet["public_metrics"]["like_count"] += 3
    again = tmp_path / "kpop-later.jsonl"
    again.write_bytes(orjson.dumps(later))
    first = [FIXTURES / "x" / "brexit.jsonl", FIXTURES / "x" / "kpop.jsonl"]
    brexit = orjson.loads(first[0].read_bytes())["data"]
    listen_for(CHILD, "Brexit", "kpop")
    hashes = []
    for order in (first, first[::-1]):
        for model in (PostMatch, Post, Author, CollectionRun, Figure, CampaignAuthor, ReportExtras):
            model.objects.all().delete()
        for path in [*order, again]:
            run_import(path, "twarc2")
            # Folded as it comes: the later fetch takes away what was counted of each post.
            fold_all()
        report = full_report(Campaign.objects.get(slug=CHILD))
        assert report["posts"]["total"] == len(brexit) + len(later["data"])
        likes = sum(t["public_metrics"]["like_count"] for t in [*brexit, *later["data"]])
        assert report["engagement"]["likes"] == likes
        hashes.append(report["dataset_sha256"])
    assert hashes[0] == hashes[1] == dataset_sha256_of([*brexit, *later["data"]])


def dataset_sha256_of(tweets: list[dict[str, Any]]) -> str:
    """The dataset hash as docs/metrics.md defines it, from the posts' JSON."""
    lanes = [0] * 8
    for tweet in tweets:
        m = tweet["public_metrics"]
        counts = [m.get(k) for k in ("like_count", "retweet_count", "reply_count", "quote_count")]
        counts.append(m.get("impression_count"))
        line = f"x\t{tweet['id']}\t{tweet['author_id']}\t{counts}\n".encode()
        words = struct.unpack("<8I", hashlib.sha256(line).digest())
        lanes = [total + word for total, word in zip(lanes, words, strict=True)]
    return hashlib.sha256("".join(f"{total:016x}" for total in lanes).encode()).hexdigest()


def test_an_answer_to_an_initiatives_post_is_its_umbrellas_before_any_fold(
    campaigns: list[str], tmp_path: Path
) -> None:
    """An umbrella's posts are its initiatives' too, whose matches reach it only when folded:
    a reply the umbrella's own run fetches meanwhile is the umbrella's all the same."""
    page = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    listen_for(CHILD, "Brexit")
    run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2", CHILD)
    answered = page["data"][0]
    reply = {
        "id": "1900000000000000001",
        "text": "I agree with this",
        "author_id": answered["author_id"],
        "created_at": "2016-06-24T10:00:00.000Z",
        "lang": "en",
        "conversation_id": answered["id"],
        "referenced_tweets": [{"type": "replied_to", "id": answered["id"]}],
        "public_metrics": {"like_count": 4, "retweet_count": 0, "reply_count": 0, "quote_count": 0},
    }
    path = tmp_path / "reply.jsonl"
    path.write_bytes(orjson.dumps({"data": [reply], "includes": page["includes"]}) + b"\n")
    summary = run_import(path, "twarc2", UMBRELLA)
    assert (summary["new"], summary["off_topic"]) == (1, 0)
    fold_all()
    umbrella = Campaign.objects.get(slug=UMBRELLA)
    figures = counters_from_figures(umbrella.pk)
    posts = {tweet["id"] for tweet in page["data"]} | {reply["id"]}
    assert figures["total"]["posts"] == len(posts)
    likes = sum(t["public_metrics"]["like_count"] for t in page["data"]) + 4
    assert figures["engagement"]["likes"] == likes
    assert figures == counters_from_rows(umbrella.pk)


def test_a_post_fetched_again_by_another_initiative_is_counted_again_for_the_umbrella(
    campaigns: list[str], tmp_path: Path
) -> None:
    """The umbrella counts the posts through a sibling; the initiative that fetches them again
    does not listen for them (off-topic for it), and the umbrella's counts follow all the same."""
    page = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    likes = sum(tweet["public_metrics"]["like_count"] for tweet in page["data"])
    child = Campaign.objects.get(slug=CHILD)
    sibling = Campaign.objects.create(slug="sibling", parent=child.parent, status="live")
    listen_for(sibling.slug, "Brexit")
    run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2", sibling.slug)
    fold_all()
    umbrella = Campaign.objects.get(slug=UMBRELLA)
    assert counters_from_figures(umbrella.pk)["engagement"]["likes"] == likes
    for tweet in page["data"]:
        tweet["public_metrics"]["like_count"] += 3
    later = tmp_path / "brexit-later.jsonl"
    later.write_bytes(orjson.dumps(page))
    assert run_import(later, "twarc2", CHILD)["off_topic"] == len(page["data"])
    fold_all()
    figures = counters_from_figures(umbrella.pk)
    assert figures["engagement"]["likes"] == likes + 3 * len(page["data"])
    assert figures == counters_from_rows(umbrella.pk)


def test_an_umbrella_match_a_store_marked_pending_stays_pending_when_carried(
    campaigns: list[str],
) -> None:
    """What a store wrote for the umbrella after the initiative's rows were read is counted by
    the umbrella's own fold: carrying leaves the umbrella's pending match pending."""
    page = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    listen_for(CHILD, "Brexit")
    listen_for(UMBRELLA, "Brexit")
    child, umbrella = Campaign.objects.get(slug=CHILD), Campaign.objects.get(slug=UMBRELLA)
    run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2", UMBRELLA)
    run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2", CHILD)
    done, after = fold.fold(child.pk)
    while done:
        done, after = fold.fold(child.pk, after=after)
    assert not PostMatch.objects.filter(campaign=child, pending=True).exists()
    assert PostMatch.objects.filter(campaign=umbrella, pending=True).count() == len(page["data"])
    fold_all()
    figures = counters_from_figures(umbrella.pk)
    assert figures["total"]["posts"] == len({tweet["id"] for tweet in page["data"]})
    assert figures == counters_from_rows(umbrella.pk)


def test_an_initiative_deleted_before_its_fold_leaves_its_posts_to_its_umbrella(
    campaigns: list[str],
) -> None:
    """Its matches reach the umbrella when folded: they are folded before they go with it, so
    the umbrella keeps counting its posts, counted here from the recorded page."""
    page = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    likes = sum(tweet["public_metrics"]["like_count"] for tweet in page["data"])
    listen_for(CHILD, "Brexit")
    run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2", CHILD)
    Campaign.objects.get(slug=CHILD).delete()
    fold_all()
    umbrella = Campaign.objects.get(slug=UMBRELLA)
    counters = counters_from_figures(umbrella.pk)
    assert counters["total"]["posts"] == len(page["data"])
    assert counters["engagement"]["likes"] == likes
    assert PostMatch.objects.filter(campaign=umbrella, pending=False).count() == len(page["data"])
