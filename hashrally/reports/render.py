"""A report dict, presented: the context of the report pages, a standalone HTML file and a PDF.

The report dict (computed elsewhere, JSON-serialisable) holds figures only. ``report_view`` turns
it into what the templates show: labelled figures in the reader's language, charts with the rows
of their tables, maps, and the method (sources, windows, one-line definitions, estimates, the
dataset hash). The dashboard shows every section; the public results page only those the organiser
published. Nothing here reads the database or the network.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_countries import countries

from hashrally.campaigns.rules import NETWORK_NAMES
from hashrally.core import worldmap
from hashrally.reports import charts
from hashrally.reports.charts import Bar, Point

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
    "authenticity",
)

# A day-by-day chart of a one-day push is a single bar; up to this many days, chart by hour.
HOURLY_UP_TO_DAYS = 3
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
    start: dt.datetime | None
    end: dt.datetime | None


@dataclass(frozen=True)
class Definition:
    name: str
    text: str
    estimate: bool = False


@dataclass
class ReportView:
    """Everything the report templates show, in the active language."""

    title: str
    slug: str
    umbrella: bool
    children: list[str]
    generated_at: dt.datetime | None
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
    supporter_countries: BarFigure | None = None
    supporter_map: MapFigure | None = None
    supporter_country_rows: list[CountryRow] = field(default_factory=list)
    author_countries: BarFigure | None = None
    author_map: MapFigure | None = None
    unplaced: int = 0
    unplaced_percent: float = 0.0
    languages: BarFigure | None = None
    networks: BarFigure | None = None
    targets: list[TargetRow] = field(default_factory=list)
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


def report_context(
    report: Mapping[str, Any], *, published: Iterable[str] | None = None
) -> dict[str, Any]:
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


def html_report(report: Mapping[str, Any]) -> str:
    """The report as one HTML document that loads nothing: styles inline, charts inline SVG."""
    return render_to_string("reports/report.html", _document_context(report, print_css=False))


def pdf_report(report: Mapping[str, Any]) -> bytes:
    """The report as an A4 PDF, in the active language."""
    # WeasyPrint loads Pango, cairo's font machinery and fontTools: only PDF output pays for it.
    import weasyprint  # type: ignore[import-untyped]

    html = render_to_string("reports/report.html", _document_context(report, print_css=True))
    # No base_url and a fetcher that refuses everything: the document needs nothing from outside,
    # and a link's address in user data must never become a request.
    document = weasyprint.HTML(string=html, url_fetcher=_refuse_fetch)
    pdf: bytes = document.write_pdf()
    return pdf


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"reports load nothing from outside; refused {url[:80]!r}")


def _document_context(report: Mapping[str, Any], *, print_css: bool) -> dict[str, Any]:
    return {
        "report": report,
        "published": list(SECTIONS),
        "view": report_view(report, for_print=print_css),
        "print": print_css,
        "component_css": reports_css(),
    }


def reports_css() -> SafeString:
    """The report components' stylesheet, for documents that must carry their styles inline."""
    text = resources.files(__package__).joinpath("static", "reports", "reports.css")
    # Our own file; "</" cannot close the <style> element early because the file has none.
    return mark_safe(text.read_text("utf-8"))  # noqa: S308


