"""One collection run for one network: used by `hashrally collect` and by the worker's schedule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from hashrally.campaigns.models import Campaign
from hashrally.listening import runs
from hashrally.listening.config import Listening, listening_for
from hashrally.listening.connectors import CONNECTORS, MissingCredentials
from hashrally.listening.fetch import Fetcher, FetchError
from hashrally.listening.models import CollectionRun
from hashrally.listening.pipeline import StopRun, consume
from hashrally.listening.records import Chunk

# Posts reach search indexes minutes late: each scheduled window starts a little before the
# last one ended. What comes twice is stored once.
OVERLAP = dt.timedelta(minutes=10)
# How long after a campaign's last day the schedule keeps listening for late posts.
AFTER_END = dt.timedelta(days=7)


def collect(
    campaign: Campaign,
    listening: Listening,
    network: str,
    *,
    since: dt.datetime | None,
    until: dt.datetime | None,
    fetcher: Fetcher | None = None,
    on_progress: Callable[[Chunk], object] = lambda chunk: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> CollectionRun:
    """Run (or resume) one collection; return the finished run with its status and reason.

    Raises MissingCredentials (naming the variable) or ValueError (a query the network cannot
    take) before any request."""
    connector = CONNECTORS[network]
    connector.check_credentials()
    key = connector.run_key(listening, since, until)
    run = runs.start_or_resume(campaign, network, key, since=since, until=until)
    carry_over = getattr(connector, "carry_over", None)
    if carry_over is not None and not run.checkpoint:
        # A new run starts where the last finished one stopped (e.g. newer posts only).
        previous = runs.last_finished(campaign, network, key)
        if previous is not None:
            run.checkpoint = carry_over(previous.checkpoint)

    def chunks(fetcher: Fetcher) -> Iterator[Chunk]:
        for chunk in connector.chunks(
            listening, run.checkpoint, fetcher=fetcher, since=since, until=until
        ):
            yield chunk
            if should_stop():
                raise StopRun("the worker is stopping; the next run resumes here")

    def go(fetcher: Fetcher) -> tuple[str, str]:
        try:
            return consume(run, chunks(fetcher), listening, on_progress=on_progress)
        except StopRun as exc:
            return CollectionRun.Status.STOPPED, str(exc)
        except FetchError as exc:
            return CollectionRun.Status.FAILED, str(exc)
        except KeyboardInterrupt:
            return CollectionRun.Status.STOPPED, "interrupted; run again to resume"

    if fetcher is not None:
        status, reason = go(fetcher)
    else:
        with httpx.Client(timeout=30, follow_redirects=True) as client:
            status, reason = go(Fetcher(client=client))
    return runs.finish(run, status, reason)


def scheduled_window(
    campaign: Campaign, listening: Listening, network: str, now: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    """The window the schedule collects next for a network, or None when nothing is due.

    An unfinished run is resumed with its own window: at once when it was stopped or killed,
    after the interval when it failed. Networks whose
    connector carries its position over (Mastodon's newest id) keep the campaign's window, so
    every run is "the same run" continued; the others get a new window from where the last
    finished one ended, so a run never re-reads what is already stored (X bills per post)."""
    every = listening.spec.every_minutes
    if not every:
        return None
    last = CollectionRun.objects.filter(campaign=campaign, source=network).order_by("-started_at")
    unfinished = last.exclude(status=CollectionRun.Status.FINISHED).first()
    if unfinished is not None and unfinished.status != CollectionRun.Status.FAILED:
        # Stopped with the worker, or killed: continue at once. A failed one waits its turn,
        # so a refused token is not retried every few seconds.
        return unfinished.since, unfinished.until
    latest = last.first()
    if latest is not None and now - latest.started_at < dt.timedelta(minutes=every):
        return None
    if unfinished is not None:
        return unfinished.since, unfinished.until
    if getattr(CONNECTORS[network], "carry_over", None) is not None:
        return listening.since, listening.until
    finished = last.filter(status=CollectionRun.Status.FINISHED).exclude(until=None).first()
    since = listening.since
    if finished is not None and finished.until is not None:
        since = max(filter(None, [since, finished.until - OVERLAP]))
    return since, min(filter(None, [listening.until, now]))


def listening_campaigns(now: dt.datetime) -> Iterator[tuple[Campaign, Listening]]:
    """Live campaigns that ask to be collected on a schedule and are not long over."""
    today = now.date()
    for campaign in Campaign.objects.filter(status=Campaign.Status.LIVE).order_by("pk"):
        listening = listening_for(campaign)
        if not listening.spec.every_minutes:
            continue
        if listening.until is not None and listening.until < now - AFTER_END:
            continue
        if campaign.ends_on is not None and campaign.ends_on < today - AFTER_END:
            continue
        yield campaign, listening


_said: set[str] = set()


def collect_due(
    *,
    now: dt.datetime | None = None,
    fetcher: Fetcher | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    say: Callable[[str], object] = lambda message: None,
) -> list[CollectionRun]:
    """Every collection that is due, one after another. Several workers may run this: a
    (campaign, network) is collected by whichever takes its lock first."""
    now = now or timezone.now()
    done: list[CollectionRun] = []
    for campaign, listening in listening_campaigns(now):
        for network in listening.networks:
            if should_stop():
                return done
            window = scheduled_window(campaign, listening, network, now)
            if window is None:
                continue
            lock = f"hashrally:collect:{campaign.pk}:{network}"
            if not cache.add(lock, "1", timeout=settings.HASHRALLY_COLLECT_LEASE_SECONDS):
                continue

            def renew_and_ask(lock: str = lock) -> bool:
                # A lease, renewed after every page: a worker killed mid-run (kill -9, a lost
                # machine) holds the collection for one lease at most, not for hours.
                cache.touch(lock, settings.HASHRALLY_COLLECT_LEASE_SECONDS)
                return should_stop()

            try:
                run = collect(
                    campaign,
                    listening,
                    network,
                    since=window[0],
                    until=window[1],
                    fetcher=fetcher,
                    should_stop=renew_and_ask,
                )
            except MissingCredentials as exc:
                # Not an error of the schedule: this network is not set up. Said once.
                if str(exc) not in _said:
                    _said.add(str(exc))
                    say(f"collect {network}: skipped until set up: {exc}")
                continue
            except ValueError as exc:
                say(f"collect {campaign.slug} {network}: {exc}")
                continue
            finally:
                cache.delete(lock)
            say(
                f"collect {campaign.slug} {network}: read {run.read}, new {run.new}, "
                f"errors {run.errors} ({run.status}: {run.stop_reason})"
            )
            for line in runs.problem_lines(run):
                say(f"collect {campaign.slug} {network}: {line}")
            done.append(run)
    return done
