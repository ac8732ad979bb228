"""The supporters part of a campaign page: counts, progress, map and the same figures as a table."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_countries import countries

from hashrally.campaigns.models import Campaign
from hashrally.supporters import counts
from hashrally.supporters.models import CampaignCounts
from hashrally.supporters.worldmap import render_world_map


def supporters_context(campaign: Campaign) -> dict[str, object]:
    row: CampaignCounts | None = getattr(campaign, "counts", None)
    by_country = row.by_country if row else {}
    names = {code: str(countries.name(code)) or code for code in by_country}
    progress = counts.progress(campaign, row)
    world = render_world_map(
        {code: joined for code, (joined, _confirmed) in by_country.items()},
        names,
        title=_("Supporters by country"),
        description=_("%(joined)s people joined from %(countries)s countries.")
        % {"joined": progress.joined, "countries": progress.countries},
    )
    table = sorted(
        (
            (names[code], code, joined, confirmed)
            for code, (joined, confirmed) in by_country.items()
        ),
        key=lambda r: (-r[2], r[0]),
    )
    return {"progress": progress, "world": world, "country_rows": table}
