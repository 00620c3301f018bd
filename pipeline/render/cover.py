"""Typographic EPUB cover: HTML + styles/cover.css -> WeasyPrint PDF -> 1600x2560 PNG."""

from __future__ import annotations

import functools
import html
import io
import mimetypes
import shutil
import subprocess
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pypdfium2 as pdfium

# WeasyPrint 70 emits a DeprecationWarning at import when libharfbuzz-subset is absent
# (Debian: libharfbuzz-subset0). Rendering is unaffected; silence only that message so
# callers running with warnings-as-errors can import this module.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "HarfBuzz-Subset", DeprecationWarning)
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse

WIDTH, HEIGHT = 1600, 2560  # px; must match @page size in cover.css
FONT_DIR = Path("/usr/share/fonts/opentype/ebgaramond")
# (style, weight, file) for the "Cover Garamond" family that cover.css uses.
FONT_FACES = (("normal", 400, "EBGaramond12-Regular.otf"),
              ("italic", 400, "EBGaramond12-Italic.otf"),
              ("normal", 700, "EBGaramond12-Bold.otf"))
# Title measures in em, largest type first; cover.css maps class "title-size-N" to a
# font-size such that MEASURES[N] em fits the title box. Keep the two in step.
MEASURES = (6.2, 7.6, 9.6, 12.5, 16.0)
MAX_TITLE_LINES = 4


def find_font_dir() -> Path:
    """Folder holding the EB Garamond 12 OTFs (Debian path first, then fontconfig)."""
    candidates = [FONT_DIR]
    if fc_match := shutil.which("fc-match"):
        found = subprocess.run([fc_match, "-f", "%{file}", "EB Garamond 12:style=Regular"],
                               capture_output=True, text=True, check=False).stdout
        candidates.append(Path(found).parent)  # fc-match falls back to any font: verify below
    for folder in candidates:
        if all((folder / name).is_file() for _, _, name in FONT_FACES):
            return folder.resolve()
    raise RuntimeError("EB Garamond (EBGaramond12-*.otf) not found; the cover needs it: "
                       "install the Debian package fonts-ebgaramond")


class ConfinedURLFetcher(URLFetcher):
    """Serve only regular files under `roots`; refuse network, data: and escaping paths."""

    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.roots = tuple(root.resolve() for root in roots)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        path = None
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            # resolve() collapses ".." and follows symlinks, so neither can leave the roots.
            path = Path(url2pathname(parts.path)).resolve()
        if path is None or not path.is_file() or not any(
                path.is_relative_to(root) for root in self.roots):
            self.refused.append(url)
            raise ValueError(f"cover: refusing to fetch {url}")  # WeasyPrint logs and skips it
        mime = "text/css" if path.suffix == ".css" else mimetypes.guess_type(path.name)[0]
        return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                  {"Content-Type": mime or "application/octet-stream"})


@functools.lru_cache(maxsize=4)
def _advance_em(font_path: Path) -> Callable[[str], float]:
    """Unkerned advance width of a string in em, from the font's hmtx table."""
    from fontTools.ttLib import TTFont  # only needed for line breaking

    with TTFont(font_path) as font:
        upem = font["head"].unitsPerEm
        em = {cp: font["hmtx"][glyph][0] / upem for cp, glyph in font.getBestCmap().items()}
    return lambda text: sum(em.get(ord(c), 0.5) for c in text)


