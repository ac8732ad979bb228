"""Mastodon public hashtag timelines: the posts carrying a campaign's hashtags, from each instance
in `[listening.mastodon] instances`. Read only, and without credentials: it reads the public
timelines and never posts, favourites or follows.

Each instance is asked for `/api/v1/timelines/tag/<first hashtag>?any[]=<the others>`, newest
first, and walked back through the `Link: <…>; rel="next"` headers. Servers drop filters such as
`any[]` from those links, so they are added back to every request. The walk stops at the first
status older than `since`; statuses newer than `until`, or in a language the campaign does not
listen to, are left out. The same post seen through two instances has one ActivityPub `uri`, so it
is stored once.

The checkpoint keeps, per instance (`{"instances": {base URL: state}}`):

- during a walk: `max_id`, where to go on after the last page committed, and `newest`, the
  newest status id the walk has seen;
- after it: `done`, and `since_id`, the newest id seen, so that a later run (see `carry_over`)
  asks only for newer posts. A walk that broke off keeps the `since_id` it started from, so the
  later run walks the gap again.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from hashrally.core.folding import fold_tag
from hashrally.listening.config import Listening
from hashrally.listening.connectors import common
from hashrally.listening.fetch import Fetcher, FetchError, MalformedPage
from hashrally.listening.normalise.mastodon import normalise_statuses
from hashrally.listening.records import Chunk, Page, parse_time, unique

TIMELINE = "/api/v1/timelines/tag/"
LIMIT = 40  # Mastodon's largest page of statuses
HEADERS = {"User-Agent": "hashrally (read-only listening)", "Accept": "application/json"}
_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*)*)")
_REL = re.compile(r"""rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.IGNORECASE)


def check_credentials() -> None:
    """Public hashtag timelines need no account."""


def instances_of(listening: Listening) -> list[str]:
    return unique(i.rstrip("/") for i in listening.spec.mastodon.instances)


def run_key(listening: Listening, since: dt.datetime | None, until: dt.datetime | None) -> str:
    """The instances, hashtags, languages and window: the same ones resume the same run."""
    return common.run_key(
        "mastodon",
        ",".join(sorted(instances_of(listening))),
        ",".join(sorted(listening.folded_hashtags)),
        ",".join(sorted(c.lower() for c in listening.languages)),
        common.utc_seconds(since) if since else "",
        common.utc_seconds(until) if until else "",
    )


