"""Document -> print PDF through WeasyPrint: the print HTML, the print stylesheet, fonts.

Every PDF, the proof and the printer profiles alike, is laid out a section at a time
(sections.py: each chapter cached by its content and first folio, so that after an edit only
the changed chapter is laid out again) and merged by merge.py, which writes the page labels,
link descriptions, PDF/UA and PDF/X once. A printer profile (press.for_print: kdp, lulu,
ingram, offset) adds its CSS (bleed, CMYK), its PDF variant, and its page boxes and marks on
the merged file (printer.py); its gutter depends on the page count, so the book is laid out
again at the wider gutter when the count asks for one (only the page counts are kept of the
narrower layout, and each layout is cached like the proof's).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from pipeline.cache.store import Cache, digest
from pipeline.chapter_index import images
from pipeline.diagnostics import SourcePos
from pipeline.fonts import DRAWN_AS_NOTHING, charset, code_charset, code_face_css, font_dirs, font_face_css, font_files
from pipeline.model import Code, CodeBlock, Document, Text, Trim
from pipeline.pagemap import PageMap
from pipeline.render import credits, html
from pipeline.render.pdf import sections
from pipeline.render.html import HtmlOptions, a, t
from pipeline.render.pdf.facts import LayoutFacts, PrintedSection, assemble
from pipeline.render.pdf.links import link_targets
from pipeline.render.pdf.pages import first_body_page, page_map
from pipeline.walk import iter_block_inlines, iter_blocks

FAMILY = "Book Garamond"  # the name print.css uses
OPTS = HtmlOptions(epub=False)
# Accessibility: the default print PDF is PDF/UA-1 (tagged, /Lang, title shown in the title bar).
PDF_VARIANT = "pdf/ua-1"
GUTTER_LAYOUTS = 3  # a layout, then up to two more at the wider gutters their page counts ask for


@dataclass(frozen=True)
class PrintResult:
    pdf: bytes
    pages: int
    warnings: tuple[str, ...]
    missing_glyphs: tuple[tuple[SourcePos, str], ...] = ()
    page_map: PageMap = PageMap((), "")  # where each body page begins, for the EPUB's page list
    facts: LayoutFacts = LayoutFacts((), (), ())  # every page as plain data, for preflight
    sections: tuple[PrintedSection, ...] = ()  # where each laid-out section is, for reading back


def _no_gutter(pages: int) -> float:
    return 0.0


@dataclass(frozen=True)
class PressOptions:
    """What a print profile asks of the layout (pipeline/render/pdf/printer.py makes these)."""

    css: str = ""  # applied after print.css: bleed, marks, colours
    min_inner_mm: Callable[[int], float] = _no_gutter  # inside margin for a page count
    pdf_options: tuple[tuple[str, Any], ...] = ()  # WeasyPrint's render and write_pdf options (pdf_variant)
    finish: Callable[[Any], None] | None = None  # edits the merged pikepdf.Pdf before it is saved
    tool_files: tuple[Path, ...] = ()  # files of the tool the CSS may read (an ICC profile)


PROOF = PressOptions()


def missing_glyphs(doc: Document) -> list[tuple[SourcePos, str]]:
    """(position of the block, character) for each character the print edition's faces cannot
    draw: the book face for text, the code face (then the book face) for code."""
    have, code = charset(), code_charset()
    found: list[tuple[SourcePos, str]] = []
    for ch in doc.chapters:
        texts = [(ch.pos, ch.meta.title + ch.meta.subtitle + " ".join(c.name for c in ch.meta.contributors), "")]
        for block in ch.blocks:
            pos = getattr(block, "pos", ch.pos)
            inlines = list(iter_block_inlines(block))
            texts.append((pos, "".join(i.text for i in inlines if isinstance(i, Text)),
                          "".join(i.text for i in inlines if isinstance(i, Code))
                          + "".join(b.text for b in iter_blocks((block,)) if isinstance(b, CodeBlock))))
        for pos, text, code_text in texts:
            chars = {c for c in set(text) if ord(c) not in have} | {c for c in set(code_text) if ord(c) not in code}
            found.extend((pos, c) for c in sorted(chars) if ord(c) not in DRAWN_AS_NOTHING)
    return found


def page_css(trim: Trim, min_inner_mm: float = 0.0) -> str:
    """Page size equals the trim; margins mirror, wider on the inside (the gutter)."""
    w, h = trim.width_mm, trim.height_mm
    top, bottom, inner, outer = 0.085 * h, 0.105 * h, max(0.145 * w, min_inner_mm), 0.105 * w
    return (f"@page {{ size: {w:.2f}mm {h:.2f}mm; margin: {top:.1f}mm {outer:.1f}mm {bottom:.1f}mm {inner:.1f}mm; }}\n"
            f"@page :left {{ margin-left: {outer:.1f}mm; margin-right: {inner:.1f}mm; }}\n"
            f"@page :right {{ margin-left: {inner:.1f}mm; margin-right: {outer:.1f}mm; }}\n")


def _front_matter(doc: Document) -> str:
    m = doc.meta
    sub = f'<p class="subtitle">{t(m.subtitle)}</p>' if m.subtitle else ""
    pub = f'<p class="publisher">{t(m.publisher)}</p>' if m.publisher else ""
    entries = []
    for ch in doc.chapters:
        by = f'<span class="byline">{t(credits.byline(ch))}</span>' if ch.meta.authors else ""
        entries.append(f'<li><a href="#{a(ch.id)}">{t(ch.meta.title)}</a>{by}</li>')
    if html.has_corrections(doc):
        entries.append('<li><a href="#note-on-the-text">Note on the Text</a></li>')
    imprint = "\n".join(html.copyright_lines(doc))
    return (
        f'<section class="half-title"><p>{t(m.title)}</p></section>\n'
        f'<section class="title-page"><h1>{t(m.title)}</h1>{sub}{html.title_page_people(m)}'
        f"{pub}</section>\n"
        f'<section class="copyright-page">\n{imprint}\n<p>Set in EB Garamond.</p>\n</section>\n'
        f'<nav class="contents"><h2>Contents</h2><ol>\n{chr(10).join(entries)}\n</ol></nav>\n'
    )


@dataclass(frozen=True)
class PrintParts:
    """The print HTML in pieces: sections of it are laid out on their own (sections.py)."""

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
    # One <meta name="author"> an author: the PDF's XMP (PDF/UA) then lists each as a dc:creator.
    authors = "".join(f'<meta name="author" content="{a(c.name)}"/>\n' for c in m.authors)
    keywords = ", ".join(m.subjects)
    head = (
        f'<!DOCTYPE html>\n<html lang="{a(m.lang)}">\n<head>\n<meta charset="utf-8"/>\n<title>{t(m.title)}</title>\n'
        f'{authors}<meta name="description" content="{a(m.description)}"/>\n'
        f'<meta name="keywords" content="{a(keywords)}"/>\n<meta name="generator" content="pipeline"/>\n'
        f'<meta name="dcterms.created" content="{a(m.date)}"/>\n<meta name="dcterms.modified" content="{a(m.date)}"/>\n'
        f'</head>\n<body data-title="{a(m.title)}">\n'
    )
    return PrintParts(head, _front_matter(doc), chapters, back)


def print_html(doc: Document) -> str:
    """The whole book as one HTML document, as the print stylesheet expects it."""
    p = print_parts(doc)
    return f'{p.head}{p.front}<main>\n{chr(10).join(p.chapters)}\n{p.back}\n</main>\n{p.tail}'


def print_edition(doc: Document) -> str:
    """Names the print edition whose pages the EPUB's page list follows (its pageBreakSource)."""
    m = doc.meta
    made = ", ".join(x for x in (m.publisher, m.date[:4]) if x)
    return f"{m.title}, print edition ({made}; {m.trim.name} trim), {m.identifier}"


