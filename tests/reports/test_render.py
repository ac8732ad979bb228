"""Reports presented: the dashboard and results pages, the standalone HTML file and the PDF."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pypdfium2  # type: ignore[import-untyped]
import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from hashrally.campaigns.models import Campaign
from hashrally.reports import presentation
from hashrally.reports.documents import html_report, pdf_report
from hashrally.reports.presentation import SECTIONS, report_context, report_view
from hashrally.reports.types import HeadlineFigures, Report
from tests.reports.fakes import (
    ARABIC_WORD,
    AZERBAIJANI_WORD,
    HEADLINE_POSTS_TEXT,
    HEADLINE_REACH_TEXT,
    RUSSIAN_WORD,
    sample_report,
)

HOSTILE = '<script>alert("x")</script>'


class Resources(HTMLParser):
    """Every attribute that makes a browser fetch something, and every link."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[tuple[str, str, str]] = []
        self.links: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if tag == "a" and name == "href":
                self.links.append(value or "")
            elif name in ("src", "href", "srcset", "poster", "data", "xlink:href", "action"):
                self.loads.append((tag, name, value or ""))


def resources(html: str) -> Resources:
    parser = Resources()
    parser.feed(html)
    return parser


def page(template: str, report: Report, **context: Any) -> str:
    campaign = Campaign(slug=report["campaign"]["slug"])
    request = RequestFactory().get(f"/c/{campaign.slug}/")
    return render_to_string(
        template, {"campaign": campaign, **report_context(report, **context)}, request=request
    )


def empty_report() -> Report:
    """A campaign just launched: nothing joined, nothing collected."""
    zero: HeadlineFigures = {"posts": 0, "authors": 0, "potential_reach": 0}
    return {
        "campaign": {"slug": "new", "title": "New", "umbrella": False, "children": []},
        "generated_at": "2024-01-01T00:00:00Z",
        "window": {"from": None, "to": None},
        "sources": [],
        "supporters": {"joined": 0, "confirmed": 0, "verified": 0, "by_country": {}},
        "posts": {
            "total": 0, "originals": 0, "reposts": 0, "replies": 0, "quotes": 0,
            "by_network": {}, "by_language": {}, "hashtags": [],
        },
        "authors": {
            "unique": 0, "by_network": {}, "potential_reach": 0, "potential_impressions": 0,
            "views": None, "posts_with_views": 0,
            "countries": {"by_country": {}, "by_method": {}, "unplaced": 0,
                          "unplaced_share": 0.0, "method": "estimate"},
            "top": [],
        },
        "engagement": {"likes": 0, "reposts": 0, "replies": 0, "quotes": 0},
        "top_posts": [],
        "targets": {},
        "target_responses": [],
        "moment": None,
        "what_worked": {
            "clicks_by_network": {},
            "variants": [],
            "referral_joins": 0,
            "referrers": 0,
            "leaderboard": [],
        },
        "timeline": [],
        "timeline_hourly": [],
        "authenticity": {
            "bot_like_authors": 0, "bot_like_posts": 0, "bot_like_reasons": {},
            "template_posts": 0, "suspect_cluster_posts": 0, "suspect_clusters": [], "bursts": 0,
            "burst_windows": [],
        },
        "headline": {"with_flagged": zero, "without_flagged": zero},
        "dataset_sha256": "0" * 64,
    }  # fmt: skip


def test_it_writes_a_standalone_html_report_with_the_headline_figures() -> None:
    html = html_report(sample_report())
    assert html.startswith("<!doctype html>")
    assert "<title>Report: Khojaly: RecognizeToReconcile</title>" in html
    for figure in (HEADLINE_POSTS_TEXT, "1,102", "687", "641", HEADLINE_REACH_TEXT, "1,987,654"):
        assert f"<td>{figure}</td>" in html
    assert "3f1c9a7e5b2d48c0a6e1f7b9d3c5a8e2f4b6d8a0c2e4f6a8b0d2f4a6c8e0b2d4" in html
    assert AZERBAIJANI_WORD in html and ARABIC_WORD in html and RUSSIAN_WORD in html


def test_it_loads_nothing_from_anywhere() -> None:
    html = html_report(sample_report())
    found = resources(html)
    assert found.loads == []
    assert "link" not in found.tags and "script" not in found.tags and "img" not in found.tags
    assert "url(" not in html and "@import" not in html
    # Links to the posts themselves, and to where targets answered, are fine: they load nothing
    # until someone follows them.
    report = sample_report()
    assert found.links == [post["url"] for post in report["top_posts"]] + [
        response["url"] for response in report["target_responses"]
    ]


