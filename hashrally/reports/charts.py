"""Report charts drawn on the server as inline SVG: a time series and a ranking.

The charts need no script and load nothing: every colour, font size and position is written into
the markup, so the same SVG works inline in a page, in a standalone HTML file and in WeasyPrint's
PDF. Each chart is 600 units wide (readable at 600 px) and scales with its container. It is an
image with a ``<title>`` and a ``<desc>`` that states the largest values in words; the page puts a
table with the same ``Bar`` or ``Point`` rows after it, so every figure is also text.

Charts are laid out left to right in every language (the page wraps them in ``dir="ltr"``); labels
in right-to-left scripts still read correctly inside their ``<text>``. Labels are user data and are
escaped, stripped of characters XML forbids, and shortened to whole graphemes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import regex
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 600
FONT_SIZE = 13
# Colours from site.css. Text colours reach at least 4.5:1 on white and the bar and line colours
# at least 3:1 (the level for graphics); blue and dark orange stay apart for colour-blind readers,
# and the second series also differs in shape (a line with dots, not bars).
INK = "#1b1b1f"
MUTED = "#4a4a55"
GRID = "#c9ccd3"
BAR = "#0b5cad"
LINE = "#a3410a"
WHITE = "#ffffff"
FONT_FAMILY = "'DejaVu Sans', system-ui, 'Noto Sans', 'Noto Sans Arabic', sans-serif"

_ID_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
# Characters XML 1.0 does not allow (C0/C1 controls, surrogates, U+FFFE/U+FFFF): one of them in a
# handle or hashtag would make the whole page unparseable as SVG.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Line breaks and tabs become one space; no-break spaces stay (they group digits in many languages).
_SPACES = re.compile(r"[ \t\n\r\v\f\u0085\u2028\u2029]+")
# DejaVu Sans averages a little over 0.6 em per character; an overestimate only wastes space.
_CHAR_WIDTH = 0.64 * FONT_SIZE
_LABEL_MAX_WIDTH = 200.0


@dataclass(frozen=True)
class Bar:
    """One row of a ranking: a category, its count, and its code (ISO code, network...)."""

    label: str
    value: int
    code: str = ""


@dataclass(frozen=True)
class Point:
    """One step of a time series: its full label, the short label on the axis, and the values."""

    label: str
    tick: str
    bar: int
    line: int | None = None


def clean(text: str) -> str:
    """``text`` on one line without characters that XML forbids."""
    return _SPACES.sub(" ", _NOT_XML.sub("", str(text))).strip()


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` graphemes, with an ellipsis if it was longer."""
    graphemes = regex.findall(r"\X", text)
    if len(graphemes) <= limit:
        return text
    return "".join(graphemes[: limit - 1]).rstrip() + "…"


def fmt(value: int) -> str:
    """A count grouped by thousands the way the active language writes it."""
    return number_format(value, force_grouping=True)


def ranked(
    counts: Mapping[str, int],
    names: Mapping[str, str] | None = None,
    *,
    limit: int | None = 12,
) -> list[Bar]:
    """``counts`` (code -> count) as bars, largest first, with at most ``limit`` rows.

    Beyond ``limit``, the smallest categories are summed into one last row, so the bars still add
    up to the total. Zero and negative counts are left out. ``names`` gives each code's label.
    """
    names = names or {}
    bars = sorted(
        (
            Bar(label=clean(names.get(code) or code), value=value, code=code)
            for code, value in counts.items()
            if value > 0
        ),
        key=lambda bar: (-bar.value, bar.label),
    )
    if limit is None or len(bars) <= limit:
        return bars
    kept, rest = bars[: limit - 1], bars[limit - 1 :]
    others = _("%(count)s others") % {"count": fmt(len(rest))}
    return [*kept, Bar(label=others, value=sum(bar.value for bar in rest))]


def bar_description(bars: Sequence[Bar], value_label: str) -> str:
    """The text alternative of a ranking: its three largest rows and the total."""
    if not bars:
        return _("No data.")
    top = "; ".join(f"{bar.label}: {fmt(bar.value)}" for bar in bars[:3])
    return _("%(what)s, largest: %(top)s. Total: %(total)s.") % {
        "what": value_label,
        "top": top,
        "total": fmt(sum(bar.value for bar in bars)),
    }


