"""The report's supporters: joined, confirmed and verified, by country and by day and hour,
each person counted once across an umbrella, in SQL (a campaign may have millions)."""

from __future__ import annotations

from collections import Counter

from hashrally.campaigns.models import Campaign
from hashrally.reports import sql
from hashrally.reports.types import CountryCounts, SupportersSection
from hashrally.supporters.models import Supporter
from hashrally.supporters.verification import verified_ids


def supporters_section(campaign: Campaign) -> SupportersSection:
    """One person joining several campaigns of an umbrella (same email) counts once for it,
    in the country and at the time of their first join."""
    ids = campaign.family_ids()
    verified = verified_ids(campaign)
    table = sql.table(Supporter)
    marks = ", ".join(["%s"] * len(ids))
    # A person: their email's keyed hash, or the row itself when they gave no email (a hash is
    # 64 hex digits, an id never is).
    people = (
        f"SELECT COALESCE(email_hash, CAST(id AS TEXT)) AS person, MIN(id) AS first_id, "  # noqa: S608
        "MAX(CASE WHEN confirmed_at IS NULL THEN 0 ELSE 1 END) AS confirmed, "
        f"MIN(created_at) AS joined_at FROM {table} WHERE campaign_id IN ({marks}) GROUP BY 1"
    )
    first = f"JOIN {table} s ON s.id = people.first_id"
    by_country: dict[str, CountryCounts] = {}
    for country, joined, confirmed in sql.rows(
        f"SELECT s.country, COUNT(*), SUM(people.confirmed) FROM ({people}) people {first} "  # noqa: S608
        "GROUP BY 1",
        ids,
    ):
        by_country[country] = {"joined": joined, "confirmed": int(confirmed or 0), "verified": 0}
    verified_people: dict[str, str] = {}
    if verified:
        chosen = sorted(verified)
        for start in range(0, len(chosen), 500):
            chunk = chosen[start : start + 500]
            for person, country in sql.rows(
                f"SELECT people.person, s.country FROM ({people}) people {first} "  # noqa: S608
                f"WHERE people.person IN (SELECT COALESCE(email_hash, CAST(id AS TEXT)) "
                f"FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))}))",
                [*ids, *chunk],
            ):
                verified_people[person] = country
    for country in verified_people.values():
        by_country[country]["verified"] += 1
    hour = sql.hour("people.joined_at")
    hours = {
        at: n
        for at, n in sql.rows(
            f"SELECT {hour}, COUNT(*) FROM ({people}) people GROUP BY 1",  # noqa: S608
            ids,
        )
    }
    days: Counter[str] = Counter()
    for at, n in hours.items():
        days[at[:10]] += n
    return {
        "joined": sum(row["joined"] for row in by_country.values()),
        "confirmed": sum(row["confirmed"] for row in by_country.values()),
        "verified": len(verified_people),
        "by_country": dict(sorted(by_country.items(), key=lambda kv: (-kv[1]["joined"], kv[0]))),
        "joins_by_day": dict(sorted(days.items())),
        "joins_by_hour": dict(sorted(hours.items())),
    }
