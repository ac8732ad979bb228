"""Report charts: valid SVG, a text alternative, escaped labels, axes, readable colours."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from hashrally.reports import charts
from hashrally.reports.charts import Bar, Point, bar_chart, ranked, time_chart

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(\"x\")</script> & 'q' \x00\x1b\ud800\ufffe end"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it


def child_text(root: ET.Element, tag: str) -> str:
    element = root.find(f"{SVG}{tag}")
    assert element is not None, tag
    return element.text or ""


def texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def days(n: int, *, peak_at: int = 3) -> list[Point]:
    return [
        Point(
            label=f"2022-03-{i + 1:02d}",
            tick=f"03-{i + 1:02d}",
            bar=1000 if i == peak_at else 10 * i,
            line=i,
        )
        for i in range(n)
    ]


def contrast(colour: str, background: str = "#ffffff") -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_it_draws_a_ranking_as_an_accessible_svg() -> None:
    bars = ranked({"AZ": 310, "TR": 74, "DE": 22, "FR": 10}, {"AZ": "Azerbaijan", "TR": "Türkiye"})
    root = parse(
        bar_chart(bars, title="Supporters by country", value_label="Joined", id_prefix="c")
    )
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c-title c-desc"
    assert root.get("direction") == "ltr"
    assert root.get("viewBox", "").startswith("0 0 600 ")
    assert child_text(root, "title") == "Supporters by country"
    desc = child_text(root, "desc")
    # The largest values, in words, for people who cannot see the bars.
    assert desc == "Joined, largest: Azerbaijan: 310; Türkiye: 74; DE: 22. Total: 416."
    assert len(root.findall(f"{SVG}g/{SVG}rect")) == 4
    words = texts(root)
    assert {"Azerbaijan", "Türkiye", "310", "74", "Joined", "0"} <= set(words)


def test_it_scales_bars_to_the_largest_value() -> None:
    root = parse(bar_chart(ranked({"a": 100, "b": 50}), title="t", value_label="v", id_prefix="c"))
    widths = [float(rect.get("width", 0)) for rect in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1], rel=0.01)
    # A count of one beside a million still shows.
    root = parse(
        bar_chart(ranked({"a": 1_000_000, "b": 1}), title="t", value_label="v", id_prefix="c")
    )
    assert min(float(rect.get("width", 0)) for rect in root.iter(f"{SVG}rect")) >= 1


def test_it_escapes_hostile_labels() -> None:
    bars = [Bar(label=HOSTILE, value=5), Bar(label="ok", value=3)]
    svg = bar_chart(bars, title=HOSTILE, value_label=HOSTILE, id_prefix="c")
    assert "<script" not in svg
    root = parse(svg)  # the control characters and the lone surrogate are gone
    assert not list(root.iter("script")) and not list(root.iter(f"{SVG}script"))
    assert child_text(root, "title").startswith("<script>alert(\"x\")</script> & 'q'")
    svg.encode("utf-8")

    points = [Point(label=HOSTILE, tick=HOSTILE, bar=3, line=1)]
    svg = time_chart(
        points,
        title=HOSTILE,
        bar_label=HOSTILE,
        line_label=HOSTILE,
        axis_label=HOSTILE,
        id_prefix="t",
    )
    assert "<script" not in svg
    parse(svg)


def test_it_shortens_long_labels_at_whole_graphemes() -> None:
    flag_name = "🇦🇿" * 40
    root = parse(bar_chart([Bar(flag_name, 3)], title="t", value_label="v", id_prefix="c"))
    label = next(text for text in texts(root) if text.startswith("🇦🇿"))
    assert label.endswith("…") and label.count("🇦🇿") == 23 and "\U0001f1e6…" not in label
    # The full label stays in the tooltip.
    assert child_text(root, f"g/{SVG}title") == f"{flag_name}: 3"


def test_it_ranks_largest_first_and_sums_the_rest() -> None:
    counts = {f"k{i}": i for i in range(1, 21)} | {"zero": 0}
    bars = ranked(counts, limit=5)
    assert [bar.value for bar in bars] == [20, 19, 18, 17, sum(range(1, 17))]
    assert bars[-1].label == "16 others" and bars[-1].code == ""
    assert sum(bar.value for bar in bars) == sum(counts.values())
    assert ranked({"b": 2, "a": 2}) == [Bar("a", 2, "a"), Bar("b", 2, "b")]
    assert ranked({"x": 1}, limit=None) == [Bar("x", 1, "x")]


def test_it_draws_a_time_series_with_two_labelled_axes() -> None:
    points = days(8)
    svg = time_chart(
        points,
        title="Posts and joins per day",
        bar_label="Posts",
        line_label="Joins",
        axis_label="Day (UTC)",
        id_prefix="timeline",
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert len([r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]) == 8
    assert root.find(f"{SVG}polyline") is not None
    words = texts(root)
    assert "Day (UTC)" in words
    assert "Posts (bars, left axis)" in words and "Joins (line, right axis)" in words
    assert "03-01" in words and "1,000" in words
    assert child_text(root, "desc") == (
        "From 2022-03-01 to 2022-03-08. Posts: total 1,250, highest 1,000 at 2022-03-04. "
        "Joins: total 28, highest 7 at 2022-03-08."
    )


def test_it_keeps_words_out_of_the_chart_for_print() -> None:
    svg = time_chart(
        days(5),
        title="t",
        bar_label="Posts",
        line_label="Joins",
        axis_label="Day (UTC)",
        id_prefix="t",
        captions=False,
    )
    words = texts(parse(svg))
    assert all(re.fullmatch(r"[\d,:-]+", word) for word in words), words


def test_it_spaces_time_labels_so_they_do_not_overlap() -> None:
    root = parse(time_chart(days(90), title="t", bar_label="p", axis_label="a", id_prefix="t"))
    ticks = [el for el in root.iter(f"{SVG}text") if re.fullmatch(r"03-\d\d", el.text or "")]
    assert 5 <= len(ticks) <= 12
    xs = [float(el.get("x", 0)) for el in ticks]
    assert min(b - a for a, b in itertools.pairwise(xs)) >= 44


def test_it_draws_empty_charts_that_say_so() -> None:
    for svg in (
        bar_chart([], title="t", value_label="v", id_prefix="c"),
        time_chart([], title="t", bar_label="p", line_label="j", axis_label="a", id_prefix="t"),
    ):
        root = parse(svg)
        assert child_text(root, "desc") == "No data."
        assert "No data." in texts(root)


def test_it_refuses_an_id_prefix_that_is_not_an_identifier() -> None:
    with pytest.raises(ValueError, match="id_prefix"):
        bar_chart([], title="t", value_label="v", id_prefix='x" onload="alert(1)')


@pytest.mark.parametrize("top", [0, 1, 3, 7, 10, 99, 101, 412, 981, 150_000, 2_345_678])
def test_it_puts_round_ticks_just_above_the_largest_value(top: int) -> None:
    ticks = charts._ticks(top)
    step = ticks[1] - ticks[0]
    assert ticks[0] == 0 and ticks[-1] >= top and len(ticks) - 1 <= 5
    assert re.fullmatch(r"[125]0*", str(step))
    assert ticks[-2] < top or top == 0


def test_it_writes_numbers_the_way_the_language_does() -> None:
    with translation.override("az"):
        words = texts(
            parse(bar_chart([Bar("a", 12345)], title="t", value_label="v", id_prefix="c"))
        )
    assert "12\xa0345" in words


def test_it_uses_colours_that_meet_contrast_on_white() -> None:
    for text_colour in (charts.INK, charts.MUTED, charts.LINE):  # the right axis is in LINE
        assert contrast(text_colour) >= 4.5
    assert contrast(charts.BAR) >= 3  # graphics need 3:1


def test_it_sets_the_line_apart_from_the_bars_it_crosses() -> None:
    # The two series differ in hue, not lightness: the line has a white halo and dots.
    root = parse(
        time_chart(days(5), title="t", bar_label="p", line_label="j", axis_label="a", id_prefix="t")
    )
    halo, line = root.findall(f"{SVG}polyline")
    assert halo.get("stroke") == "#ffffff" and line.get("stroke") == charts.LINE
    assert float(halo.get("stroke-width", 0)) > float(line.get("stroke-width", 0))
    assert len(root.findall(f"{SVG}circle")) == 5 + 1  # one per point, one in the legend