def render_pdf(doc: Document, styles_dir: Path, press: PressOptions = PROOF, write: bool = True,
               cache: Cache | None = None, jobs: int = 1, progress: Callable[[str], None] = lambda s: None) -> PrintResult:
    """Lays the book out a section at a time (cached, in parallel with jobs > 1) and merges the
    sections; write=False: the layout only (for the page map). A gutter that the page count
    widens lays the book out again at the new measure, up to GUTTER_LAYOUTS times in all."""
    cache = cache or Cache(None)
    inner = press.min_inner_mm(0)
    for layouts in range(1, GUTTER_LAYOUTS + 1):
        laid = _lay_out_sections(doc, styles_dir, press, inner, cache, jobs, progress)
        pages = sum(layout.pages + blank for (_, layout), blank in zip(laid, _blanks(laid)))
        needed = press.min_inner_mm(pages)
        if page_css(doc.meta.trim, needed) == page_css(doc.meta.trim, inner) or layouts == GUTTER_LAYOUTS:
            return _printed(doc, laid, press, write, progress)
        progress(f"laying out PDF again: {pages} pages ask for a {needed:.1f} mm inside margin")
        inner = needed
    raise AssertionError("unreachable")


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


def section_setup(doc: Document, parts: PrintParts, styles_dir: Path, press: PressOptions = PROOF,
                  inner_mm: float = 0.0) -> sections.Setup:
    """What the layout of every section of the book shares."""
    # The images the model names, and no other file of the manuscript folder.
    roots = (styles_dir, *font_dirs(), *press.tool_files, *(Path(p) for p in images(doc).values()))
    options = dict(press.pdf_options)
    return sections.Setup(parts.head, parts.tail,
                          font_face_css(FAMILY) + code_face_css() + page_css(doc.meta.trim, inner_mm),
                          str(styles_dir / "print.css"), tuple(str(p) for p in roots),
                          doc.meta.identifier.encode(), options.get("pdf_variant", PDF_VARIANT),
                          press.css, press.pdf_options)


