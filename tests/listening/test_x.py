"""The X connector against a local fake of the X API v2 search, built from recorded responses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest
from django.core.management import CommandError, call_command

from hashrally.campaigns.listening import XSettings
from hashrally.campaigns.models import Campaign
from hashrally.listening import runs
from hashrally.listening.config import Listening, listening_for
from hashrally.listening.connectors import CONNECTORS
from hashrally.listening.connectors import x as connector
from hashrally.listening.fetch import Fetcher, FetchError, RealClock
from hashrally.listening.management.commands import collect
from hashrally.listening.models import CollectionRun, Post, RawPage, RunProblem
from hashrally.listening.pipeline import StopRun, consume
from tests.fakes import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "recorded" / "x"
SLUG = "recognize-to-reconcile"
TOKEN = "test-bearer-token"
PAGE = 20  # posts per page the fake serves at most
START = 1_750_000_000.0  # the fake clock's first moment, a whole second
pytestmark = pytest.mark.django_db


class FakeClock:
    def __init__(self) -> None:
        self.t = START
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def _posts() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The recorded posts (brexit with retweet_count, kpop renamed to repost_count), and the
    users and referenced posts of their includes by id."""
    posts: list[dict[str, Any]] = []
    users: dict[str, dict[str, Any]] = {}
    tweets: dict[str, dict[str, Any]] = {}
    for name in ("brexit.jsonl", "kpop.jsonl"):
        response = orjson.loads((FIXTURES / name).read_bytes().splitlines()[0])
        response.pop("__twarc")
        for post in response["data"]:
            if name == "kpop.jsonl":  # the newer metric name
                metrics = post["public_metrics"]
                metrics["repost_count"] = metrics.pop("retweet_count")
            posts.append(post)
        users.update((u["id"], u) for u in response["includes"]["users"])
        tweets.update((t["id"], t) for t in response["includes"].get("tweets", []))
    return posts, users, tweets


POSTS, USERS, TWEETS = _posts()
ALL_IDS = {p["id"] for p in POSTS}


class FakeX:
    """Search pages of at most PAGE posts (fewer when max_results says so), chained by next_token
    "at-{offset}". Rate-limit headers on every answer; failures and odd bodies on request."""

    def __init__(self, clock: FakeClock, *, empty_end: bool = False) -> None:
        self.clock = clock
        self.empty_end = empty_end  # the last page points at an empty "no results" page
        self.requests: list[dict[str, Any]] = []
        self.fail: dict[int, list[tuple[int, int | None]]] = {}  # offset -> [(status, reset in)]
        self.reset_in: dict[int, int] = {}  # offset -> window used up, resets in N seconds
        self.bodies: dict[int, bytes] = {}  # offset -> body served instead of the page
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/2"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def page(self, offset: int, size: int) -> dict[str, Any]:
        data = POSTS[offset : offset + size]
        if not data:
            return {
                "errors": [{"title": "Not Found", "detail": "no posts match"}],
                "meta": {"result_count": 0},
            }
        refs = {r["id"] for post in data for r in post.get("referenced_tweets", [])}
        included = [TWEETS[i] for i in refs if i in TWEETS]
        user_ids = {p.get("author_id") for p in [*data, *included]}
        user_ids |= {m.get("id") for p in data for m in p.get("entities", {}).get("mentions", [])}
        meta: dict[str, Any] = {
            "newest_id": data[0]["id"],
            "oldest_id": data[-1]["id"],
            "result_count": len(data),
        }
        end = offset + len(data)
        if end < len(POSTS) or (self.empty_end and end == len(POSTS)):
            meta["next_token"] = f"at-{end}"
        return {
            "data": data,
            "includes": {"users": [USERS[i] for i in user_ids if i in USERS], "tweets": included},
            "meta": meta,
        }

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        auth = request.headers.get("Authorization")
        with self.lock:
            self.requests.append({"path": url.path, "auth": auth, **params})
            token = params.get("next_token", "at-0")
            offset = int(token.removeprefix("at-"))
            failures = self.fail.get(offset) or []
            failure = failures.pop(0) if failures else None
        now = int(self.clock.now())
        headers = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449"}
        headers["x-rate-limit-reset"] = str(now + 900)
        if offset in self.reset_in:
            headers["x-rate-limit-remaining"] = "0"
            headers["x-rate-limit-reset"] = str(now + self.reset_in.pop(offset))
        body: dict[str, Any]
        if url.path not in ("/2/tweets/search/recent", "/2/tweets/search/all"):
            status, body = 404, {"title": "Not Found"}
        elif auth != f"Bearer {TOKEN}":
            status, body = 401, {"title": "Unauthorized", "status": 401}
        elif failure is not None:
            status, body = failure[0], {"title": "failing on purpose"}
            if failure[1] is not None:
                headers["x-rate-limit-remaining"] = "0"
                headers["x-rate-limit-reset"] = str(now + failure[1])
        else:
            status, body = 200, self.page(offset, min(PAGE, int(params["max_results"])))
        raw = self.bodies.pop(offset, None) if status == 200 else None
        if raw is None:
            raw = orjson.dumps(body)
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(raw)))
        request.end_headers()
        request.wfile.write(raw)

    def tokens(self) -> list[str | None]:
        return [r.get("next_token") for r in self.requests]


