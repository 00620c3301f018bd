"""Typographic EPUB cover: HTML + styles/cover.css -> WeasyPrint PDF -> 1600x2560 PNG."""

from __future__ import annotations

import functools
import html
import io
from collections.abc import Callable, Sequence
from pathlib import Path

import pypdfium2 as pdfium
import weasyprint

from pipeline.fetcher import LocalFetcher
from pipeline.fonts import REGULAR, font_dir, font_face_css
from pipeline.render.pdf import patches

WIDTH, HEIGHT = 1600, 2560  # px; must match @page size in cover.css
# Title measures in em, largest type first; cover.css maps class "title-size-N" to a
# font-size such that MEASURES[N] em fits the title box. Keep the two in step.
MEASURES = (6.2, 7.6, 9.6, 12.5, 16.0)
MAX_TITLE_LINES = 4
# Words that read badly at the end of a title line ("The Darker the / Night").
WEAK_ENDINGS = frozenset("a an the of and or nor but in on at to by for with from as &".split())


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
        return 0.0 if j == n else -0.15 if last[-1] in ",;:.!?–—" else \
            0.6 if last.lower() in WEAK_ENDINGS else 0.0

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
    fonts = font_dir()
    faces = font_face_css("Cover Garamond")
    size, lines = break_title(title, _advance_em(fonts / REGULAR))
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

    fetcher = LocalFetcher([styles_dir, fonts])
    with patches.font_configuration() as font_config:  # its font files removed after
        pdf_bytes = weasyprint.HTML(string=document, base_url=styles_dir.as_uri() + "/",
                                    url_fetcher=fetcher).write_pdf(font_config=font_config)
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
    # zlib level 6: a tenth larger than optimize=True, at a quarter of its time. Pillow adds no tIME/text chunks.
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()
