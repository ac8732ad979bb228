"""What listening tests share: a fake Mastodon instance serving recorded statuses, its fake
clock, and importing a file into the test campaign.

The statuses are the ones recorded in tests/fixtures/recorded/mastodon (Mastodon.py's
cassettes), given the test campaign's hashtags (Khojaly and RecognizeToReconcile) and times a
minute apart.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

import yaml
from django.core.management import CommandError, call_command

from hashrally.listening.models import Post
from tests.fakes import ROOT, free_port

FIXTURES = ROOT / "tests" / "fixtures" / "recorded"
CASSETTES = FIXTURES / "mastodon"
SLUG = "recognize-to-reconcile"  # the test campaign the fakes' posts are for
TIMELINE = "/api/v1/timelines/tag/"
START = dt.datetime(2026, 8, 1, 12, 0, tzinfo=dt.UTC)  # the oldest status; one a minute after
CLOCK_START = dt.datetime(2026, 8, 1, 13, 55, tzinfo=dt.UTC).timestamp()
RESET = "2026-08-01T14:00:00.000000Z"  # five minutes after the fake clock starts
TRIMMED = ("application", "quote_approval", "tagged_collections", "filtered", "emojis")


# --- recorded statuses ----------------------------------------------------------------------


def recorded_statuses() -> list[dict[str, Any]]:
    """The 30 statuses of test_fetch_remaining.yaml, oldest first."""
    cassette = yaml.safe_load((CASSETTES / "test_fetch_remaining.yaml").read_text())
    statuses: list[dict[str, Any]] = []
    for interaction in cassette["interactions"]:
        if TIMELINE in interaction["request"]["uri"]:
            statuses += json.loads(interaction["response"]["body"]["string"])
    return sorted(statuses, key=lambda s: int(s["id"]))


RECORDED = recorded_statuses()


def tag_of(n: int) -> str:
    # Every fourth status carries only the second hashtag: it comes only through any[].
    return "RecognizeToReconcile" if n % 4 == 1 else "Khojaly"


def statuses(count: int, language: Callable[[int], str] = lambda n: "en") -> list[dict[str, Any]]:
    """`count` recorded statuses, oldest first, with the campaign's hashtags, a minute apart."""
    made = []
    for n, recorded in enumerate(RECORDED[:count]):
        status = {k: v for k, v in copy.deepcopy(recorded).items() if k not in TRIMMED}
        tag = tag_of(n)
        status["created_at"] = (START + dt.timedelta(minutes=n)).isoformat().replace("+00:00", "Z")
        status["language"] = language(n)
        status["content"] = (
            f'<p>Toot number {n}! <a href="http://localhost:3000/tags/{tag}">#{tag}</a></p>'
        )
        status["tags"] = [{"name": tag.lower(), "url": f"http://localhost:3000/tags/{tag.lower()}"}]
        made.append(status)
    return made


def seen_through(statuses: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    """The same statuses as another instance shows them: same `uri`, its own ids and urls."""
    copies = copy.deepcopy(statuses)
    for status in copies:
        status["id"] = str(int(status["id"]) + 7)
        status["url"] = f"{base}/@mastodonpy_test_2@localhost:3000/{status['id']}"
    return copies


def uris(statuses: list[dict[str, Any]]) -> set[str]:
    return {s["uri"] for s in statuses}


# --- a fake instance -------------------------------------------------------------------------


@dataclass
class Reply:
    """What the fake answers to one request instead of, or on top of, the normal page."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # None: the normal page (with these status and headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeMastodon


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        cast(_Server, self.server).fake.answer(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeMastodon:
    """GET /api/v1/timelines/tag/<tag>?any[]=…&limit&max_id&since_id&min_id, newest first, with
    Link headers that drop any[] and since_id as servers do, and X-RateLimit-* headers."""

    def __init__(self, statuses: list[dict[str, Any]], page_size: int = 5) -> None:
        self.statuses = statuses
        self.page_size = page_size
        self.replies: dict[int, Reply] = {}  # by request number, from 1
        self.requests: list[dict[str, list[str]]] = []
        self.served: list[list[str]] = []  # the status ids of each normal page
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", free_port()), _Handler)
        self.server.fake = self
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        query = parse_qs(split.query)
        with self.lock:
            self.requests.append(query)
            reply = self.replies.get(len(self.requests), Reply())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "299",
            "X-RateLimit-Reset": RESET,
        }
        body = reply.body
        if body is None and not split.path.startswith(TIMELINE):
            reply, body = Reply(404), b'{"error":"Record not found"}'
        elif body is None and reply.status != 200:
            body = b'{"error":"Something went wrong"}'
        elif body is None:
            page, limit = self.page(unquote(split.path[len(TIMELINE) :]), query)
            with self.lock:
                self.served.append([s["id"] for s in page])
            body = json.dumps(page).encode()
            if page:
                link = f"{self.base}{split.path}?limit={limit}"
                headers["Link"] = (
                    f'<{link}&max_id={page[-1]["id"]}>; rel="next", '
                    f'<{link}&min_id={page[0]["id"]}>; rel="prev"'
                )
        headers.update(reply.headers)
        handler.send_response(reply.status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def page(self, tag: str, query: dict[str, list[str]]) -> tuple[list[dict[str, Any]], int]:
        wanted = {tag.casefold(), *(t.casefold() for t in query.get("any[]", []))}
        limit = int(query.get("limit", ["20"])[0])
        found = sorted(
            (s for s in self.statuses if wanted & {t["name"].casefold() for t in s["tags"]}),
            key=lambda s: int(s["id"]),
            reverse=True,
        )
        if "max_id" in query:
            found = [s for s in found if int(s["id"]) < int(query["max_id"][0])]
        if "since_id" in query:
            found = [s for s in found if int(s["id"]) > int(query["since_id"][0])]
        size = min(limit, self.page_size)
        if "min_id" in query:
            found = [s for s in found if int(s["id"]) > int(query["min_id"][0])][-size:]
        return found[:size], limit

    def param(self, request: int, name: str) -> list[str]:
        return self.requests[request].get(name, [])


class FakeClock:
    """now() moves on a little at every look; sleep() only records and moves it on."""

    def __init__(self, start: float = CLOCK_START) -> None:
        self.time = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        self.time += 0.001
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds


def stored() -> set[str]:
    return set(Post.objects.filter(network="mastodon").values_list("post_id", flat=True))


def run_import(path: Path | str, fmt: str = "", slug: str = SLUG) -> dict[str, Any]:
    """`hashrally import` of a file into a campaign (the test campaign unless named), in the
    format given or the one told from the file; its JSON summary, also when some lines were
    refused (exit status 2)."""
    out = StringIO()
    try:
        given = ["--format", fmt] if fmt else []
        call_command("import", slug, str(path), *given, "--json", stdout=out)
    except CommandError as refused:
        # Some lines refused (exit status 2): the summary names them; tests look at it.
        if refused.returncode != 2:
            raise
    return dict(json.loads(out.getvalue()))
