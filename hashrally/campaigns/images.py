"""A campaign's hero image: an organiser's upload, checked and re-encoded here.

The upload is never served as sent. Pillow decodes it, turns it the way its camera meant
(EXIF orientation), and writes fresh JPEGs at two widths: nothing of the original file survives,
so no EXIF (a phone's GPS position), no embedded scripts, no polyglot files. The results are
stored in the database, not on a disk, so every app server behind a proxy serves the same bytes
without shared storage.
"""

from __future__ import annotations

import hashlib
import io
import threading
import warnings
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
# Wider than any phone, enough for the page's widest column at 2x; the small one is for phones.
LARGE_WIDTH, SMALL_WIDTH = 1600, 800
MIN_WIDTH = 480
# A picture of more pixels than this is a decompression bomb, not a photo (40 MP cameras exist).
MAX_PIXELS = 60_000_000
ACCEPTED = {"JPEG", "PNG", "WEBP"}
QUALITY = 82


class ImageProblem(ValueError):
    """Why an upload cannot be the hero image, in words for the organiser."""


@dataclass(frozen=True)
class PreparedImage:
    large: bytes
    small: bytes
    width: int  # of `large`
    height: int
    digest: str  # of `large`: part of the address, so a new image is never served stale


def _jpeg(image: Image.Image, width: int) -> tuple[bytes, int, int]:
    if image.width > width:
        height = round(image.height * width / image.width)
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue(), image.width, image.height


_truncation = threading.Lock()


def _load_whole(image: Image.Image) -> None:
    """Decode all of it, refusing a cut file. WeasyPrint, once imported (a PDF report served by
    the same process), tells Pillow to fill cut files with grey, process-wide; a hero with its
    bottom half grey would then pass, so the setting is put back as Pillow's default here."""
    with _truncation:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            image.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before


def prepare(upload: IO[bytes], size: int | None = None) -> PreparedImage:
    """Check an uploaded picture and make the hero's JPEGs from it, or raise ImageProblem."""
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ImageProblem(
            _("The file is %(size)d MB; at most %(most)d MB.")
            % {"size": size // (1024 * 1024), "most": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(upload)
            image: Image.Image = opened
            if opened.format not in ACCEPTED:
                raise ImageProblem(
                    _("A %(format)s file: upload a JPEG, PNG or WebP picture.")
                    % {"format": opened.format or "?"}
                )
            if image.width * image.height > MAX_PIXELS:
                raise ImageProblem(_("The picture has too many pixels for a photo."))
            _load_whole(image)
    except ImageProblem:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageProblem(_("This file is not a picture hashrally can read.")) from None
    except (OSError, SyntaxError, ValueError) as exc:
        # Pillow's words for a cut or corrupt file ("image file is truncated").
        raise ImageProblem(_("The picture cannot be read: %(why)s") % {"why": exc}) from None
    image = ImageOps.exif_transpose(image)
    if image.width < MIN_WIDTH:
        raise ImageProblem(
            _("The picture is %(width)d pixels wide; at least %(least)d, or it looks blurred.")
            % {"width": image.width, "least": MIN_WIDTH}
        )
    if image.mode != "RGB":
        # Transparency becomes white, the page's own background.
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    large, width, height = _jpeg(image, LARGE_WIDTH)
    small, _w, _h = _jpeg(image, SMALL_WIDTH)
    return PreparedImage(large, small, width, height, hashlib.sha256(large).hexdigest())
