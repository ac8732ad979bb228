"""The supporters part of a campaign page: counts, progress, the map and the same figures as a
table."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from hashrally.campaigns.models import Campaign
from hashrally.core import locales
from hashrally.core.worldmap import render_world_map
from hashrally.supporters import counts
from hashrally.supporters.models import CampaignCounts


def _names(by_country: dict[str, list[int]]) -> dict[str, str]:
    return {code: locales.country_name(code) for code in by_country}


def supporters_context(campaign: Campaign) -> dict[str, object]:
    row: CampaignCounts | None = getattr(campaign, "counts", None)
    by_country = row.by_country if row else {}
    names = _names(by_country)
    table = sorted(
        (
            (names[code], code, joined, confirmed)
            for code, (joined, confirmed) in by_country.items()
        ),
        key=lambda r: (-r[2], r[0]),
    )
    return {"progress": counts.progress(campaign, row), "country_rows": table}


def map_svg(campaign: Campaign) -> str:
    """The map as a standalone SVG document, in the active language."""
    row: CampaignCounts | None = getattr(campaign, "counts", None)
    by_country = row.by_country if row else {}
    progress = counts.progress(campaign, row)
    world = render_world_map(
        {code: joined for code, (joined, _confirmed) in by_country.items()},
        _names(by_country),
        title=_("Supporters by country"),
        description=_("%(joined)s people joined from %(countries)s countries.")
        % {"joined": progress.joined, "countries": progress.countries},
    )
    return '<?xml version="1.0" encoding="utf-8"?>\n' + str(world.svg)


@dataclass(frozen=True)
class ShownName:
    display_name: str
    country_name: str


def names_on_page(campaign: Campaign) -> list[ShownName]:
    """The newest names, from the counts row the worker keeps (counts.recount)."""
    row: CampaignCounts | None = getattr(campaign, "counts", None)
    return [
        ShownName(str(name), locales.country_name(str(country)))
        for name, country in (row.names if row else [])
    ]


def leaderboard_on_page(campaign: Campaign) -> list[tuple[str, int]]:
    """(name, joins) of the referrers who agreed to be named, from the counts row."""
    row: CampaignCounts | None = getattr(campaign, "counts", None)
    return [(str(name), int(joins)) for name, joins in (row.leaderboard if row else [])]
