"""The authenticity figures the fold keeps (reports/copies.py, reports/flags.py, the dataset
hash) against the rules applied at once to the same posts, as read from the files imported.

The posts are recorded X texts (tests/fixtures/recorded/x, the originals of the brexit and kpop
pages), copied and edited the ways copied campaigns are, and folded a few at a time so that
clusters, bursts and the hash are built across many folds."""

from __future__ import annotations

import csv
import datetime as dt
import random
from io import StringIO
from pathlib import Path

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hashrally.campaigns.models import Campaign
from hashrally.listening.models import Author
from hashrally.reports import authenticity, copies, fold
from hashrally.reports.extras import compute_extras
from hashrally.reports.models import Figure
from tests.fakes import ROOT
from tests.listening.fakes import run_import
from tests.reports.fakes import CHILD, listen_for

pytestmark = pytest.mark.django_db
RECORDED = ROOT / "tests" / "fixtures" / "recorded" / "x"
START = dt.datetime(2026, 2, 26, 9, 0, tzinfo=dt.UTC)


def recorded_texts() -> list[str]:
    """The original (not retweeted) texts of two recorded X search pages."""
    texts = []
    for name in ("brexit.jsonl", "kpop.jsonl"):
        page = orjson.loads((RECORDED / name).read_bytes())
        for tweet in page["data"]:
            kinds = {ref["type"] for ref in tweet.get("referenced_tweets") or []}
            if "retweeted" not in kinds:
                texts.append(tweet["text"])
    return texts


def write_posts(tmp_path: Path, posts: list[tuple[str, str, dt.datetime]]) -> Path:
    """(author, text, time) as hashrally's CSV import reads them, every post tagged #Khojaly."""
    out = StringIO()
    writer = csv.writer(out)
    writer.writerow(["url", "author", "text", "created", "language", "likes", "reposts"])
    for n, (author, text, moment) in enumerate(posts):
        writer.writerow(
            [
                f"https://x.com/{author}/status/{1000 + n}",
                author,
                f"{text} #Khojaly",
                moment.isoformat().replace("+00:00", "Z"),
                "en",
                n % 7,
                n % 3,
            ]
        )
    path = tmp_path / "posts.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def fold_in_steps(campaign: Campaign, step: int) -> None:
    done, after = fold.fold(campaign.pk, limit=step)
    while done:
        done, after = fold.fold(campaign.pk, limit=step, after=after)


def copied_campaign_posts() -> list[tuple[str, str, dt.datetime]]:
    """Recorded texts as written, and the shapes of copying: the same text from several
    accounts, the same with a word or link of one's own, and one text in many near copies."""
    rng = random.Random(7)
    texts = recorded_texts()
    posts: list[tuple[str, str, dt.datetime]] = []
    for n, text in enumerate(texts):
        posts.append((f"own{n}", text, START + dt.timedelta(minutes=n)))
    for n, text in enumerate(texts[:12]):
        for copy in range(n % 4 + 1):
            edit = ["", " today", " https://t.co/x" + str(copy), " !!"][copy % 4]
            moment = START + dt.timedelta(hours=2, minutes=n)
            posts.append((f"copier{n}_{copy}", text + edit, moment))
    spam = (
        "Cheap followers and likes for your account fast delivery at example dot com, real "
        "people, no password needed, thousands of happy customers every single day this week"
    )
    for n in range(9):
        posts.append((f"spam{n}", f"{spam} code {n}", START + dt.timedelta(hours=3, seconds=n)))
    rng.shuffle(posts)
    return posts