@pytest.fixture(autouse=True)
def _no_real_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: RealClock, seconds: float) -> None:
        raise AssertionError(f"a real sleep of {seconds} s")

    monkeypatch.setattr(RealClock, "sleep", refuse)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_x(clock: FakeClock, settings: Any) -> Iterator[FakeX]:
    fake = FakeX(clock)
    fake.thread.start()
    settings.HASHRALLY_X_API_URL = fake.url
    settings.HASHRALLY_X_BEARER_TOKEN = TOKEN
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def campaign(campaigns: list[str]) -> Campaign:
    return Campaign.objects.get(slug=SLUG)


def listening(campaign: Campaign, **x: Any) -> Listening:
    found = listening_for(campaign)
    spec = found.spec.model_copy(update={"x": XSettings(**x)}) if x else found.spec
    return dataclasses.replace(found, spec=spec)


def collect_x(campaign: Campaign, chosen: Listening, clock: FakeClock) -> CollectionRun:
    """What `collect --network x` does, with the fake clock."""
    since, until = chosen.since, chosen.until
    run = runs.start_or_resume(campaign, "x", connector.run_key(chosen, since, until))
    with httpx.Client(timeout=5) as client:
        fetcher = Fetcher(client=client, clock=clock)
        try:
            status, reason = consume(
                run,
                connector.chunks(chosen, run.checkpoint, fetcher=fetcher, since=since, until=until),
                chosen,
            )
        except StopRun as exc:
            status, reason = CollectionRun.Status.STOPPED, str(exc)
        except FetchError as exc:
            status, reason = CollectionRun.Status.FAILED, str(exc)
    return runs.finish(run, status, reason)


def stored_ids() -> set[str]:
    return set(Post.objects.filter(network="x").values_list("post_id", flat=True))


def test_it_builds_the_query_from_hashtags_mentions_and_languages(campaign: Campaign) -> None:
    chosen = listening(campaign)
    assert connector.build_query(chosen) == (
        "(#Khojaly OR #RecognizeToReconcile OR @NikolPashinyan OR @atatoyan)"
    )
    spoken = dataclasses.replace(chosen, languages=("en", "az", "pt-BR", "pt"))
    assert connector.build_query(spoken) == (
        "(#Khojaly OR #RecognizeToReconcile OR @NikolPashinyan OR @atatoyan)"
        " (lang:en OR lang:az OR lang:pt)"
    )
    many = dataclasses.replace(chosen, hashtags=tuple(f"Hashtag{i:03}" for i in range(60)))
    with pytest.raises(ValueError, match="512"):
        connector.build_query(many)