def _lay_out_sections(doc: Document, styles_dir: Path, press: PressOptions, inner_mm: float, cache: Cache,
                      jobs: int, progress: Callable[[str], None]) -> list[tuple[sections.Section, sections.Layout]]:
    """Each chapter laid out alone from its first folio (or taken from the cache), then the
    front matter, its contents' folios from the chapters' anchors; in the book's order."""
    parts = print_parts(doc)
    setup = section_setup(doc, parts, styles_dir, press, inner_mm)
    tool_files = [*(Path(p) for p in images(doc).values()), *font_files(), *press.tool_files]
    store = sections.SectionCache(cache, sections.context_key(setup, tool_files))
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
    return [(front, front_layout), *laid]


def _blanks(laid: list[tuple[sections.Section, sections.Layout]]) -> list[bool]:
    """Every section but the last ends with a blank page when needed: the next opens on a right-hand page."""
    return [layout.pages % 2 == 1 for _, layout in laid[:-1]] + [False]


def _printed(doc: Document, laid: list[tuple[sections.Section, sections.Layout]], press: PressOptions,
             write: bool, progress: Callable[[str], None]) -> PrintResult:
    """The laid-out sections as one book: merged with pikepdf (write=False: the facts only)."""
    from pipeline.render.pdf.merge import merge  # pikepdf, only when printing

    blanks = _blanks(laid)
    facts = assemble([layout.facts for _, layout in laid], blanks)
    body = first_body_page([p.kind for p in facts.pages])
    pdf, pages, unresolved = b"", len(facts.pages), ()
    if write:
        progress("laying out PDF: merging the sections")
        merged = merge([layout.pdf for _, layout in laid], blanks, body, link_targets(doc), press.finish)
        pdf, pages, unresolved = merged.pdf, merged.pages, merged.unresolved
    warnings: list[str] = []
    for _, layout in laid:
        warnings += [w for w in layout.warnings if w not in warnings]
    warnings += [f"note {note} is on page {placed}, its call on page {call}" for note, call, placed in facts.displaced]
    warnings += [f"No anchor #{target} for internal URI reference" for target in unresolved]
    placed, first = [], 1
    for (_, layout), blank in zip(laid, blanks):
        placed.append(PrintedSection(first, layout.pages, digest(layout.pdf)))
        first += layout.pages + blank
    return PrintResult(pdf, pages, tuple(warnings), tuple(missing_glyphs(doc)), page_map(facts, print_edition(doc)),
                       facts, tuple(placed))
