"""Document -> print PDF through WeasyPrint: one HTML document, the print stylesheet, fonts."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import weasyprint
from weasyprint.text.fonts import FontConfiguration

from pipeline.fetcher import LocalFetcher
from pipeline.diagnostics import SourcePos
from pipeline.fonts import DRAWN_AS_NOTHING, charset, font_dir, font_face_css

FAMILY = "Book Garamond"  # the name print.css uses
from pipeline.model import Code, Document, Text, Trim
from pipeline.walk import images, iter_block_inlines
from pipeline.render import html
from pipeline.render.footnote_fit import break_rules, find_displaced
from pipeline.pagemap import PageMap
from pipeline.render.pdf_accessibility import (chain, link_descriptions_finisher, link_targets,
                                               page_labels_finisher)
from pipeline.render.print_pages import first_body_page, page_map
from pipeline.render.html import HtmlOptions, a, t

OPTS = HtmlOptions(epub=False)
MAX_LAYOUTS = 4  # a layout, then up to three more to keep footnotes with their calls


@dataclass(frozen=True)
class PrintResult:
    pdf: bytes
    pages: int
    warnings: tuple[str, ...]
    missing_glyphs: tuple[tuple[SourcePos, str], ...] = ()
    page_map: PageMap = PageMap((), "")  # where each body page begins, for the EPUB's page list
    layout: Any = field(default=None, compare=False, repr=False)  # weasyprint.Document, for preflight


@dataclass(frozen=True)
class PressOptions:
    """What a print profile asks of the layout (pipeline/render/press.py makes these)."""

    css: str = ""  # applied after print.css: bleed, marks, colours
    min_inner_mm: Callable[[int], float] = lambda pages: 0.0  # inside margin for a page count
    pdf_options: tuple[tuple[str, Any], ...] = ()  # more write_pdf options (pdf_variant, ...)
    finisher: Callable[[Any, Any], None] | None = None  # edits the PDF objects before writing
    tool_files: tuple[Path, ...] = ()  # files of the tool the CSS may read (an ICC profile)


PROOF = PressOptions()


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
                if ord(c) not in have and ord(c) not in DRAWN_AS_NOTHING:
                    found.append((pos, c))
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


def print_html(doc: Document) -> str:
    """The whole book as one HTML document, as the print stylesheet expects it."""
    m = doc.meta
    chapters = "\n".join(html.chapter_section(ch, OPTS) for ch in doc.chapters)
    back = (f'<section class="back note-on-text">\n{html.note_on_text(doc, OPTS)}\n</section>'
            if html.has_corrections(doc) else "")
    # One <meta name="author"> an author: the PDF's XMP (PDF/UA) then lists each as a dc:creator.
    authors = "".join(f'<meta name="author" content="{a(c.name)}"/>\n' for c in m.authors)
    keywords = ", ".join(m.subjects)
    return (
        f'<!DOCTYPE html>\n<html lang="{a(m.lang)}">\n<head>\n<meta charset="utf-8"/>\n<title>{t(m.title)}</title>\n'
        f'{authors}<meta name="description" content="{a(m.description)}"/>\n'
        f'<meta name="keywords" content="{a(keywords)}"/>\n<meta name="generator" content="pipeline"/>\n'
        f'<meta name="dcterms.created" content="{a(m.date)}"/>\n<meta name="dcterms.modified" content="{a(m.date)}"/>\n'
        f'</head>\n<body data-title="{a(m.title)}">\n{_front_matter(doc)}<main>\n{chapters}\n{back}\n</main>\n</body>\n</html>\n'
    )


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


# Accessibility: the default print PDF is PDF/UA-1 (tagged, /Lang, title shown in the title bar).
PDF_VARIANT = "pdf/ua-1"


def print_edition(doc: Document) -> str:
    """Names the print edition whose pages the EPUB's page list follows (its pageBreakSource)."""
    m = doc.meta
    made = ", ".join(x for x in (m.publisher, m.date[:4]) if x)
    return f"{m.title}, print edition ({made}; {m.trim.name} trim), {m.identifier}"


def render_pdf(doc: Document, styles_dir: Path, press: PressOptions = PROOF, write: bool = True) -> PrintResult:
    """Lays the book out; with write=False only the layout is made (for the page map), no PDF."""
    # The images the model names, and no other file of the manuscript folder.
    fetcher = LocalFetcher([styles_dir, font_dir(), *press.tool_files, *(Path(p) for p in images(doc).values())])
    capture = _LogCapture()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(capture)
    source = print_html(doc)
    fixes = ""
    inner = press.min_inner_mm(0)
    footnote_rounds = gutter_changes = 0
    try:
        while True:
            # @font-face rules only take effect through a FontConfiguration shared with the render.
            fonts = FontConfiguration()
            profiles: dict[str, Any] = {}  # @color-profile rules (a CMYK output intent), as fonts
            stylesheets = [
                weasyprint.CSS(string=font_face_css(FAMILY) + page_css(doc.meta.trim, inner), url_fetcher=fetcher, font_config=fonts),
                weasyprint.CSS(filename=str(styles_dir / "print.css"), url_fetcher=fetcher, font_config=fonts),
                weasyprint.CSS(string=(press.css or "/* proof */") + "\n" + (fixes or "/* no fixes */"),
                               url_fetcher=fetcher, font_config=fonts, color_profiles=profiles),
            ]
            document = weasyprint.HTML(string=source, base_url=str(styles_dir) + "/", url_fetcher=fetcher).render(
                stylesheets=stylesheets, font_config=fonts, color_profiles=profiles, **dict(press.pdf_options))
            # The gutter depends on the page count: if the count asks for a wider one, lay out
            # again from scratch (page breaks chosen for the old measure no longer apply).
            needed = press.min_inner_mm(len(document.pages))
            if page_css(doc.meta.trim, needed) != page_css(doc.meta.trim, inner) and gutter_changes < 2:
                inner, fixes, footnote_rounds, gutter_changes = needed, "", 0, gutter_changes + 1
                continue
            displaced = find_displaced(document.pages)
            new = [rule for rule in break_rules(displaced) if rule not in fixes]
            if not new or footnote_rounds >= MAX_LAYOUTS - 1:
                break
            fixes, footnote_rounds = "\n".join([fixes, *new]).strip(), footnote_rounds + 1
        # Every profile gets page labels and link descriptions; a print profile may choose another
        # variant (PDF/X for IngramSpark: one variant per file) and edit the PDF further.
        finish = chain(page_labels_finisher(first_body_page(document.pages), len(document.pages)),
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
                       page_map(document.pages, print_edition(doc)), document)