def test_it_sends_the_query_window_and_fields(
    campaign: Campaign, fake_x: FakeX, clock: FakeClock
) -> None:
    chosen = listening(campaign)
    run = collect_x(campaign, chosen, clock)
    assert run.status == "finished", run.stop_reason
    first = fake_x.requests[0]
    assert first["path"] == "/2/tweets/search/recent"
    assert first["auth"] == f"Bearer {TOKEN}"
    assert first["query"] == connector.build_query(chosen)
    assert first["max_results"] == "100"
    assert "note_tweet" in first["tweet.fields"].split(",")
    assert "referenced_tweets.id.author_id" in first["expansions"].split(",")
    assert "username" in first["user.fields"].split(",")
    # The campaign starts in 2022; recent search reaches 7 days back, so the start is clamped.
    now = dt.datetime.fromtimestamp(START, tz=dt.UTC)
    start = dt.datetime.fromisoformat(first["start_time"].replace("Z", "+00:00"))
    end = dt.datetime.fromisoformat(first["end_time"].replace("Z", "+00:00"))
    assert now - dt.timedelta(days=7) < start < now - dt.timedelta(days=6)
    assert now - dt.timedelta(minutes=1) < end < now
    assert {(r["start_time"], r["end_time"]) for r in fake_x.requests} == {
        (first["start_time"], first["end_time"])
    }


def test_it_searches_the_archive_from_the_campaigns_start(
    campaign: Campaign, fake_x: FakeX, clock: FakeClock
) -> None:
    run = collect_x(campaign, listening(campaign, archive=True), clock)
    assert run.status == "finished", run.stop_reason
    assert {r["path"] for r in fake_x.requests} == {"/2/tweets/search/all"}
    assert fake_x.requests[0]["start_time"] == "2022-02-23T00:00:00Z"


def test_it_stops_when_the_window_is_beyond_recent_search(
    campaign: Campaign, fake_x: FakeX, clock: FakeClock
) -> None:
    chosen = dataclasses.replace(listening(campaign), until=dt.datetime(2022, 3, 1, tzinfo=dt.UTC))
    run = collect_x(campaign, chosen, clock)
    assert run.status == "stopped" and "7 days" in run.stop_reason
    assert fake_x.requests == []


@pytest.mark.parametrize("empty_end", [False, True])
def test_it_pages_to_the_end_through_next_token(
    campaign: Campaign, fake_x: FakeX, clock: FakeClock, empty_end: bool
) -> None:
    fake_x.empty_end = empty_end  # ending on `errors` with result_count 0 is just the end
    run = collect_x(campaign, listening(campaign), clock)
    assert (run.status, run.stop_reason) == ("finished", "done")
    assert stored_ids() == ALL_IDS
    pages = len(POSTS) // PAGE
    assert fake_x.tokens() == [None] + [f"at-{i * PAGE}" for i in range(1, pages + empty_end)]
    assert (run.pages, run.read, run.new, run.errors) == (pages, len(POSTS), len(POSTS), 0)
    assert RawPage.objects.filter(run=run).count() == pages
    assert clock.slept == []


def test_it_waits_for_the_rate_limit_reset_on_the_fake_clock(
    campaign: Campaign, fake_x: FakeX, clock: FakeClock
) -> None:
    fake_x.reset_in[PAGE] = 120  # the second page uses up the window
    fake_x.fail[2 * PAGE] = [(429, 60)]  # and the third is refused until the reset
    run = collect_x(campaign, listening(campaign), clock)
    assert run.status == "finished", run.stop_reason
    assert clock.slept == [120.0, 60.0]
    assert clock.now() == START + 180
    assert stored_ids() == ALL_IDS


