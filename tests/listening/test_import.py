from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import CommandError, call_command

from hashrally.listening import jsonlines, pipeline
from hashrally.listening.models import Author, CollectionRun, Post, PostMatch, RawPage, RunProblem
from tests.fakes import ROOT, subprocess_database_url
from tests.listening.fakes import FIXTURES, SLUG, recorded_statuses, run_import

pytestmark = pytest.mark.django_db


def test_it_imports_twarc2_jsonl(campaigns: list[str]) -> None:
    summary = run_import(FIXTURES / "x" / "brexit.jsonl", "twarc2")
    # The Brexit page carries none of the test campaign's hashtags: all of it is off-topic.
    assert summary == {
        "read": 100,
        "new": 100,
        "updated": 0,
        "duplicates": 0,
        "off_topic": 100,
        "errors": 0,
        "problems": [],
    }
    assert Post.objects.filter(network="x").count() == 100
    assert Author.objects.filter(network="x").count() >= 90
    post = Post.objects.exclude(reposts=None).first()
    assert post is not None and post.url.startswith("https://x.com/")
    assert RawPage.objects.count() == 1
    # The raw line is kept exactly, compressed.
    raw = RawPage.objects.get()
    line = (FIXTURES / "x" / "brexit.jsonl").read_bytes().strip()
    assert raw.raw() == line and len(raw.payload) < len(line) / 3
    run = CollectionRun.objects.get()
    assert (run.status, run.source) == ("finished", "import:twarc2")


