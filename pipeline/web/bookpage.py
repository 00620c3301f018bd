"""The book's web page as one HTML document: cover, title, contributors, downloads, contents
and the print preview as spreads. Every URL in it is relative, so the same page works from the
server, from any static host and from file://. Downloads are plain links: no script needed."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from PIL import Image

from pipeline.web.pages import WIDTHS, image_name
from pipeline.web.snapshot import Book, BuiltFile, Contributor

ASSETS = {"book.css": "text/css; charset=utf-8", "book.js": "text/javascript; charset=utf-8",
          "icon.svg": "image/svg+xml"}
COVER_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
                    "image/svg+xml": ".svg"}
ROLES = {"edt": "Edited by", "trl": "Translated by", "ill": "Illustrated by", "aui": "Introduction by",
         "aft": "Afterword by", "ctb": "With contributions by", "pht": "Photographs by"}
_MM_PER_PT = 25.4 / 72


@dataclass(frozen=True)
class Links:
    """Where the page finds its files: the server has /view/ for the PDF shown inline."""

    pdf_view_dir: str = "view/"


STATIC = Links(pdf_view_dir="files/")


def file_url(name: str) -> str:
    return f"files/{name}"


def page_url(book: Book, size: str, page: int) -> str:
    return f"pages/{book.build_id}/{image_name(size, page)}"


def cover_name(book: Book) -> str:
    return "cover" + COVER_EXTENSIONS.get(book.cover_type, ".png")


def spreads(pages: int) -> list[tuple[int, ...]]:
    """Facing pages as printed: page 1 alone on the right, then 2-3, 4-5, ..."""
    return [(1,)] + [tuple(p for p in (left, left + 1) if p <= pages) for left in range(2, pages + 1, 2)]


def _image_size(data: bytes) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (OSError, ValueError):
        return 1600, 2560


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1000:.0f} KB"
    return f"{size / 1_000_000:.1f} MB"


def _when(mtime: float) -> str:
    t = dt.datetime.fromtimestamp(mtime, dt.timezone.utc)
    return f"{t.day} {t:%b %Y}, {t:%H:%M} UTC"


def _names(people: Sequence[Contributor]) -> str:
    names = [escape(p.name) for p in people]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _contributors(book: Book) -> str:
    authors = [c for c in book.contributors if c.role == "aut"]
    lines = [f'<p class="by">{_names(authors)}</p>'] if authors else []
    for role in dict.fromkeys(c.role for c in book.contributors if c.role != "aut"):
        people = [c for c in book.contributors if c.role == role]
        lines.append(f'<p class="with">{ROLES.get(role, "With")} {_names(people)}</p>')
    return "\n".join(lines)


def _download(book: Book, f: BuiltFile, label: str, detail: str, primary: bool) -> str:
    kind = f.name.rsplit(".", 1)[1]
    return (f'<a class="download{" primary" if primary else ""}" href="{file_url(f.name)}" download="{f.name}" '
            f'type="{f.media_type}" data-kind="{kind}">'
            f'<span class="what">{label}</span>'
            f'<span class="detail">{detail}</span>'
            f'<span class="size">{human_size(len(f.data))} · built <time datetime="'
            f'{dt.datetime.fromtimestamp(f.mtime, dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}">{_when(f.mtime)}</time></span></a>')


def _contents(book: Book) -> str:
    if not book.outline:
        return ""
    items = []
    for entry in book.outline:
        items.append(f'<li class="level-{min(entry.level, 2)}"><a href="#page-{entry.page}" data-page="{entry.page}">'
                     f'<span class="title">{escape(entry.title)}</span><span class="pg">{escape(entry.label or str(entry.page))}</span></a></li>')
    return ('<nav class="contents" aria-labelledby="contents-title"><h2 id="contents-title">Contents</h2>'
            f'<ol>{"".join(items)}</ol></nav>')


def _preview(book: Book, links: Links) -> str:
    w, h = book.page_size
    width, height = WIDTHS["s"], round(WIDTHS["s"] * h / w)
    rows = []
    for n, pages in enumerate(spreads(book.pages)):
        cells = ['<span class="page blank" aria-hidden="true"></span>'] if pages == (1,) else []
        for p in pages:
            side = "recto" if p % 2 else "verso"
            cells.append(f'<a class="page {side}" id="page-{p}" href="{page_url(book, "z", p)}" data-page="{p}" '
                         f'data-zoom="{page_url(book, "z", p)}"><img src="{page_url(book, "s", p)}" '
                         f'width="{width}" height="{height}" alt="Page {p}" loading="{"eager" if n < 2 else "lazy"}" '
                         f'decoding="async"></a>')
        label = f"Page {pages[0]}" if len(pages) == 1 else f"Pages {pages[0]}–{pages[-1]}"
        rows.append(f'<div class="spread" data-spread="{n}" data-first="{pages[0]}" role="group" '
                    f'aria-label="{label}">{"".join(cells)}</div>')
    chapters = "".join(f'<option value="{e.page}">{escape(e.title)}</option>' for e in book.outline if e.level == 0)
    pdf_href = f"{links.pdf_view_dir}{book.pdf.name}"
    trim = f"{w * _MM_PER_PT:.0f} × {h * _MM_PER_PT:.0f} mm"
    return f"""<section class="preview" id="preview" aria-labelledby="preview-title" data-pages="{book.pages}" data-pdf="{pdf_href}" data-aspect="{w / h:.4f}">