def test_it_stops_rather_than_wait_out_a_long_rate_limit(
    campaign: Campaign, fake_x: FakeX, clock: FakeClock
) -> None:
    fake_x.fail[PAGE] = [(429, 3600)]  # refused for an hour: more than the 15 minutes it waits
    run = collect_x(campaign, listening(campaign), clock)
    assert run.status == "failed"
    assert "rate-limited for another 60 minutes; run again later to resume" in run.stop_reason
    assert clock.slept == [] and run.read == PAGE  # the first page is kept; resumable


def test_it_retries_a_503(campaign: Campaign, fake_x: FakeX, clock: FakeClock) -> None:
    fake_x.fail[PAGE] = [(503, None), (503, None)]
    run = collect_x(campaign, listening(campaign), clock)
    assert run.status == "finished", run.stop_reason
    assert clock.slept == [1.0, 2.0]
    assert fake_x.tokens()[:4] == [None, "at-20", "at-20", "at-20"]
    assert run.read == len(POSTS) and stored_ids() == ALL_IDS


def test_it_stops_at_the_budget_and_keeps_to_it_when_resumed(
    campaign: Campaign, fake_x: FakeX, clock: FakeClock
) -> None:
    chosen = listening(campaign, budget=55)
    run = collect_x(campaign, chosen, clock)
    assert run.status == "stopped"
    assert "budget of 55 posts" in run.stop_reason
    assert [r["max_results"] for r in fake_x.requests] == ["55", "35", "15"]
    assert run.read == 55 and len(stored_ids()) == 55
    again = collect_x(campaign, chosen, clock)
    assert again.pk == run.pk and again.status == "stopped"
    assert len(fake_x.requests) == 3 and again.read == 55
    more = collect_x(campaign, listening(campaign, budget=1_000), clock)
    assert more.pk == run.pk and more.status == "finished"
    assert more.read == len(POSTS) and more.duplicates == 0 and stored_ids() == ALL_IDS


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"data": [{"id": "1", "text"', "not JSON"),
        (b'{"data": {"posts": []}, "meta": {}}', "not the expected shape"),
        (b'{"errors": [{"detail": "Invalid next_token"}]}', "Invalid next_token"),
    ],
)
def test_it_records_a_malformed_page_and_stops_paging(
    campaign: Campaign, fake_x: FakeX, clock: FakeClock, body: bytes, reason: str
) -> None:
    fake_x.bodies[2 * PAGE] = body
    run = collect_x(campaign, listening(campaign), clock)
    assert (run.status, run.errors, run.read) == ("finished", 1, 2 * PAGE)
    problem = RunProblem.objects.get(run=run)
    assert reason in problem.reason and "at-40" in problem.where
    assert len(fake_x.requests) == 3


def test_it_resumes_a_killed_run_from_its_checkpoint(
    campaign: Campaign, fake_x: FakeX, clock: FakeClock
) -> None:
    fake_x.fail[PAGE] = [(500, None)] * 6  # every try at the second page, until retries run out
    chosen = listening(campaign)
    killed = collect_x(campaign, chosen, clock)
    assert killed.status == "failed" and "HTTP 500" in killed.stop_reason
    assert killed.checkpoint["next_token"] == f"at-{PAGE}" and killed.read == PAGE
    before = len(fake_x.requests)
    resumed = collect_x(campaign, chosen, clock)
    assert resumed.pk == killed.pk and resumed.status == "finished"
    assert fake_x.tokens()[before] == f"at-{PAGE}"  # not from the start again
    assert fake_x.requests[before]["start_time"] == fake_x.requests[0]["start_time"]
    assert stored_ids() == ALL_IDS
    assert (resumed.read, resumed.new, resumed.duplicates) == (len(POSTS), len(POSTS), 0)


def test_it_stores_retweet_count_and_repost_count_as_reposts(
    campaign: Campaign, fake_x: FakeX, clock: FakeClock
) -> None:
    collect_x(campaign, listening(campaign), clock)
    old = next(p for p in POSTS if p["public_metrics"].get("retweet_count", 0) > 0)
    new = next(p for p in POSTS if p["public_metrics"].get("repost_count", 0) > 0)
    for post, name in ((old, "retweet_count"), (new, "repost_count")):
        stored = Post.objects.get(network="x", post_id=post["id"])
        assert stored.reposts == post["public_metrics"][name]
    assert not Post.objects.filter(reposts=None).exists()