def test_it_keeps_the_clusters_the_rules_find_at_once(campaigns: list[str], tmp_path: Path) -> None:
    posts = copied_campaign_posts()
    campaign = Campaign.objects.get(slug=CHILD)
    variant = recorded_texts()[3]
    campaign.variants.create(language="en", position=9, text=variant)
    posts.append(("fan", variant + " from me", START))
    run_import(write_posts(tmp_path, posts), "csv")
    fold_in_steps(campaign, 5)
    kept = copies.clusters(campaign.pk)
    # The rules over the file's texts, as the import read them (with the tag).
    expected = authenticity.clusters(
        [(f"{author}:{n}", f"{text} #Khojaly") for n, (author, text, _) in enumerate(posts)],
        [variant],
    )
    assert kept.template_posts == len(expected.template_posts) >= 2
    assert [posts for _, posts, _ in kept.suspect] == [
        len(cluster) for cluster in expected.suspect_clusters
    ]
    assert kept.suspect_posts == len(expected.suspect_posts) > 9
    # Each sample is one of its cluster's texts.
    extras = compute_extras(campaign)["authenticity"]
    assert extras["suspect_cluster_posts"] == len(expected.suspect_posts)
    spam = [c for c in extras["suspect_clusters"] if c["sample"].startswith("Cheap followers")]
    assert len(spam) == 1 and spam[0]["posts"] == 9


def test_it_joins_two_clusters_when_a_later_text_bridges_them(
    campaigns: list[str], tmp_path: Path
) -> None:
    # Words chosen so that the middle text shares an LSH bucket with each of the others.
    words = [f"w16x{n}" for n in range(40)]
    middle = " ".join(words)
    left = " ".join(["p", "q", *words[:-5]])
    right = " ".join([*words[5:], "x", "y"])
    # Apart, the left and right texts are not alike; each is like the middle one.
    sketch = authenticity.Sketch([])
    signed = sketch.sign(
        [
            authenticity.shingles(authenticity.normalise(f"{t} #Khojaly"))
            for t in (left, middle, right)
        ]
    )
    keys = sketch.band_keys(signed)
    assert not sketch.similar(signed[0], signed[2][None, :])[0]
    for other in (0, 2):
        assert sketch.similar(signed[1], signed[other][None, :])[0]
        assert (keys[1] == keys[other]).any()
    posts = [(f"l{n}", left, START) for n in range(2)]
    posts += [(f"r{n}", right, START) for n in range(2)]
    posts.append(("m", middle, START))
    run_import(write_posts(tmp_path, posts), "csv")
    campaign = Campaign.objects.get(slug=CHILD)
    fold_in_steps(campaign, 2)  # left, then right, then the bridge
    kept = copies.clusters(campaign.pk)
    assert [posts for _, posts, _ in kept.suspect] == [5]


