"""X (Twitter) API v2 search: the public posts carrying a campaign's hashtags or mentioning its
targets. Read only: it searches, and never posts, likes or follows.

Recent search reaches 7 days back, so the window is clamped to that unless the campaign has
full-archive search (`[listening.x] archive = true`). X bills per post read: the run counts the
posts it has read, across resumes, and stops before a page could take it past
`[listening.x] budget`.

The checkpoint stored with each page is the `next_token` of the page after it, the window the
run asked for and the posts read so far, so a killed run resumes at the first page it had not
committed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from hashrally.listening.config import Listening
from hashrally.listening.connectors import MissingCredentials, common
from hashrally.listening.fetch import Fetcher, FetchError, MalformedPage
from hashrally.listening.normalise.x import normalise_page
from hashrally.listening.pipeline import StopRun
from hashrally.listening.records import Chunk, Page, parse_time, unique

CREDENTIAL = "HASHRALLY_X_BEARER_TOKEN"
RECENT = "/tweets/search/recent"
ARCHIVE = "/tweets/search/all"
MAX_QUERY = 512  # characters, X's limit for search queries
MAX_RESULTS = 100  # posts per page
MIN_RESULTS = 10  # X refuses a smaller max_results
RECENT_REACH = dt.timedelta(days=7)
# X refuses a start_time older than 7 days before the request, and an end_time later than
# 10 seconds before it. A start is clamped when it is within SLACK of falling out of reach, to
# START_MARGIN inside it, so a run resumed minutes later keeps its window.
SLACK = dt.timedelta(seconds=30)
START_MARGIN = dt.timedelta(minutes=2)
_QUERY_STRING = re.compile(r"\?\S*?: ")

TWEET_FIELDS = (
    "author_id,created_at,lang,public_metrics,entities,referenced_tweets,conversation_id,"
    "note_tweet,edit_history_tweet_ids"
)
EXPANSIONS = (
    "author_id,referenced_tweets.id,referenced_tweets.id.author_id,entities.mentions.username"
)
USER_FIELDS = "created_at,description,location,public_metrics,username,name,verified"


def check_credentials() -> None:
    if not settings.HASHRALLY_X_BEARER_TOKEN:
        raise MissingCredentials(
            f"{CREDENTIAL} is not set: collecting from X needs an API bearer token "
            "(developer.x.com, read-only access is enough)"
        )


def build_query(listening: Listening) -> str:
    """`(#a OR #b OR @target …)`, then `(lang:xx OR …)` when languages are set.

    Reposts are kept: the report labels them. Languages are sent as their primary subtag
    (pt-BR is searched as lang:pt), as X tags posts.
    """
    terms = unique(
        [f"#{tag.removeprefix('#')}" for tag in listening.hashtags]
        + [f"@{handle.removeprefix('@')}" for handle in listening.targets.get("x", ())]
    )
    if not terms:
        raise ValueError("nothing to search on X: the campaign has no hashtags and no X targets")
    query = f"({' OR '.join(terms)})"
    languages = unique(code.split("-")[0].lower() for code in listening.languages)
    if languages:
        query += f" ({' OR '.join(f'lang:{code}' for code in languages)})"
    if len(query) > MAX_QUERY:
        raise ValueError(
            f"the X search query would be {len(query)} characters, over X's limit of "
            f"{MAX_QUERY}: list fewer hashtags, targets or languages in [listening] "
            f"({query[:60]}…)"
        )
    return query


def run_key(listening: Listening, since: dt.datetime | None, until: dt.datetime | None) -> str:
    """The endpoint, the window asked for and the query: the same three resume the same run."""
    endpoint = "all" if listening.spec.x.archive else "recent"
    return common.run_key(
        endpoint,
        common.utc_seconds(since) if since else "",
        common.utc_seconds(until) if until else "",
        build_query(listening),
    )


def _window(
    since: dt.datetime | None, until: dt.datetime | None, *, now: dt.datetime, archive: bool
) -> tuple[dt.datetime | None, dt.datetime]:
    end = now - SLACK
    if until is not None and until < end:
        end = until
    start = since
    if not archive and (start is None or start < now - RECENT_REACH + SLACK):
        start = now - RECENT_REACH + START_MARGIN
    if start is not None and start >= end:
        why = f"nothing to search between {common.utc_seconds(start)} and {common.utc_seconds(end)}"
        if start != since:
            why += (
                ": recent search reaches only the last 7 days; "
                "set [listening.x] archive = true for full-archive search"
            )
        raise StopRun(why)
    return start, end


def _read_page(data: Any) -> tuple[Page | None, str, str | None, int]:
    """(page, problem, next token, posts billed) of one answer; page None and no problem: the end.

    A problem stops the paging: there is no token to follow past it.
    """
    if not isinstance(data, dict):
        return None, f"not the expected shape: a JSON {type(data).__name__}, not an object", None, 0
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        return None, "not the expected shape: meta is not an object", None, 0
    posts = data.get("data")
    if not posts and meta.get("result_count") == 0:
        return None, "", None, 0  # nothing (more) to read, errors or not
    if posts is None and "errors" in data:
        page = normalise_page(data)
        return None, f"API error: {page.api_error}", None, 0
    if not isinstance(posts, list):
        return None, "not the expected shape: data is not a list of posts", None, 0
    token = meta.get("next_token")
    if token is not None and (not isinstance(token, str) or not token):
        return None, "not the expected shape: meta.next_token is not a string", None, len(posts)
    try:
        page = normalise_page(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return None, f"not the expected shape: {exc!r}", None, len(posts)
    return page, "", token, len(posts)


def chunks(
    listening: Listening,
    checkpoint: dict[str, Any],
    *,
    fetcher: Fetcher,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> Iterator[Chunk]:
    check_credentials()
    query = build_query(listening)
    archive = listening.spec.x.archive
    budget = listening.spec.x.budget
    url = f"{settings.HASHRALLY_X_API_URL}{ARCHIVE if archive else RECENT}"
    headers = {
        "Authorization": f"Bearer {settings.HASHRALLY_X_BEARER_TOKEN}",
        "User-Agent": "hashrally (read-only listening)",
    }
    read = int(checkpoint.get("read", 0))
    token: str | None = checkpoint.get("next_token") or None
    if "read" in checkpoint and token is None:
        return  # the last page committed was the last page
    # A resumed run keeps the window it started with, so its next_token still fits.
    if "until" in checkpoint:
        since = parse_time(checkpoint.get("since"))
        until = parse_time(checkpoint.get("until"))
    now = dt.datetime.fromtimestamp(fetcher.clock.now(), tz=dt.UTC)
    start, end = _window(since, until, now=now, archive=archive)

    def mark(next_token: str | None) -> dict[str, Any]:
        return {
            "next_token": next_token,
            "since": common.utc_seconds(start) if start else None,
            "until": common.utc_seconds(end),
            "read": read,
        }

    while True:
        left = budget - read
        if left < MIN_RESULTS:
            raise StopRun(
                f"budget of {budget} posts reached after {read}; "
                "raise [listening.x] budget and run again to go on"
            )
        params: dict[str, str | int] = {
            "query": query,
            "max_results": min(MAX_RESULTS, left),
            "tweet.fields": TWEET_FIELDS,
            "expansions": EXPANSIONS,
            "user.fields": USER_FIELDS,
            "end_time": common.utc_seconds(end),
        }
        if start is not None:
            params["start_time"] = common.utc_seconds(start)
        if token:
            params["next_token"] = token
        try:
            response = fetcher.get(url, params=params, headers=headers)
        except MalformedPage as exc:
            yield Chunk(exc.url, exc.raw, None, str(exc), mark(None), read)
            return
        except FetchError as exc:
            # Without the query string, so that the run's 300-character reason keeps the cause.
            raise FetchError(_QUERY_STRING.sub(": ", str(exc), count=1)) from None
        page, problem, token, billed = _read_page(response.data)
        read += billed
        if page is None:
            if problem:
                yield Chunk(response.url, response.raw, None, problem, mark(None), read)
            return
        yield Chunk(response.url, response.raw, page, "", mark(token), read)
        if token is None:
            return
