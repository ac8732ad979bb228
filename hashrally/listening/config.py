"""A campaign's `[listening]` section: what to collect, with the campaign's own defaults."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hashrally.campaigns import rules
from hashrally.campaigns.models import Campaign
from hashrally.listening.records import fold_handle, fold_tag

LISTENING_NETWORKS = ("x", "mastodon", "bluesky")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MastodonSettings(_Strict):
    # With their scheme, so tests and compatible archives can be reached over plain HTTP.
    instances: list[Annotated[str, Field(pattern=r"^https?://[A-Za-z0-9.\-]+(:\d+)?/?$")]] = [
        "https://mastodon.social"
    ]


class XSettings(_Strict):
    budget: Annotated[int, Field(ge=1)] = 10_000  # X bills per post read
    archive: bool = False  # full-archive search, where the account has it


class BlueskySettings(_Strict):
    window_hours: Annotated[int, Field(ge=1, le=24 * 31)] = 24


class ListeningSpec(_Strict):
    networks: list[Literal["x", "mastodon", "bluesky"]] = ["x", "mastodon", "bluesky"]
    hashtags: list[str] | None = None
    targets: dict[str, list[str]] | None = None
    languages: list[str] = []
    since: dt.datetime | dt.date | None = None
    until: dt.datetime | dt.date | None = None
    # How often the worker collects a live campaign; 0: only by `hashrally collect`.
    every_minutes: Annotated[int, Field(ge=0, le=7 * 24 * 60)] = 60
    mastodon: MastodonSettings = MastodonSettings()
    x: XSettings = XSettings()
    bluesky: BlueskySettings = BlueskySettings()

    @field_validator("hashtags")
    @classmethod
    def _hashtags(cls, tags: list[str] | None) -> list[str] | None:
        for tag in tags or []:
            problem = rules.check_hashtag(tag)
            if problem:
                raise ValueError(problem)
        return tags

    @field_validator("targets")
    @classmethod
    def _targets(cls, targets: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        for network, handles in (targets or {}).items():
            for handle in handles:
                problem = rules.check_handle(network, handle)
                if problem:
                    raise ValueError(problem)
        return targets

    @field_validator("languages")
    @classmethod
    def _languages(cls, codes: list[str]) -> list[str]:
        for code in codes:
            problem = rules.check_language(code)
            if problem:
                raise ValueError(problem)
        return codes


def _moment(value: dt.datetime | dt.date | None) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Listening:
    """The effective settings: the campaign's hashtags and targets unless the section says else."""

    networks: tuple[str, ...]
    hashtags: tuple[str, ...]  # as written, for queries
    targets: dict[str, tuple[str, ...]]  # network -> handles, as written
    languages: tuple[str, ...]
    since: dt.datetime | None
    until: dt.datetime | None
    spec: ListeningSpec

    @property
    def folded_hashtags(self) -> frozenset[str]:
        return frozenset(fold_tag(t) for t in self.hashtags)

    def folded_targets(self, network: str) -> frozenset[str]:
        return frozenset(fold_handle(h) for h in self.targets.get(network, ()))


def listening_for(campaign: Campaign) -> Listening:
    spec = ListeningSpec.model_validate(campaign.listening or {})
    if spec.targets is not None:
        targets = {n: tuple(h) for n, h in spec.targets.items()}
    else:
        targets = {}
        for target in campaign.targets.prefetch_related("accounts"):
            for account in target.accounts.all():
                targets.setdefault(account.network, ())
                targets[account.network] += (account.handle,)
    return Listening(
        networks=tuple(spec.networks),
        hashtags=tuple(rules.normalise_hashtag(t) for t in (spec.hashtags or campaign.hashtags)),
        targets=targets,
        languages=tuple(spec.languages),
        since=_moment(spec.since) or _moment(campaign.starts_on),
        until=_moment(spec.until),
        spec=spec,
    )
