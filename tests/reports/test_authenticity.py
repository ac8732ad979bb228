"""Bot-like authors, copied texts and bursts, on hand-built cases where the answer is known."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash  # type: ignore[import-untyped]

from hashrally.reports.authenticity import (
    AuthorSignals,
    Burst,
    _Signer,
    bot_like,
    bursts,
    clusters,
    normalise,
    shingles,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

# An ordinary supporter: nothing fires.
PERSON = AuthorSignals(
    network="x",
    author_id="1",
    created_at=T0 - timedelta(days=900),
    first_post_at=T0,
    posts_in_campaign=4,
    active_days=2.0,
    followers=300,
    following=400,
    name="Aysel",
    description="Teacher in Baku",
    has_default_profile=False,
    bot_label=False,
)


def signals(**changes: object) -> AuthorSignals:
    return dataclasses.replace(PERSON, **changes)  # type: ignore[arg-type]


# --- bot_like ----------------------------------------------------------------------------------


def test_it_flags_nothing_in_an_ordinary_supporter() -> None:
    assert bot_like(PERSON) == (False, [])


@pytest.mark.parametrize(
    ("changes", "fires"),
    [
        ({"created_at": T0 - timedelta(days=29)}, True),
        ({"created_at": T0 - timedelta(days=30)}, False),
        ({"created_at": T0 + timedelta(days=1)}, False),  # created after posting: bad data
        ({"created_at": None}, False),
        ({"first_post_at": None}, False),
    ],
)
def test_it_flags_a_new_account(changes: dict[str, object], fires: bool) -> None:
    assert ("new_account" in bot_like(signals(**changes))[1]) is fires


@pytest.mark.parametrize(
    ("posts", "days", "fires"),
    [
        (51, 1.0, True),
        (50, 1.0, False),
        (101, 2.0, True),
        (100, 2.0, False),
        (51, 1 / 24, True),
        # Three posts in an hour is not "72 a day": the span counts as at least a day.
        (3, 1 / 24, False),
        (50, 0.01, False),
    ],
)
def test_it_flags_a_high_posting_rate(posts: int, days: float, fires: bool) -> None:
    reasons = bot_like(signals(posts_in_campaign=posts, active_days=days))[1]
    assert ("high_rate" in reasons) is fires


@pytest.mark.parametrize(
    ("changes", "fires"),
    [
        ({"description": "", "has_default_profile": True}, True),
        ({"description": "  ", "name": ""}, True),
        ({"description": "", "has_default_profile": False}, False),
        ({"description": "", "has_default_profile": None}, False),  # unknown: no evidence
        ({"description": "Teacher", "has_default_profile": True, "name": ""}, False),
    ],
)
def test_it_flags_an_empty_profile(changes: dict[str, object], fires: bool) -> None:
    assert ("empty_profile" in bot_like(signals(**changes))[1]) is fires


@pytest.mark.parametrize(
    ("followers", "following", "fires"),
    [
        (49, 1000, True),
        (50, 1000, False),  # exactly 5 %
        (0, 999, False),  # follows too few for the ratio to mean anything
        (None, 5000, False),
        (10, None, False),
    ],
)
def test_it_flags_a_low_follower_ratio(
    followers: int | None, following: int | None, fires: bool
) -> None:
    reasons = bot_like(signals(followers=followers, following=following))[1]
    assert ("follow_ratio" in reasons) is fires


@pytest.mark.parametrize(("label", "fires"), [(True, True), (False, False), (None, False)])
def test_it_flags_the_networks_own_bot_label(label: bool | None, fires: bool) -> None:
    assert bot_like(signals(bot_label=label)) == (fires, ["network_label"] if fires else [])


def test_it_needs_two_signals_not_one() -> None:
    new = {"created_at": T0 - timedelta(days=3)}
    empty = {"description": "", "has_default_profile": True}
    assert bot_like(signals(**new)) == (False, ["new_account"])
    assert bot_like(signals(**empty)) == (False, ["empty_profile"])
    assert bot_like(signals(**new, **empty)) == (True, ["new_account", "empty_profile"])
    everything = signals(
        **new, **empty, posts_in_campaign=500, followers=1, following=4000, bot_label=True
    )
    assert bot_like(everything) == (
        True,
        ["new_account", "high_rate", "empty_profile", "follow_ratio", "network_label"],
    )


def test_it_never_flags_missing_data() -> None:
    unknown = AuthorSignals(
        network="mastodon",
        author_id="2",
        created_at=None,
        first_post_at=None,
        posts_in_campaign=1,
        active_days=1 / 24,
        followers=None,
        following=None,
        name="Someone",
        description="Something",
        has_default_profile=None,
        bot_label=None,
    )
    assert bot_like(unknown) == (False, [])


# --- clusters ----------------------------------------------------------------------------------

TEMPLATE = (
    "Free the jailed journalists now and stop the crackdown on independent media in our "
    "country before the elections #FreeThePress @target"
)
COPIED = (
    "Our town council must publish the audit of the water company this week, we are tired "
    "of waiting for answers"
)


def test_it_normalises_texts_before_comparing() -> None:
    text = "Free @gov the #Press!! Now: https://x.co/a  www.example.org/b @user@mastodon.social"
    assert normalise(text) == "free the press now"
    assert normalise("ＦＲＥＥ   the\nPRESS") == "free the press"


def test_it_signs_texts_with_datasketch_minhashes() -> None:
    texts = [TEMPLATE, COPIED, "two words", "one"]
    docs = [shingles(normalise(t)) for t in texts]
    signed = _Signer().sign(docs)
    for doc, row in zip(docs, signed, strict=True):
        expected = MinHash(num_perm=64, seed=1, scheme="affine32")
        expected.update_batch(doc)
        assert np.array_equal(expected.hashvalues, row)


def test_it_counts_template_use_with_small_edits_as_template_not_suspect() -> None:
    posts = [
        ("t1", TEMPLATE),
        ("t2", TEMPLATE.replace("@target", "@minister")),
        ("t3", TEMPLATE.upper() + " Please share!"),
        ("t4", TEMPLATE.replace("jailed", "imprisoned")),
        ("t5", "RT this: " + TEMPLATE.replace(" now ", " today ")),
    ]
    result = clusters(posts, [TEMPLATE])
    assert result.template_posts == {"t1", "t2", "t3", "t4", "t5"}
    assert result.suspect_clusters == []
    assert result.suspect_posts == set()


def test_it_puts_near_identical_texts_that_are_not_templates_in_one_suspect_cluster() -> None:
    posts = [
        ("a", COPIED),
        ("b", "@someone " + COPIED + "!! https://t.co/xyz"),  # the same once normalised
        ("c", COPIED + " now"),  # near-identical: found through MinHash, not the dictionary
        ("d", "Honestly, " + COPIED),
        ("e", "I had pasta for dinner and it was lovely, thanks to my neighbour for the recipe"),
    ]
    result = clusters(posts, [TEMPLATE])
    assert result.suspect_clusters == [["a", "b", "c", "d"]]
    assert result.suspect_posts == {"a", "b", "c", "d"}
    assert result.template_posts == set()


def test_it_finds_nothing_in_unrelated_texts() -> None:
    posts = [
        ("1", "The weather in Baku is windy again today, as it is most days"),
        ("2", "Free the press! Journalists are not criminals #FreeThePress"),
        ("3", "Reading a great book about the history of the Caspian oil industry"),
        ("4", "Who else is going to the football match on Saturday evening?"),
        ("5", "#FreeThePress"),
        ("6", ""),
        ("7", "https://t.co/only-a-link"),
    ]
    result = clusters(posts, [TEMPLATE])
    assert result.template_posts == set()
    assert result.suspect_clusters == []


def test_it_groups_exact_duplicates() -> None:
    posts = [
        ("x1", "Vote NO on the new media law"),
        ("x2", "vote no on the new media law!!! https://t.co/1"),
        ("x3", "@friend Vote no on the new media law"),
        ("y1", "Two of us say the same thing"),
        ("y2", "two of us say the same thing"),
    ]
    result = clusters(posts, [TEMPLATE])
    # Two identical posts are not a cluster; three are.
    assert result.suspect_clusters == [["x1", "x2", "x3"]]


def test_it_orders_clusters_biggest_first() -> None:
    other = "Stop the dam on the river, the valley and its villages will be flooded for ever"
    posts = [(f"small{i}", COPIED) for i in range(3)] + [(f"big{i}", other) for i in range(5)]
    result = clusters(posts, [])
    assert [len(c) for c in result.suspect_clusters] == [5, 3]
    assert result.suspect_clusters[0][0] == "big0"


def test_it_uses_the_similarity_threshold() -> None:
    base = "one two three four five six seven eight nine ten eleven twelve"
    variant = "one two three four five six seven EIGHT_X nine ten eleven twelve"
    posts = [("a", base), ("b", base), ("c", variant)]
    # Three shingles of ten differ: Jaccard 7/13, far from both thresholds.
    assert clusters(posts, [], threshold=0.9).suspect_clusters == []
    assert clusters(posts, [], threshold=0.4).suspect_clusters == [["a", "b", "c"]]


def _deterministic_input() -> list[tuple[str, str]]:
    posts = []
    for i in range(300):
        if i % 3 == 0:
            posts.append((f"p{i}", TEMPLATE.replace("now", f"now {i % 7}")))
        elif i % 3 == 1:
            posts.append((f"p{i}", COPIED + f" {'really ' * (i % 4)}"))
        else:
            posts.append((f"p{i}", f"unrelated message number {i} about topic {i * 7919 % 101}"))
    return posts


def _as_json(posts: list[tuple[str, str]]) -> str:
    r = clusters(posts, [TEMPLATE])
    return json.dumps(
        [sorted(r.template_posts), r.suspect_clusters, sorted(r.suspect_posts)], sort_keys=True
    )


def test_it_clusters_alike_in_every_process() -> None:
    here = _as_json(_deterministic_input())
    assert _as_json(_deterministic_input()) == here
    # Another interpreter with another string hash seed gives the same answer.
    root = Path(__file__).resolve().parents[2]
    code = (
        "from tests.reports.test_authenticity import _as_json, _deterministic_input;"
        "print(_as_json(_deterministic_input()))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "DJANGO_SETTINGS_MODULE": "tests.settings"}
    there = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert there == here


# --- bursts ------------------------------------------------------------------------------------


def _posts(start: datetime, n: int, every: timedelta, new: bool) -> list[tuple[datetime, bool]]:
    return [(start + i * every, new) for i in range(n)]


def test_it_finds_a_burst_in_many_posts_from_new_accounts_in_minutes() -> None:
    events = _posts(T0, 25, timedelta(seconds=12), new=True)  # 25 posts in under 5 minutes
    assert bursts(events) == [
        Burst(start=T0, end=T0 + 24 * timedelta(seconds=12), posts=25, new_account_posts=25)
    ]


def test_it_finds_no_burst_in_the_same_from_old_accounts() -> None:
    assert bursts(_posts(T0, 25, timedelta(seconds=12), new=False)) == []


def test_it_uses_the_new_account_share_and_count_thresholds() -> None:
    half = [(T0 + timedelta(seconds=i), i % 2 == 0) for i in range(20)]
    assert [b.new_account_posts for b in bursts(half)] == [10]
    assert bursts(half, min_new_share=0.6) == []
    assert bursts(half[:19]) == []  # 19 posts, 10 new: enough share, too few posts


def test_it_merges_overlapping_windows_of_unsorted_input() -> None:
    first = _posts(T0, 25, timedelta(seconds=10), new=True)  # 12:00 to 12:04
    second = _posts(T0 + timedelta(minutes=8), 25, timedelta(seconds=10), new=True)  # 12:08-12:12
    later = _posts(T0 + timedelta(hours=2), 30, timedelta(seconds=5), new=True)
    events = list(reversed(first + second + later))
    found = bursts(events)
    assert found == [
        Burst(
            start=T0,
            end=T0 + timedelta(minutes=8) + 24 * timedelta(seconds=10),
            posts=50,
            new_account_posts=50,
        ),
        Burst(
            start=T0 + timedelta(hours=2),
            end=T0 + timedelta(hours=2) + 29 * timedelta(seconds=5),
            posts=30,
            new_account_posts=30,
        ),
    ]


def test_it_uses_the_window_length() -> None:
    spread = _posts(T0, 20, timedelta(minutes=1), new=True)  # 20 posts over 19 minutes
    assert bursts(spread) == []
    assert len(bursts(spread, window_minutes=20)) == 1


def test_it_finds_no_bursts_without_events() -> None:
    assert bursts([]) == []
