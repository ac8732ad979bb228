"""Bluesky search: the public posts carrying a campaign's hashtags or mentioning its targets.
Read only: it logs in with an app password to search, and never posts, likes or follows.

`app.bsky.feed.searchPosts` needs a session and answers at most about 10,000 posts per query, so
each query (one per hashtag, one `mentions:` per Bluesky target) is searched in date windows of
`[listening.bluesky] window_hours`, newest first, from `until` (default: now) back to `since`
(default: 7 days before `until`). Windows are half-open, [since, until), as the API reads them,
so consecutive windows neither overlap nor leave gaps.

After each page the authors' profiles are fetched (`app.bsky.actor.getProfiles`, 25 at a time)
so that follower counts are stored with them.

The checkpoint stored with each page names the query, the window and the cursor of the page after
it, and the run's own since/until, so a killed run resumes at the first page it had not committed.

The session (access and refresh JWTs, never the app password) is kept in
`VAR_DIR/bluesky-session.json` (mode 0600) and reused by later runs: logins are rate-limited
hard. An expired access token is refreshed; only if that fails does the connector log in again.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings

from hashrally.listening.config import Listening
from hashrally.listening.connectors import MissingCredentials, common
from hashrally.listening.fetch import (
    Fetcher,
    FetchError,
    MalformedPage,
    Response,
)
from hashrally.listening.normalise.bluesky import NETWORK, author, normalise_posts
from hashrally.listening.pipeline import StopRun
from hashrally.listening.records import (
    AuthorRecord,
    Chunk,
    Page,
    guess_language,
    parse_time,
    unique,
)

logger = logging.getLogger(__name__)

HANDLE_SETTING = "HASHRALLY_BLUESKY_HANDLE"
PASSWORD_SETTING = "HASHRALLY_BLUESKY_APP_PASSWORD"  # noqa: S105 - the setting's name
SESSION_FILE = "bluesky-session.json"
SEARCH = "app.bsky.feed.searchPosts"
PROFILES = "app.bsky.actor.getProfiles"
CREATE_SESSION = "com.atproto.server.createSession"
REFRESH_SESSION = "com.atproto.server.refreshSession"
PAGE_LIMIT = 100  # posts per searchPosts page, the API's maximum
PROFILE_BATCH = 25  # actors per getProfiles request, the API's maximum
SEARCH_CAP = 10_000  # posts one query answers at most; a window that reaches it is cut short
DEFAULT_REACH = dt.timedelta(days=7)
# A token the server no longer accepts: 400 ExpiredToken (expired or revoked), 401 otherwise.
TOKEN_ERRORS = ("ExpiredToken", "InvalidToken")
_HTTP_STATUS = re.compile(r"\bHTTP (\d{3})\b")


def check_credentials() -> None:
    missing = [
        name for name in (HANDLE_SETTING, PASSWORD_SETTING) if not getattr(settings, name, "")
    ]
    if missing:
        raise MissingCredentials(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: searching "
            "Bluesky needs an account's handle and an app password (Settings → Privacy and "
            "security → App passwords), never the account's own password"
        )


def build_queries(listening: Listening) -> list[str]:
    """One search per hashtag (`#tag`) and per Bluesky target (`mentions:handle`)."""
    queries = unique(
        [f"#{tag.removeprefix('#')}" for tag in listening.hashtags]
        + [f"mentions:{handle.removeprefix('@')}" for handle in listening.targets.get(NETWORK, ())]
    )
    if not queries:
        raise ValueError(
            "nothing to search on Bluesky: the campaign has no hashtags and no Bluesky targets"
        )
    return queries


def _aware(moment: dt.datetime) -> dt.datetime:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def run_key(listening: Listening, since: dt.datetime | None, until: dt.datetime | None) -> str:
    """The queries, the range asked for, the window size and the languages make the same run."""
    languages = ",".join(sorted(common.wanted_languages(listening)))
    return common.run_key(
        common.utc_milliseconds(_aware(since)) if since else "",
        common.utc_milliseconds(_aware(until)) if until else "now",
        f"{listening.spec.bluesky.window_hours}h",
        f"lang={languages}" if languages else "",
        " ".join(build_queries(listening)),
    )


def time_range(
    since: dt.datetime | None, until: dt.datetime | None, *, now: float
) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) to search, to the second: `until` or now, back to `since` or 7 days."""
    end = _aware(until) if until else _aware(dt.datetime.fromtimestamp(now, tz=dt.UTC))
    start = _aware(since) if since else end - DEFAULT_REACH
    return start, end


