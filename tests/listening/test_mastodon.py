"""The Mastodon connector against local fake instances serving recorded statuses.

The statuses are the ones recorded in tests/fixtures/recorded/mastodon (Mastodon.py's
cassettes), given the campaign's hashtags and times a minute apart. Time is a fake clock:
nothing sleeps for real.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any, cast

import httpx
import pytest
from django.core.management import call_command

from hashrally.campaigns.models import Campaign
from hashrally.listening import runs
from hashrally.listening.config import Listening, listening_for
from hashrally.listening.connectors import mastodon
from hashrally.listening.fetch import Fetcher
from hashrally.listening.models import CollectionRun, Post, RawPage, RunProblem
from hashrally.listening.pipeline import StopRun, consume
from hashrally.listening.records import Chunk
from tests.fakes import free_port
from tests.listening.fakes import (
    RESET,
    START,
    TIMELINE,
    FakeClock,
    FakeMastodon,
    Reply,
    seen_through,
    statuses,
    stored,
    uris,
)

pytestmark = pytest.mark.django_db

SLUG = "recognize-to-reconcile"  # hashtags Khojaly and RecognizeToReconcile


# --- driving the connector through the pipeline -----------------------------------------------


def listen(*instances: str, **spec: Any) -> tuple[Campaign, Listening]:
    campaign = Campaign.objects.get(slug=SLUG)
    campaign.listening = {"mastodon": {"instances": list(instances)}, **spec}
    campaign.save()
    return campaign, listening_for(campaign)


def stop_after(count: int, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    """The chunks, then a stop on purpose after `count` of them, as a kill would leave it."""
    for n, chunk in enumerate(chunks, 1):
        yield chunk
        if n == count:
            raise StopRun(f"stopped after {count} pages")


def collect(
    fetcher: Fetcher,
    campaign: Campaign,
    listening: Listening,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    checkpoint: dict[str, Any] | None = None,
    stop: int = 0,
) -> CollectionRun:
    key = mastodon.run_key(listening, since, until)
    run = runs.start_or_resume(campaign, "mastodon", key, since=since, until=until)
    pages = mastodon.chunks(
        listening,
        run.checkpoint if checkpoint is None else checkpoint,
        fetcher=fetcher,
        since=since,
        until=until,
    )
    try:
        status, reason = consume(run, stop_after(stop, pages) if stop else pages, listening)
    except StopRun as exc:
        status, reason = CollectionRun.Status.STOPPED, str(exc)
    return runs.finish(run, status, reason)


# --- tests -----------------------------------------------------------------------------------


def test_it_pages_to_the_end_adding_back_the_dropped_filters(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], fetcher: Fetcher
) -> None:
    posts = statuses(12)
    fake = fakes(posts, page_size=5)
    campaign, listening = listen(fake.base)
    run = collect(fetcher, campaign, listening)

    assert (run.status, run.errors) == ("finished", 0)
    assert stored() == uris(posts)
    assert (run.pages, run.read, run.new) == (4, 12, 12)  # 5 + 5 + 2 + the empty end
    assert RawPage.objects.filter(run=run).count() == 4
    for n in range(4):
        assert fake.param(n, "any[]") == ["RecognizeToReconcile"]
        assert fake.param(n, "limit") == ["40"]
    assert [fake.param(n, "max_id") for n in range(4)] == [
        [],
        [fake.served[0][-1]],
        [fake.served[1][-1]],
        [fake.served[2][-1]],
    ]
    newest = max(posts, key=lambda s: int(s["id"]))["id"]
    assert run.checkpoint == {"instances": {fake.base: {"done": True, "since_id": newest}}}
    post = Post.objects.get(post_id=posts[1]["uri"])
    assert post.hashtags == ["recognizetoreconcile"] and post.url == posts[1]["url"]
    assert fetcher.waits == []


def test_it_stores_a_post_seen_through_two_instances_once(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], fetcher: Fetcher
) -> None:
    posts = statuses(8)
    one = fakes(posts)
    other = fakes([])
    other.statuses = seen_through(posts, other.base)
    campaign, listening = listen(one.base, other.base)
    run = collect(fetcher, campaign, listening)

    assert other.served[0] and set(other.served[0]).isdisjoint(one.served[0])
    assert Post.objects.count() == 8 and stored() == uris(posts)
    assert (run.read, run.new, run.duplicates) == (16, 8, 8)
    assert set(run.checkpoint["instances"]) == {one.base, other.base}


def test_it_waits_for_the_rate_limit_reset_on_the_clock(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], fetcher: Fetcher
) -> None:
    posts = statuses(12)
    fake = fakes(posts)
    fake.replies[1] = Reply(headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": RESET})
    campaign, listening = listen(fake.base)
    run = collect(fetcher, campaign, listening)

    assert fetcher.waits == [pytest.approx(300, abs=0.5)]  # 13:55 to the 14:00 reset
    assert cast(FakeClock, fetcher.clock).sleeps == fetcher.waits
    assert stored() == uris(posts) and run.errors == 0


def test_it_retries_after_429_for_as_long_as_retry_after_says(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], fetcher: Fetcher
) -> None:
    posts = statuses(6)
    fake = fakes(posts)
    fake.replies[1] = Reply(429, {"Retry-After": "7", "X-RateLimit-Remaining": "0"})
    campaign, listening = listen(fake.base)
    run = collect(fetcher, campaign, listening)

    assert fetcher.waits == [7.0]
    assert len(fake.requests) == 4  # the 429, then pages of 5, 1 and the empty end
    assert stored() == uris(posts) and (run.errors, run.new) == (0, 6)


def test_it_retries_server_errors_with_backoff(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], fetcher: Fetcher
) -> None:
    posts = statuses(12)
    fake = fakes(posts)
    fake.replies[2] = Reply(503)
    fake.replies[3] = Reply(502)
    campaign, listening = listen(fake.base)
    run = collect(fetcher, campaign, listening)

    assert fetcher.waits == [1.0, 2.0]
    assert fake.param(3, "max_id") == fake.param(1, "max_id") == [fake.served[0][-1]]
    assert stored() == uris(posts) and (run.errors, run.new, run.duplicates) == (0, 12, 0)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"error":"This method requires an authenticated user"}', "not a list of statuses"),
        (b'[{"id":"1","content":"no uri"}]', "status 0 has no uri"),
        (b"<html>Bad gateway</html>", "not JSON"),
        (b'[{"id":"1","uri":"https://a.example/1","account":"someone"}]', "not the expected"),
    ],
)
def test_it_records_a_malformed_page_and_goes_on_with_the_other_instance(
    campaigns: list[str],
    fakes: Callable[..., FakeMastodon],
    fetcher: Fetcher,
    body: bytes,
    reason: str,
) -> None:
    posts = statuses(12)
    broken = fakes(posts[:6])
    fine = fakes(posts[6:])
    broken.replies[2] = Reply(body=body)
    campaign, listening = listen(broken.base, fine.base)
    run = collect(fetcher, campaign, listening)

    problem = RunProblem.objects.get(run=run)
    assert problem.where.startswith(f"{broken.base}{TIMELINE}Khojaly") and reason in problem.reason
    assert len(broken.requests) == 2  # nothing to follow past the broken page
    assert stored() == uris(posts[1:6]) | uris(posts[6:])  # its first page, and all the other's
    assert (run.status, run.errors) == ("finished", 1)
    # The broken walk does not move the next run's starting point; the finished one does.
    assert run.checkpoint["instances"][broken.base] == {"done": True}
    assert run.checkpoint["instances"][fine.base]["since_id"] == posts[-1]["id"]


def test_it_records_an_unreachable_instance_and_goes_on(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], fetcher: Fetcher
) -> None:
    posts = statuses(4)
    fine = fakes(posts)
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    campaign, listening = listen(down, fine.base)
    run = collect(fetcher, campaign, listening)

    assert fetcher.waits == [1.0, 2.0, 4.0, 8.0, 16.0]  # on the fake clock
    problem = RunProblem.objects.get(run=run)
    assert problem.where.startswith(down) and "ConnectError" in problem.reason
    assert stored() == uris(posts) and (run.status, run.errors) == ("finished", 1)


def test_it_resumes_from_the_checkpoint_without_loss_or_duplicates(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], fetcher: Fetcher
) -> None:
    posts = statuses(24)
    first = fakes(posts[:8], page_size=4)
    second = fakes(posts[8:], page_size=4)
    campaign, listening = listen(first.base, second.base)
    # The first instance's walk (4 + 4 + the empty end), then one page of the second.
    stopped = collect(fetcher, campaign, listening, stop=4)

    assert (stopped.status, stopped.new) == ("stopped", 12)
    state = stopped.checkpoint["instances"][second.base]
    assert state == {"newest": posts[-1]["id"], "max_id": second.served[0][-1]}
    assert len(first.requests) == 3 and len(second.requests) == 1

    resumed = collect(fetcher, campaign, listening)
    assert resumed.pk == stopped.pk and resumed.status == "finished"
    assert len(first.requests) == 3  # its walk had ended: not asked again
    assert second.param(1, "max_id") == [second.served[0][-1]]
    assert second.param(1, "any[]") == ["RecognizeToReconcile"]
    assert stored() == uris(posts)
    assert (resumed.read, resumed.new, resumed.duplicates, resumed.updated) == (24, 24, 0, 0)
    assert resumed.checkpoint["instances"][second.base] == {
        "done": True,
        "since_id": posts[-1]["id"],
    }


def test_it_fetches_only_newer_posts_after_a_finished_run(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], fetcher: Fetcher
) -> None:
    posts = statuses(15)
    fake = fakes(posts[:12], page_size=5)
    campaign, listening = listen(fake.base)
    earlier = collect(fetcher, campaign, listening)
    assert earlier.status == "finished"

    fake.statuses = posts  # three new posts since
    fake.requests.clear()
    fake.served.clear()
    # A new run starts from what the finished one carries over (see the report: collect should).
    later = collect(
        fetcher, campaign, listening, checkpoint=mastodon.carry_over(earlier.checkpoint)
    )

    assert later.pk != earlier.pk
    assert [fake.param(n, "since_id") for n in range(len(fake.requests))] == [
        [posts[11]["id"]]
    ] * len(fake.requests)
    assert sorted(i for page in fake.served for i in page) == sorted(s["id"] for s in posts[12:])
    assert (later.read, later.new, later.updated) == (3, 3, 0)
    assert stored() == uris(posts)
    assert later.checkpoint["instances"][fake.base]["since_id"] == posts[14]["id"]


def test_it_keeps_to_the_window_and_stops_walking_at_since(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], fetcher: Fetcher
) -> None:
    posts = statuses(12)
    fake = fakes(posts, page_size=3)  # pages: 11-9, 8-6, 5-3, 2-0
    campaign, listening = listen(fake.base)
    since, until = START + dt.timedelta(minutes=4), START + dt.timedelta(minutes=8)
    run = collect(fetcher, campaign, listening, since=since, until=until)

    assert stored() == uris(posts[4:9])  # minutes 4 to 8, both included
    assert len(fake.requests) == 3  # the page holding minute 3 is the last one asked for
    assert (run.since, run.until) == (since, until)
    assert run.key.endswith("|2026-08-01T12:04:00Z|2026-08-01T12:08:00Z")


def test_it_keeps_only_the_campaigns_languages(
    campaigns: list[str], fakes: Callable[..., FakeMastodon], fetcher: Fetcher
) -> None:
    languages = ["en", "az", "ja", "", "az"]
    posts = statuses(10, language=lambda n: languages[n % 5])
    fake = fakes(posts)
    campaign, listening = listen(fake.base, languages=["az", "pt-BR"])
    run = collect(fetcher, campaign, listening)

    # Azerbaijani, and those with no language given (the store guesses theirs).
    assert stored() == {s["uri"] for s in posts if s["language"] in ("az", "")}
    assert run.read == 6 and RawPage.objects.filter(run=run).count() == 3


def test_it_collects_through_the_collect_command(
    campaigns: list[str], fakes: Callable[..., FakeMastodon]
) -> None:
    posts = statuses(7)
    fake = fakes(posts, page_size=3)
    campaign = Campaign.objects.get(slug=SLUG)
    campaign.listening = {"mastodon": {"instances": [fake.base]}}
    campaign.save()
    out = StringIO()
    call_command("collect", SLUG, "--network", "mastodon", "--json", stdout=out)

    summary = json.loads(out.getvalue())
    assert summary["network"] == "mastodon" and summary["stop_reason"] == "done"
    assert (summary["read"], summary["new"], summary["errors"]) == (7, 7, 0)
    assert stored() == uris(posts)
    run = CollectionRun.objects.get(source="mastodon")
    assert run.status == "finished" and run.since == dt.datetime(2022, 2, 23, tzinfo=dt.UTC)
    assert len(fake.requests) == 4 and fake.param(0, "any[]") == ["RecognizeToReconcile"]


def test_it_follows_only_the_next_link() -> None:
    two = httpx.Headers(
        [
            ("Link", '<https://a.example/x?min_id=9>; rel="prev"'),
            ("Link", '<https://a.example/x?max_id=5>; rel="next"'),
        ]
    )
    assert mastodon.next_link(two) == "https://a.example/x?max_id=5"
    one = httpx.Headers(
        {"Link": '<https://a/x?min_id=9>; rel="prev", <https://a/x?max_id=3>; rel=next'}
    )
    assert mastodon.next_link(one) == "https://a/x?max_id=3"
    assert mastodon.next_link(httpx.Headers({"Link": '<https://a/x?min_id=9>; rel="prev"'})) is None
    assert mastodon.next_link(httpx.Headers()) is None


def test_it_keys_a_run_by_its_instances_hashtags_and_window(campaigns: list[str]) -> None:
    _, both = listen("https://a.example", "https://b.example/")
    _, swapped = listen("https://b.example", "https://a.example")
    _, one = listen("https://a.example")
    since = dt.datetime(2022, 2, 23, tzinfo=dt.UTC)
    key = mastodon.run_key(both, since, None)
    assert key == mastodon.run_key(swapped, since, None)
    assert key.startswith(
        "mastodon|https://a.example,https://b.example|khojaly,recognizetoreconcile"
    )
    assert key != mastodon.run_key(one, since, None)
    assert key != mastodon.run_key(both, since + dt.timedelta(days=1), None)
    assert key != mastodon.run_key(both, since, since + dt.timedelta(days=9))


def test_it_reads_a_mention_on_the_posts_own_server_with_its_host() -> None:
    """On fosstodon.org a mention of a fosstodon.org account comes as `acct` "schochastics" with
    the host only in its `url` (the shape Mastodon sends for local accounts)."""
    from hashrally.listening.normalise.mastodon import normalise_statuses
    from tests.listening.fakes import RECORDED

    status = copy.deepcopy(RECORDED[0])
    status["mentions"] = [
        {
            "id": "109",
            "username": "schochastics",
            "acct": "schochastics",
            "url": "https://fosstodon.org/@schochastics",
        },
        {
            "id": "110",
            "username": "someone",
            "acct": "someone@mastodon.social",
            "url": "https://mastodon.social/@someone",
        },
    ]
    (record,) = normalise_statuses([status]).posts
    assert record.mentions == ["schochastics@fosstodon.org", "someone@mastodon.social"]
