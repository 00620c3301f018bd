"""Bitmap images read for what they are, not for what their names say, before either output uses them.

A file's suffix decides its media type in the EPUB, so a text file called map.png would be
declared a PNG (epubcheck: corrupted image). Pillow reads each image's real format and pixel
size from its header; a very large pixel count (a decompression bomb) is refused unread.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image

from pipeline.diagnostics import Collector, SourcePos

# Pillow format -> the suffixes a file of that format may have.
SUFFIXES = {"PNG": (".png",), "JPEG": (".jpg", ".jpeg"), "GIF": (".gif",), "WEBP": (".webp",)}
MAX_PIXELS = 50_000_000  # 7,000 x 7,000 is more than any page or screen needs
MIN_COVER_SIDE = 500  # px; below this a reader's cover is a blur


@dataclass(frozen=True)
class Raster:
    format: str
    width: int
    height: int


class RasterRefused(ValueError):
    """The file is not the image its suffix names, or cannot be read safely."""


def read_raster(data: bytes, suffix: str) -> Raster:
    """The real format and size of the image in `data`, which was found under `suffix`."""
    wanted = next((f for f, s in SUFFIXES.items() if suffix.lower() in s), suffix.lstrip(".").upper())
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice that: here that is refused too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Only these formats are even tried: Pillow's others (EPS runs Ghostscript) are not for a book.
            with Image.open(io.BytesIO(data), formats=list(SUFFIXES)) as image:
                found, (width, height) = str(image.format), image.size
                if width * height > MAX_PIXELS:
                    raise RasterRefused(f"is {width} x {height} pixels, more than {MAX_PIXELS:,}; scale it down")
                image.verify()
    except RasterRefused:
        raise
    except Image.UnidentifiedImageError:
        others = ", ".join(f for f in SUFFIXES if f != wanted)
        raise RasterRefused(f"is not a readable {wanted} image (nor any of {others}); replace it with "
                            f"a real {wanted} file") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise RasterRefused(f"has more pixels than {MAX_PIXELS:,} (a decompression bomb?); scale it down") from None
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types on a damaged file; each is "unreadable"
        reason = str(exc) or type(exc).__name__
        raise RasterRefused(f"cannot be read as a {wanted} image ({reason}); replace it with a real "
                            f"{wanted} file") from None
    if suffix.lower() not in SUFFIXES.get(found, ()):
        raise RasterRefused(f"is really a {found} image, not {wanted}: rename it to {SUFFIXES[found][0]}")
    return Raster(found, width, height)


def check_raster(data: bytes, suffix: str, what: str, pos: SourcePos, diags: Collector) -> Raster | None:
    """read_raster, its refusal an error at pos; `what` names the image ("image 'a/map.png'")."""
    try:
        return read_raster(data, suffix)
    except RasterRefused as exc:
        diags.error(pos, f"{what} {exc}")
        return None


def check_cover(data: bytes, suffix: str, what: str, pos: SourcePos, diags: Collector) -> None:
    """A cover must be a real image and should be big enough to be seen."""
    raster = check_raster(data, suffix, what, pos, diags)
    if raster is not None and min(raster.width, raster.height) < MIN_COVER_SIDE:
        diags.warning(pos, f"{what} is only {raster.width} x {raster.height} pixels: readers will show it "
                           f"blurred; use at least 1600 x 2560")
