"""Document -> EPUB 3 through ebooklib: XHTML items kept byte-for-byte, nav, NCX, OPF metadata."""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ebooklib import epub

from pipeline.chapter_index import all_ids, images
from pipeline.read.files import read_regular
from pipeline.model import Chapter, Document
from pipeline.pagemap import NOTE_ON_TEXT, PageMap
from pipeline.render import credits, html
from pipeline.render.epub.accessibility import accessibility_metadata
from pipeline.render.epub.page_list import insert_page_breaks, page_list_nav, regions_that_differ
from pipeline.render.epub.container import Deflate, deflate, write_zip
from pipeline.render.html import HtmlOptions, a, t
from pipeline.read.svg import output_bytes
from pipeline.walk import plain_text

XHTML = "application/xhtml+xml"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class Page:
    """One XHTML file of the book, in reading order."""

    file: str  # relative to the package folder, e.g. text/titlepage.xhtml
    title: str
    body: str
    lang: str
    body_type: str  # frontmatter, bodymatter, backmatter
    landmark: str = ""  # epub:type for the landmarks nav


class _Writer(epub.EpubWriter):
    """ebooklib cannot put xml:lang on the package element; this adds it."""

    def _write_opf_file(self, root):  # type: ignore[no-untyped-def]
        root.set(_XML_LANG, self.book.language)
        root.set("dir", "ltr")
        super()._write_opf_file(root)


def xhtml(title: str, body: str, lang: str, body_type: str, css: str = "../css/book.css") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
        f'lang="{a(lang)}" xml:lang="{a(lang)}">\n<head>\n<meta charset="utf-8"/>\n<title>{t(title)}</title>\n'
        f'<link rel="stylesheet" type="text/css" href="{css}"/>\n</head>\n'
        f'<body epub:type="{body_type}">\n{body}\n</body>\n</html>\n'
    ).encode("utf-8")


Section = Callable[[Chapter, HtmlOptions], str]  # html.chapter_section, or one that remembers its results


def epub_options(doc: Document) -> HtmlOptions:
    """The options of every chapter's EPUB markup: links point at the chapter files of
    all_ids(doc), images at the EPUB's images folder."""
    chapter_of = all_ids(doc)
    return HtmlOptions(epub=True, file_of=lambda target: f"{chapter_of.get(target, '')}.xhtml",
                       image_src=lambda image: f"../{image.href}")


def _pages(doc: Document, cover_alt: str, print_pages: PageMap, section: Section) -> list[Page]:
    m, lang = doc.meta, doc.meta.lang
    opts = epub_options(doc)
    pages = [Page("text/cover.xhtml", "Cover",
                  f'<section class="cover" epub:type="cover">\n'
                  f'<img src="../images/cover.png" alt="{a(cover_alt)}" role="doc-cover"/>\n</section>',
                  lang, "frontmatter", "cover")]
    sub = f'<p class="subtitle">{t(m.subtitle)}</p>\n' if m.subtitle else ""
    people = html.title_page_people(m)
    pub = f'<p class="publisher">{t(m.publisher)}</p>\n' if m.publisher else ""
    pages.append(Page("text/titlepage.xhtml", "Title Page",
                      f'<section class="titlepage" epub:type="titlepage">\n<h1 epub:type="fulltitle">{t(m.title)}</h1>\n'
                      f'{sub}{people + chr(10) if people else ""}{pub}</section>', lang, "frontmatter", "titlepage"))
    for ch in doc.chapters:
        body = insert_page_breaks(section(ch, opts), print_pages.in_region(ch.id))
        pages.append(Page(f"text/{ch.id}.xhtml", ch.meta.title, body,
                          ch.meta.lang, "bodymatter", "bodymatter" if ch is doc.chapters[0] else ""))
    if html.has_corrections(doc):
        pages.append(Page("text/note-on-the-text.xhtml", "Note on the Text",
                          f'<section id="note-on-the-text-section" class="note-on-text" epub:type="appendix" role="doc-appendix">\n'
                          f'{insert_page_breaks(html.note_on_text(doc, opts), print_pages.in_region(NOTE_ON_TEXT))}'
                          '\n</section>', lang, "backmatter"))
    pages.append(Page("text/colophon.xhtml", "Copyright",
                      '<section class="colophon" epub:type="colophon" role="doc-colophon">\n<h1>Copyright</h1>\n'
                      + "\n".join(html.copyright_lines(doc)) + "\n</section>", lang, "backmatter"))
    return pages


def page_list_mismatches(doc: Document, print_pages: PageMap, section: Section = html.chapter_section) -> list[str]:
    """Regions (chapter ids, note-on-the-text) where the page map does not fit the EPUB's text.
    section: as render_epub's, so that a build renders each chapter's markup once for both."""
    opts = epub_options(doc)
    markup = {ch.id: section(ch, opts) for ch in doc.chapters}
    if html.has_corrections(doc):
        markup[NOTE_ON_TEXT] = html.note_on_text(doc, opts)
    return regions_that_differ(print_pages, markup)