def test_it_finds_the_bursts_the_rules_find_in_all_posts(
    campaigns: list[str], tmp_path: Path
) -> None:
    """Posts from new and old accounts, thick around ten-minute marks: the kept spans give
    exactly the bursts of all the posts, also one that starts with too few new accounts in its
    first ten minutes and goes on in the next."""
    rng = random.Random(11)
    texts = recorded_texts()
    posts: list[tuple[str, str, dt.datetime]] = []
    new_authors: set[str] = set()
    # Two hours on: 20 posts from new accounts in 11:00:00-11:00:19, 25 in 11:08, 3 at 11:10:30,
    # 60 from old accounts in 11:11-11:17. The burst ends at 11:08; a window from 11:08 cut at
    # 11:11 would look like one too, and carry it on to 11:10:30.
    late = START + dt.timedelta(hours=2)
    for n, (second, is_new) in enumerate(
        [(s, True) for s in range(20)]
        + [(8 * 60 + 2 * s, True) for s in range(25)]
        + [(10 * 60 + 30, True)] * 3
        + [(11 * 60 + 6 * s, False) for s in range(60)]
    ):
        posts.append((f"trap{n}", rng.choice(texts), late + dt.timedelta(seconds=second)))
        if is_new:
            new_authors.add(f"trap{n}")
    # At the edge: one post at 13:00:59, 22 in 13:10:00-13:10:42, all from new accounts: the
    # window from the first holds them all.
    edge = START + dt.timedelta(hours=4)
    for n, second in enumerate([59] + [600 + 2 * s for s in range(22)]):
        posts.append((f"edge{n}", rng.choice(texts), edge + dt.timedelta(seconds=second)))
        new_authors.add(f"edge{n}")
    # Just half: four posts a minute for ten minutes from 15:00, two of them from new accounts,
    # then four from old ones in 15:10:50-15:10:59.
    even = START + dt.timedelta(hours=6)
    for n, second in enumerate([60 * m + 15 * k for m in range(10) for k in range(4)]):
        posts.append((f"even{n}", rng.choice(texts), even + dt.timedelta(seconds=second)))
        if n % 2:
            new_authors.add(f"even{n}")
    for n in range(4):
        moment = even + dt.timedelta(seconds=650 + 3 * n)
        posts.append((f"evenold{n}", rng.choice(texts), moment))
    # 8 posts from new accounts in 09:57-09:59, 14 more in 10:00-10:03, nothing else then.
    for n in range(22):
        second = 57 * 60 + n * 20 if n < 8 else 60 * 60 + (n - 8) * 15
        posts.append((f"straddle{n}", rng.choice(texts), START + dt.timedelta(seconds=second)))
        new_authors.add(f"straddle{n}")
    for n in range(400):
        cluster = rng.choice([0, 1, 2, 3])
        minute = [7.0, 9.5, 19.0, 42.0][cluster] + rng.random() * 6
        author = f"a{n}"
        # New accounts early in each spell, old ones late: a window cut short looks new.
        if rng.random() < (0.85 if minute - int(minute / 10) * 10 < 9 else 0.1):
            new_authors.add(author)
        moment = START + dt.timedelta(seconds=round(minute * 60))
        posts.append((author, rng.choice(texts), moment))
    run_import(write_posts(tmp_path, posts), "csv")
    for author, _, _ in posts:
        created = START - dt.timedelta(days=2 if author in new_authors else 400)
        Author.objects.create(network="x", author_id=author, handle=author, created_at=created)
    campaign = Campaign.objects.get(slug=CHILD)
    fold_in_steps(campaign, 37)
    expected = authenticity.bursts((moment, author in new_authors) for author, _, moment in posts)
    assert len(expected) > 2, "the posts were meant to hold bursts"
    assert any(b.start == START + dt.timedelta(minutes=57) for b in expected)
    assert any(b.start == late and b.posts == 45 for b in expected)
    assert any(b.start == edge + dt.timedelta(seconds=59) and b.posts == 23 for b in expected)
    assert any(b.start == even for b in expected)
    found = compute_extras(campaign)["authenticity"]
    assert found["bursts"] == len(expected)
    assert found["burst_windows"] == [
        {
            "start": b.start.isoformat(),
            "end": b.end.isoformat(),
            "posts": b.posts,
            "new_account_posts": b.new_account_posts,
        }
        for b in expected
    ]


def test_it_flags_the_authors_the_rules_flag(campaigns: list[str], tmp_path: Path) -> None:
    """Profiles at each rule's edge, with the whitespace and missing data real profiles have."""
    profiles = {
        # name, description, followers, following, created days before, label
        "blank_space": ("\u3000", "\n\t", 10, 5000, 400, None),  # empty + ratio: bot
        "ratio_edge": ("", "", 50, 1000, 400, None),  # 50/1000 is not under 5 %: one signal
        "ratio_under": ("", "", 49, 1000, 400, None),  # empty + ratio: bot
        "new_empty": ("", " ", None, None, 3, None),  # new + empty: bot
        "new_named": ("Ayla", "", None, None, 3, None),  # new only
        "labelled": ("Bot", "About", 100, 10, 400, True),  # the network's label: bot
        "ordinary": ("Orhan", "Teacher", 300, 200, 900, False),
    }
    posts = [(author, f"My own words number {n}", START) for n, author in enumerate(profiles)]
    posts.append(("unknown", "No profile at all", START))  # no Author row: empty profile only
    posts += [("fast", f"Again and again {n}", START + dt.timedelta(minutes=n)) for n in range(60)]
    run_import(write_posts(tmp_path, posts), "csv")
    for author, (name, about, followers, following, days, label) in profiles.items():
        Author.objects.create(
            network="x",
            author_id=author,
            handle=author,
            name=name,
            description=about,
            followers=followers,
            following=following,
            created_at=START - dt.timedelta(days=days),
            bot_label=label,
        )
    # 60 posts in an hour, and an empty profile: bot.
    Author.objects.create(network="x", author_id="fast", handle="fast", created_at=START)
    campaign = Campaign.objects.get(slug=CHILD)
    fold_in_steps(campaign, 4)
    flags = compute_extras(campaign)["authenticity"]
    assert flags["bot_like_authors"] == 5
    assert flags["bot_like_posts"] == 4 + 60
    assert flags["bot_like_reasons"] == {
        "empty_profile": 4,
        "follow_ratio": 2,
        "new_account": 2,  # new_empty, and fast (its account made the day it posted)
        "high_rate": 1,
        "network_label": 1,
    }