def test_it_labels_every_estimate() -> None:
    view = report_view(sample_report())
    estimates = {figure.label for figure in view.authors if figure.estimate}
    assert estimates == {"Potential reach", "Potential impressions"}
    assert [row.label for row in view.headline if row.estimate] == ["Potential reach"]
    assert view.author_countries is not None and view.author_countries.estimate
    assert view.estimates == [
        "Potential reach",
        "Potential impressions",
        "Authors by estimated country",
    ]
    html = html_report(sample_report())
    assert 'Potential reach <span class="estimate">estimate</span>' in html
    assert "Authors by estimated country" in html
    assert "204 authors (29.7 %) could not be placed" in html


def test_it_states_the_method() -> None:
    html = html_report(sample_report())
    method = html[html.index('id="method-h"') :]
    for source in ("X", "Mastodon", "Bluesky", "Import (twarc2)"):
        assert f'<th scope="row">{source}</th>' in method
    assert "1,204" in method  # posts read from X
    for name in ("Joined", "Potential reach", "Template posts", "Dataset hash"):
        assert f"<dt>{name}" in method
    assert (
        "Estimates: Potential reach, Potential impressions, Authors by estimated country." in method
    )


def test_it_follows_each_chart_with_a_table_of_its_figures() -> None:
    html = page("reports/dashboard.html", sample_report())
    charts = re.findall(
        r'<svg[^>]*class="hr-chart".*?</svg>(.*?)</figure>\s*'
        r'(?:<div class="table-scroll"[^>]*>)?(<table[^>]*>\s*<caption>[^<]*)?',
        html,
        re.S,
    )
    assert len(charts) == 6  # timeline, two kinds of countries, languages, networks, signals
    for inside, after in charts:
        assert "<table" in inside or after
    # The supporters' chart shows the largest countries; the table after it has every one.
    assert "Supporters in every country" in html
    view = report_view(sample_report())
    assert view.languages is not None
    assert [(bar.label, bar.value) for bar in view.languages.bars][:2] == [
        ("English", 512),
        ("Azerbaijani", 401),
    ]


def test_it_escapes_user_data_and_links_only_to_web_addresses() -> None:
    report = sample_report()
    report["campaign"]["title"] = HOSTILE
    report["posts"]["by_language"][HOSTILE] = 9
    report["posts"]["hashtags"].append({"hashtag": HOSTILE, "posts": 2})
    report["top_posts"][0]["text"] = HOSTILE
    report["top_posts"][0]["url"] = "javascript:alert(1)"
    report["authors"]["top"][0]["name"] = HOSTILE
    report["authenticity"]["suspect_clusters"][0]["sample"] = HOSTILE
    report["targets"][HOSTILE] = {
        "name": HOSTILE,
        "total": 1,
        "by_network": {"x": 1},
        "by_day": {"2022-02-25": {"x": 1}},
    }
    report["target_responses"][0]["summary"] = HOSTILE
    report["target_responses"][0]["url"] = "javascript:alert(2)"
    for html in (html_report(report), page("reports/dashboard.html", report)):
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
        assert "javascript:" not in html
    found = resources(html_report(report))
    assert len(found.links) == len(report["top_posts"]) - 1
    assert "news.example" not in " ".join(found.links)


def test_it_shows_the_dashboard_with_every_section_and_the_downloads() -> None:
    html = page("reports/dashboard.html", sample_report())
    for heading in (
        "headline",
        "supporters",
        "timeline",
        "posts",
        "authors",
        "engagement",
        "countries",
        "languages",
        "networks",
        "targets",
        "authenticity",
        "method",
    ):
        assert f'id="{heading}-h"' in html
    for download in ("posts.csv", "authors.csv", "report.json", "report.pdf"):
        assert f'href="/c/recognize-to-reconcile/dashboard/{download}"' in html
    assert "/static/reports/reports.css" in html
    assert 'class="hr-worldmap"' in html  # supporters' and authors' maps
    assert html.count('class="hr-worldmap"') == 2
    assert "Too small to draw at this scale:" in html and "<bdi>Singapore</bdi>" in html


