"""A world map of supporters by country, drawn on the server as inline SVG.

The shapes come from ``data/world.json`` (Natural Earth 1:110m via world-atlas 2.x, built by
``scripts/build_worldmap.py``), keyed by ISO 3166-1 alpha-2 code. Nothing is fetched at run
time, and the SVG needs no script: each country with supporters carries a ``<title>`` that
browsers show as a tooltip and screen readers can read.

Colour classes are log-scaled relative to the largest count, so a campaign of any size uses
the whole ramp: ``c0`` is no supporters; a count ``n >= 1`` gets class
``min(5, 1 + floor(5 * ln n / ln top))``, where ``top`` is the largest count. The five classes
span equal ratios of counts from 1 to ``top``; 1 supporter is always ``c1`` and the largest count
always ``c5`` (with ``top = 100_000``: 1-9, 10-99, 100-999, 1000-9999, 10000-100000). When
``top`` is 1 every country with supporters is ``c1``. ``WorldMap.legend`` gives each class's
range of counts for a legend beside the map.

At 1:110m some small states (Singapore, Bahrain, Malta, Monaco, Andorra...) have no shape;
countries with supporters but no shape are returned in ``WorldMap.unmapped`` so the page can
list them instead of letting them vanish.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

CLASSES = 5

# A sequential, colour-blind-safe blue ramp (ColorBrewer "Blues"), starting at a mid-light blue
# that still stands out against a white page; "no supporters" is a neutral light grey that is
# lighter than every blue. Borders are white.
STYLE = (
    ".{cls} path{{fill:#dcdcdc;stroke:#fff;stroke-width:.5;stroke-linejoin:round;"
    "fill-rule:evenodd}}"
    ".{cls} .c1{{fill:#9ecae1}}.{cls} .c2{{fill:#6baed6}}.{cls} .c3{{fill:#3182bd}}"
    ".{cls} .c4{{fill:#08519c}}.{cls} .c5{{fill:#08306b}}"
    ".{cls} path.c1:hover,.{cls} path.c2:hover,.{cls} path.c3:hover,.{cls} path.c4:hover,"
    ".{cls} path.c5:hover{{stroke:#f5a623;stroke-width:1.5}}"
)
SVG_CLASS = "hr-worldmap"
_ID_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class WorldMap:
    """The map's SVG and the countries with supporters that have no shape on it."""

    svg: SafeString
    # Codes (upper case, sorted) with at least one supporter and no shape on the map.
    unmapped: list[str]
    # (lowest, highest) count of classes c1..c5; None for a class no count can fall in.
    legend: list[tuple[int, int] | None]


@functools.cache
def world_data() -> dict[str, Any]:
    """The shipped map data: ``viewBox``, ``source`` and ``countries`` (code -> SVG path)."""
    text = resources.files(__package__).joinpath("data", "world.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def bucket(count: int, top: int) -> int:
    """The colour class (0-5) of ``count`` supporters when the largest count is ``top``."""
    if count <= 0:
        return 0
    if top <= 1:
        return 1
    # 1 + floor(5 * ln(count) / ln(top)), capped at 5, in exact integer arithmetic:
    # count reaches class k + 1 when count ** 5 >= top ** k.
    power = count**CLASSES
    return 1 + sum(1 for k in range(1, CLASSES) if power >= top**k)


def legend(top: int) -> list[tuple[int, int] | None]:
    """For classes 1..5, the (lowest, highest) count in that class, or None if it is empty."""
    if top <= 0:
        return [None] * CLASSES
    ranges: list[tuple[int, int] | None] = []
    for cls in range(1, CLASSES + 1):
        low = _first_count_at_least(cls, top)
        high = _first_count_at_least(cls + 1, top) - 1
        ranges.append((low, high) if low <= high else None)
    return ranges


def _first_count_at_least(cls: int, top: int) -> int:
    """The smallest count whose class is at least ``cls`` (top + 1 if there is none)."""
    if cls <= 1:
        return 1
    if cls > CLASSES or top <= 1:
        return top + 1
    # The class starts at top ** ((cls - 1) / 5); bucket() is exact, so it corrects any
    # floating-point error in the guess.
    guess = max(1, math.ceil(top ** ((cls - 1) / CLASSES)) - 2)
    while bucket(guess, top) < cls:
        guess += 1
    while guess > 1 and bucket(guess - 1, top) >= cls:
        guess -= 1
    return min(guess, top + 1)


def style_hash() -> str:
    """The content security policy's source for the map's <style>: the only inline style on a
    page, a constant, so it is allowed by its hash rather than by 'unsafe-inline'."""
    digest = hashlib.sha256(STYLE.format(cls=SVG_CLASS).encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def render_world_map(
    counts: Mapping[str, int],
    names: Mapping[str, str],
    title: str,
    description: str,
    *,
    id_prefix: str = "worldmap",
) -> WorldMap:
    """Draw ``counts`` (ISO 3166-1 alpha-2 code -> supporters) as an inline SVG world map.

    ``names`` maps codes to country names in the page's language (a missing name shows the
    code). ``title`` and ``description`` become the SVG's accessible name and description.
    ``id_prefix`` starts the ids of the ``<title>`` and ``<desc>`` elements; give each map on
    one page its own.
    """
    if not _ID_PREFIX.fullmatch(id_prefix):
        raise ValueError(f"id_prefix must be a plain identifier, not {id_prefix!r}")
    data = world_data()
    shapes: dict[str, str] = data["countries"]
    totals: dict[str, int] = {}
    for code, count in counts.items():
        key = code.strip().upper()
        totals[key] = totals.get(key, 0) + count
    totals = {code: count for code, count in totals.items() if count > 0}
    top = max(totals.values(), default=0)

    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="{}" viewBox="{}" width="100%" '
            'preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{} {}">'
            '<title id="{}">{}</title><desc id="{}">{}</desc><style>{}</style>',
            SVG_CLASS,
            data["viewBox"],
            f"{id_prefix}-title",
            f"{id_prefix}-desc",
            f"{id_prefix}-title",
            title,
            f"{id_prefix}-desc",
            description,
            mark_safe(STYLE.format(cls=SVG_CLASS)),  # noqa: S308 - a constant
        )
    ]
    for code, path in shapes.items():
        count = totals.get(code, 0)
        if count:
            name = names.get(code) or code
            parts.append(
                format_html(
                    '<path class="c{}" data-country="{}" d="{}"><title>{}: {}</title></path>',
                    bucket(count, top),
                    code,
                    path,
                    name,
                    count,
                )
            )
        else:
            parts.append(format_html('<path class="c0" data-country="{}" d="{}"/>', code, path))
    parts.append(mark_safe("</svg>"))
    svg = mark_safe("".join(parts))  # noqa: S308 - every part is already safe
    unmapped = sorted(code for code in totals if code not in shapes)
    return WorldMap(svg=svg, unmapped=unmapped, legend=legend(top))
