"""The `[listening]` section of a campaign file: what to collect, checked like the rest of the
definition (the listening part reads it through `hashrally.listening.config`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hashrally.campaigns import rules
from hashrally.core.networks import COLLECTED_NETWORKS


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
    networks: list[Literal[COLLECTED_NETWORKS]] = list(COLLECTED_NETWORKS)  # type: ignore[valid-type]
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