def carry_over(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint a new run starts from after a finished one: only each instance's
    `since_id`, so it fetches only posts newer than those already collected."""
    instances = checkpoint.get("instances") if isinstance(checkpoint, dict) else None
    kept: dict[str, Any] = {}
    for instance, state in (instances or {}).items():
        if isinstance(state, dict) and state.get("since_id"):
            kept[instance] = {"since_id": str(state["since_id"])}
    return {"instances": kept}


def next_link(headers: httpx.Headers) -> str | None:
    """The target of the `Link` header's rel="next", if there is one."""
    for value in headers.get_list("link"):
        for target, parameters in _LINK.findall(value):
            for quoted, bare in _REL.findall(parameters):
                if "next" in (quoted or bare).lower().split():
                    return str(target.strip())
    return None


def _id_order(status_id: str) -> tuple[int, str]:
    # Mastodon ids are decimal strings, other servers' sortable strings: longer is newer.
    return len(status_id), status_id


def _newer(a: str | None, b: str | None) -> str | None:
    if not a or not b:
        return a or b
    return max(a, b, key=_id_order)


def _follow(instance: str, link: str, params: list[tuple[str, str]]) -> tuple[str, list[Any]]:
    """The next request: the link's path and query on the instance itself (never another
    host), with the filters the server dropped from it added back."""
    target = httpx.URL(link)
    base = httpx.URL(instance)
    url = str(base.copy_with(path=target.path or base.path, query=None, fragment=None))
    merged: list[tuple[str, str]] = list(target.params.multi_items())
    present = {name for name, _ in merged}
    merged += [(name, value) for name, value in params if name not in present]
    return url, merged


def _statuses_problem(data: Any) -> str:
    if not isinstance(data, list):
        return f"not a list of statuses: a JSON {type(data).__name__}"
    for n, status in enumerate(data):
        if not isinstance(status, dict):
            return f"status {n} is a JSON {type(status).__name__}, not an object"
        if not isinstance(status.get("uri"), str) or not status["uri"]:
            return f"status {n} has no uri"
        if not isinstance(status.get("id"), (str, int)):
            return f"status {n} has no id"
    return ""


def _language_ok(status: dict[str, Any], languages: frozenset[str]) -> bool:
    """Statuses without a language are kept: nothing says they are in another one."""
    code = status.get("language")
    if not languages or not isinstance(code, str) or not code:
        return True
    return common.in_languages(code, languages)


def chunks(
    listening: Listening,
    checkpoint: dict[str, Any],
    *,
    fetcher: Fetcher,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> Iterator[Chunk]:
    if not listening.hashtags:
        raise ValueError("nothing to follow on Mastodon: the campaign has no hashtags")
    tags: dict[str, str] = {}
    for tag in listening.hashtags:  # each once, as first written
        tags.setdefault(fold_tag(tag), tag.removeprefix("#"))
    first, *others = tags.values()
    languages = common.wanted_languages(listening)
    saved = checkpoint.get("instances") if isinstance(checkpoint, dict) else None
    states: dict[str, dict[str, Any]] = copy.deepcopy(saved) if isinstance(saved, dict) else {}
    progress = 0

    def snapshot() -> dict[str, Any]:
        return {"instances": copy.deepcopy(states)}

    for instance in instances_of(listening):
        state = states.setdefault(instance, {})
        if state.get("done"):
            continue  # walked to its end earlier in this run
        floor: str | None = state.get("since_id") or None
        filters = [("limit", str(LIMIT)), *(("any[]", tag) for tag in others)]
        if floor:
            filters.append(("since_id", floor))
        url = f"{instance}{TIMELINE}{quote(first, safe='')}"
        params: list[Any] = list(filters)
        if state.get("max_id"):
            params.append(("max_id", str(state["max_id"])))

        def end_walk(completed: bool, state: dict[str, Any] = state) -> None:
            newest, old_floor = state.get("newest"), state.get("since_id")
            state.clear()
            state["done"] = True
            since_id = _newer(newest, old_floor) if completed else old_floor
            if since_id:
                state["since_id"] = since_id

        while True:
            where = str(httpx.URL(url, params=params))
            try:
                response = fetcher.get(url, params=params, headers=HEADERS)
            except MalformedPage as exc:
                end_walk(completed=False)
                yield Chunk(exc.url, exc.raw, None, str(exc), snapshot(), progress)
                break
            except FetchError as exc:
                end_walk(completed=False)
                yield Chunk(where, b"", None, str(exc), snapshot(), progress)
                break
            data = response.data
            problem = _statuses_problem(data)
            page: Page | None = None
            if not problem:
                kept, reached_since = [], False
                for status in data:
                    state["newest"] = _newer(state.get("newest"), str(status["id"]))
                    created = parse_time(status.get("created_at"))
                    if since is not None and created is not None and created < since:
                        reached_since = True
                        continue
                    if until is not None and created is not None and created > until:
                        continue
                    if _language_ok(status, languages):
                        kept.append(status)
                try:
                    page = normalise_statuses(kept)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    problem = f"not the expected shape: {exc!r}"
            if page is None:
                end_walk(completed=False)
                yield Chunk(response.url, response.raw, None, problem, snapshot(), progress)
                break
            progress += len(page.posts)
            link = next_link(response.headers) if data and not reached_since else None
            if link:
                url, params = _follow(instance, link, filters)
                max_id = next((v for k, v in params if k == "max_id"), None)
                if max_id is None or max_id == state.get("max_id"):
                    link = None  # a link that does not go further back would loop
                else:
                    state["max_id"] = max_id
            if not link:
                end_walk(completed=True)
            yield Chunk(response.url, response.raw, page, "", snapshot(), progress)
            if not link:
                break