def test_it_shows_only_published_sections_on_the_results_page() -> None:
    html = page("reports/results.html", sample_report(), published=["timeline", "languages"])
    assert 'id="timeline-h"' in html and 'id="languages-h"' in html
    assert 'id="method-h"' in html  # the method is never left out
    for hidden in (
        "headline",
        "supporters",
        "posts",
        "authors",
        "countries",
        "targets",
        "authenticity",
        "networks",
        "engagement",
    ):
        assert f'id="{hidden}-h"' not in html
    assert HEADLINE_POSTS_TEXT not in html.split('id="timeline-h"')[0]
    assert "dashboard/posts.csv" not in html
    assert "Template posts" not in html  # nor the definitions of hidden figures


def test_it_keeps_the_headline_to_published_figures() -> None:
    view = report_view(sample_report(), published=["posts"])
    assert [row.label for row in view.headline] == ["Posts"]
    assert report_view(sample_report()).show == dict.fromkeys(SECTIONS, True)


def test_it_lays_out_right_to_left_with_charts_left_to_right() -> None:
    with translation.override("ar"):
        html = page("reports/dashboard.html", sample_report())
        standalone = html_report(sample_report())
    assert '<html lang="ar" dir="rtl">' in html and '<html lang="ar" dir="rtl">' in standalone
    for doc in (html, standalone):
        frames = re.findall(r'<div class="(?:chart|map)-frame"([^>]*)>', doc)
        assert frames and all(attrs == ' dir="ltr"' for attrs in frames)
    assert "أذربيجان" in html  # country names in the reader's language


def test_it_renders_a_report_with_nothing_in_it() -> None:
    report = empty_report()
    html = page("reports/dashboard.html", report)
    assert "No supporters yet." in html and "No posts have been collected yet." in html
    assert "not available" in html  # views: no network reports them
    assert html_report(report)


def test_it_shows_a_figure_not_computed_yet_as_not_available() -> None:
    report = sample_report()
    # A figure the type says is always there, missing from a report (e.g. a stored older one).
    report["supporters"]["verified"] = None  # type: ignore[typeddict-item]
    for row in report["supporters"]["by_country"].values():
        row["verified"] = None  # type: ignore[typeddict-item]
    html = page("reports/dashboard.html", report)
    supporters = html[html.index('id="supporters-h"') : html.index('id="timeline-h"')]
    assert "Verified by a public post" in supporters and "not available" in supporters


def test_it_charts_a_short_campaign_by_hour() -> None:
    report = sample_report()
    report["timeline"] = [row for row in report["timeline"] if row["date"] == "2022-02-26"]
    timeline = report_view(report).timeline
    assert timeline is not None and timeline.title == "Posts and joins per hour"
    assert [point.label for point in timeline.points] == [
        "2022-02-26 08:00", "2022-02-26 09:00", "2022-02-26 10:00", "2022-02-26 11:00",
    ]  # fmt: skip
    # Quiet days between active ones are drawn as zero, not skipped.
    report = sample_report()
    del report["timeline"][3]
    timeline = report_view(report).timeline
    assert timeline is not None and len(timeline.points) == 8 and timeline.points[3].bar == 0


def test_it_reads_the_map_legend_colours_from_the_map() -> None:
    assert sorted(presentation.MAP_COLOURS) == [1, 2, 3, 4, 5]


@pytest.fixture(scope="module")
def pdf() -> pypdfium2.PdfDocument:
    document = pypdfium2.PdfDocument(pdf_report(sample_report()))
    yield document
    document.close()


def page_texts(document: pypdfium2.PdfDocument) -> list[str]:
    texts = []
    for page in document:
        textpage = page.get_textpage()
        texts.append(textpage.get_text_range())
        textpage.close()
        page.close()
    return texts


def test_it_prints_a4_pages_that_are_not_blank(pdf: pypdfium2.PdfDocument) -> None:
    assert 4 <= len(pdf) <= 15
    for index in range(len(pdf)):
        page = pdf[index]
        width, height = page.get_size()
        assert (round(width), round(height)) == (595, 842)  # A4 in points
        image = page.render(scale=0.4).to_pil().convert("L")
        page.close()
        darkest, _lightest = image.getextrema()
        assert darkest < 100, f"page {index + 1} is blank"
        # More than a page number: some share of the page carries ink.
        inked = sum(image.histogram()[:200])
        assert inked > 0.005 * image.width * image.height, f"page {index + 1} is nearly blank"


def test_it_prints_the_figures_and_every_script(pdf: pypdfium2.PdfDocument) -> None:
    text = "\n".join(page_texts(pdf))
    assert HEADLINE_POSTS_TEXT in text and HEADLINE_REACH_TEXT in text
    assert AZERBAIJANI_WORD in text and "Məmmədova" in text
    assert ARABIC_WORD in text
    assert RUSSIAN_WORD in text
    assert "estimate" in text and "Appendix: method and definitions" in text
    assert "3f1c9a7e5b2d48c0a6e1f7b9d3c5a8e2f4b6d8a0c2e4f6a8b0d2f4a6c8e0b2d4" in text