def time_description(points: Sequence[Point], bar_label: str, line_label: str | None) -> str:
    """The text alternative of a time series: its span, and each series' total and peak."""
    if not points:
        return _("No data.")
    parts = [
        _("From %(first)s to %(last)s.") % {"first": points[0].label, "last": points[-1].label}
    ]
    series: list[tuple[str, list[tuple[int, str]]]] = [
        (bar_label, [(p.bar, p.label) for p in points])
    ]
    if line_label is not None and any(p.line is not None for p in points):
        series.append((line_label, [(p.line, p.label) for p in points if p.line is not None]))
    for name, values in series:
        # The first of equal peaks: the earliest time it was reached.
        peak, when = max(values, key=lambda v: v[0])
        parts.append(
            _("%(series)s: total %(total)s, highest %(peak)s at %(when)s.")
            % {
                "series": name,
                "total": fmt(sum(v for v, _label in values)),
                "peak": fmt(peak),
                "when": when,
            }
        )
    return " ".join(parts)


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    value_label: str,
    id_prefix: str,
    description: str | None = None,
) -> SafeString:
    """A horizontal bar chart of ``bars`` in the given order, with a value axis below."""
    row_height, bar_height = 26, 18
    # Labels get at most a third of the width; longer ones are cut (the tooltip and the table
    # keep them whole).
    label_limit = int(_LABEL_MAX_WIDTH // _CHAR_WIDTH)
    labels = [shorten(bar.label, label_limit) for bar in bars]
    top = max((bar.value for bar in bars), default=0)
    ticks = _ticks(top)
    label_width = min(_LABEL_MAX_WIDTH, max([40.0, *(_text_width(label) for label in labels)]))
    value_width = max(48.0, _text_width(fmt(top)) + 10)
    x0 = label_width + 8
    span = WIDTH - x0 - value_width
    y0 = 10
    plot_bottom = y0 + max(1, len(bars)) * row_height
    height = plot_bottom + 48

    def x_of(value: int) -> float:
        return x0 + span * value / ticks[-1]

    parts = [_open(id_prefix, height, title, description or bar_description(bars, value_label))]
    for tick in ticks:
        parts.append(_gridline_v(x_of(tick), y0, plot_bottom))
        parts.append(_text(x_of(tick), plot_bottom + 16, fmt(tick), anchor="middle", fill=MUTED))
    parts.append(_text(x0 + span / 2, plot_bottom + 38, value_label, anchor="middle", fill=INK))
    if not bars:
        parts.append(_text(x0 + span / 2, y0 + 17, _("No data."), anchor="middle", fill=MUTED))
    for i, (bar, label) in enumerate(zip(bars, labels, strict=True)):
        y = y0 + i * row_height + (row_height - bar_height) / 2
        # A count of one among millions still shows as a sliver, not as nothing.
        length = max(1.0, x_of(bar.value) - x0) if bar.value > 0 else 0.0
        parts.append(
            format_html(
                '<g><title>{}: {}</title><rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                clean(bar.label),
                fmt(bar.value),
                _n(x0),
                _n(y),
                _n(length),
                bar_height,
                BAR,
            )
        )
        parts.append(_text(label_width, y + 13.5, label, anchor="end", fill=INK))
        parts.append(_text(x0 + length + 5, y + 13.5, fmt(bar.value), anchor="start", fill=INK))
        parts.append(mark_safe("</g>"))
    parts.append(_line(x0, y0, x0, plot_bottom, INK))
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped or a constant


def time_chart(
    points: Sequence[Point],
    *,
    title: str,
    bar_label: str,
    axis_label: str,
    id_prefix: str,
    line_label: str | None = None,
    description: str | None = None,
    captions: bool = True,
    marker: int | None = None,
    marker_label: str = "",
) -> SafeString:
    """Columns of ``bar`` per point on the left axis and, if given, ``line`` on its own right axis.

    The two series get separate axes because they differ by orders of magnitude (thousands of
    posts, dozens of joins); the legend says which axis belongs to which. With ``captions=False``
    the legend and the axis title are left out for the page to write them in HTML: WeasyPrint
    draws SVG text letter by letter, which breaks Arabic and other joined scripts, so the PDF
    keeps words out of its charts and only digits in them. ``marker`` (a point's index) draws a
    dashed line through that point, titled ``marker_label`` (the campaign moment).
    """
    has_line = line_label is not None and any(p.line is not None for p in points)
    left_ticks = _ticks(max((p.bar for p in points), default=0))
    steps = len(left_ticks) - 1
    line_top = max((p.line or 0 for p in points), default=0)
    # The right axis shares the left one's gridlines: the same number of steps, each a round
    # number large enough to reach the line's peak.
    right_step = _nice_step(line_top / steps) if line_top else 1
    right_ticks = [right_step * i for i in range(steps + 1)]
    left_width = max(36.0, _text_width(fmt(left_ticks[-1])) + 12)
    right_width = max(36.0, _text_width(fmt(right_ticks[-1])) + 12) if has_line else 16.0
    x0, x1 = left_width, WIDTH - right_width
    y_top = 40 if captions else 12
    y_bottom = y_top + 220
    height = y_bottom + (50 if captions else 26)
    band = (x1 - x0) / max(1, len(points))
    bar_width = max(1.0, band * 0.72)

    def y_of(value: int, ticks: list[int]) -> float:
        return y_bottom - (y_bottom - y_top) * value / ticks[-1]

    def x_of(i: int) -> float:
        return x0 + band * (i + 0.5)

    parts = [
        _open(
            id_prefix,
            height,
            title,
            description or time_description(points, bar_label, line_label if has_line else None),
        )
    ]
    if captions:
        parts.append(_legend(bar_label, line_label if has_line else None, has_line))
    for left, right in zip(left_ticks, right_ticks, strict=True):
        y = y_of(left, left_ticks)
        parts.append(_line(x0, y, x1, y, GRID))
        parts.append(_text(x0 - 6, y + 4.5, fmt(left), anchor="end", fill=MUTED))
        if has_line:
            parts.append(_text(x1 + 6, y + 4.5, fmt(right), anchor="start", fill=LINE))
    if not points:
        parts.append(
            _text((x0 + x1) / 2, y_bottom - 10, _("No data."), anchor="middle", fill=MUTED)
        )
    for i, point in enumerate(points):
        height_px = y_bottom - y_of(point.bar, left_ticks)
        if point.bar > 0:
            height_px = max(1.0, height_px)
        summary = f"{point.label}: {bar_label} {fmt(point.bar)}"
        if has_line and point.line is not None:
            summary += f", {line_label} {fmt(point.line)}"
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
                _n(x_of(i) - bar_width / 2),
                _n(y_bottom - height_px),
                _n(bar_width),
                _n(height_px),
                BAR,
                clean(summary),
            )
        )
    # Tick labels every few points, so that they never overlap (a label is about 40 units wide).
    every = max(1, math.ceil(len(points) / max(1, int((x1 - x0) // 46))))
    for i in range(0, len(points), every):
        parts.append(_text(x_of(i), y_bottom + 17, points[i].tick, anchor="middle", fill=MUTED))
    if captions:
        parts.append(_text((x0 + x1) / 2, y_bottom + 40, axis_label, anchor="middle", fill=INK))
    if has_line:
        placed = [
            (x_of(i), y_of(p.line, right_ticks)) for i, p in enumerate(points) if p.line is not None
        ]
        # Blue and orange differ in hue, hardly in lightness: a white halo keeps the line visible
        # where it crosses a bar, in grey print and for readers who tell the hues apart poorly.
        line_points = " ".join(f"{_n(x)},{_n(y)}" for x, y in placed)
        for colour, width in ((WHITE, 6), (LINE, 2.5)):
            parts.append(
                format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="{}" '
                    'stroke-linejoin="round" stroke-linecap="round"/>',
                    line_points,
                    colour,
                    width,
                )
            )
        if band >= 6:
            for x, y in placed:
                parts.append(
                    format_html(
                        '<circle cx="{}" cy="{}" r="3.5" fill="{}" stroke="{}" '
                        'stroke-width="1.5"/>',
                        _n(x),
                        _n(y),
                        LINE,
                        WHITE,
                    )
                )
    if marker is not None and 0 <= marker < len(points):
        parts.append(
            format_html(
                '<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="{}" stroke-width="2" '
                'stroke-dasharray="6 4" class="marker"><title>{}</title></line>',
                INK,
                clean(f"{marker_label}: {points[marker].label}"),
                x=_n(x_of(marker)),
                top=_n(y_top - 6),
                bottom=_n(y_bottom),
            )
        )
    parts.append(_line(x0, y_bottom, x1, y_bottom, INK))
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped or a constant


def _open(id_prefix: str, height: float, title: str, description: str) -> SafeString:
    if not _ID_PREFIX.fullmatch(id_prefix):
        raise ValueError(f"id_prefix must be a plain identifier, not {id_prefix!r}")
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="hr-chart" viewBox="0 0 {} {}" '
        'width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{} {}" '
        'direction="ltr" font-family="{}" font-size="{}">'
        '<title id="{}">{}</title><desc id="{}">{}</desc>',
        WIDTH,
        _n(height),
        f"{id_prefix}-title",
        f"{id_prefix}-desc",
        FONT_FAMILY,
        FONT_SIZE,
        f"{id_prefix}-title",
        clean(title),
        f"{id_prefix}-desc",
        clean(description),
    )


def _legend(bar_label: str, line_label: str | None, two_axes: bool) -> SafeString:
    bar_text = _("%(series)s (bars, left axis)") % {"series": bar_label} if two_axes else bar_label
    parts = [
        format_html('<rect x="0" y="8" width="14" height="14" fill="{}"/>', BAR),
        _text(20, 20, bar_text, anchor="start", fill=INK),
    ]
    if line_label is not None:
        x = min(WIDTH / 2, 40 + _text_width(bar_text))
        parts.append(
            format_html(
                '<line x1="{}" y1="15" x2="{}" y2="15" stroke="{}" stroke-width="2.5"/>'
                '<circle cx="{}" cy="15" r="3" fill="{}"/>',
                _n(x),
                _n(x + 18),
                LINE,
                _n(x + 9),
                LINE,
            )
        )
        line_text = _("%(series)s (line, right axis)") % {"series": line_label}
        parts.append(_text(x + 24, 20, line_text, anchor="start", fill=INK))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped or a constant


def _text(x: float, y: float, text: str, *, anchor: str, fill: str) -> SafeString:
    return format_html(
        '<text x="{}" y="{}" text-anchor="{}" fill="{}">{}</text>',
        _n(x),
        _n(y),
        anchor,
        fill,
        clean(text),
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str) -> SafeString:
    return format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>',
        _n(x1),
        _n(y1),
        _n(x2),
        _n(y2),
        stroke,
    )


def _gridline_v(x: float, y1: float, y2: float) -> SafeString:
    return _line(x, y1, x, y2, GRID)


def _ticks(top: int) -> list[int]:
    """Round tick values from 0 to at least ``top``: at most five steps of 1, 2 or 5 x 10^k."""
    step = _nice_step(top / 5) if top > 0 else 1
    count = max(1, math.ceil(top / step))
    return [step * i for i in range(count + 1)]


def _nice_step(raw: float) -> int:
    """The smallest whole 1, 2 or 5 x 10^k that is at least ``raw``."""
    if raw <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return int(factor * magnitude)
    return int(10 * magnitude)  # pragma: no cover - the loop always returns


def _text_width(text: str) -> float:
    return len(regex.findall(r"\X", text)) * _CHAR_WIDTH


def _n(value: float) -> str:
    """A coordinate with at most one decimal, the way SVG expects it whatever the locale."""
    return f"{value:.1f}".rstrip("0").rstrip(".")
