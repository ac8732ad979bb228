"""The social card of a campaign: the picture a network shows when someone shares its page
(`og:image`), 1200 x 630, in the visitor's language: title, hashtags, how many joined.

Drawn with Pillow and libraqm (which shapes Arabic and sets right-to-left lines) in DejaVu,
the font the PDF reports use; nothing is fetched from anywhere.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from hashrally.core import locales

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
FONTS = Path("/usr/share/fonts/truetype/dejavu")  # fonts-dejavu-core (make pdf)
BACKGROUND, INK, SOFT = (11, 92, 173), (255, 255, 255), (214, 228, 245)


def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONTS / name), size, layout_engine=ImageFont.Layout.RAQM)


def _lines(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int, direction: str
) -> list[str]:
    """`text` broken at spaces into lines no wider than `width` (a word wider than a line
    stands alone)."""
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(trial, font=font, direction=direction) <= width:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines


def _side(language: str) -> tuple[str, int, str]:
    """Direction, x and anchor of a line in `language`: right-aligned when it runs right to
    left."""
    if locales.is_rtl(language):
        return "rtl", WIDTH - MARGIN, "ra"
    return "ltr", MARGIN, "la"


def render(
    title: str,
    title_language: str,
    hashtags: list[str],
    joined: int,
    countries: int,
    language: str,
) -> bytes:
    """The card: the title in its own language and direction, the count in the page's."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    direction, anchor_x, anchor = _side(title_language)
    y = MARGIN
    size = 72
    title_font = _font(True, size)
    lines = _lines(draw, title, title_font, WIDTH - 2 * MARGIN, direction)
    while len(lines) > 3 and size > 40:  # a long title: smaller, at most three lines
        size -= 8
        title_font = _font(True, size)
        lines = _lines(draw, title, title_font, WIDTH - 2 * MARGIN, direction)
    for line in lines[:3]:
        draw.text(
            (anchor_x, y),
            line,
            font=title_font,
            fill=INK,
            anchor=anchor,
            direction=direction,
            language=title_language,
        )
        y += int(size * 1.25)
    tags = " ".join(f"#{tag}" for tag in hashtags)
    draw.text((MARGIN, y + 24), tags, font=_font(True, 40), fill=SOFT, anchor="la")
    count = _("%(joined)s people joined from %(countries)s countries.") % {
        "joined": f"{joined:,}",
        "countries": countries,
    }
    direction, anchor_x, anchor = _side(language)
    draw.text(
        (anchor_x, HEIGHT - MARGIN - 60),
        count,
        font=_font(False, 36),
        fill=INK,
        anchor=anchor,
        direction=direction,
        language=language,
    )
    # The name on the side the count does not start from.
    brand_x, brand_anchor = (MARGIN, "la") if anchor == "ra" else (WIDTH - MARGIN, "ra")
    draw.text(
        (brand_x, HEIGHT - MARGIN),
        "hashrally",
        font=_font(True, 26),
        fill=SOFT,
        anchor=brand_anchor,
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