def break_title(title: str, advance: Callable[[str], float]) -> tuple[int, list[str]]:
    """Choose a size (index into MEASURES) and balanced, sense-respecting line breaks:
    big type, few lines, even widths, and no dangling 'the' or 'of' at a line end."""
    words = title.split() or [""]
    n = len(words)
    width = functools.cache(lambda i, j: advance(" ".join(words[i:j])))

    def ending(j: int) -> float:  # cost of breaking after words[j - 1]
        last = words[j - 1]
        return 0.0 if j == n else -0.15 if last[-1] in ",;:.!?–—" else 0.6 if len(last) <= 3 else 0.0

    def layout(measure: float, lines: int, overflow: bool) -> tuple[float, tuple[int, ...]] | None:
        target = max(width(0, n) / lines, 1e-3)

        @functools.cache
        def split(i: int, k: int) -> tuple[float, tuple[int, ...]] | None:
            ends = [n] if k == 1 else range(i + 1, n - k + 2)
            options = []
            for j in ends:
                if width(i, j) > measure and not (overflow and j - i == 1):
                    break  # a lone over-long word may overflow only at the smallest size
                rest = (0.0, ()) if j == n else split(j, k - 1)
                if rest is not None:
                    options.append(((width(i, j) / target - 1) ** 2 + ending(j) + rest[0],
                                    (j, *rest[1])))
            return min(options, default=None)
        return split(0, lines)

    last = len(MEASURES) - 1
    candidates = []
    for size, measure in enumerate(MEASURES):
        fewest, start = 1, 0  # greedy filling gives the fewest lines that can fit
        for j in range(1, n):
            if width(start, j + 1) > measure:
                fewest, start = fewest + 1, j
        for lines in range(fewest, min(fewest + 1, n) + 1):  # one more may break better
            if (lines <= MAX_TITLE_LINES or size == last) and (
                    found := layout(measure, lines, overflow=size == last)):
                candidates.append((found[0] + 0.25 * lines + 0.3 * size, size, found[1]))
    _, size, breaks = min(candidates)
    bounds = (0, *breaks)
    return size, [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:])]


def render_cover_png(title: str, subtitle: str | None, authors: Sequence[str],
                     publisher: str | None, styles_dir: Path) -> bytes:
    """Render the cover as deterministic PNG bytes (no metadata chunks)."""
    styles_dir = Path(styles_dir).resolve()
    font_dir = find_font_dir()
    faces = "".join(
        f'@font-face {{ font-family: "Cover Garamond"; font-style: {style}; '
        f'font-weight: {weight}; src: url("{(font_dir / name).as_uri()}") format("opentype"); }}\n'
        for style, weight, name in FONT_FACES)
    size, lines = break_title(title, _advance_em(font_dir / FONT_FACES[0][2]))
    esc = html.escape
    parts = [f'<h1 class="title title-size-{size}">'
             + "<br>".join(esc(line) for line in lines) + "</h1>"]
    if subtitle:
        parts.append(f'<p class="subtitle">{esc(subtitle)}</p>')
    # "A, B & C": commas give natural break points when a long list of names wraps.
    names = [f'<span class="author">{esc(a.strip())}</span>' for a in authors if a.strip()]
    byline = ", ".join(names[:-1]) + ' <span class="amp">&amp;</span> ' + names[-1] \
        if len(names) > 1 else "".join(names)
    document = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f'<style>{faces}</style><link rel="stylesheet" href="cover.css"></head><body>'
        '<div class="frame"></div><div class="ornament" aria-hidden="true">'
        '<span class="ray ray-v"></span><span class="ray ray-h"></span>'
        '<span class="ray ray-d1"></span><span class="ray ray-d2"></span></div>'
        f'<div class="titling"><div class="titling-inner">{"".join(parts)}</div></div>'
        f'<p class="authors{" authors-many" if len(names) > 2 else ""}">{byline}</p>'
        + (f'<p class="publisher">{esc(publisher)}</p>' if publisher else "")
        + "</body></html>")

    fetcher = ConfinedURLFetcher([styles_dir, font_dir])
    pdf_bytes = weasyprint.HTML(string=document, base_url=styles_dir.as_uri() + "/",
                                url_fetcher=fetcher).write_pdf(font_config=FontConfiguration())
    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        bitmap = pdf[0].render(scale=96 / 72, may_draw_forms=False, draw_annots=False)
        image = bitmap.to_pil().convert("RGB")  # copy out before the PDF is closed
    finally:
        pdf.close()
    if image.size != (WIDTH, HEIGHT):
        raise RuntimeError(f"cover rendered at {image.size}, expected {(WIDTH, HEIGHT)}: "
                           "check @page in cover.css")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)  # Pillow adds no tIME/text chunks
    return out.getvalue()
