"""Document -> print PDF through WeasyPrint: the print HTML, the print stylesheet, fonts.

Two ways to lay the book out:
- a section at a time (sections.py, merged by merge.py), each chapter cached by its content
  and first folio, so that after an edit only the changed chapter is laid out again: the proof
  PDF (PDF/UA-1, no bleed), the default;
- the whole book as one WeasyPrint document: the printer profiles (press.for_print: kdp, lulu,
  ingram, offset), whose gutter depends on the total page count, whose CSS adds bleed and
  marks, whose PDF may be PDF/X and is edited by a finisher over the whole file.
Both give the same pages, folios, running heads and note numbers, page labels, link
descriptions, page map and preflight facts (facts.py).
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import weasyprint

from pipeline.cache.store import Cache
from pipeline.chapter_index import images
from pipeline.diagnostics import SourcePos
from pipeline.fetcher import LocalFetcher
from pipeline.fonts import DRAWN_AS_NOTHING, charset, code_charset, code_face_css, font_dirs, font_face_css, font_files
from pipeline.model import Code, CodeBlock, Document, Text, Trim
from pipeline.pagemap import PageMap
from pipeline.render import credits, html
from pipeline.render.pdf import note_split
from pipeline.render.pdf import patches
from pipeline.render.pdf import sections
from pipeline.render.pdf.note_pages import break_rules, find_displaced
from pipeline.render.html import HtmlOptions, a, t
from pipeline.render.pdf.facts import LayoutFacts, assemble, layout_facts
from pipeline.render.pdf.finish import (chain, link_descriptions_finisher, link_targets,
                                               page_labels_finisher)
from pipeline.render.pdf.pages import first_body_page, page_map
from pipeline.walk import iter_block_inlines, iter_blocks

FAMILY = "Book Garamond"  # the name print.css uses
OPTS = HtmlOptions(epub=False)
MAX_LAYOUTS = sections.MAX_LAYOUTS  # a layout, then up to three more to keep footnotes with their calls


@dataclass(frozen=True)
class PrintResult:
    pdf: bytes
    pages: int
    warnings: tuple[str, ...]
    missing_glyphs: tuple[tuple[SourcePos, str], ...] = ()
    page_map: PageMap = PageMap((), "")  # where each body page begins, for the EPUB's page list
    facts: LayoutFacts = LayoutFacts((), (), ())  # every page as plain data, for preflight
    layout: Any = field(default=None, compare=False, repr=False)  # weasyprint.Document (whole-book layout only)


@dataclass(frozen=True)
class PressOptions:
    """What a print profile asks of the layout (pipeline/render/pdf/printer.py makes these)."""

    css: str = ""  # applied after print.css: bleed, marks, colours
    min_inner_mm: Callable[[int], float] = lambda pages: 0.0  # inside margin for a page count
    pdf_options: tuple[tuple[str, Any], ...] = ()  # more write_pdf options (pdf_variant, ...)
    finisher: Callable[[Any, Any], None] | None = None  # edits the PDF objects before writing
    tool_files: tuple[Path, ...] = ()  # files of the tool the CSS may read (an ICC profile)

    @property
    def sectioned(self) -> bool:
        """Nothing asked depends on the whole book (a gutter by page count, a finisher over the
        whole file) or is a printer's (bleed CSS, PDF/X, an ICC profile): chapters can be laid
        out alone and merged. Printer profiles keep the whole-book layout."""
        return (self.min_inner_mm is _NO_GUTTER and not self.css and not self.pdf_options
                and self.finisher is None and not self.tool_files)


_NO_GUTTER = PressOptions.min_inner_mm
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
            chars = {c for c in text if ord(c) not in have} | {c for c in code_text if ord(c) not in code}
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


# Accessibility: the default print PDF is PDF/UA-1 (tagged, /Lang, title shown in the title bar).
PDF_VARIANT = "pdf/ua-1"


def print_edition(doc: Document) -> str:
    """Names the print edition whose pages the EPUB's page list follows (its pageBreakSource)."""
    m = doc.meta
    made = ", ".join(x for x in (m.publisher, m.date[:4]) if x)
    return f"{m.title}, print edition ({made}; {m.trim.name} trim), {m.identifier}"


def render_pdf(doc: Document, styles_dir: Path, press: PressOptions = PROOF, write: bool = True,
               cache: Cache | None = None, jobs: int = 1, progress: Callable[[str], None] = lambda s: None) -> PrintResult:
    """Lays the book out: a section at a time when the press allows it (the proof PDF: cached,
    in parallel with jobs > 1), else whole. write=False: the layout only (for the page map)."""
    if press.sectioned:
        return _render_sections(doc, styles_dir, cache or Cache(None), jobs, progress, write)
    return render_pdf_whole(doc, styles_dir, press, write)


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


def section_setup(doc: Document, parts: PrintParts, styles_dir: Path) -> sections.Setup:
    """What the layout of every section of the book shares."""
    # The images the model names, and no other file of the manuscript folder.
    roots = (styles_dir, *font_dirs(), *(Path(p) for p in images(doc).values()))
    return sections.Setup(parts.head, parts.tail, font_face_css(FAMILY) + code_face_css() + page_css(doc.meta.trim),
                          str(styles_dir / "print.css"), tuple(str(p) for p in roots),
                          doc.meta.identifier.encode(), PDF_VARIANT)