def test_it_names_where_a_line_has_another_shape(campaigns: list[str], tmp_path: Path) -> None:
    path = tmp_path / "shapes.jsonl"
    good = (FIXTURES / "x" / "two_tweets.jsonl").read_bytes().strip()
    path.write_bytes(
        b"\n".join([b'{"data": [{"id": "1", "entities": {"hashtags": 5}}]}', good, b"[1, 2]"])
    )
    summary = run_import(path, "twarc2")
    assert (summary["read"], summary["errors"]) == (1, 2)
    reasons = dict(RunProblem.objects.values_list("where", "reason"))
    assert "not the expected shape" in reasons["shapes.jsonl:1"]
    assert "$.data[0].entities.hashtags" in reasons["shapes.jsonl:1"]
    assert "not the expected shape" in reasons["shapes.jsonl:3"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_moment_beyond_the_calendar_in_utc_is_kept_as_unknown(
    campaigns: list[str], tmp_path: Path, moment: str
) -> None:
    """A time that UTC cannot hold (year 0 or 10000 once converted) is not a time the post
    has: the post is kept without one, as for any unreadable time, and the import goes on."""
    page = orjson.loads((FIXTURES / "x" / "two_tweets.jsonl").read_bytes().splitlines()[0])
    page["data"][0]["created_at"] = moment
    path = tmp_path / "moments.jsonl"
    path.write_bytes(orjson.dumps(page) + b"\n")
    summary = run_import(path, "twarc2")
    assert (summary["read"], summary["errors"]) == (len(page["data"]), 0)
    assert Post.objects.get(post_id=page["data"][0]["id"]).created_at is None


@pytest.mark.parametrize("count", [2**63, 10**30, -(2**63) - 1, True])
def test_a_count_no_database_can_hold_is_kept_as_unknown(
    campaigns: list[str], tmp_path: Path, count: object
) -> None:
    """A like count beyond 64 bits (or a boolean where a count belongs) is not a count: the
    post is kept without it, and the import goes on."""
    page = orjson.loads((FIXTURES / "x" / "two_tweets.jsonl").read_bytes().splitlines()[0])
    page["data"][0]["public_metrics"]["like_count"] = 0  # replaced below, beyond orjson's range
    line = orjson.dumps(page).replace(
        b'"like_count":0', b'"like_count":' + json.dumps(count).encode(), 1
    )
    path = tmp_path / "counts.jsonl"
    path.write_bytes(line + b"\n")
    summary = run_import(path, "twarc2")
    assert (summary["read"], summary["errors"]) == (len(page["data"]), 0)
    assert Post.objects.get(post_id=page["data"][0]["id"]).likes is None


def test_it_keeps_a_long_posts_full_text_and_entities(campaigns: list[str], tmp_path: Path) -> None:
    long_text = "A long post " + "word " * 70 + "#Khojaly @hikmethajiyev"
    tweet = {
        "id": "42",
        "author_id": "7",
        "text": long_text[:270] + "…",
        "entities": {"hashtags": []},
        "note_tweet": {
            "text": long_text,
            "entities": {
                "hashtags": [{"tag": "Khojaly"}],
                "mentions": [{"username": "HikmetHajiyev"}],
            },
        },
    }
    path = tmp_path / "long.jsonl"
    path.write_bytes(orjson.dumps({"data": [tweet], "includes": {"users": []}}))
    run_import(path, "twarc2")
    post = Post.objects.get(post_id="42")
    assert (post.text, post.hashtags, post.mentions) == (long_text, ["khojaly"], ["hikmethajiyev"])


def test_it_counts_and_skips_broken_lines(campaigns: list[str]) -> None:
    summary = run_import(FIXTURES / "x" / "streaming_output_with_error.jsonl", "twarc2")
    assert summary["read"] == 7 and summary["errors"] == 1
    problem = RunProblem.objects.get()
    assert problem.where.endswith(":8") and "not JSON" in problem.reason


def test_it_counts_api_error_lines(campaigns: list[str], tmp_path: Path) -> None:
    path = tmp_path / "with_errors.jsonl"
    good = (FIXTURES / "x" / "two_tweets.jsonl").read_bytes().strip()
    error = orjson.dumps({"errors": [{"title": "Too Many Requests", "detail": "Rate limit"}]})
    path.write_bytes(b"\n".join([error, good, b"{not json", error]) + b"\n")
    summary = run_import(path, "twarc2")
    assert (summary["read"], summary["errors"]) == (1, 3)
    assert RunProblem.objects.filter(reason__contains="API error object").count() == 2


def test_it_stores_a_post_once_however_often_it_comes(
    campaigns: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = (FIXTURES / "x" / "kpop.jsonl").read_bytes().strip()
    path = tmp_path / "twice.jsonl"
    path.write_bytes(line + b"\n" + line + b"\n")
    summary = run_import(path, "twarc2")
    assert summary["new"] == summary["duplicates"] == summary["read"] // 2
    again = run_import(FIXTURES / "x" / "kpop.jsonl", "twarc2")
    assert again["updated"] == again["read"] and again["new"] == 0
    assert Post.objects.count() == summary["new"]
    # Imported again, twice in one file and each time in a batch of its own: updated the first
    # time within the run, a duplicate the second (the count was "updated" both times).
    monkeypatch.setattr(pipeline, "BATCH_PAGES", 1)
    posts = len({tweet["id"] for tweet in orjson.loads(line)["data"]})
    twice_again = run_import(path, "twarc2")
    assert (twice_again["new"], twice_again["updated"], twice_again["duplicates"]) == (
        0,
        posts,
        posts,
    )


def test_it_matches_the_campaigns_hashtags_and_targets(
    campaigns: list[str], tmp_path: Path
) -> None:
    page = {
        "data": [
            {
                "id": "1",
                "text": "#xocalı #RecognizeToReconcile @NikolPashinyan please",
                "author_id": "9",
                "created_at": "2022-02-24T10:00:00.000Z",
                "lang": "en",
                "entities": {
                    "hashtags": [{"tag": "xocalı"}, {"tag": "RecognizeToReconcile"}],
                    "mentions": [{"username": "NikolPashinyan"}],
                },
                "public_metrics": {"repost_count": 3, "like_count": 1, "reply_count": 0},
            }
        ],
        "includes": {"users": [{"id": "9", "username": "someone", "name": "S"}]},
    }
    path = tmp_path / "one.jsonl"
    path.write_bytes(orjson.dumps(page) + b"\n")
    run_import(path, "twarc2")
    match = PostMatch.objects.get(campaign__slug=SLUG)
    assert match.hashtags == ["recognizetoreconcile"]
    assert match.targets == ["nikolpashinyan"]
    assert Post.objects.get().reposts == 3


def test_it_imports_csv_and_names_bad_rows(campaigns: list[str], tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(
        "url,author,text,created,likes\n"
        "https://x.com/a/status/11,@a,Hello #Khojaly @atatoyan,2022-02-24T10:00:00Z,5\n"
        "https://bsky.app/profile/b.bsky.social/post/3abc,b.bsky.social,Text #RecognizeToReconcile,"
        "2022-02-24T11:00:00+00:00,\n"
        "https://x.com/c/status/12,,no author,2022-02-24T10:00:00Z,\n"
        "https://x.com/d/status/13,@d,bad time,yesterday,\n"
        "https://x.com/e/status/14,@e,Hello, world,2022-02-24T10:00:00Z,3\n",
        encoding="utf-8",
    )
    summary = run_import(path, "csv")
    assert (summary["read"], summary["new"], summary["errors"]) == (2, 2, 3)
    assert set(Post.objects.values_list("network", flat=True)) == {"x", "bluesky"}
    reasons = sorted(RunProblem.objects.values_list("where", "reason"))
    assert reasons[0][0].endswith(":4") and "missing author" in reasons[0][1]
    assert "not an ISO 8601 time" in reasons[1][1]
    assert reasons[2][0].endswith(":6") and "6 fields where the header names 5" in reasons[2][1]


def test_it_refuses_a_csv_without_the_needed_columns(campaigns: list[str], tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("link,who\nx,y\n", encoding="utf-8")
    with pytest.raises(CommandError, match="url, author, text and created"):
        run_import(path, "csv")
    assert not Post.objects.exists()


def test_it_imports_mastodon_and_bluesky_json(campaigns: list[str], tmp_path: Path) -> None:
    import yaml

    cassette = yaml.safe_load((FIXTURES / "mastodon" / "test_hashtag_tl.yaml").read_text())
    statuses = next(
        json.loads(i["response"]["body"]["string"])
        for i in cassette["interactions"]
        if "timelines/tag" in i["request"]["uri"]
    )
    path = tmp_path / "statuses.jsonl"
    path.write_bytes(orjson.dumps(statuses) + b"\n")
    assert run_import(path, "mastodon")["new"] == len(statuses)
    post = Post.objects.get(network="mastodon")
    assert post.post_id == statuses[0]["uri"] and post.hashtags == ["hoot"]

    cassette = yaml.safe_load((FIXTURES / "bluesky" / "f_search.yml").read_text())
    page = json.loads(cassette["http_interactions"][0]["response"]["body"]["string"])
    path = tmp_path / "search.json"
    path.write_bytes(orjson.dumps(page) + b"\n")
    summary = run_import(path, "bluesky")
    assert summary["new"] == len(page["posts"]) > 0
    assert (
        Post.objects.filter(network="bluesky", url__startswith="https://bsky.app/profile/").count()
        == summary["new"]
    )


def test_it_detects_a_language_only_where_none_is_given(
    campaigns: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(
        "url,author,text,created,language\n"
        "https://x.com/a/status/21,a,Xocalı soyqırımını tanıyın və sülhə töhfə verin,"
        "2022-02-24T10:00:00Z,\n"
        "https://x.com/a/status/22,a,Recognize the tragedy and help peace,"
        "2022-02-24T10:00:00Z,tr\n",
        encoding="utf-8",
    )
    run_import(path, "csv")
    detected = Post.objects.get(post_id="21")
    assert (detected.language, detected.language_detected) == ("az", True)
    given = Post.objects.get(post_id="22")
    assert (given.language, given.language_detected) == ("tr", False)


def test_it_names_a_missing_file_and_an_unknown_campaign(campaigns: list[str]) -> None:
    with pytest.raises(CommandError, match="no such file"):
        run_import("/nonexistent.jsonl", "twarc2")
    with pytest.raises(CommandError, match="no campaign with slug 'nope'"):
        call_command("import", "nope", str(FIXTURES / "x" / "kpop.jsonl"), "--format", "twarc2")


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def big_file(path: Path, lines: int) -> set[str]:
    template = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    ids: set[str] = set()
    with path.open("wb") as handle:
        for line in range(lines):
            for n, tweet in enumerate(template["data"]):
                tweet["id"] = f"{line:05d}{n:03d}"
                ids.add(tweet["id"])
            handle.write(orjson.dumps(template) + b"\n")
    return ids


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("parse_in", ["this process", "parsing processes"])
def test_it_resumes_after_kill_9_without_loss_or_duplicates(
    campaigns: list[str], tmp_path: Path, parse_in: str
) -> None:
    path = tmp_path / "big.jsonl"
    ids = big_file(path, 300)
    url = subprocess_database_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url,
        "HASHRALLY_PARALLEL_IMPORT_BYTES": "0" if parse_in == "parsing processes" else str(1 << 40),
    }
    command = [
        sys.executable,
        "-m",
        "hashrally",
        "import",
        SLUG,
        str(path),
        "--format",
        "twarc2",
        "--json",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and CollectionRun.objects.filter(pages__gte=20).count() == 0:
        time.sleep(0.05)
    children = children_of(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    if parse_in == "parsing processes":
        assert children, "no parsing process was started"
        # They end with the importer rather than wait forever for work.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(map(running, children)):
            time.sleep(0.1)
        assert not any(map(running, children))
    run = CollectionRun.objects.get()
    assert run.status == "running" and 0 < run.pages < 300, "the import ended before it was killed"
    stored_before = Post.objects.count()
    assert stored_before == run.new == run.pages * 100

    finished = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    summary = json.loads(finished.stdout)
    assert summary["read"] == summary["new"] == 30_000
    assert set(Post.objects.values_list("post_id", flat=True)) == ids
    assert Post.objects.count() == 30_000
    assert CollectionRun.objects.get().status == "finished"


def mixed_file(tmp_path: Path) -> Path:
    """Pages of several shapes, broken lines among them, and no line break at the end."""
    lines = [
        (FIXTURES / "x" / "kpop.jsonl").read_bytes().strip(),
        *(FIXTURES / "x" / "streaming_output_with_error.jsonl").read_bytes().splitlines()[:2],
        b"{not json",
        b"",
        (FIXTURES / "x" / "two_tweets.jsonl").read_bytes().strip(),
        orjson.dumps({"errors": [{"detail": "Rate limit"}]}),
        *(FIXTURES / "x" / "brexit.jsonl").read_bytes().splitlines(),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines))
    return path


Outcome = tuple[dict[str, int], list[tuple[Any, ...]], list[tuple[Any, ...]]]


def import_outcome(path: Path) -> Outcome:
    """What an import stored: its summary, problems, posts and authors; then forgets them."""
    summary = run_import(path, "twarc2")
    problems = sorted(RunProblem.objects.values_list("where", "reason"))
    stored: list[tuple[Any, ...]] = sorted(
        Post.objects.values_list("post_id", "author_handle", "language", "hashtags")
    )
    stored += sorted(Author.objects.values_list("author_id", "handle", "followers"))
    Post.objects.all().delete()
    Author.objects.all().delete()
    CollectionRun.objects.all().delete()
    return summary, problems, stored


def test_it_gets_from_parsing_processes_what_this_process_gets(
    campaigns: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines cut into many small ranges: the same posts, problems and line numbers."""
    path = mixed_file(tmp_path)
    monkeypatch.setattr(jsonlines, "PARALLEL_FROM_BYTES", 1 << 40)
    serial = import_outcome(path)
    monkeypatch.setattr(jsonlines, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(jsonlines, "RANGE_BYTES", 1000)
    assert import_outcome(path) == serial
    assert [where for where, _ in serial[1]] == ["mixed.jsonl:4", "mixed.jsonl:7"]

    # And with its first ranges parsed before the campaign was known (`hashrally import`
    # does that while Django starts).
    jsonlines.start_early(None, path, "twarc2")
    assert import_outcome(path) == serial

    # And when the writer parses ranges itself while it waits, from its first wait on.
    helped: list[int] = []
    own = jsonlines._range_chunks

    def counted(*args: Any) -> Any:
        helped.append(1)
        return own(*args)

    monkeypatch.setattr(jsonlines, "HELP_AFTER_WAITING", -1.0)
    monkeypatch.setattr(jsonlines, "AHEAD_PER_WORKER", 2)  # ranges left for the writer
    monkeypatch.setattr(jsonlines, "_range_chunks", counted)
    assert import_outcome(path) == serial
    assert helped, "the writer parsed no range itself"


def test_a_range_parsed_ahead_serves_only_a_read_of_the_same_file_from_its_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What start_early parsed is what the range holds, claimed by an import from the file's
    start; an import resumed elsewhere, or of the file rewritten since, parses afresh, and
    meets every author its own ranges bring (none skipped as already seen ahead)."""
    path = mixed_file(tmp_path)
    monkeypatch.setattr(jsonlines, "RANGE_BYTES", 1000)
    ranges = list(jsonlines._ranges(path, 0))
    assert len(ranges) >= 4
    monkeypatch.setattr(jsonlines, "_worker_parsers", {})
    monkeypatch.setattr(jsonlines, "_speculating_parsers", {})
    monkeypatch.setattr(jsonlines, "_speculated", {})
    parsed: list[int] = []
    own = jsonlines._parsed

    def counted(*args: Any) -> Any:
        parsed.append(args[2])
        return own(*args)

    def read(start: int, end: int, origin: int) -> bytes:
        chunks, lines = jsonlines._range_chunks(str(path), "twarc2", start, end, None, origin)
        return jsonlines._ENCODER.encode([chunks, lines])

    def fresh(start: int, end: int) -> bytes:
        jsonlines._worker_parsers.clear()
        return read(start, end, -1)

    expected = [fresh(*r) for r in ranges]
    jsonlines._worker_parsers.clear()
    for start, end in ranges[:3]:
        jsonlines._speculate(str(path), "twarc2", start, end, jsonlines._identity(path))
    monkeypatch.setattr(jsonlines, "_parsed", counted)
    claimed = [read(*r, 0) for r in ranges[:2]]
    assert claimed == expected[:2] and parsed == []

    # Resumed at the third range: parsed afresh, with every author it brings.
    assert read(*ranges[2], ranges[2][0]) == fresh(*ranges[2])
    assert parsed == [ranges[2][0]] * 2 and not jsonlines._speculated

    # Rewritten since: parsed afresh.
    jsonlines._speculate(str(path), "twarc2", *ranges[0], jsonlines._identity(path))
    path.write_bytes(path.read_bytes().replace(b"#", b"#x"))
    parsed.clear()
    read(*jsonlines._ranges(path, 0).__next__(), 0)
    assert parsed == [0] and not jsonlines._speculated


@pytest.mark.parametrize(
    ("url", "network"),
    [
        ("https://mobile.twitter.com/ayla/status/1628742392412090370", "x"),
        ("https://bsky.app/profile/ayla.bsky.social/post/3l6oveex3ii2l", "bluesky"),
        ("https://fosstodon.org/@ayla/113387226455018468", "mastodon"),
        # Ends like x.com but is another site: a post there is not X's.
        ("https://fox.com/@ayla/113387226455018468", "mastodon"),
    ],
)
def test_it_tells_a_csv_rows_network_by_its_address(url: str, network: str) -> None:
    from hashrally.listening.importers import csv_row

    row = {"url": url, "author": "ayla", "text": "#Khojaly", "created": "2026-02-26T08:00:00Z"}
    assert csv_row(row).network == network


def test_it_names_refused_lines_on_stderr_and_exits_2_keeping_the_good_ones(
    campaigns: list[str], tmp_path: Path
) -> None:
    good = (FIXTURES / "x" / "two_tweets.jsonl").read_bytes().strip()
    lines = [good, *[b"{not json" for _ in range(7)], good.replace(b'"id"', b'"id" ', 1)]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(
            "import", SLUG, str(path), "--format", "twarc2", "--json", stdout=out, stderr=err
        )
    assert refused.value.returncode == 2
    assert "7 lines or pages refused" in str(refused.value)
    shown = err.getvalue().splitlines()
    assert shown[0].startswith("mixed.jsonl:2: ") and shown[4].startswith("mixed.jsonl:6: ")
    assert "and 2 more refused lines" in shown[5]
    summary = json.loads(out.getvalue())
    assert summary["errors"] == 7
    assert [p["where"] for p in summary["problems"]] == [f"mixed.jsonl:{n}" for n in range(2, 9)]
    # The good lines are kept.
    assert summary["read"] == 2 * len(orjson.loads(good)["data"])


def _bluesky_file(tmp_path: Path) -> Path:
    import yaml

    recorded = yaml.safe_load((FIXTURES / "bluesky" / "f_search.yml").read_text(encoding="utf-8"))
    path = tmp_path / "bluesky.json"
    path.write_text(recorded["http_interactions"][0]["response"]["body"]["string"] + "\n")
    return path


@pytest.mark.parametrize("wrong", ["mastodon", "twarc2", "csv"])
def test_it_refuses_a_file_in_another_format_at_once(
    campaigns: list[str], tmp_path: Path, wrong: str
) -> None:
    path = _bluesky_file(tmp_path)
    with pytest.raises(CommandError, match=r"not a \w+ file: .*Bluesky.*use --format bluesky"):
        call_command("import", SLUG, str(path), "--format", wrong)
    assert not CollectionRun.objects.exists() and not Post.objects.exists()


def test_it_tells_the_format_from_the_file_when_none_is_given(
    campaigns: list[str], tmp_path: Path
) -> None:
    path = _bluesky_file(tmp_path)
    posts = orjson.loads(path.read_bytes())["posts"]
    out = StringIO()
    call_command("import", SLUG, str(path), "--json", stdout=out)
    assert json.loads(out.getvalue())["read"] == len(posts)
    assert CollectionRun.objects.get().source == "import:bluesky"


def _campaign_page() -> dict[str, Any]:
    """The recorded Brexit page, its first ten posts given the test campaign's hashtag."""
    page = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    for tweet in page["data"][:10]:
        tweet["entities"] = {**(tweet.get("entities") or {}), "hashtags": [{"tag": "Khojaly"}]}
    return dict(page)


def test_it_reads_a_pretty_printed_array_of_pages(campaigns: list[str], tmp_path: Path) -> None:
    page = _campaign_page()
    other = orjson.loads((FIXTURES / "x" / "kpop.jsonl").read_bytes())
    path = tmp_path / "pretty.json"
    # How json.dump(indent=2) and many tools save a list of pages.
    path.write_bytes(orjson.dumps([page, other], option=orjson.OPT_INDENT_2))
    summary = run_import(path)  # the format is told from the first value
    ids = {t["id"] for t in page["data"]} | {t["id"] for t in other["data"]}
    assert (summary["read"], summary["new"], summary["errors"]) == (
        len(page["data"]) + len(other["data"]),
        len(ids),
        0,
    )
    assert summary["read"] - summary["off_topic"] == 10
    assert CollectionRun.objects.get().source == "import:twarc2"
    # Each page is kept as it was (written compactly).
    assert sorted(orjson.loads(r.raw())["data"][0]["id"] for r in RawPage.objects.all()) == sorted(
        [page["data"][0]["id"], other["data"][0]["id"]]
    )


def test_it_reads_pretty_printed_values_one_after_another(
    campaigns: list[str], tmp_path: Path
) -> None:
    statuses = [
        {**s, "tags": [{"name": "khojaly"}]} if n % 2 else s
        for n, s in enumerate(recorded_statuses()[:12])
    ]
    path = tmp_path / "statuses.json"
    # `jq . statuses.jsonl` writes each status over several lines, one after another.
    path.write_bytes(b"\n".join(orjson.dumps(s, option=orjson.OPT_INDENT_2) for s in statuses))
    summary = run_import(path)
    assert (summary["read"], summary["new"], summary["errors"]) == (12, 12, 0)
    assert summary["read"] - summary["off_topic"] == 6
    assert CollectionRun.objects.get().source == "import:mastodon"


def test_it_keeps_what_comes_before_a_break_in_a_pretty_printed_array(
    campaigns: list[str], tmp_path: Path
) -> None:
    statuses = recorded_statuses()[:5]
    text = orjson.dumps(statuses, option=orjson.OPT_INDENT_2)
    path = tmp_path / "cut.json"
    # Cut inside the fourth status, as a download that stopped half-way leaves it.
    cut = text.index(orjson.dumps(statuses[3]["uri"]))
    path.write_bytes(text[:cut])
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import", SLUG, str(path), "--json", stdout=out, stderr=err)
    assert refused.value.returncode == 2
    assert err.getvalue().startswith("cut.json:after item 3: not JSON from here on")
    summary = json.loads(out.getvalue())
    assert (summary["read"], summary["errors"]) == (3, 1)
    assert set(Post.objects.values_list("url", flat=True)) == {s["url"] for s in statuses[:3]}


def test_it_streams_a_pretty_printed_array(tmp_path: Path) -> None:
    statuses = recorded_statuses()
    path = tmp_path / "many.json"
    path.write_bytes(orjson.dumps(statuses * 200, option=orjson.OPT_INDENT_2))
    values = jsonlines.values_of(path, jsonlines.layout(path))
    first, read_so_far = next(values)
    # The first status comes after a buffer of the file, not after the whole of it.
    assert first["uri"] == statuses[0]["uri"]
    assert read_so_far < path.stat().st_size / 20
    # A resumed run starts after the values its checkpoint counted.
    resumed = next(jsonlines.read(path, "mastodon", {"item": 3, "offset": 0}))
    assert resumed.where == "many.json:item 4" and resumed.page is not None
    assert resumed.page.posts[0].url == statuses[3]["url"]


def test_it_refuses_pretty_printed_json_in_another_format(
    campaigns: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "pretty.json"
    path.write_bytes(orjson.dumps([_campaign_page()], option=orjson.OPT_INDENT_2))
    with pytest.raises(CommandError, match=r"not a mastodon file: .*over several lines.*X API"):
        call_command("import", SLUG, str(path), "--format", "mastodon")
    assert not CollectionRun.objects.exists()


def test_it_keeps_posts_and_profiles_that_carry_a_nul_character(
    campaigns: list[str], tmp_path: Path
) -> None:
    """JSON allows "\\u0000" in a string; PostgreSQL's text does not hold it. A batch with one
    such post failed whole there; now the character is left out and nothing else changes."""
    page = orjson.loads((FIXTURES / "x" / "brexit.jsonl").read_bytes())
    tweet = page["data"][0]
    tweet["text"] = "nul\u0000 inside " + tweet["text"]
    tweet.setdefault("entities", {})["urls"] = [{"expanded_url": "https://example.org/a\u0000b"}]
    user = next(u for u in page["includes"]["users"] if u["id"] == tweet["author_id"])
    user["description"] = "profile \u0000 text"
    path = tmp_path / "nul.jsonl"
    refused = {"errors": [{"detail": "rate\u0000limited"}]}  # quoted in the problem's reason
    path.write_bytes(orjson.dumps(page) + b"\n" + orjson.dumps(refused) + b"\n")
    summary = run_import(path, "twarc2")
    assert (summary["read"], summary["errors"]) == (len(page["data"]), 1)
    assert [p["reason"].replace("\x00", "") for p in summary["problems"]] == [
        "API error object: ratelimited"
    ]
    assert Post.objects.filter(network="x").count() == len({t["id"] for t in page["data"]})
    stored = Post.objects.get(network="x", post_id=tweet["id"])
    assert stored.text.replace("\x00", "") == tweet["text"].replace("\x00", "")
    assert [link.replace("\x00", "") for link in stored.links] == ["https://example.org/ab"]
    author = Author.objects.get(network="x", author_id=tweet["author_id"])
    assert author.description.replace("\x00", "") == "profile  text"
    # The raw line is kept as it came.
    kept = RawPage.objects.order_by("id").first()
    assert kept is not None and b"\\u0000" in kept.raw()


def test_it_stores_what_it_gathered_when_its_source_would_wait(campaigns: list[str]) -> None:
    """A parsing process not done with the next range: the writer commits what it has
    rather than idle until its batch is full."""
    from hashrally.campaigns.models import Campaign
    from hashrally.listening import runs
    from hashrally.listening.config import listening_for

    campaign = Campaign.objects.get(slug=SLUG)
    lines = (FIXTURES / "x" / "brexit.jsonl").read_bytes().splitlines()
    first = orjson.loads(lines[0])["data"]
    parse = jsonlines.PARSERS["twarc2"]()
    chunks = list(jsonlines.chunks_of("brexit.jsonl", b"\n".join(lines), 0, 0, parse))
    seen_while_idle: list[int] = []

    def source() -> Any:
        yield chunks[0]
        yield jsonlines.IDLE
        # Resumed after the writer had its turn: the first line is stored and committed.
        seen_while_idle.append(Post.objects.count())
        yield from chunks[1:]

    run = runs.start_or_resume(campaign, "import:twarc2", "idle-test")
    status, _ = pipeline.consume(run, source(), listening_for(campaign))
    assert status == CollectionRun.Status.FINISHED
    # Counted from the recorded line: its distinct posts.
    assert seen_while_idle == [len({tweet["id"] for tweet in first})]
    assert CollectionRun.objects.get(pk=run.pk).checkpoint == chunks[-1].checkpoint


def test_it_tells_a_csv_whose_lines_end_on_a_carriage_return_alone(tmp_path: Path) -> None:
    from hashrally.listening.sniff import sniff

    path = tmp_path / "old-mac.csv"
    path.write_bytes(
        b"\xef\xbb\xbf\r\nurl,author,text,created\rhttps://x.com/a/status/1,a,hi,2026\r"
    )
    assert sniff(path).format == "csv"


@pytest.mark.parametrize("args", [[], ["--help"], ["only-a-slug"]])
def test_the_command_line_shows_the_commands_own_usage_only(args: list[str]) -> None:
    """The file is looked at before Django starts (its first ranges parsed meanwhile); a
    command line without one leaves that to the command, which says what is missing."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run(
        [sys.executable, "-m", "hashrally", "import", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    shown = done.stdout + done.stderr
    assert shown.count("usage:") == 1 and "usage: hashrally import" in shown, shown


@pytest.mark.django_db(transaction=True)
def test_a_pipe_named_as_the_file_is_refused_without_being_read(
    campaigns: list[str], tmp_path: Path
) -> None:
    """The file is looked at before Django starts: only a regular file, as a pipe's reader
    would wait for a writer forever."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": subprocess_database_url(),
    }
    done = subprocess.run(
        [sys.executable, "-m", "hashrally", "import", SLUG, str(pipe)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "no such file" in done.stderr, done.stderr
