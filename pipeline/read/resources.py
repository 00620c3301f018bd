"""Images a manuscript names: resolved inside its folder, or refused with a diagnostic.

Nothing outside the manuscript folder is read (`..`, absolute paths and symlinks
are resolved before the check) and nothing is fetched from the network: a remote
image, or one whose address is not a file at all (`data:`, `javascript:`), is
dropped with a warning and its alt text stands in its place. A file that is named
but missing, unreadable or outside the folder is an error: the editor meant a
picture that the book would lack.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.diagnostics import Collector, SourcePos
from pipeline.read.meta import slugify
from pipeline.model import Image, Inline, Span, Attrs, Text
from pipeline.read.raster import check_raster
from pipeline.read.files import Refused, read_regular
from pipeline.read.suggest import did_you_mean
from pipeline.read.svg import SvgRefused, sanitise

MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".svg": "image/svg+xml", ".webp": "image/webp"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _site_path(src: str) -> bool:
    """'/path/to/img.jpg' from a web page, told from a file named from this machine's root
    ('/home/me/map.png', an error: the file lies outside the folder) by its first folder,
    which is not one of the root's (only the root's own listing is looked at)."""
    first = src.lstrip("/").split("/", 1)[0]
    return src.startswith("/") and not src.startswith("//") and not (first and (Path("/") / first).is_dir())


class ImageResolver:
    def __init__(self, root: Path, diags: Collector) -> None:
        self.root, self.diags = root.resolve(), diags

    def __call__(self, src: str, alt: str, title: str, chapter: Path, pos: SourcePos) -> Inline:
        stand_in = Span(Attrs(classes=("missing-image",)), (Text(alt),)) if alt else Text("")
        if _SCHEME.match(src) and not src.lower().startswith("file:"):
            if urlsplit(src).scheme.lower() in ("http", "https"):
                self.diags.warning(pos, f"remote image '{src}' is not fetched; its alt text stands in its place "
                                        "(download it into the manuscript folder to include it)")
            else:
                self.diags.warning(pos, f"image '{src[:60]}' is not a file, so it is left out and its alt text stands "
                                        "in its place (save the picture into the manuscript folder and name it)")
            return stand_in
        if not src.strip():
            self.diags.warning(pos, "image with no address: it is left out and its alt text stands in its place "
                                    "(name the picture's file between the parentheses)")
            return stand_in
        if _site_path(src):  # a web page's picture, on its own site
            self.diags.warning(pos, f"image '{src[:60]}' is an address on a web site (it starts with '/'), not a "
                                    "file of the manuscript, so it is left out and its alt text stands in its place "
                                    "(save the picture into the manuscript folder and name it from the chapter's folder)")
            return stand_in
        path = Path(unquote(urlsplit(src).path if src.lower().startswith("file:") else src))
        path = (chapter.parent / path).resolve()
        if not path.is_relative_to(self.root):
            self.diags.error(pos, f"image '{src}' lies outside the manuscript folder; copy it into the folder")
            return stand_in
        if not path.exists():
            self.diags.error(pos, f"image '{src}' not found{self._near(src, path)}")
            return stand_in
        if path.suffix.lower() not in MEDIA_TYPES:
            self.diags.error(pos, f"image '{src}' is not one of {', '.join(MEDIA_TYPES)}")
            return stand_in
        try:
            data = read_regular(path)  # a regular file (no FIFO, no device), within the size limit
        except (Refused, OSError) as exc:
            self.diags.error(pos, f"image '{src}' {exc if isinstance(exc, Refused) else 'cannot be read: ' + str(exc.strerror)}")
            return stand_in
        if not self._drawable(data, path.suffix, src, pos):
            return stand_in
        if not alt:
            self.diags.warning(pos, f"image '{src}' has no alt text; describe it in ![...](...)")
        # Named by content: two different files called map.png stay two images.
        digest = hashlib.sha256(data).hexdigest()[:12]
        href = f"images/{digest}-{slugify(path.stem)}{path.suffix.lower()}"
        return Image(str(path), href, alt, title, pos)

    @staticmethod
    def _near(src: str, path: Path) -> str:
        """'; did you mean ...' for a file beside the named one with nearly its name, written as src was."""
        try:
            names = [entry.name for entry in path.parent.iterdir()]
        except OSError:
            return ""
        folder = src[: len(src) - len(path.name)] if src.endswith(path.name) else ""
        return did_you_mean(path.name, names, "'" + folder.replace("{", "{{").replace("}", "}}") + "{}'")

    def _drawable(self, data: bytes, suffix: str, src: str, pos: SourcePos) -> bool:
        """The image is what its name says and safe to carry; the outputs take an SVG as sanitised."""
        if suffix.lower() != ".svg":
            return check_raster(data, suffix, f"image '{src}'", pos, self.diags) is not None
        try:
            dropped = sanitise(data).dropped
        except SvgRefused as exc:
            self.diags.error(pos, f"image '{src}' {exc}")
            return False
        if dropped:
            self.diags.warning(pos, f"image '{src}': removed from both outputs, as it could run or fetch: "
                                    f"{', '.join(dropped)}")
        return True