def _render_sections(doc: Document, styles_dir: Path, cache: Cache, jobs: int,
                     progress: Callable[[str], None], write: bool) -> PrintResult:
    """Each chapter laid out alone from its first folio (or taken from the cache), the front
    matter last with the contents' folios from the chapters' anchors, merged with pikepdf."""
    from pipeline.render.pdf.merge import merge  # pikepdf, only when printing

    parts = print_parts(doc)
    setup = section_setup(doc, parts, styles_dir)
    image_files = [Path(p) for p in images(doc).values()]
    store = sections.SectionCache(cache, sections.context_key(setup, image_files, font_files()))
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
    # Every section but the last ends with a blank page when needed: the next opens on a right-hand page.
    blanks = [layout.pages % 2 == 1 for _, layout in laid[:-1]] + [False]
    facts = assemble([layout.facts for _, layout in laid], blanks)
    body = first_body_page([p.kind for p in facts.pages])
    pdf, pages, unresolved = b"", len(facts.pages), ()
    if write:
        progress("laying out PDF: merging the sections")
        merged = merge([layout.pdf for _, layout in laid], blanks, body, link_targets(doc))
        pdf, pages, unresolved = merged.pdf, merged.pages, merged.unresolved
    warnings: list[str] = []
    for _, layout in laid:
        warnings += [w for w in layout.warnings if w not in warnings]
    warnings += [f"note {note} is on page {placed}, its call on page {call}" for note, call, placed in facts.displaced]
    warnings += [f"No anchor #{target} for internal URI reference" for target in unresolved]
    return PrintResult(pdf, pages, tuple(warnings), tuple(missing_glyphs(doc)), page_map(facts, print_edition(doc)), facts)


def render_pdf_whole(doc: Document, styles_dir: Path, press: PressOptions, write: bool) -> PrintResult:
    """The whole book as one WeasyPrint document: the path of the printer profiles."""
    # The images the model names, and no other file of the manuscript folder.
    fetcher = LocalFetcher([styles_dir, *font_dirs(), *press.tool_files, *(Path(p) for p in images(doc).values())])
    capture = sections.LogCapture()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(capture)
    source = print_html(doc)
    fixes = ""
    inner = press.min_inner_mm(0)
    footnote_rounds = gutter_changes = 0
    # WeasyPrint as this pipeline lays out (see that module), its font files removed after.
    with patches.applied(), ExitStack() as font_configs:
        try:
            while True:
                # @font-face rules only take effect through a FontConfiguration shared with the render.
                fonts = font_configs.enter_context(patches.font_configuration())
                profiles: dict[str, Any] = {}  # @color-profile rules (a CMYK output intent), as fonts
                stylesheets = [
                    weasyprint.CSS(string=font_face_css(FAMILY) + code_face_css() + page_css(doc.meta.trim, inner), url_fetcher=fetcher, font_config=fonts),
                    weasyprint.CSS(filename=str(styles_dir / "print.css"), url_fetcher=fetcher, font_config=fonts),
                    weasyprint.CSS(string=(press.css or "/* proof */") + "\n" + (fixes or "/* no fixes */"),
                                   url_fetcher=fetcher, font_config=fonts, color_profiles=profiles),
                ]
                document = weasyprint.HTML(string=note_split.apply(source, fixes), base_url=str(styles_dir) + "/",
                                           url_fetcher=fetcher).render(
                    stylesheets=stylesheets, font_config=fonts, color_profiles=profiles, **dict(press.pdf_options))
                # The gutter depends on the page count: if the count asks for a wider one, lay out
                # again from scratch (page breaks chosen for the old measure no longer apply).
                needed = press.min_inner_mm(len(document.pages))
                if page_css(doc.meta.trim, needed) != page_css(doc.meta.trim, inner) and gutter_changes < 2:
                    inner, fixes, footnote_rounds, gutter_changes = needed, "", 0, gutter_changes + 1
                    continue
                displaced = find_displaced(document.pages)
                new = [rule for rule in break_rules(displaced) if rule not in fixes]
                cut = note_split.plan(document.pages, fixes)  # long notes first: breaks they make needless stay out
                if (cut == fixes and not new) or footnote_rounds >= MAX_LAYOUTS - 1:
                    break
                fixes = cut if cut != fixes else "\n".join([fixes, *new]).strip()
                footnote_rounds += 1
            # Every profile gets page labels and link descriptions; a print profile may choose another
            # variant (PDF/X for IngramSpark: one variant per file) and edit the PDF further.
            facts = layout_facts(document.pages, displaced)
            finish = chain(page_labels_finisher(first_body_page([p.kind for p in facts.pages]), len(document.pages)),
                           link_descriptions_finisher(link_targets(doc)), *([press.finisher] if press.finisher else []))
            options = {"pdf_variant": PDF_VARIANT, "pdf_tags": True, "pdf_identifier": doc.meta.identifier.encode(),
                       **dict(press.pdf_options)}
            pdf = document.write_pdf(finisher=finish, **options) if write else b""
        finally:
            logger.removeHandler(capture)
    # A character the font lacks is reported against the manuscript (missing_glyphs), not as
    # WeasyPrint's own message, which names no file or line.
    warnings = [m for m in capture.messages if ".notdef" not in m]
    warnings += [f"note {d.note_id} is on page {d.note_page}, its call on page {d.call_page}" for d in displaced]
    return PrintResult(pdf, len(document.pages), tuple(warnings), tuple(missing_glyphs(doc)),
                       page_map(facts, print_edition(doc)), facts, document)