def test_it_prints_right_to_left_in_arabic() -> None:
    with translation.override("ar"):
        document = pypdfium2.PdfDocument(pdf_report(sample_report()))
    try:
        text = "\n".join(page_texts(document))
    finally:
        document.close()
    # Arabic country and language names come out in reading order, so they were laid out as
    # words. (Words with a lam-alef ligature come out with the pair swapped, so none is used.)
    assert "أذربيجان" in text and "تركيا" in text and "العربية" in text
    assert "1234" in text  # Arabic writes its numbers without grouping


def _spanning(first: str, last: str) -> Report:
    """The sample report with posts on two days only, `first` and `last`."""
    report = sample_report()
    report["timeline"] = [
        {"date": first, "posts": 7, "authors": 5, "joins": 2},
        {"date": last, "posts": 3, "authors": 1, "joins": 0},
    ]
    report["timeline_hourly"] = []
    return report


@pytest.mark.parametrize(
    ("first", "last", "steps", "title"),
    [
        ("2026-02-01", "2026-02-28", 28, "per day"),
        ("2025-12-01", "2026-06-30", 31, "per week"),  # 212 days, Mondays from 2025-12-01
        ("2021-02-26", "2026-02-26", 61, "per month"),
    ],
)
def test_it_steps_the_timeline_by_the_windows_length(
    first: str, last: str, steps: int, title: str
) -> None:
    with translation.override("en"):
        timeline = report_view(_spanning(first, last)).timeline
    assert timeline is not None and title in timeline.title
    assert len(timeline.points) == steps
    assert sum(p.bar for p in timeline.points) == 10  # nothing lost in the sums


def test_it_prints_a_five_year_window_in_a_few_pages() -> None:
    with translation.override("en"):
        one_month = pypdfium2.PdfDocument(pdf_report(_spanning("2026-02-01", "2026-02-28")))
        five_years = pypdfium2.PdfDocument(pdf_report(_spanning("2021-02-26", "2026-02-26")))
    # The finding: 63 pages, 53 of them a daily table of zeros. A typical campaign fits in
    # about eight pages, whatever the length of its window.
    assert len(five_years) == len(one_month) <= 9
    # Its table lists the two months with posts, not the 59 empty ones between them.
    text = "\n".join(page_texts(five_years))
    assert "2021-02" in text and "2026-02" in text and "2023-07" not in text
    one_month.close()
    five_years.close()


def test_it_opens_the_pdf_with_a_cover_of_the_headline_figures() -> None:
    report = sample_report()
    with translation.override("en"):
        document = pypdfium2.PdfDocument(pdf_report(report))
    cover = page_texts(document)[0]
    document.close()
    assert report["campaign"]["title"] in cover
    joined = f"{report['supporters']['joined']:,}"
    posts = f"{report['headline']['with_flagged']['posts']:,}"
    assert joined in cover and posts in cover and "Joined" in cover
    assert "Headline" not in cover  # the sections start on the next page


def test_it_draws_emoji_in_the_pdf_in_colour() -> None:
    """Posts carry emoji; printed as empty boxes they were lost (Noto Color Emoji, installed by
    `make pdf`, draws them). Checked on the rendered page: between the words around it, the
    emoji has coloured pixels."""
    report = sample_report()
    report["top_posts"][0]["text"] = "Remember Khojaly 🕊️ peace"
    with translation.override("en"):
        document = pypdfium2.PdfDocument(pdf_report(report))
    for index in range(len(document)):
        page = document[index]
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        if "Remember Khojaly" in text:
            start = text.index("Remember Khojaly")
            before = textpage.get_charbox(start + len("Remember Khojal"))  # its "y"
            after = textpage.get_charbox(text.index("peace", start))
            width, height = page.get_size()
            crop = (before[2], before[1] - 2, width - after[0], height - before[3] - 2)
            image = page.render(scale=4, crop=crop).to_pil().convert("RGB")
            break
    else:
        pytest.fail("the post with the emoji is not in the PDF")
    raw = image.tobytes()
    pixels = zip(raw[0::3], raw[1::3], raw[2::3], strict=True)
    coloured = sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 40)
    document.close()
    assert coloured > 20, "the emoji printed without colour (an empty box?)"