@pytest.fixture
def command(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    # The command's own fetcher, on the fake clock; and the X connector without loading the
    # other networks' modules.
    monkeypatch.setattr(collect, "Fetcher", lambda client: Fetcher(client=client, clock=clock))
    monkeypatch.setitem(CONNECTORS, "x", connector)


def run_command() -> dict[str, Any]:
    out = StringIO()
    call_command("collect", SLUG, "--network", "x", "--json", stdout=out)
    return dict(json.loads(out.getvalue()))


def test_it_collects_through_the_command(campaign: Campaign, fake_x: FakeX, command: None) -> None:
    fake_x.fail[PAGE] = [(503, None)]
    summary = run_command()
    assert summary["network"] == "x" and summary["stop_reason"] == "done"
    assert (summary["read"], summary["new"], summary["errors"]) == (len(POSTS), len(POSTS), 0)
    assert stored_ids() == ALL_IDS
    assert fake_x.requests[0]["query"] == (
        "(#Khojaly OR #RecognizeToReconcile OR @NikolPashinyan OR @atatoyan)"
    )


def test_it_refuses_to_start_without_a_token(
    campaign: Campaign, fake_x: FakeX, command: None, settings: Any
) -> None:
    settings.HASHRALLY_X_BEARER_TOKEN = ""
    with pytest.raises(CommandError, match="HASHRALLY_X_BEARER_TOKEN"):
        run_command()
    assert fake_x.requests == [] and not CollectionRun.objects.exists()


def test_it_fails_the_run_when_x_refuses_the_token(
    campaign: Campaign, fake_x: FakeX, command: None, settings: Any
) -> None:
    settings.HASHRALLY_X_BEARER_TOKEN = "wrong"
    with pytest.raises(CommandError, match="401"):
        run_command()
    assert [r["auth"] for r in fake_x.requests] == ["Bearer wrong"]
    assert CollectionRun.objects.get().status == "failed" and not Post.objects.exists()


def test_it_reports_a_query_too_long_before_any_request(
    campaign: Campaign, fake_x: FakeX, command: None
) -> None:
    campaign.listening = {"hashtags": [f"Hashtag{i:03}" for i in range(60)]}
    campaign.save()
    with pytest.raises((ValueError, CommandError), match="512"):
        run_command()
    assert fake_x.requests == [] and not CollectionRun.objects.exists()


def test_it_reads_an_empty_results_page_and_refuses_what_is_no_x_response() -> None:
    from hashrally.listening.normalise.x import decode, normalise_page

    empty = decode(b'{"meta": {"result_count": 0}}')
    assert normalise_page(empty).posts == []
    with pytest.raises(ValueError, match="not an X API v2 response"):
        normalise_page(decode(b'{"feed": [], "cursor": "x"}'))


def test_a_page_refused_midway_passes_on_no_author_as_already_seen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The normaliser skips an author it passed on unchanged before: only once their page was
    normalised whole, or an author whose only fresh page was refused would never be stored."""
    from hashrally.listening.normalise import x

    page = json.loads((FIXTURES / "two_tweets.jsonl").read_text())
    users = {u["id"] for u in page["includes"]["users"]}
    memory = x.AuthorMemory()
    own = x.post

    def broken(*args: Any) -> Any:
        raise ValueError("a post the normaliser cannot read")

    monkeypatch.setattr(x, "post", broken)
    with pytest.raises(ValueError):
        x.normalise_page(page, memory)
    monkeypatch.setattr(x, "post", own)
    assert {a.author_id for a in x.normalise_page(page, memory).authors} == users
    assert x.normalise_page(page, memory).authors == []  # passed on now: skipped
