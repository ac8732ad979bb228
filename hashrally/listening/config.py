"""The effective `[listening]` settings of a campaign: its section, with the campaign's own
hashtags and targets where the section names none."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hashrally.campaigns import rules
from hashrally.campaigns.listening import ListeningSpec
from hashrally.campaigns.models import Campaign
from hashrally.core.folding import fold_handle, fold_tag


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
