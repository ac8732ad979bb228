"""The Bluesky connector against a local fake XRPC server built from recorded responses."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import itertools
import json
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest
import yaml
from django.core.management import CommandError, call_command

from hashrally.campaigns.models import Campaign
from hashrally.listening import fetch, runs
from hashrally.listening.config import listening_for
from hashrally.listening.connectors import CONNECTORS, bluesky
from hashrally.listening.fetch import Fetcher
from hashrally.listening.management.commands import collect as collect_command
from hashrally.listening.models import Author, CollectionRun, Post, PostMatch, RunProblem
from hashrally.listening.pipeline import consume
from hashrally.listening.records import Chunk, parse_time
from tests.fakes import ROOT, free_port

CASSETTES = ROOT / "tests" / "fixtures" / "recorded" / "bluesky"
SLUG = "recognize-to-reconcile"
HANDLE = "listener.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"
DID = "did:plc:listenerlistenerlistener"
SINCE = dt.datetime(2025, 5, 19, 0, 0, tzinfo=dt.UTC)
UNTIL = dt.datetime(2025, 5, 19, 18, 0, tzinfo=dt.UTC)
TAGS = ("Khojaly", "RecognizeToReconcile")
pytestmark = pytest.mark.django_db


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def at(hour: int) -> str:
    return iso(SINCE + dt.timedelta(hours=hour))


def cassette(name: str) -> Any:
    recorded = yaml.safe_load((CASSETTES / name).read_text(encoding="utf-8"))
    return json.loads(recorded["http_interactions"][0]["response"]["body"]["string"])


def recorded_posts() -> list[dict[str, Any]]:
    """The 25 recorded search results (all on 2025-05-19), each given one campaign hashtag in
    turn, and the recorded getPosts result from 2023, outside every window searched here."""
    views = cassette("f_search.yml")["posts"] + cassette("f_getposts.yml")["posts"]
    views = copy.deepcopy(views)
    for i, view in enumerate(views):
        view["record"]["text"] += f" #{TAGS[i % 2]}"
    return views


def sort_at(view: dict[str, Any]) -> dt.datetime:
    moment = parse_time(view["record"]["createdAt"])
    assert moment is not None
    return moment


def expected_ids(views: list[dict[str, Any]]) -> set[str]:
    return {v["uri"] for v in views if SINCE <= sort_at(v) < UNTIL}


class FakeClock:
    def __init__(self, start: float) -> None:
        self.time = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += seconds


class FakeBluesky:
    """createSession, refreshSession, searchPosts (honouring q, since, until, cursor) and
    getProfiles, answering from the recorded bodies and recording what was asked."""

    def __init__(self, clock: FakeClock, posts: list[dict[str, Any]], page_size: int = 10):
        self.clock = clock
        self.page_size = page_size
        self.lock = threading.Lock()
        self.calls: list[tuple[str, float]] = []  # (method, clock time)
        self.searches: list[dict[str, str]] = []
        self.profile_batches: list[list[str]] = []
        self.logins = 0
        self.refreshes = 0
        self.issued = 0
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.fail_searches: list[int] = []  # statuses for the next searches
        self.fail_logins: list[int] = []  # statuses for the next logins
        self.broken: dict[tuple[str, str], bytes] = {}  # (q, since) -> body
        self.exhausted_at: int | None = None  # the search whose answer leaves 0 requests
        self.expire_at: int | None = None  # the search before which access tokens expire
        self.reset_in = 120
        self.broken_profiles = False
        self.template = cassette("a_profile.yml")["profiles"][0]
        self.set_posts(posts)

    def set_posts(self, posts: list[dict[str, Any]]) -> None:
        self.posts = posts
        self.handles = {v["author"]["did"]: v["author"]["handle"] for v in posts}
        self.followers = {did: 1000 + i for i, did in enumerate(sorted(self.handles))}

    def expire_access(self) -> None:
        self.access.clear()

    def revoke_all(self) -> None:
        self.access.clear()
        self.refresh.clear()

    @property
    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    def answer(
        self, verb: str, path: str, bearer: str, body: bytes
    ) -> tuple[int, bytes, int | None]:
        url = urlsplit(path)
        method = url.path.removeprefix("/xrpc/")
        params = parse_qs(url.query)
        with self.lock:
            self.calls.append((method, self.clock.now()))
            if verb == "POST" and method == "com.atproto.server.createSession":
                self.logins += 1
                if self.fail_logins:
                    return self.fail_logins.pop(0), error("InternalServerError", "oops"), 0
                sent = orjson.loads(body)
                if sent != {"identifier": HANDLE, "password": PASSWORD}:
                    return (
                        401,
                        error("AuthenticationRequired", "Invalid identifier or password"),
                        None,
                    )
                return 200, self._issue(), None
            if verb == "POST" and method == "com.atproto.server.refreshSession":
                self.refreshes += 1
                if bearer not in self.refresh:
                    return 400, error("ExpiredToken", "Token has been revoked"), None
                self.refresh.discard(bearer)
                return 200, self._issue(), None
            if method == "app.bsky.feed.searchPosts" and self.expire_at == len(self.searches) + 1:
                self.expire_at = None
                self.expire_access()
            if bearer not in self.access:
                if bearer.startswith("access-"):
                    return 400, error("ExpiredToken", "Token has expired"), None
                return 401, error("AuthMissing", "Authentication Required"), None
            if method == "app.bsky.feed.searchPosts":
                return self._search({k: v[0] for k, v in params.items()})
            if method == "app.bsky.actor.getProfiles":
                return self._profiles(params.get("actors", []))
            return 501, error("MethodNotImplemented", method), None

    def _issue(self) -> bytes:
        self.issued += 1
        access, refresh = f"access-{self.issued}", f"refresh-{self.issued}"
        self.access.add(access)
        self.refresh.add(refresh)
        return orjson.dumps(
            {"did": DID, "handle": HANDLE, "accessJwt": access, "refreshJwt": refresh}
        )

    def _search(self, params: dict[str, str]) -> tuple[int, bytes, int | None]:
        self.searches.append(params)
        number = len(self.searches)
        left = 0 if number == self.exhausted_at else 3000 - number
        if self.fail_searches:
            return self.fail_searches.pop(0), error("InternalServerError", "oops"), left
        q = params["q"].casefold()
        if (params["q"], params["since"]) in self.broken:
            return 200, self.broken[(params["q"], params["since"])], left
        since, until = parse_time(params["since"]), parse_time(params["until"])
        assert since is not None and until is not None
        term = "@" + q.removeprefix("mentions:") if q.startswith("mentions:") else q
        hits = sorted(
            (
                v
                for v in self.posts
                if term in v["record"]["text"].casefold() and since <= sort_at(v) < until
            ),
            key=sort_at,
            reverse=True,
        )
        offset = int(params.get("cursor") or 0)
        size = min(int(params["limit"]), self.page_size)
        answer: dict[str, Any] = {"posts": hits[offset : offset + size], "hitsTotal": len(hits)}
        if offset + size < len(hits):
            answer["cursor"] = str(offset + size)
        return 200, orjson.dumps(answer), left

    def _profiles(self, actors: list[str]) -> tuple[int, bytes, int | None]:
        self.profile_batches.append(actors)
        if self.broken_profiles:
            return 200, b"<html>Service Unavailable</html>", 2000
        if len(actors) > 25:
            return 400, error("InvalidRequest", "actors must not have more than 25 elements"), 1
        profiles = []
        for did in actors:
            if did in self.handles:
                profile = copy.deepcopy(self.template)
                profile.update(
                    did=did, handle=self.handles[did], followersCount=self.followers[did]
                )
                profiles.append(profile)
        return 200, orjson.dumps({"profiles": profiles}), 2000


def error(name: str, message: str) -> bytes:
    return orjson.dumps({"error": name, "message": message})


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeBluesky) -> None:
        super().__init__(("127.0.0.1", free_port()), Handler)
        self.fake = fake


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def do_GET(self) -> None:
        self._reply("GET")

    def do_POST(self) -> None:
        self._reply("POST")

    def _reply(self, verb: str) -> None:
        fake = cast(FakeServer, self.server).fake
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        status, payload, left = fake.answer(verb, self.path, bearer, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        if left is not None:
            self.send_header("RateLimit-Limit", "3000")
            self.send_header("RateLimit-Remaining", str(max(left, 0)))
            self.send_header("RateLimit-Reset", str(int(fake.clock.now()) + fake.reset_in))
            self.send_header("RateLimit-Policy", "3000;w=300")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(autouse=True)
def _no_real_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: fetch.RealClock, seconds: float) -> None:
        raise AssertionError(f"slept {seconds} s for real")

    monkeypatch.setattr(fetch.RealClock, "sleep", refuse)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(UNTIL.timestamp())


@pytest.fixture
def fake(settings: Any, tmp_path: Path, clock: FakeClock) -> Iterator[FakeBluesky]:
    fake = FakeBluesky(clock, recorded_posts())
    server = FakeServer(fake)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    settings.HASHRALLY_BLUESKY_URL = f"http://127.0.0.1:{server.server_address[1]}"
    settings.HASHRALLY_BLUESKY_HANDLE = HANDLE
    settings.HASHRALLY_BLUESKY_APP_PASSWORD = PASSWORD
    settings.VAR_DIR = tmp_path
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def campaign(campaigns: list[str]) -> Campaign:
    return configure(window_hours=6)


def configure(window_hours: int = 6, **spec: Any) -> Campaign:
    Campaign.objects.filter(slug=SLUG).update(
        listening={"networks": ["bluesky"], "bluesky": {"window_hours": window_hours}, **spec}
    )
    return Campaign.objects.get(slug=SLUG)


class Interrupted(Exception):
    pass


def collect(
    campaign: Campaign,
    clock: FakeClock,
    *,
    since: dt.datetime | None = SINCE,
    until: dt.datetime | None = UNTIL,
    stop_after: int | None = None,
) -> tuple[CollectionRun, Fetcher]:
    """One run through the real pipeline; `stop_after` chunks, it is interrupted like Ctrl-C."""
    listening = listening_for(campaign)

    def interrupted(pages: Iterator[Chunk]) -> Iterator[Chunk]:
        for number, chunk in enumerate(pages, 1):
            yield chunk
            if number == stop_after:
                raise Interrupted  # as Ctrl-C would, before the next request

    with httpx.Client(timeout=5) as client:
        fetcher = Fetcher(client=client, clock=clock)
        run = runs.start_or_resume(
            campaign,
            "bluesky",
            bluesky.run_key(listening, since, until),
            since=since,
            until=until,
        )
        pages = bluesky.chunks(listening, run.checkpoint, fetcher=fetcher, since=since, until=until)
        try:
            status, reason = consume(run, interrupted(pages), listening)
        except Interrupted:
            status, reason = CollectionRun.Status.STOPPED, "interrupted"
    return runs.finish(run, status, reason), fetcher


def stored() -> set[str]:
    return set(Post.objects.filter(network="bluesky").values_list("post_id", flat=True))


def test_it_refuses_to_run_without_credentials_before_any_request(
    campaign: Campaign, fake: FakeBluesky, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(CONNECTORS, "bluesky", bluesky)
    for missing in (
        ["HASHRALLY_BLUESKY_HANDLE"],
        ["HASHRALLY_BLUESKY_APP_PASSWORD"],
        ["HASHRALLY_BLUESKY_HANDLE", "HASHRALLY_BLUESKY_APP_PASSWORD"],
    ):
        settings.HASHRALLY_BLUESKY_HANDLE = HANDLE
        settings.HASHRALLY_BLUESKY_APP_PASSWORD = PASSWORD
        for name in missing:
            setattr(settings, name, "")
        with pytest.raises(CommandError) as raised:
            call_command("collect", SLUG, "--network", "bluesky", "--json", stdout=StringIO())
        assert all(name in str(raised.value) for name in missing)
    assert fake.calls == []
    assert not CollectionRun.objects.exists()


def test_it_logs_in_once_and_reuses_the_saved_session(
    campaign: Campaign, fake: FakeBluesky, clock: FakeClock, tmp_path: Path
) -> None:
    first, _ = collect(campaign, clock)
    assert fake.logins == 1
    path = tmp_path / "bluesky-session.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = path.read_text()
    assert PASSWORD not in saved and json.loads(saved)["accessJwt"] == "access-1"

    second, _ = collect(campaign, clock)
    assert second.pk != first.pk and second.status == "finished"
    assert fake.logins == 1 and fake.refreshes == 0
    assert (first.new, second.new, second.updated) == (25, 0, 25)


def test_it_refreshes_an_expired_token_without_logging_in_again(
    campaign: Campaign, fake: FakeBluesky, clock: FakeClock, tmp_path: Path
) -> None:
    collect(campaign, clock)
    fake.expire_access()  # between runs: the saved access token has expired
    fake.expire_at = len(fake.searches) + 4  # and again in the middle of the next run
    run, _ = collect(campaign, clock)
    assert (fake.logins, fake.refreshes) == (1, 2)
    assert (run.status, run.read, run.updated, run.errors) == ("finished", 25, 25, 0)
    saved = json.loads((tmp_path / "bluesky-session.json").read_text())
    assert (saved["accessJwt"], saved["refreshJwt"]) == ("access-3", "refresh-3")


def test_it_logs_in_again_only_when_the_refresh_is_refused(
    campaign: Campaign, fake: FakeBluesky, clock: FakeClock
) -> None:
    collect(campaign, clock)
    fake.revoke_all()
    before = len(fake.calls)
    run, _ = collect(campaign, clock)
    assert (fake.logins, fake.refreshes) == (2, 1)
    assert fake.methods[before : before + 4] == [
        "app.bsky.feed.searchPosts",  # refused: the access token has expired
        "com.atproto.server.refreshSession",  # refused: revoked
        "com.atproto.server.createSession",
        "app.bsky.feed.searchPosts",  # the same page again
    ]
    assert run.status == "finished" and run.read == 25


def test_it_fails_a_refused_login_without_revealing_the_password(
    campaign: Campaign,
    fake: FakeBluesky,
    settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(CONNECTORS, "bluesky", bluesky)
    settings.HASHRALLY_BLUESKY_APP_PASSWORD = "wrong-password-9999"
    caplog.set_level("DEBUG")
    with pytest.raises(CommandError) as raised:
        call_command("collect", SLUG, "--network", "bluesky", "--since", "2025-05-19")
    message = str(raised.value)
    assert "HASHRALLY_BLUESKY_APP_PASSWORD" in message and "Invalid identifier" in message
    assert "wrong-password-9999" not in message + caplog.text
    assert fake.logins == 1 and "app.bsky.feed.searchPosts" not in fake.methods
    assert CollectionRun.objects.get().status == "failed"
    assert not (tmp_path / "bluesky-session.json").exists()


def test_it_follows_the_cursor_to_the_last_page(
    campaign: Campaign, fake: FakeBluesky, clock: FakeClock
) -> None:
    fake.page_size = 3
    run, _ = collect(campaign, clock)
    khojaly_today = [s for s in fake.searches if s["q"] == "#Khojaly" and s["since"] == at(12)]
    # 8 posts with #Khojaly between 12:00 and 18:00: pages of 3, 3 and 2.
    assert [s.get("cursor") for s in khojaly_today] == [None, "3", "6"]
    assert all(s["limit"] == "100" and s["sort"] == "latest" for s in fake.searches)
    assert stored() == expected_ids(fake.posts)
    assert (run.read, run.new, run.duplicates, run.pages) == (25, 25, 0, 11)


def test_it_searches_date_windows_without_gaps_or_overlaps(
    campaigns: list[str], fake: FakeBluesky, clock: FakeClock
) -> None:
    campaign = configure(window_hours=5)
    run, _ = collect(campaign, clock)
    for tag in TAGS:
        asked = [(s["since"], s["until"]) for s in fake.searches if s["q"] == f"#{tag}"]
        # Newest first: 13-18, 8-13, 3-8 and what is left, 0-3.
        assert asked == [(at(13), at(18)), (at(8), at(13)), (at(3), at(8)), (at(0), at(3))]
        spans = sorted(asked)
        assert spans[0][0] == iso(SINCE) and spans[-1][1] == iso(UNTIL)
        assert all(left[1] == right[0] for left, right in itertools.pairwise(spans))
    # Each window answered different posts: together all of them, none twice.
    assert (run.read, run.duplicates) == (25, 0)
    assert stored() == expected_ids(fake.posts)


def test_it_defaults_to_the_seven_days_before_now(
    campaigns: list[str], fake: FakeBluesky, clock: FakeClock
) -> None:
    campaign = configure(window_hours=24)
    run, _ = collect(campaign, clock, since=None, until=None)
    asked = [
        (s["since"], s["until"])
        for s in fake.searches
        if s["q"] == "#Khojaly" and "cursor" not in s
    ]
    now = dt.datetime.fromtimestamp(clock.now(), tz=dt.UTC)
    assert asked[0][1] == iso(now) and asked[-1][0] == iso(now - dt.timedelta(days=7))
    assert len(asked) == 7
    assert run.checkpoint["until"] == iso(now) and run.read == 25


def test_it_stores_follower_counts_fetched_25_authors_at_a_time(
    campaign: Campaign, fake: FakeBluesky, clock: FakeClock
) -> None:
    base = recorded_posts()[:25]
    many = []
    for i in range(60):
        view = copy.deepcopy(base[i % 25])
        did = f"did:plc:author{i:04d}"
        view["author"].update(did=did, handle=f"author{i}.bsky.social")
        view["uri"] = f"at://{did}/app.bsky.feed.post/3lpk{i:04d}"
        view["record"]["text"] = f"Post {i} #Khojaly"
        view["record"]["createdAt"] = at(17)
        many.append(view)
    posts = [*many, *recorded_posts()]
    fake.set_posts(posts)
    fake.page_size = 100

    run, _ = collect(campaign, clock)
    sizes = [len(batch) for batch in fake.profile_batches]
    assert max(sizes) <= 25 and sizes[:2] == [25, 25]
    asked = [did for batch in fake.profile_batches for did in batch]
    assert len(asked) == len(set(asked)) == len(fake.handles) - 1  # each author once
    followers = dict(Author.objects.filter(network="bluesky").values_list("author_id", "followers"))
    authors_in_range = {v["author"]["did"] for v in posts if SINCE <= sort_at(v) < UNTIL}
    assert followers == {did: fake.followers[did] for did in authors_in_range}
    assert run.errors == 0 and run.read == 85


def test_it_keeps_the_posts_when_profiles_cannot_be_read(
    campaign: Campaign, fake: FakeBluesky, clock: FakeClock
) -> None:
    fake.broken_profiles = True
    run, _ = collect(campaign, clock)
    assert stored() == expected_ids(fake.posts) and run.read == 25
    reasons = list(RunProblem.objects.filter(run=run).values_list("reason", flat=True))
    assert reasons and all("follower counts" in r and "not JSON" in r for r in reasons)
    assert run.errors == len(reasons) == len(fake.profile_batches)
    authors = Author.objects.filter(network="bluesky")
    assert authors.exists() and not authors.exclude(followers=None).exists()


def test_it_waits_for_the_rate_limit_reset_on_the_clock(
    campaign: Campaign, fake: FakeBluesky, clock: FakeClock
) -> None:
    fake.exhausted_at = 2  # the second search answers RateLimit-Remaining: 0
    start = clock.now()
    run, fetcher = collect(campaign, clock)
    assert fetcher.waits == [120.0] and clock.slept == [120.0]
    second = [i for i, (m, _) in enumerate(fake.calls) if m == "app.bsky.feed.searchPosts"][1]
    before, after = fake.calls[second], fake.calls[second + 1]
    assert (before[1], after[1]) == (start, start + 120)
    assert run.status == "finished" and run.read == 25


def test_it_retries_server_errors(campaign: Campaign, fake: FakeBluesky, clock: FakeClock) -> None:
    fake.fail_searches = [503, 502]
    run, fetcher = collect(campaign, clock)
    assert fetcher.waits == [1.0, 2.0]  # back-off on the fake clock
    assert fake.searches[0] == fake.searches[1] == fake.searches[2]
    assert (run.status, run.read, run.errors) == ("finished", 25, 0)
    assert stored() == expected_ids(fake.posts)


def test_it_retries_a_login_like_a_search(
    campaign: Campaign, fake: FakeBluesky, clock: FakeClock
) -> None:
    fake.fail_logins = [503, 429]  # the 429 says to wait until its reset, 120 s away
    run, fetcher = collect(campaign, clock)
    assert fake.logins == 3 and fetcher.waits == [1.0, 120.0]
    assert (run.status, run.read) == ("finished", 25)


def test_it_records_a_malformed_page_and_goes_on_with_the_next_window(
    campaign: Campaign, fake: FakeBluesky, clock: FakeClock
) -> None:
    fake.broken[("#Khojaly", at(12))] = b"<html>502 Bad Gateway</html>"
    fake.broken[("#RecognizeToReconcile", at(6))] = b'{"posts": "none"}'
    run, _ = collect(campaign, clock)
    problems = list(RunProblem.objects.filter(run=run).order_by("pk"))
    assert len(problems) == run.errors == 2
    where = [parse_qs(urlsplit(p.where).query) for p in problems]
    assert (where[0]["q"], where[0]["since"]) == (["#Khojaly"], [at(12)])
    assert "not JSON" in problems[0].reason
    assert (where[1]["q"], where[1]["since"]) == (["#RecognizeToReconcile"], [at(6)])
    assert "posts is not a list" in problems[1].reason
    # Each query went on with the window after the broken one.
    asked = [(s["q"], s["since"]) for s in fake.searches]
    assert asked.index(("#Khojaly", at(6))) == asked.index(("#Khojaly", at(12))) + 1
    assert ("#RecognizeToReconcile", at(0)) in asked

    def in_broken_window(view: dict[str, Any]) -> bool:
        text, moment = view["record"]["text"], sort_at(view)
        if text.endswith("#Khojaly"):
            return SINCE + dt.timedelta(hours=12) <= moment < UNTIL
        return SINCE + dt.timedelta(hours=6) <= moment < SINCE + dt.timedelta(hours=12)

    lost = {v["uri"] for v in fake.posts if in_broken_window(v)}
    assert len(lost) == 10  # 8 with #Khojaly, 2 with #RecognizeToReconcile
    assert stored() == expected_ids(fake.posts) - lost
    assert run.status == "finished" and run.read == 15


@pytest.mark.parametrize("stop_after", [2, 3, 7])
def test_it_resumes_from_the_checkpoint_without_duplicates_or_losses(
    campaign: Campaign, fake: FakeBluesky, clock: FakeClock, stop_after: int
) -> None:
    fake.page_size = 3
    stopped, _ = collect(campaign, clock, stop_after=stop_after)
    assert stopped.status == "stopped" and stopped.pages == stop_after
    checkpoint = stopped.checkpoint
    asked_before = len(fake.searches)

    resumed, _ = collect(campaign, clock)
    assert resumed.pk == stopped.pk and resumed.status == "finished"
    first = fake.searches[asked_before]
    lower, upper = bluesky.windows(SINCE, UNTIL, 6)[checkpoint["window"]]
    assert (first["q"], first["since"], first["until"], first.get("cursor")) == (
        checkpoint["q"],
        iso(lower),
        iso(upper),
        checkpoint["cursor"],
    )
    asked = [(s["q"], s["since"], s.get("cursor")) for s in fake.searches]
    assert len(asked) == len(set(asked)) == 11
    assert (resumed.read, resumed.new, resumed.duplicates, resumed.pages) == (25, 25, 0, 11)
    assert stored() == expected_ids(fake.posts)
    assert fake.logins == 1


def test_it_filters_by_language(campaigns: list[str], fake: FakeBluesky, clock: FakeClock) -> None:
    fake.posts[1]["record"]["langs"] = ["de"]
    fake.posts[2]["record"]["langs"] = ["en", "de-AT"]
    campaign = configure(languages=["de"])
    run, _ = collect(campaign, clock)
    # The rest declare English, or are long enough to be recognised as English.
    assert stored() == {fake.posts[1]["uri"], fake.posts[2]["uri"]}
    assert run.read == 2 and "lang=de" in run.key


def test_it_searches_mentions_of_bluesky_targets(
    campaigns: list[str], fake: FakeBluesky, clock: FakeClock
) -> None:
    mention = copy.deepcopy(fake.posts[0])
    mention["uri"] += "mention"
    mention["record"]["text"] = "Please listen, @NikolPashinyan.bsky.social"
    fake.posts.append(mention)
    campaign = configure(targets={"bluesky": ["NikolPashinyan.bsky.social"]})
    run, _ = collect(campaign, clock)
    assert {s["q"] for s in fake.searches} == {
        "#Khojaly",
        "#RecognizeToReconcile",
        "mentions:NikolPashinyan.bsky.social",
    }
    match = PostMatch.objects.filter(campaign__slug=SLUG).get(post_id=mention["uri"])
    assert match.targets == ["nikolpashinyan.bsky.social"]
    assert run.read == 26


def test_it_reports_a_window_cut_short_by_the_search_cap(
    campaign: Campaign, fake: FakeBluesky, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bluesky, "SEARCH_CAP", 5)
    fake.page_size = 3
    run, _ = collect(campaign, clock)
    # 12:00-18:00 holds 8 #Khojaly and 7 #RecognizeToReconcile posts: 6 of each are read.
    reasons = list(RunProblem.objects.filter(run=run).values_list("reason", flat=True))
    assert len(reasons) == 2 and all("window_hours" in r for r in reasons)
    assert run.read == 22 and len(stored()) == 22
    assert (fake.searches[2]["q"], fake.searches[2]["since"]) == ("#Khojaly", at(6))


def test_it_collects_through_the_collect_command(
    campaign: Campaign, fake: FakeBluesky, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(CONNECTORS, "bluesky", bluesky)
    monkeypatch.setattr(collect_command, "Fetcher", functools.partial(Fetcher, clock=clock))
    out = StringIO()
    call_command(
        "collect", SLUG, "--network", "bluesky", "--json", "--since", "2025-05-19", stdout=out
    )
    summary = json.loads(out.getvalue())
    assert summary == {
        "network": "bluesky",
        "read": 25,
        "new": 25,
        "updated": 0,
        "duplicates": 0,
        "off_topic": 0,  # each recorded post was given a campaign hashtag
        "errors": 0,
        "stop_reason": "done",
    }
    assert stored() == expected_ids(fake.posts)
    followers = dict(Author.objects.values_list("author_id", "followers"))
    assert followers and all(followers[did] == fake.followers[did] for did in followers)
    post = Post.objects.get(post_id=fake.posts[0]["uri"])
    assert post.url.startswith("https://bsky.app/profile/socpaperbot.bsky.social/post/")
    assert PostMatch.objects.filter(campaign__slug=SLUG).get(post_id=post.post_id).hashtags == [
        "khojaly"
    ]
    run = CollectionRun.objects.get()
    assert run.until is None and run.checkpoint["until"] == iso(UNTIL)  # now, kept for resuming


def test_it_keys_runs_by_queries_range_window_and_languages(campaigns: list[str]) -> None:
    listening = listening_for(configure(window_hours=6))
    key = bluesky.run_key(listening, SINCE, None)
    assert key == f"{iso(SINCE)}|now|6h||#Khojaly #RecognizeToReconcile"
    assert bluesky.run_key(listening_for(configure(window_hours=12)), SINCE, None) != key
    many = [f"tag{i}" for i in range(200)]
    long_key = bluesky.run_key(listening_for(configure(hashtags=many)), SINCE, UNTIL)
    assert len(long_key) == 500
