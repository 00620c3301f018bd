"""Document -> print PDF through WeasyPrint: one HTML document, the print stylesheet, fonts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.cache import Cache
from pipeline.diagnostics import SourcePos
from pipeline.fonts import charset, font_dir, font_face_css, font_files

FAMILY = "Book Garamond"  # the name print.css uses
from pipeline.model import Code, Document, Text, Trim
from pipeline.walk import images, iter_block_inlines
from pipeline.render import html
from pipeline.render import pdf_sections as sections
from pipeline.render.html import HtmlOptions, a, t

OPTS = HtmlOptions(epub=False)


@dataclass(frozen=True)
class PrintResult:
    pdf: bytes
    pages: int
    warnings: tuple[str, ...]
    missing_glyphs: tuple[tuple[SourcePos, str], ...] = ()


_INVISIBLE = {0x0A, 0x09, 0x20, 0xAD, 0x200B, 0x2060}  # drawn as nothing: no glyph needed


def missing_glyphs(doc: Document) -> list[tuple[SourcePos, str]]:
    """(position of the block, character) for each character the book face cannot draw."""
    have = charset()
    found: list[tuple[SourcePos, str]] = []
    for ch in doc.chapters:
        texts = [(ch.pos, ch.meta.title + ch.meta.subtitle + " ".join(ch.meta.authors))]
        for block in ch.blocks:
            pos = getattr(block, "pos", ch.pos)
            texts.append((pos, "".join(i.text for i in iter_block_inlines(block) if isinstance(i, (Text, Code)))))
        for pos, text in texts:
            for c in sorted(set(text)):
                if ord(c) not in have and ord(c) not in _INVISIBLE:
                    found.append((pos, c))
    return found


def page_css(trim: Trim) -> str:
    """Page size equals the trim; margins mirror, wider on the inside (the gutter)."""
    w, h = trim.width_mm, trim.height_mm
    top, bottom, inner, outer = 0.085 * h, 0.105 * h, 0.145 * w, 0.105 * w
    return (f"@page {{ size: {w:.2f}mm {h:.2f}mm; margin: {top:.1f}mm {outer:.1f}mm {bottom:.1f}mm {inner:.1f}mm; }}\n"
            f"@page :left {{ margin-left: {outer:.1f}mm; margin-right: {inner:.1f}mm; }}\n"
            f"@page :right {{ margin-left: {inner:.1f}mm; margin-right: {outer:.1f}mm; }}\n")


def _front_matter(doc: Document) -> str:
    m = doc.meta
    sub = f'<p class="subtitle">{t(m.subtitle)}</p>' if m.subtitle else ""
    editors = html.names(m, "edt")
    edited = f'<p class="editors">Edited by {t(editors)}</p>' if editors else ""
    pub = f'<p class="publisher">{t(m.publisher)}</p>' if m.publisher else ""
    entries = []
    for ch in doc.chapters:
        by = f'<span class="byline">{t(html.byline(ch))}</span>' if ch.meta.authors else ""
        entries.append(f'<li><a href="#{a(ch.id)}">{t(ch.meta.title)}</a>{by}</li>')
    if html.has_corrections(doc):
        entries.append('<li><a href="#note-on-the-text">Note on the Text</a></li>')
    imprint = "\n".join(html.copyright_lines(doc))
    return (
        f'<section class="half-title"><p>{t(m.title)}</p></section>\n'
        f'<section class="title-page"><h1>{t(m.title)}</h1>{sub}<p class="authors">{t(html.names(m))}</p>'
        f"{edited}{pub}</section>\n"
        f'<section class="copyright-page">\n{imprint}\n<p>Set in EB Garamond.</p>\n</section>\n'
        f'<nav class="contents"><h2>Contents</h2><ol>\n{chr(10).join(entries)}\n</ol></nav>\n'
    )


@dataclass(frozen=True)
class PrintParts:
    """The print HTML in pieces: sections of it are laid out on their own (pdf_sections)."""

    head: str  # from <!DOCTYPE> to <body ...> inclusive
    front: str  # half-title, title page, imprint, contents
    chapters: tuple[str, ...]  # one <section class="chapter"> each
    back: str  # the Note on the Text, or ""
    tail: str = "</body>\n</html>\n"


def print_parts(doc: Document) -> PrintParts:
    m = doc.meta
    chapters = tuple(html.chapter_section(ch, OPTS) for ch in doc.chapters)
    back = (f'<section class="back note-on-text">\n{html.note_on_text(doc, OPTS)}\n</section>'
            if html.has_corrections(doc) else "")
    authors = ", ".join(c.name for c in m.authors)
    keywords = ", ".join(m.subjects)
    head = (
        f'<!DOCTYPE html>\n<html lang="{a(m.lang)}">\n<head>\n<meta charset="utf-8"/>\n<title>{t(m.title)}</title>\n'
        f'<meta name="author" content="{a(authors)}"/>\n<meta name="description" content="{a(m.description)}"/>\n'
        f'<meta name="keywords" content="{a(keywords)}"/>\n<meta name="generator" content="pipeline"/>\n'
        f'<meta name="dcterms.created" content="{a(m.date)}"/>\n<meta name="dcterms.modified" content="{a(m.date)}"/>\n'
        f'</head>\n<body data-title="{a(m.title)}">\n'
    )
    return PrintParts(head, _front_matter(doc), chapters, back)


def print_html(doc: Document) -> str:
    """The whole book as one HTML document, as the print stylesheet expects it."""
    p = print_parts(doc)
    return f'{p.head}{p.front}<main>\n{chr(10).join(p.chapters)}\n{p.back}\n</main>\n{p.tail}'


def _bodies(doc: Document, parts: PrintParts) -> list[tuple[str, str]]:
    """(name, markup) of each body section: a chapter each, the back matter with the last one
    (it follows on the next page, not the next right-hand page, so it cannot stand alone)."""
    out = []
    for i, (ch, markup) in enumerate(zip(doc.chapters, parts.chapters)):
        back = parts.back if i == len(parts.chapters) - 1 else ""
        out.append((ch.id, f"<main>\n{markup}\n{back}\n</main>\n"))
    if not out and parts.back:
        out.append(("back", f"<main>\n{parts.back}\n</main>\n"))
    return [(name, sections.cross_links(body, sections.own_ids(body))) for name, body in out]


def render_pdf(doc: Document, styles_dir: Path, cache: Cache | None = None, jobs: int = 1,
               progress: Callable[[str], None] = lambda s: None) -> PrintResult:
    """Lays the book out a section at a time (pdf_sections: cached, in parallel with jobs > 1)
    and merges the sections into one PDF (pdf_merge)."""
    from pipeline.render.pdf_merge import merge  # pikepdf, only when printing

    parts = print_parts(doc)
    image_files = [Path(p) for p in images(doc).values()]
    # The images the model names, and no other file of the manuscript folder.
    setup = sections.Setup(parts.head, parts.tail, font_face_css(FAMILY) + page_css(doc.meta.trim),
                           str(styles_dir / "print.css"), tuple(str(p) for p in (styles_dir, font_dir(), *image_files)),
                           doc.meta.identifier.encode())
    store = sections.SectionCache(cache or Cache(None), sections.context_key(setup, image_files, font_files()))
    laid = sections.lay_out_body(setup, _bodies(doc, parts), store, jobs, progress)
    folios: dict[str, int] = {}
    for section, layout in laid:
        for name, page in layout.anchors:
            folios.setdefault(name, section.first_folio + page)
    front = sections.Section("front", sections.cross_links(parts.front, sections.own_ids(parts.front), folios), 0)
    front_layout = store.layout(front)
    if front_layout is None:
        front_layout = sections.lay_out(setup, front)
        progress(f"laying out PDF: front matter ({front_layout.pages} pages)")
        store.store(front, front_layout)
    laid.insert(0, (front, front_layout))
    progress("laying out PDF: merging the sections")
    merged = merge([layout.pdf for _, layout in laid], [layout.pages % 2 == 1 for _, layout in laid[:-1]] + [False])
    warnings: list[str] = []
    first_page = 1
    for _, layout in laid:
        warnings += [w for w in layout.warnings if w not in warnings]
        warnings += [f"note {note} is on page {first_page + placed - 1 if placed else 0}, its call on page "
                     f"{first_page + call - 1}" for note, call, placed in layout.displaced]
        first_page += layout.pages + layout.pages % 2
    warnings += [f"No anchor #{target} for internal URI reference" for target in merged.unresolved]
    return PrintResult(merged.pdf, merged.pages, tuple(warnings), tuple(missing_glyphs(doc)))