def _hash(campaign: Campaign) -> str:
    return compute_extras(campaign)["dataset_sha256"]


def test_it_hashes_the_dataset_whatever_the_order_and_follows_every_change(
    campaigns: list[str], tmp_path: Path
) -> None:
    child = Campaign.objects.get(slug=CHILD)
    sibling = Campaign.objects.create(slug="sibling", parent=child.parent, status="live")
    for slug in (CHILD, sibling.slug):
        listen_for(slug, "Brexit")
        run_import(RECORDED / "brexit.jsonl", "twarc2", slug)
    fold_in_steps(child, 1000)
    fold_in_steps(sibling, 3)
    assert _hash(child) == _hash(sibling)
    first = _hash(child)
    page = orjson.loads((RECORDED / "brexit.jsonl").read_bytes())
    page["data"][0]["public_metrics"]["like_count"] += 1
    again = tmp_path / "brexit-later.jsonl"
    again.write_bytes(orjson.dumps(page))
    run_import(again, "twarc2", CHILD)
    fold_in_steps(child, 1000)
    changed = _hash(child)
    assert changed != first
    # Counted afresh from the posts as they now are, the hash is the one kept by the changes.
    late = Campaign.objects.create(slug="late", parent=child.parent, status="live")
    listen_for(late.slug, "Brexit")
    run_import(again, "twarc2", late.slug)
    fold_in_steps(late, 7)
    assert _hash(late) == changed


def test_the_report_command_checks_the_counters_when_asked(
    campaigns: list[str], tmp_path: Path
) -> None:
    listen_for(CHILD, "Brexit")
    run_import(RECORDED / "brexit.jsonl", "twarc2")
    out = StringIO()
    call_command("report", CHILD, "--recount", stdout=out)
    assert orjson.loads(out.getvalue())["posts"]["total"] == 100
    campaign = Campaign.objects.get(slug=CHILD)
    Figure.objects.filter(campaign=campaign, dimension="language", key="en").update(value=1)
    with pytest.raises(CommandError, match=r"language 'en': 1 kept, [0-9]+ counted"):
        call_command("report", CHILD, "--recount", stdout=StringIO())


def test_it_compares_the_texts_again_when_the_campaign_texts_change(
    campaigns: list[str], tmp_path: Path
) -> None:
    text = max(recorded_texts(), key=len)
    posts = [(f"fan{n}", f"{text} {word}", START) for n, word in enumerate(["a", "b", "c", "d"])]
    run_import(write_posts(tmp_path, posts), "csv")
    campaign = Campaign.objects.get(slug=CHILD)
    fold_in_steps(campaign, 3)
    flags = compute_extras(campaign)["authenticity"]
    assert (flags["template_posts"], flags["suspect_cluster_posts"]) == (0, 4)
    # The organiser adds the text they copied as one of the campaign's: template use.
    variant = campaign.variants.create(language="en", position=9, text=text)
    fold_in_steps(campaign, 3)
    flags = compute_extras(campaign)["authenticity"]
    assert (flags["template_posts"], flags["suspect_cluster_posts"]) == (4, 0)
    variant.delete()
    fold_in_steps(campaign, 3)
    flags = compute_extras(campaign)["authenticity"]
    assert (flags["template_posts"], flags["suspect_cluster_posts"]) == (0, 4)