def report_view(
    report: Mapping[str, Any],
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
    campaign = report.get("campaign", {})
    view = ReportView(
        title=str(campaign.get("title", "")),
        slug=str(campaign.get("slug", "")),
        umbrella=bool(campaign.get("umbrella", False)),
        children=[str(child) for child in campaign.get("children", [])],
        generated_at=_when(report.get("generated_at")),
        window_from=_when(report.get("window", {}).get("from")),
        window_to=_when(report.get("window", {}).get("to")),
        dataset_sha256=str(report.get("dataset_sha256", "")),
        show=show,
    )
    _add_headline(view, report)
    _add_supporters(view, report.get("supporters", {}))
    _add_posts(view, report)
    _add_authors(view, report.get("authors", {}))
    engagement = report.get("engagement", {})
    view.engagement = [
        Figure(_("Likes"), engagement.get("likes")),
        Figure(_("Reposts"), engagement.get("reposts")),
        Figure(_("Replies"), engagement.get("replies")),
        Figure(_("Quotes"), engagement.get("quotes")),
    ]
    view.timeline = _timeline(
        report.get("timeline", []), report.get("timeline_hourly", []), captions=not for_print
    )
    _add_countries(view, report)
    posts = report.get("posts", {})
    view.languages = _bar_figure(
        "languages",
        _("Posts by language"),
        _("Posts"),
        _ranked(posts.get("by_language", {}), _language_name),
    )
    view.networks = _bar_figure(
        "networks",
        _("Posts by network"),
        _("Posts"),
        _ranked(posts.get("by_network", {}), _network_name),
    )
    view.targets = sorted(
        (
            TargetRow(
                handle=str(handle),
                name=str(target.get("name") or ""),
                total=_int(target.get("total")),
                by_network=[
                    (_network_name(network), _int(count))
                    for network, count in sorted(target.get("by_network", {}).items())
                ],
            )
            for handle, target in report.get("targets", {}).items()
        ),
        key=lambda row: (-row.total, row.handle.casefold()),
    )
    _add_authenticity(view, report.get("authenticity", {}))
    view.sources = [
        SourceRow(
            name=_network_name(str(source.get("source", ""))),
            runs=_int(source.get("runs")),
            posts_read=_int(source.get("posts_read")),
            start=_when(source.get("from")),
            end=_when(source.get("to")),
        )
        for source in report.get("sources", [])
    ]
    view.definitions = [
        definition for section, definition in _definitions() if section is None or show[section]
    ]
    return view


def _add_headline(view: ReportView, report: Mapping[str, Any]) -> None:
    headline = report.get("headline", {})
    with_flagged = headline.get("with_flagged", {})
    without_flagged = headline.get("without_flagged", {})
    rows = [
        ("posts", "posts", _("Posts"), False),
        ("authors", "authors", _("Unique authors"), False),
        ("authors", "potential_reach", _("Potential reach"), True),
    ]
    view.headline = [
        HeadlineRow(
            label=label,
            with_flagged=_int(with_flagged.get(key)),
            without_flagged=_int(without_flagged.get(key)),
            estimate=estimate,
        )
        for section, key, label, estimate in rows
        if view.show[section]
    ]


def _add_supporters(view: ReportView, supporters: Mapping[str, Any]) -> None:
    view.supporters = [
        Figure(_("Joined"), supporters.get("joined")),
        Figure(_("Confirmed by email"), supporters.get("confirmed")),
        Figure(_("Verified by a public post"), supporters.get("verified")),
    ]


def _add_posts(view: ReportView, report: Mapping[str, Any]) -> None:
    posts = report.get("posts", {})
    view.posts = [
        Figure(_("Posts"), posts.get("total")),
        Figure(_("Original posts"), posts.get("originals")),
        Figure(_("Reposts"), posts.get("reposts")),
        Figure(_("Replies"), posts.get("replies")),
        Figure(_("Quotes"), posts.get("quotes")),
    ]
    view.hashtags = [
        (charts.clean(str(row.get("hashtag", ""))), _int(row.get("posts")))
        for row in posts.get("hashtags", [])
    ]
    view.top_posts = [
        PostRow(
            network=_network_name(str(post.get("network", ""))),
            url=_web_address(post.get("url")),
            author=str(post.get("author") or ""),
            text=str(post.get("text") or ""),
            created_at=_when(post.get("created_at")),
            likes=_int(post.get("likes")),
            reposts=_int(post.get("reposts")),
            replies=_int(post.get("replies")),
            quotes=_int(post.get("quotes")),
        )
        for post in report.get("top_posts", [])
    ]


def _add_authors(view: ReportView, authors: Mapping[str, Any]) -> None:
    view.authors = [
        Figure(_("Unique authors"), authors.get("unique")),
        Figure(_("Potential reach"), authors.get("potential_reach"), estimate=True),
        Figure(_("Potential impressions"), authors.get("potential_impressions"), estimate=True),
        Figure(_("Views reported by the networks"), authors.get("views")),
    ]
    view.top_authors = [
        AuthorRow(
            network=_network_name(str(row.get("network", ""))),
            handle=str(row.get("handle") or ""),
            name=str(row.get("name") or ""),
            followers=_int(row.get("followers")),
            posts=_int(row.get("posts")),
        )
        for row in authors.get("top", [])
    ]


def _add_countries(view: ReportView, report: Mapping[str, Any]) -> None:
    by_country: Mapping[str, Mapping[str, int]] = report.get("supporters", {}).get("by_country", {})
    names = {code: _country_name(code) for code in by_country}
    joined = {code: _int(row.get("joined")) for code, row in by_country.items()}
    view.supporter_country_rows = sorted(
        (
            CountryRow(
                name=names[code],
                code=code,
                joined=_int(row.get("joined")),
                confirmed=_int(row.get("confirmed")),
                verified=_int(row.get("verified")),
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

    placed = report.get("authors", {}).get("countries", {})
    author_counts = {code: _int(count) for code, count in placed.get("by_country", {}).items()}
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
    view.unplaced = _int(placed.get("unplaced"))
    view.unplaced_percent = round(100 * float(placed.get("unplaced_share", 0.0)), 1)


def _add_authenticity(view: ReportView, authenticity: Mapping[str, Any]) -> None:
    bursts = authenticity.get("burst_windows", [])
    view.authenticity = [
        Figure(_("Bot-like authors"), authenticity.get("bot_like_authors")),
        Figure(_("Posts by bot-like authors"), authenticity.get("bot_like_posts")),
        Figure(_("Template posts"), authenticity.get("template_posts")),
        Figure(_("Posts in suspect clusters"), authenticity.get("suspect_cluster_posts")),
        Figure(_("Bursts"), authenticity.get("bursts")),
    ]
    # Kept in this order (not ranked): the reader compares the same signals across reports.
    parts = [
        Bar(_("Posts by bot-like authors"), _int(authenticity.get("bot_like_posts")), "bot"),
        Bar(_("Template posts"), _int(authenticity.get("template_posts")), "template"),
        Bar(
            _("Posts in suspect clusters"),
            _int(authenticity.get("suspect_cluster_posts")),
            "cluster",
        ),
        Bar(_("Posts in bursts"), sum(_int(b.get("posts")) for b in bursts), "burst"),
        Bar(
            _("Posts from new accounts in bursts"),
            sum(_int(b.get("new_account_posts")) for b in bursts),
            "burst-new",
        ),
    ]
    view.flagged = _bar_figure("flagged", _("Flagged posts by signal"), _("Posts"), parts)
    view.clusters = [
        (_int(cluster.get("posts")), str(cluster.get("sample") or ""))
        for cluster in authenticity.get("suspect_clusters", [])
    ]
    view.bursts = [
        BurstRow(
            start=_when(burst.get("start")),
            end=_when(burst.get("end")),
            posts=_int(burst.get("posts")),
            new_account_posts=_int(burst.get("new_account_posts")),
        )
        for burst in bursts
    ]


def _ranked(counts: Mapping[str, Any], name: Callable[[str], str]) -> list[Bar]:
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
    daily: list[Mapping[str, Any]], hourly: list[Mapping[str, Any]], *, captions: bool
) -> TimeFigure | None:
    days = _fill_days(daily)
    if not days:
        return None
    if len(days) <= HOURLY_UP_TO_DAYS and hourly:
        points = _fill_hours(hourly)
        title = _("Posts and joins per hour")
        axis = _("Hour (UTC)")
    else:
        points = days
        title = _("Posts and joins per day")
        axis = _("Day (UTC)")
    bar_label, line_label = _("Posts"), _("Joins")
    svg = charts.time_chart(
        points,
        title=title,
        bar_label=bar_label,
        line_label=line_label,
        axis_label=axis,
        id_prefix="timeline",
        captions=captions,
    )
    return TimeFigure(
        title=title,
        axis_label=axis,
        bar_label=bar_label,
        line_label=line_label,
        svg=svg,
        points=points,
    )


def _fill_days(rows: list[Mapping[str, Any]]) -> list[Point]:
    """One point per day from the first to the last, so quiet days show as gaps in the bars."""
    by_day: dict[dt.date, Mapping[str, Any]] = {}
    for row in rows:
        try:
            by_day[dt.date.fromisoformat(str(row["date"]))] = row
        except (KeyError, ValueError):
            continue
    if not by_day:
        return []
    day, last = min(by_day), max(by_day)
    points = []
    while day <= last:
        row = by_day.get(day, {})
        points.append(
            Point(
                label=day.isoformat(),
                # Digits only: they read the same in every language and every SVG renderer.
                tick=day.strftime("%m-%d"),
                bar=_int(row.get("posts")),
                line=_int(row.get("joins")),
            )
        )
        day += dt.timedelta(days=1)
    return points


def _fill_hours(rows: list[Mapping[str, Any]]) -> list[Point]:
    by_hour: dict[dt.datetime, Mapping[str, Any]] = {}
    for row in rows:
        when = _when(row.get("hour"))
        if when is not None:
            by_hour[when] = row
    if not by_hour:
        return []
    hour, last = min(by_hour), max(by_hour)
    points = []
    while hour <= last:
        row = by_hour.get(hour, {})
        points.append(
            Point(
                label=hour.strftime("%Y-%m-%d %H:00"),
                tick=hour.strftime("%H:00"),
                bar=_int(row.get("posts")),
                line=_int(row.get("joins")),
            )
        )
        hour += dt.timedelta(hours=1)
    return points


def _definitions() -> list[tuple[str | None, Definition]]:
    """One line per figure, with the section it belongs to (None: always shown)."""
    return [
        (
            "supporters",
            Definition(
                _("Joined"),
                _("People who submitted the join form with consent, each counted once."),
            ),
        ),
        (
            "supporters",
            Definition(
                _("Confirmed by email"),
                _("Joined supporters who opened the link mailed to them and confirmed."),
            ),
        ),
        (
            "supporters",
            Definition(
                _("Verified by a public post"),
                _("Joined supporters with a public campaign post found or proven."),
            ),
        ),
        (
            "posts",
            Definition(
                _("Posts"),
                _(
                    "Public posts collected from the sources below that carry a campaign hashtag "
                    "or mention a target, inside the collection window, each counted once."
                ),
            ),
        ),
        (
            "posts",
            Definition(
                _("Original posts, reposts, replies, quotes"),
                _("The same posts by kind; each post has exactly one kind."),
            ),
        ),
        (
            "posts",
            Definition(
                _("Hashtags used alongside"),
                _("Other hashtags in the collected posts, by the number of posts using each."),
            ),
        ),
        (
            "authors",
            Definition(
                _("Unique authors"), _("Distinct accounts that wrote at least one of the posts.")
            ),
        ),
        (
            "authors",
            Definition(
                _("Potential reach"),
                _(
                    "The sum of the unique authors' follower counts: how many accounts could "
                    "have seen a post, not how many did."
                ),
                estimate=True,
            ),
        ),
        (
            "authors",
            Definition(
                _("Potential impressions"),
                _("The sum over all posts of their author's follower count."),
                estimate=True,
            ),
        ),
        (
            "authors",
            Definition(
                _("Views reported by the networks"),
                _("View counts that networks publish for posts; absent where none does."),
            ),
        ),
        (
            "engagement",
            Definition(
                _("Likes, reposts, replies, quotes"),
                _("The reactions the collected posts had when they were last read."),
            ),
        ),
        (
            "countries",
            Definition(
                _("Supporters by country"),
                _("Joined supporters by the country each chose; not derived from IP addresses."),
            ),
        ),
        (
            "countries",
            Definition(
                _("Authors by estimated country"),
                _(
                    "Estimated from the location in each author's profile, else from a language "
                    "spoken mainly in one country; authors not placed so are counted as unplaced."
                ),
                estimate=True,
            ),
        ),
        (
            "languages",
            Definition(
                _("Posts by language"),
                _("The language the network gives for each post, else one detected from its text."),
            ),
        ),
        (
            "networks",
            Definition(_("Posts by network"), _("The network each collected post was found on.")),
        ),
        (
            "targets",
            Definition(
                _("Targets"), _("Collected posts that mention each target account, per network.")
            ),
        ),
        (
            "authenticity",
            Definition(
                _("Bot-like authors"),
                _("Authors whose accounts show automated-looking signals; a signal, not proof."),
            ),
        ),
        (
            "authenticity",
            Definition(
                _("Template posts"),
                _("Posts whose text is the same as or nearly the same as a campaign template."),
            ),
        ),
        (
            "authenticity",
            Definition(
                _("Suspect clusters"),
                _("Groups of near-identical posts from different accounts."),
            ),
        ),
        (
            "authenticity",
            Definition(
                _("Bursts"),
                _("Short spells with far more posts than usual; how many came from new accounts."),
            ),
        ),
        (
            None,
            Definition(
                _("Without flagged"),
                _("The same figure leaving out flagged posts and authors (see Authenticity)."),
            ),
        ),
        (
            None,
            Definition(
                _("Dataset hash"),
                _("SHA-256 of the data the report was computed from: same data, same hash."),
            ),
        ),
    ]


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


def _web_address(value: object) -> str:
    """``value`` if it is an http(s) address, else "": a javascript: link must never render."""
    text = str(value or "")
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    return text if parts.scheme in ("http", "https") and parts.netloc else ""


def _country_name(code: str) -> str:
    return str(countries.name(code)) or code


def _network_name(code: str) -> str:
    if code.startswith("import:"):
        return _("Import (%(format)s)") % {"format": code.removeprefix("import:")}
    return NETWORK_NAMES.get(code, code)


def _language_name(code: str) -> str:
    if code in ("", "und", "zxx", "unknown"):
        return _("Unknown")
    try:
        return str(translation.get_language_info(code)["name_translated"])
    except KeyError:
        return code