def _toc_entries(doc: Document, pages: list[Page]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(href, label, children) for each entry of the contents, chapters with their sections."""
    out = []
    for ch in doc.chapters:
        file = f"text/{ch.id}.xhtml"
        label = ch.meta.title + (f" \u2014 {credits.byline(ch)}" if ch.meta.authors else "")
        kids = [(f"{file}#{h.attrs.id}", plain_text(h.inlines)) for h in html.section_headings(ch)]
        out.append((file, label, kids))
    for p in pages:
        if p.file.endswith(("note-on-the-text.xhtml", "colophon.xhtml")):
            out.append((p.file, p.title, []))
    return out


def _nav(doc: Document, pages: list[Page], print_pages: PageMap) -> bytes:
    def li(href: str, label: str, kids: list[tuple[str, str]]) -> str:
        sub = "".join(f'<li><a href="{a(h[5:])}">{t(lab)}</a></li>' for h, lab in kids)
        return f'<li><a href="{a(href[5:])}">{t(label)}</a>{"<ol>" + sub + "</ol>" if sub else ""}</li>\n'

    toc = "".join(li(*e) for e in _toc_entries(doc, pages))
    marks = [(p.landmark, p.file, p.title) for p in pages if p.landmark]
    marks.insert(2, ("toc", "text/nav.xhtml", "Contents"))
    landmarks = "".join(f'<li><a epub:type="{k}" href="{a(f[5:])}">{t(title)}</a></li>\n' for k, f, title in marks)
    body = (f'<nav id="toc" epub:type="toc" role="doc-toc">\n<h1>Contents</h1>\n<ol>\n{toc}</ol>\n</nav>\n'
            f'<nav id="landmarks" epub:type="landmarks" hidden="hidden">\n<h2>Landmarks</h2>\n<ol>\n{landmarks}</ol>\n</nav>')
    if print_pages.breaks:
        files = {region: file[5:] for region, file in _region_files(doc).items()}  # beside nav.xhtml
        body += "\n" + page_list_nav(print_pages, files)
    return xhtml("Contents", body, doc.meta.lang, "frontmatter")


def _region_files(doc: Document) -> dict[str, str]:
    """The file (relative to the package folder) holding each region of the page map."""
    return {ch.id: f"text/{ch.id}.xhtml" for ch in doc.chapters} | {NOTE_ON_TEXT: "text/note-on-the-text.xhtml"}


def _ncx(doc: Document, pages: list[Page], print_pages: PageMap) -> bytes:
    """The EPUB 2 table of contents, with the page list for reading systems that read only this.
    playOrder follows the reading order over contents entries and pages alike."""
    bodies = {p.file: (i, p.body) for i, p in enumerate(pages)}

    def position(src: str) -> tuple[int, int]:
        file, _, fragment = src.partition("#")
        index, body = bodies[file]
        return index, body.find(f'id="{fragment}"') if fragment else -1

    entries = _toc_entries(doc, pages)
    files = _region_files(doc)
    page_targets = [(b.label, f"{files[b.region]}#page-{b.label}") for b in print_pages.breaks]
    sources = {href for href, _, kids in entries for href in [href, *(k for k, _ in kids)]}
    sources |= {src for _, src in page_targets}
    order = {src: n for n, src in enumerate(sorted(sources, key=position), 1)}
    points, uid = [], 0
    for href, label, kids in entries:
        uid += 1
        inner = ""
        for k, (khref, klabel) in enumerate(kids, 1):
            inner += (f'<navPoint id="np-{uid + k}" playOrder="{order[khref]}"><navLabel>'
                      f'<text>{t(klabel)}</text></navLabel><content src="{a(khref)}"/></navPoint>\n')
        points.append(f'<navPoint id="np-{uid}" playOrder="{order[href]}"><navLabel><text>{t(label)}</text>'
                      f'</navLabel><content src="{a(href)}"/>\n{inner}</navPoint>\n')
        uid += len(kids)
    page_list = ""
    if page_targets:
        targets = "".join(f'<pageTarget id="pt-{a(label)}" type="normal" value="{a(label)}" playOrder="{order[src]}">'
                          f'<navLabel><text>{t(label)}</text></navLabel><content src="{a(src)}"/></pageTarget>\n'
                          for label, src in page_targets)
        page_list = f'<pageList>\n<navLabel><text>Pages</text></navLabel>\n{targets}</pageList>\n'
    numbers = [int(label) for label, _ in page_targets if label.isdigit()]
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">\n<head>\n'
        f'<meta name="dtb:uid" content="{a(doc.meta.identifier)}"/>\n<meta name="dtb:depth" content="2"/>\n'
        f'<meta name="dtb:totalPageCount" content="{len(page_targets)}"/>\n'
        f'<meta name="dtb:maxPageNumber" content="{max(numbers, default=0)}"/>\n</head>\n'
        f'<docTitle><text>{t(doc.meta.title)}</text></docTitle>\n<navMap>\n{"".join(points)}</navMap>\n{page_list}</ncx>\n'
    ).encode("utf-8")


def modified_time(doc: Document) -> dt.datetime:
    """dcterms:modified comes from the manuscript's date, so rebuilds give the same bytes."""
    parts = [int(x) for x in doc.meta.date[:10].split("-")] + [1, 1]
    return dt.datetime(parts[0], parts[1], parts[2], tzinfo=dt.timezone.utc)


def _metadata(book: epub.EpubBook, doc: Document, print_pages: PageMap) -> None:
    m = doc.meta
    book.set_identifier(m.identifier)
    book.set_title(m.title)
    book.set_language(m.lang)
    if m.subtitle:
        book.add_metadata("DC", "title", m.subtitle, {"id": "subtitle"})
        book.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    for i, c in enumerate(m.contributors, 1):
        uid = f"{'creator' if c.role == 'aut' else 'contributor'}-{i}"
        book.add_metadata("DC", "creator" if c.role == "aut" else "contributor", c.name, {"id": uid})
        book.add_metadata(None, "meta", c.file_as, {"refines": f"#{uid}", "property": "file-as"})
        book.add_metadata(None, "meta", c.role, {"refines": f"#{uid}", "property": "role", "scheme": "marc:relators"})
    for key, value in (("publisher", m.publisher), ("description", m.description), ("rights", m.rights)):
        if value:
            book.add_metadata("DC", key, value)
    book.add_metadata("DC", "date", m.date)
    for s in m.subjects:
        book.add_metadata("DC", "subject", s)
    for prop, value in accessibility_metadata(doc, print_pages):
        book.add_metadata(None, "meta", value, {"property": prop})


def _item(uid: str, file: str, media_type: str, content: bytes, properties: list[str] | None = None) -> epub.EpubItem:
    item = epub.EpubItem(uid=uid, file_name=file, media_type=media_type, content=content)
    item.properties = properties or []
    return item


def _reproducible_zip(data: bytes, when: dt.datetime, compress: Deflate) -> bytes:
    """ebooklib stamps entries with the time of writing; rewrite them with the book's date."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        names = ["mimetype"] + [n for n in src.namelist() if n != "mimetype"]
        return write_zip([(name, src.read(name)) for name in names], when, compress)


def render_epub(doc: Document, styles_dir: Path, cover_png: bytes, cover_alt: str,
                print_pages: PageMap = PageMap((), ""), compress: Deflate = deflate,
                section: Section = html.chapter_section) -> bytes:
    """print_pages: where the print edition's pages begin; when given, the EPUB carries its page list.
    compress: each file's DEFLATE form; section: each chapter's markup, given the options made here
    (links point at the chapter files of all_ids(doc)). Build gives ones that remember their results."""
    book = epub.EpubBook()
    book.FOLDER_NAME = "EPUB"
    _metadata(book, doc, print_pages)
    pages = _pages(doc, cover_alt, print_pages, section)
    book.add_item(_item("css", "css/book.css", "text/css", (styles_dir / "epub.css").read_bytes()))
    book.add_item(_item("cover-image", "images/cover.png", "image/png", cover_png, ["cover-image"]))
    nav = _item("nav", "text/nav.xhtml", XHTML, _nav(doc, pages, print_pages), ["nav"])
    book.add_item(nav)
    for i, (href, path) in enumerate(sorted(images(doc).items())):
        media_type = mimetypes.guess_type(href)[0] or "application/octet-stream"
        book.add_item(_item(f"image-{i}", href, media_type, output_bytes(Path(path), read_regular(Path(path)))))
    book.add_item(_item("ncx", "toc.ncx", "application/x-dtbncx+xml", _ncx(doc, pages, print_pages)))
    spine = []
    for i, p in enumerate(pages):
        item = _item(f"page-{i}", p.file, XHTML, xhtml(p.title, p.body, p.lang, p.body_type))
        book.add_item(item)
        spine.append(item)
    spine.insert(2, nav)  # contents after the title page
    book.spine = spine
    raw = io.BytesIO()
    when = modified_time(doc)
    _Writer(raw, book, {"mtime": when, "epub2_guide": False, "epub3_landmark": False,
                                "compresslevel": 0}).write()
    return _reproducible_zip(raw.getvalue(), when, compress)