<div class="preview-head"><h2 id="preview-title">Print preview</h2>
<p class="preview-note">{book.pages} pages, {trim}, shown as facing pages.
<a class="open-pdf" href="{pdf_href}">Open the PDF</a></p></div>
<div class="toolbar" hidden>
<div class="turn">
<button type="button" class="prev" aria-label="Previous pages" title="Previous (←)">‹</button>
<span class="where" aria-live="polite"></span>
<button type="button" class="next" aria-label="Next pages" title="Next (→)">›</button>
</div>
<div class="go">
<label class="jump">Page <input type="number" min="1" max="{book.pages}" inputmode="numeric" value="1" aria-label="Go to page"></label>
<select class="chapter" aria-label="Go to chapter"><option value="">Go to chapter…</option>{chapters}</select>
</div>
</div>
<div class="spreads">{"".join(rows)}</div>
</section>"""


def _errors(book: Book | None, errors: Sequence[str], count: int) -> str:
    if not errors:
        return ""
    count = count or len(errors)
    fallback = (f"The preview and the downloads show the last good build, from {_when(book.pdf.mtime)}."
                if book else "Nothing has been built yet.")
    lines = "\n".join(escape(e) for e in errors)
    return (f'<section class="errors" role="alert" aria-labelledby="errors-title"><h2 id="errors-title">'
            f'The manuscript has {count} problem{"s" if count != 1 else ""}</h2>'
            f'<p>{fallback} Fix {"them" if count != 1 else "it"} and save: this page updates by itself.</p>'
            f'<pre class="diagnostics">{lines}</pre></section>')


def _warnings(warnings: Sequence[str]) -> str:
    if not warnings:
        return ""
    lines = "\n".join(escape(w) for w in warnings)
    n = len(warnings)
    return (f'<details class="warnings"><summary>The last build has {n} warning{"s" if n != 1 else ""}</summary>'
            f'<pre class="diagnostics">{lines}</pre></details>')


def render_page(book: Book | None, *, errors: Sequence[str] = (), error_count: int = 0, live: str = "",
                links: Links = Links(), status: str = "", version: int = 0, warnings: Sequence[str] = ()) -> str:
    """The whole page. `live` is the URL of the event stream (preview only) and `version` the
    number of the build state shown; `errors` are diagnostics of a failed build, shown above
    the last good build, `error_count` of them errors (0: all)."""
    live_attr = f' data-live="{escape(live)}" data-version="{version}"' if live else ""
    status_html = (f'<p class="live-status{" failed" if errors else ""}" id="live-status" role="status">'
                   f'{escape(status)}</p>') if live else ""
    if book is None:
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>No build yet</title><link rel="icon" href="assets/icon.svg" type="image/svg+xml"><link rel="stylesheet" href="assets/book.css"><script src="assets/book.js" defer></script>
</head><body{live_attr} data-build="">{status_html}<div id="app"><main class="empty">{_errors(None, errors, error_count)}</main></div></body></html>
"""
    authors = [c.name for c in book.contributors if c.role == "aut"]
    w, h = book.page_size
    epub = _download(book, book.epub, "Download the ebook", "EPUB for e-readers, phones and tablets", True)
    pdf = _download(book, book.pdf, "Download the PDF", f"Print edition, {book.pages} pages", False)
    year = book.date[:4]
    cw, ch = _image_size(book.cover)
    kicker = " · ".join(escape(x) for x in (book.publisher, year) if x)
    description = f'<div class="description"><h2>About this book</h2><p>{escape(book.description)}</p></div>' \
        if book.description else ""
    title = book.title + (f" — {', '.join(authors)}" if authors else "")
    return f"""<!DOCTYPE html>
<html lang="{escape(book.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<meta name="description" content="{escape(book.description[:300])}">
<link rel="icon" href="assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="assets/book.css">
<script src="assets/book.js" defer></script>
</head>
<body{live_attr} data-build="{book.build_id}" data-slug="{book.slug}">
{status_html}
<div id="app">
{_errors(book, errors, error_count)}{_warnings(warnings) if live else ""}
<header class="book">
<div class="cover"><img src="{cover_name(book)}" alt="Cover of {escape(book.title)}" width="{cw}" height="{ch}"></div>
<div class="about">
<p class="kicker">{kicker}</p>
<h1>{escape(book.title)}</h1>
{f'<p class="subtitle">{escape(book.subtitle)}</p>' if book.subtitle else ""}
{_contributors(book)}
<div class="downloads">{epub}{pdf}</div>
</div>
</header>
<main>
<div class="details">{description}{_contents(book)}</div>
{_preview(book, links)}
</main>
<footer><p>{escape(book.title)} · EPUB 3 and print PDF built from the manuscript by <em>pipeline</em> · build {book.build_id}</p></footer>
</div>
<dialog class="zoom" aria-label="Page">
<div class="zoom-bar"><button type="button" class="zoom-prev" aria-label="Previous page">‹</button>
<span class="zoom-where"></span><button type="button" class="zoom-next" aria-label="Next page">›</button>
<a class="zoom-pdf" href="{links.pdf_view_dir}{book.pdf.name}">Open in PDF</a>
<button type="button" class="zoom-close" aria-label="Close">✕</button></div>
<div class="zoom-body"><img alt="" width="{WIDTHS["z"]}" height="{round(WIDTHS["z"] * h / w)}"></div>
</dialog>
</body>
</html>
"""
