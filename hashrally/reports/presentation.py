"""The report as the pages and documents show it, in the reader's language.

The report (reports/types.py, computed elsewhere) holds figures only. ``report_view`` turns it
into what the templates show: labelled figures in the reader's language, charts with the rows
of their tables, maps, and the method (sources, windows, one-line definitions, estimates, the
dataset hash). The dashboard shows every section; the public results page only those the organiser
published. Nothing here reads the database or the network.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from hashrally.core import locales, networks, worldmap
from hashrally.core.addresses import web_address
from hashrally.listening.runs import RunHealth
from hashrally.reports import charts
from hashrally.reports.charts import Bar, Point
from hashrally.reports.definitions import Definition, definitions
from hashrally.reports.types import (
    Authenticity,
    Authors,
    DayCounts,
    HourCounts,
    MomentFigures,
    Report,
    Supporters,
    TargetResponseEntry,
    WhatWorked,
)

# The sections an organiser can publish on the public results page, in page order.
SECTIONS: tuple[str, ...] = (
    "supporters",
    "posts",
    "authors",
    "engagement",
    "timeline",
    "countries",
    "languages",
    "networks",
    "targets",
    "what_worked",
    "authenticity",
)

# A day-by-day chart of a one-day push is a single bar; up to this many days, chart by hour.
HOURLY_UP_TO_DAYS = 3
DAILY_UP_TO_DAYS = 92
WEEKLY_UP_TO_DAYS = 2 * 366
COUNTRY_BARS = 15

# The map's colour classes, read from the map's own stylesheet so the legend cannot drift from it.
MAP_COLOURS: dict[int, str] = {
    int(cls): colour
    for cls, colour in re.findall(r"\.c([1-5])\{\{fill:(#[0-9a-fA-F]{3,6})\}\}", worldmap.STYLE)
}


@dataclass(frozen=True)
class Figure:
    label: str
    value: int | None
    estimate: bool = False


@dataclass(frozen=True)
class HeadlineRow:
    label: str
    with_flagged: int
    without_flagged: int
    estimate: bool = False


@dataclass(frozen=True)
class BarFigure:
    """A ranking chart and the rows of the table that repeats its figures."""

    title: str
    value_label: str
    svg: SafeString
    bars: list[Bar]
    estimate: bool = False

    @property
    def scaled(self) -> list[tuple[Bar, int]]:
        """Each bar with its length in thousandths of the longest, for bars drawn in a table."""
        top = max((bar.value for bar in self.bars), default=0) or 1
        return [(bar, round(1000 * max(0, bar.value) / top)) for bar in self.bars]


@dataclass(frozen=True)
class TimeFigure:
    title: str
    axis_label: str
    bar_label: str
    line_label: str
    svg: SafeString
    points: list[Point]
    bar_colour: str = charts.BAR
    line_colour: str = charts.LINE


@dataclass(frozen=True)
class LegendEntry:
    colour: str
    low: int
    high: int


@dataclass(frozen=True)
class MapFigure:
    title: str
    svg: SafeString
    legend: list[LegendEntry]
    # Names of countries with figures but too small to draw at the map's scale.
    unmapped: list[str]
    estimate: bool = False


@dataclass(frozen=True)
class CountryRow:
    name: str
    code: str
    joined: int
    confirmed: int
    verified: int


@dataclass(frozen=True)
class TargetRow:
    handle: str
    name: str
    total: int
    by_network: list[tuple[str, int]]
    # (day, [(network name, posts)]) oldest first: the outreach to this target over time.
    by_day: list[tuple[str, list[tuple[str, int]]]] = field(default_factory=list)


@dataclass(frozen=True)
class PostRow:
    network: str
    url: str  # empty unless it is an http(s) address: it comes from collected data
    author: str
    text: str
    created_at: dt.datetime | None
    likes: int
    reposts: int
    replies: int
    quotes: int


@dataclass(frozen=True)
class AuthorRow:
    network: str
    handle: str
    name: str
    followers: int
    posts: int


@dataclass(frozen=True)
class BurstRow:
    start: dt.datetime | None
    end: dt.datetime | None
    posts: int
    new_account_posts: int


@dataclass(frozen=True)
class SourceRow:
    name: str
    runs: int
    posts_read: int
    posts_off_topic: int
    refused: int
    start: dt.datetime | None
    end: dt.datetime | None


@dataclass
class ReportView:
    """Everything the report templates show, in the active language."""

    title: str
    slug: str
    umbrella: bool
    children: list[str]
    generated_at: dt.datetime | None
    # A page's report (counters read now, the rest as the worker last counted it): when the
    # supporters' figures, and authenticity with top posts, were counted. None for a report
    # computed whole at generated_at (`hashrally report`).
    from_counters: bool
    supporters_at: dt.datetime | None
    built_at: dt.datetime | None
    window_from: dt.datetime | None
    window_to: dt.datetime | None
    dataset_sha256: str
    show: dict[str, bool]
    headline: list[HeadlineRow] = field(default_factory=list)
    supporters: list[Figure] = field(default_factory=list)
    posts: list[Figure] = field(default_factory=list)
    hashtags: list[tuple[str, int]] = field(default_factory=list)
    top_posts: list[PostRow] = field(default_factory=list)
    authors: list[Figure] = field(default_factory=list)
    top_authors: list[AuthorRow] = field(default_factory=list)
    engagement: list[Figure] = field(default_factory=list)
    timeline: TimeFigure | None = None
    moment: MomentFigures | None = None
    what_worked: WhatWorked | None = None
    moment_when: str = ""
    supporter_countries: BarFigure | None = None
    supporter_map: MapFigure | None = None
    cover_map: MapFigure | None = None
    supporter_country_rows: list[CountryRow] = field(default_factory=list)
    author_countries: BarFigure | None = None
    author_map: MapFigure | None = None
    unplaced: int = 0
    unplaced_percent: float = 0.0
    languages: BarFigure | None = None
    networks: BarFigure | None = None
    targets: list[TargetRow] = field(default_factory=list)
    target_responses: list[TargetResponseEntry] = field(default_factory=list)
    authenticity: list[Figure] = field(default_factory=list)
    flagged: BarFigure | None = None
    clusters: list[tuple[int, str]] = field(default_factory=list)
    bursts: list[BurstRow] = field(default_factory=list)
    sources: list[SourceRow] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)

    @property
    def estimates(self) -> list[str]:
        """The names of the shown figures that are estimates."""
        return [definition.name for definition in self.definitions if definition.estimate]


def report_context(report: Report, *, published: Iterable[str] | None = None) -> dict[str, Any]:
    """The context of ``reports/dashboard.html`` and ``reports/results.html`` besides ``campaign``.

    ``published`` is the sections the organiser chose to publish (results page); None shows all
    of them (dashboard).
    """
    chosen = list(SECTIONS) if published is None else list(published)
    return {
        "report": report,
        "published": chosen,
        "view": report_view(report, published=chosen),
    }


def report_view(
    report: Report,
    *,
    published: Iterable[str] | None = None,
    for_print: bool = False,
) -> ReportView:
    """``report`` as labelled figures, charts and tables; only ``published`` sections if given.

    ``for_print`` keeps words out of the SVG charts (see ``charts.time_chart``): the PDF template
    writes legends in HTML and draws rankings as tables with bars.
    """
    chosen = set(SECTIONS if published is None else published)
    show = {section: section in chosen for section in SECTIONS}
    campaign = report["campaign"]
    view = ReportView(
        title=campaign["title"],
        slug=campaign["slug"],
        umbrella=campaign["umbrella"],
        children=list(campaign["children"]),
        generated_at=_when(report["generated_at"]),
        from_counters="built_at" in report,
        supporters_at=_when(report.get("supporters_at") or report["generated_at"]),
        built_at=_when(report.get("built_at")),
        window_from=_when(report["window"]["from"]),
        window_to=_when(report["window"]["to"]),
        dataset_sha256=report["dataset_sha256"],
        show=show,
    )
    _add_headline(view, report)
    _add_supporters(view, report["supporters"])
    _add_posts(view, report)
    _add_authors(view, report["authors"])
    engagement = report["engagement"]
    view.engagement = [
        Figure(_("Likes"), engagement["likes"]),
        Figure(_("Reposts"), engagement["reposts"]),
        Figure(_("Replies"), engagement["replies"]),
        Figure(_("Quotes"), engagement["quotes"]),
    ]
    moment = report.get("moment")
    view.moment = moment
    when = _when(moment["at"]) if moment else None
    view.moment_when = f"{when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC" if when else ""
    view.timeline = _timeline(
        report["timeline"],
        report["timeline_hourly"],
        captions=not for_print,
        moment=_when(moment["at"]) if moment else None,
    )
    _add_countries(view, report)
    posts = report["posts"]
    view.languages = _bar_figure(
        "languages",
        _("Posts by language"),
        _("Posts"),
        _ranked(posts["by_language"], _language_name),
    )
    view.networks = _bar_figure(
        "networks",
        _("Posts by network"),
        _("Posts"),
        _ranked(posts["by_network"], _network_name),
    )
    view.targets = sorted(
        (
            TargetRow(
                handle=handle,
                name=target["name"] or "",
                total=_int(target["total"]),
                by_network=[
                    (_network_name(network), _int(count))
                    for network, count in sorted(target["by_network"].items())
                ],
                by_day=[
                    (
                        day,
                        [
                            (_network_name(n), _int(count))
                            for n, count in sorted(per_network.items())
                        ],
                    )
                    for day, per_network in sorted((target.get("by_day") or {}).items())
                ],
            )
            for handle, target in report["targets"].items()
        ),
        key=lambda row: (-row.total, row.handle.casefold()),
    )
    view.what_worked = report.get("what_worked")
    view.target_responses = [
        {**response, "url": web_address(response["url"])} for response in report["target_responses"]
    ]
    _add_authenticity(view, report["authenticity"])
    view.sources = [
        SourceRow(
            name=_network_name(source["source"]),
            runs=_int(source["runs"]),
            posts_read=_int(source["posts_read"]),
            # Extras built before off-topic posts and refusals were counted do not have them.
            posts_off_topic=_int(source.get("posts_off_topic", 0)),
            refused=_int(source.get("refused", 0)),
            start=_when(source["from"]),
            end=_when(source["to"]),
        )
        for source in report["sources"]
    ]
    view.definitions = [
        definition for section, definition in definitions() if section is None or show[section]
    ]
    return view


def _add_headline(view: ReportView, report: Report) -> None:
    with_flagged = report["headline"]["with_flagged"]
    without_flagged = report["headline"]["without_flagged"]
    rows: list[tuple[str, Literal["posts", "authors", "potential_reach"], str, bool]] = [
        ("posts", "posts", _("Posts"), False),
        ("authors", "authors", _("Unique authors"), False),
        ("authors", "potential_reach", _("Potential reach"), True),
    ]
    view.headline = [
        HeadlineRow(
            label=label,
            with_flagged=_int(with_flagged[key]),
            without_flagged=_int(without_flagged[key]),
            estimate=estimate,
        )
        for section, key, label, estimate in rows
        if view.show[section]
    ]


def _add_supporters(view: ReportView, supporters: Supporters) -> None:
    view.supporters = [
        Figure(_("Joined"), supporters["joined"]),
        Figure(_("Confirmed by email"), supporters["confirmed"]),
        Figure(_("Verified by a public post"), supporters["verified"]),
    ]


def _add_posts(view: ReportView, report: Report) -> None:
    posts = report["posts"]
    view.posts = [
        Figure(_("Posts"), posts["total"]),
        Figure(_("Original posts"), posts["originals"]),
        Figure(_("Reposts"), posts["reposts"]),
        Figure(_("Replies"), posts["replies"]),
        Figure(_("Quotes"), posts["quotes"]),
    ]
    view.hashtags = [
        (charts.clean(row["hashtag"]), _int(row["posts"])) for row in posts["hashtags"]
    ]
    view.top_posts = [
        PostRow(
            network=_network_name(post["network"]),
            url=web_address(post["url"]),
            author=post["author"] or "",
            text=post["text"] or "",
            created_at=_when(post["created_at"]),
            likes=_int(post["likes"]),
            reposts=_int(post["reposts"]),
            replies=_int(post["replies"]),
            quotes=_int(post["quotes"]),
        )
        for post in report["top_posts"]
    ]


def _add_authors(view: ReportView, authors: Authors) -> None:
    view.authors = [
        Figure(_("Unique authors"), authors["unique"]),
        Figure(_("Potential reach"), authors["potential_reach"], estimate=True),
        Figure(_("Potential impressions"), authors["potential_impressions"], estimate=True),
        Figure(_("Views reported by the networks"), authors["views"]),
    ]
    view.top_authors = [
        AuthorRow(
            network=_network_name(row["network"]),
            handle=row["handle"] or "",
            name=row["name"] or "",
            followers=_int(row["followers"]),
            posts=_int(row["posts"]),
        )
        for row in authors["top"]
    ]


def _add_countries(view: ReportView, report: Report) -> None:
    by_country = report["supporters"]["by_country"]
    names = {code: _country_name(code) for code in by_country}
    joined = {code: _int(row["joined"]) for code, row in by_country.items()}
    view.supporter_country_rows = sorted(
        (
            CountryRow(
                name=names[code],
                code=code,
                joined=_int(row["joined"]),
                confirmed=_int(row["confirmed"]),
                verified=_int(row["verified"]),
            )
            for code, row in by_country.items()
        ),
        key=lambda row: (-row.joined, row.name),
    )
    view.supporter_countries = _bar_figure(
        "supporter-countries",
        _("Supporters by country"),
        _("Joined"),
        charts.ranked(joined, names, limit=COUNTRY_BARS),
    )
    view.supporter_map = _map_figure(
        "supporter-map",
        joined,
        names,
        _("Map of supporters by country"),
        _("Supporters who joined, by the country each chose; the figures are in the table."),
    )
    # The same map for the printed report's cover, with ids of its own.
    view.cover_map = _map_figure(
        "cover-map",
        joined,
        names,
        _("Map of supporters by country"),
        _("Supporters who joined, by the country each chose; the figures are in the table."),
    )

    placed = report["authors"]["countries"]
    author_counts = {code: _int(count) for code, count in placed["by_country"].items()}
    author_names = {code: _country_name(code) for code in author_counts}
    view.author_countries = _bar_figure(
        "author-countries",
        _("Authors by estimated country"),
        _("Authors (estimate)"),
        charts.ranked(author_counts, author_names, limit=COUNTRY_BARS),
        estimate=True,
    )
    view.author_map = _map_figure(
        "author-map",
        author_counts,
        author_names,
        _("Map of authors by estimated country"),
        _("Authors of collected posts by estimated country; the figures are in the table."),
        estimate=True,
    )
    view.unplaced = _int(placed["unplaced"])
    view.unplaced_percent = round(100 * float(placed["unplaced_share"]), 1)


def _add_authenticity(view: ReportView, authenticity: Authenticity) -> None:
    bursts = authenticity["burst_windows"]
    view.authenticity = [
        Figure(_("Bot-like authors"), authenticity["bot_like_authors"]),
        Figure(_("Posts by bot-like authors"), authenticity["bot_like_posts"]),
        Figure(_("Template posts"), authenticity["template_posts"]),
        Figure(_("Posts in suspect clusters"), authenticity["suspect_cluster_posts"]),
        Figure(_("Bursts"), authenticity["bursts"]),
    ]
    # Kept in this order (not ranked): the reader compares the same signals across reports.
    parts = [
        Bar(_("Posts by bot-like authors"), _int(authenticity["bot_like_posts"]), "bot"),
        Bar(_("Template posts"), _int(authenticity["template_posts"]), "template"),
        Bar(
            _("Posts in suspect clusters"),
            _int(authenticity["suspect_cluster_posts"]),
            "cluster",
        ),
        Bar(_("Posts in bursts"), sum(_int(b["posts"]) for b in bursts), "burst"),
        Bar(
            _("Posts from new accounts in bursts"),
            sum(_int(b["new_account_posts"]) for b in bursts),
            "burst-new",
        ),
    ]
    view.flagged = _bar_figure("flagged", _("Flagged posts by signal"), _("Posts"), parts)
    view.clusters = [
        (_int(cluster["posts"]), cluster["sample"] or "")
        for cluster in authenticity["suspect_clusters"]
    ]
    view.bursts = [
        BurstRow(
            start=_when(burst["start"]),
            end=_when(burst["end"]),
            posts=_int(burst["posts"]),
            new_account_posts=_int(burst["new_account_posts"]),
        )
        for burst in bursts
    ]


def _ranked(counts: Mapping[str, int], name: Callable[[str], str]) -> list[Bar]:
    return charts.ranked(
        {code: _int(n) for code, n in counts.items()}, {c: name(c) for c in counts}
    )


def _bar_figure(
    id_prefix: str, title: str, value_label: str, bars: list[Bar], *, estimate: bool = False
) -> BarFigure | None:
    if not any(bar.value for bar in bars):
        return None
    svg = charts.bar_chart(bars, title=title, value_label=value_label, id_prefix=id_prefix)
    return BarFigure(title=title, value_label=value_label, svg=svg, bars=bars, estimate=estimate)


def _map_figure(
    id_prefix: str,
    counts: Mapping[str, int],
    names: Mapping[str, str],
    title: str,
    description: str,
    *,
    estimate: bool = False,
) -> MapFigure | None:
    if not any(count > 0 for count in counts.values()):
        return None
    world = worldmap.render_world_map(counts, names, title, description, id_prefix=id_prefix)
    legend = [
        LegendEntry(colour=MAP_COLOURS.get(cls, "#ffffff"), low=span[0], high=span[1])
        for cls, span in enumerate(world.legend, start=1)
        if span is not None
    ]
    return MapFigure(
        title=title,
        svg=world.svg,
        legend=legend,
        unmapped=[names.get(code) or code for code in world.unmapped],
        estimate=estimate,
    )


def _timeline(
    daily: list[DayCounts],
    hourly: list[HourCounts],
    *,
    captions: bool,
    moment: dt.datetime | None = None,
) -> TimeFigure | None:
    days = _fill_days(daily)
    if not days:
        return None
    # The step follows the window's length, so a chart (and the PDF's table) never runs to
    # pages of empty rows: hours for a few days, days up to a quarter, then weeks, then months.
    # The point that holds the campaign moment, by its label at each step.
    at = moment.astimezone(dt.UTC) if moment else None
    if len(days) <= HOURLY_UP_TO_DAYS and hourly:
        points = _fill_hours(hourly)
        title = _("Posts and joins per hour")
        axis = _("Hour (UTC)")
        marked = at.strftime("%Y-%m-%d %H:00") if at else None
    elif len(days) <= DAILY_UP_TO_DAYS:
        points = days
        title = _("Posts and joins per day")
        axis = _("Day (UTC)")
        marked = at.date().isoformat() if at else None
    elif len(days) <= WEEKLY_UP_TO_DAYS:
        points = _grouped(days, _week_of)
        title = _("Posts and joins per week")
        axis = _("Week (UTC, from Monday)")
        marked = _week_of(at.date())[0] if at else None
    else:
        points = _grouped(days, _month_of)
        title = _("Posts and joins per month")
        axis = _("Month (UTC)")
        marked = _month_of(at.date())[0] if at else None
    labels = [point.label for point in points]
    bar_label, line_label = _("Posts"), _("Joins")
    svg = charts.time_chart(
        points,
        title=title,
        bar_label=bar_label,
        line_label=line_label,
        axis_label=axis,
        id_prefix="timeline",
        captions=captions,
        marker=labels.index(marked) if marked in labels else None,
        marker_label=str(_("The campaign moment")),
    )
    return TimeFigure(
        title=title,
        axis_label=axis,
        bar_label=bar_label,
        line_label=line_label,
        svg=svg,
        points=points,
    )


def _fill_days(rows: list[DayCounts]) -> list[Point]:
    """One point per day from the first to the last, so quiet days show as gaps in the bars."""
    by_day: dict[dt.date, DayCounts] = {}
    for row in rows:
        try:
            by_day[dt.date.fromisoformat(row["date"])] = row
        except ValueError:
            continue
    if not by_day:
        return []
    day, last = min(by_day), max(by_day)
    points = []
    while day <= last:
        day_row = by_day.get(day)
        points.append(
            Point(
                label=day.isoformat(),
                # Digits only: they read the same in every language and every SVG renderer.
                tick=day.strftime("%m-%d"),
                bar=_int(day_row["posts"]) if day_row else 0,
                line=_int(day_row["joins"]) if day_row else 0,
            )
        )
        day += dt.timedelta(days=1)
    return points


def _week_of(day: dt.date) -> tuple[str, str]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday.isoformat(), monday.strftime("%m-%d")


def _month_of(day: dt.date) -> tuple[str, str]:
    return day.strftime("%Y-%m"), day.strftime("%Y-%m")


def _grouped(days: list[Point], period: Callable[[dt.date], tuple[str, str]]) -> list[Point]:
    """Daily points summed by week or month (label: the period's first day, or the month)."""
    grouped: dict[str, Point] = {}
    for point in days:
        label, tick = period(dt.date.fromisoformat(point.label))
        before = grouped.get(label)
        grouped[label] = Point(
            label=label,
            tick=tick,
            bar=point.bar + (before.bar if before else 0),
            line=(point.line or 0) + ((before.line or 0) if before else 0),
        )
    return list(grouped.values())


def _fill_hours(rows: list[HourCounts]) -> list[Point]:
    by_hour: dict[dt.datetime, HourCounts] = {}
    for row in rows:
        when = _when(row["hour"])
        if when is not None:
            by_hour[when] = row
    if not by_hour:
        return []
    hour, last = min(by_hour), max(by_hour)
    points = []
    while hour <= last:
        hour_row = by_hour.get(hour)
        points.append(
            Point(
                label=hour.strftime("%Y-%m-%d %H:00"),
                tick=hour.strftime("%H:00"),
                bar=_int(hour_row["posts"]) if hour_row else 0,
                line=_int(hour_row["joins"]) if hour_row else 0,
            )
        )
        hour += dt.timedelta(hours=1)
    return points


def _int(value: Any) -> int:
    """A count from the report; a missing or null one (a figure not computed yet) is 0."""
    return int(value or 0)


def _when(value: object) -> dt.datetime | None:
    """An ISO 8601 time from the report as an aware datetime (UTC if it names no zone)."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _country_name(code: str) -> str:
    return locales.country_name(code)


@dataclass(frozen=True)
class TroubledRow:
    name: str
    status: str
    stop_reason: str
    finished_at: dt.datetime | None
    errors: int
    problems: list[tuple[str, str]]


def troubled_rows(runs: Iterable[RunHealth]) -> list[TroubledRow]:
    """The dashboard's collection problems (listening.runs.troubled), labelled."""
    status = {
        "failed": _("failed"),
        "stopped": _("stopped before the end"),
        "finished": _("finished, with refusals"),
        "running": _("running"),
    }
    return [
        TroubledRow(
            _network_name(run.source),
            str(status.get(run.status, run.status)),
            run.stop_reason,
            run.finished_at,
            run.errors,
            run.problems,
        )
        for run in runs
    ]


def _network_name(code: str) -> str:
    if code.startswith("import:"):
        return _("Import (%(format)s)") % {"format": code.removeprefix("import:")}
    return networks.name(code)


def _language_name(code: str) -> str:
    if code in ("", "und", "zxx", "unknown"):
        return _("Unknown")
    try:
        return str(translation.get_language_info(code)["name_translated"])
    except KeyError:
        return code