def windows(
    start: dt.datetime, end: dt.datetime, hours: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Half-open windows of `hours`, newest first, from end back to start; the last may be short."""
    size = dt.timedelta(hours=hours)
    spans = []
    upper = end
    while upper > start:
        lower = max(start, upper - size)
        spans.append((lower, upper))
        upper = lower
    return spans


def _language_ok(view: dict[str, Any], wanted: frozenset[str]) -> bool:
    """Declared languages (`record.langs`) decide; without any, a guess from the text does when
    the text is long enough to guess from, as the store guesses; otherwise the post is kept."""
    if not wanted:
        return True
    record = view.get("record") or {}
    declared = record.get("langs") or []
    if declared:
        return any(common.in_languages(str(code), wanted) for code in declared)
    guess = guess_language(str(record.get("text") or ""))
    return guess is None or guess in wanted


# Session ---------------------------------------------------------------------------------------


def session_path() -> Path:
    return Path(settings.VAR_DIR) / SESSION_FILE


def _status_of(exc: FetchError) -> tuple[int, str]:
    """The HTTP status and body of a refused request (0 if it was not an HTTP answer)."""
    if isinstance(exc, MalformedPage):
        return 0, ""
    if exc.status is not None:
        return exc.status, exc.body
    match = _HTTP_STATUS.search(str(exc))
    return (int(match.group(1)), str(exc)) if match else (0, "")


def _token_refused(exc: FetchError) -> bool:
    status, body = _status_of(exc)
    return status == 401 or (status == 400 and any(name in body for name in TOKEN_ERRORS))


class Session:
    """An app-password session: tokens from the session file, refreshed or renewed as needed."""

    def __init__(self, fetcher: Fetcher, base: str, handle: str, path: Path) -> None:
        self.fetcher = fetcher
        self.base = base
        self.handle = handle
        self.path = path
        self.access = ""
        self.refresh = ""
        self.did = ""

    def url(self, method: str) -> str:
        return f"{self.base}/xrpc/{method}"

    # The file -----------------------------------------------------------------------------------

    def load(self) -> bool:
        try:
            data = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return False
        if (
            not isinstance(data, dict)
            or data.get("service") != self.base
            or str(data.get("handle") or "").casefold() != self.handle.casefold()
            or not isinstance(data.get("accessJwt"), str)
            or not isinstance(data.get("refreshJwt"), str)
        ):
            return False  # another account or server: log in rather than mix sessions
        self.access, self.refresh = data["accessJwt"], data["refreshJwt"]
        self.did = str(data.get("did") or "")
        return True

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.partial")
        content = orjson.dumps(
            {
                "service": self.base,
                "handle": self.handle,
                "did": self.did,
                "accessJwt": self.access,
                "refreshJwt": self.refresh,
            }
        )
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(descriptor, 0o600)
            os.write(descriptor, content)
        finally:
            os.close(descriptor)
        os.replace(partial, self.path)

    # The server ---------------------------------------------------------------------------------

    def _post(
        self, method: str, body: dict[str, str] | None, bearer: str | None
    ) -> tuple[int, dict[str, Any]]:
        """POST through the fetcher (its retries and rate-limit waits); the status and the JSON
        answer, whatever the status, for the session logic to read. Neither the body (it may
        hold the password) nor the token is ever put in a message."""
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else None
        response = self.fetcher.post(self.url(method), json=body, headers=headers)
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            data = {}
        return response.status_code, data if isinstance(data, dict) else {}

    def _take(self, data: dict[str, Any]) -> bool:
        access, refresh = data.get("accessJwt"), data.get("refreshJwt")
        if not isinstance(access, str) or not isinstance(refresh, str) or not access:
            return False
        self.access, self.refresh = access, refresh
        self.did = str(data.get("did") or self.did)
        self.save()
        return True

    def login(self) -> None:
        password = str(settings.HASHRALLY_BLUESKY_APP_PASSWORD)
        status, data = self._post(
            CREATE_SESSION, {"identifier": self.handle, "password": password}, None
        )
        if status == 200 and self._take(data):
            logger.info("Bluesky: logged in as %s", self.handle)
            return
        said = f"{data.get('error') or ''} {data.get('message') or ''}".strip()
        said = said.replace(password, "…") if password else said
        raise FetchError(
            f"{self.url(CREATE_SESSION)}: Bluesky refused the login of {self.handle} "
            f"(HTTP {status}{': ' + said[:200] if said else ''}); check {HANDLE_SETTING} and "
            f"{PASSWORD_SETTING} (an app password)"
        )

    def renew(self) -> None:
        """Refresh the session; log in again only if the refresh token is refused."""
        if self.refresh:
            status, data = self._post(REFRESH_SESSION, None, self.refresh)
            if status == 200 and self._take(data):
                logger.info("Bluesky: session refreshed")
                return
            logger.info("Bluesky: refresh refused (HTTP %s %s)", status, data.get("error") or "")
        self.login()

    def get(self, method: str, params: Any) -> Response:
        if not self.access and not self.load():
            self.login()
        url = self.url(method)
        try:
            return self.fetcher.get(url, params=params, headers=self._auth())
        except FetchError as exc:
            if not _token_refused(exc):
                raise
        self.renew()
        return self.fetcher.get(url, params=params, headers=self._auth())

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


# Pages -----------------------------------------------------------------------------------------


def _search_page(data: Any) -> tuple[list[dict[str, Any]], str | None]:
    if not isinstance(data, dict):
        raise ValueError(f"a JSON {type(data).__name__}, not an object")
    views = data.get("posts")
    if not isinstance(views, list) or not all(isinstance(v, dict) for v in views):
        raise ValueError("posts is not a list of post views")
    cursor = data.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise ValueError("cursor is not a string")
    return views, cursor or None


def _add_followers(session: Session, page: Page, known: dict[str, AuthorRecord]) -> tuple[str, str]:
    """Put the authors' profiles (with follower counts) into the page; (where, problem) if some
    could not be read. Profiles already fetched in this run are not fetched again."""
    wanted = [a.author_id for a in page.authors if a.author_id not in known]
    where = problem = ""
    for start in range(0, len(wanted), PROFILE_BATCH):
        batch = wanted[start : start + PROFILE_BATCH]
        try:
            response = session.get(PROFILES, params=[("actors", did) for did in batch])
            where = response.url
            data = response.data
            profiles = data.get("profiles") if isinstance(data, dict) else None
            if not isinstance(profiles, list):
                raise ValueError("profiles is not a list")
            for view in profiles:
                record = author(view)
                known[record.author_id] = record
        except MalformedPage as exc:
            where, problem = exc.url, f"follower counts of {len(batch)} authors: {exc}"
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problem = f"follower counts of {len(batch)} authors: not the expected shape: {exc!r}"
            where = where or session.url(PROFILES)
    page.authors = [known.get(a.author_id, a) for a in page.authors]
    return where, problem


def chunks(
    listening: Listening,
    checkpoint: dict[str, Any],
    *,
    fetcher: Fetcher,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> Iterator[Chunk]:
    check_credentials()
    queries = build_queries(listening)
    wanted_languages = common.wanted_languages(listening)
    # A resumed run keeps the range it started with, so its windows and cursor still fit.
    start_at = parse_time(checkpoint.get("since"))
    end_at = parse_time(checkpoint.get("until"))
    if start_at is None or end_at is None:
        start_at, end_at = time_range(since, until, now=fetcher.clock.now())
    spans = windows(start_at, end_at, listening.spec.bluesky.window_hours)
    if not spans:
        start, end = common.utc_milliseconds(start_at), common.utc_milliseconds(end_at)
        raise StopRun(f"nothing to search between {start} and {end}")

    query = int(checkpoint.get("query", 0))
    if 0 <= query < len(queries) and checkpoint.get("q") not in (None, queries[query]):
        query = queries.index(checkpoint["q"]) if checkpoint["q"] in queries else 0
    window = int(checkpoint.get("window", 0))
    cursor: str | None = checkpoint.get("cursor") or None
    in_window = int(checkpoint.get("in_window", 0))
    read = int(checkpoint.get("read", 0))

    def mark() -> dict[str, Any]:
        return {
            "since": common.utc_milliseconds(start_at),
            "until": common.utc_milliseconds(end_at),
            "query": query,
            "q": queries[query] if query < len(queries) else None,
            "window": window,
            "cursor": cursor,
            "in_window": in_window,
            "read": read,
        }

    session = Session(
        fetcher,
        str(settings.HASHRALLY_BLUESKY_URL).rstrip("/"),
        str(getattr(settings, HANDLE_SETTING)),
        session_path(),
    )
    known: dict[str, AuthorRecord] = {}

    while query < len(queries):
        if window >= len(spans):
            query, window, cursor, in_window = query + 1, 0, None, 0
            continue
        lower, upper = spans[window]
        params: dict[str, str | int] = {
            "q": queries[query],
            "since": common.utc_milliseconds(lower),
            "until": common.utc_milliseconds(upper),
            "limit": PAGE_LIMIT,
            "sort": "latest",
        }
        if cursor:
            params["cursor"] = cursor
        response: Response | None = None
        try:
            response = session.get(SEARCH, params=params)
            views, next_cursor = _search_page(response.data)
            page = normalise_posts([v for v in views if _language_ok(v, wanted_languages)])
        except (MalformedPage, KeyError, TypeError, ValueError, AttributeError) as exc:
            # Nothing to follow past a page that cannot be read: on to the next window.
            window, cursor, in_window = window + 1, None, 0
            if isinstance(exc, MalformedPage):
                where, raw, problem = exc.url, exc.raw, str(exc)
            elif response is not None:
                where, raw = response.url, response.raw
                problem = f"not a searchPosts page: {exc!r}"
            else:  # pragma: no cover - only the page's own shape raises these
                where, raw = session.url(SEARCH), b""
                problem = f"not a searchPosts page: {exc!r}"
            yield Chunk(where, raw, None, problem, mark(), read)
            continue

        profiles_where, profiles_problem = _add_followers(session, page, known)
        in_window += len(views)
        read += len(page.posts)
        capped = in_window >= SEARCH_CAP
        window_done = not views or next_cursor is None or next_cursor == cursor or capped
        if window_done:
            window, cursor, in_window = window + 1, None, 0
        else:
            cursor = next_cursor
        yield Chunk(response.url, response.raw, page, "", mark(), read)
        if profiles_problem:
            yield Chunk(profiles_where, b"", None, profiles_problem, mark(), read)
        if capped:
            yield Chunk(
                response.url,
                b"",
                None,
                f"{params['q']} between {params['since']} and {params['until']} reached "
                f"{SEARCH_CAP} posts, the most one search answers; later pages were not read: "
                "lower [listening.bluesky] window_hours",
                mark(),
                read,
            )
