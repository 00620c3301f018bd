"""One finished build read back into memory: the two files, the EPUB's metadata and cover,
the PDF's page count and outline. Immutable, so a request always sees one consistent build."""

from __future__ import annotations

import hashlib
import io
import posixpath
import threading
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pypdfium2 as pdfium
from lxml import etree

_NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container", "opf": "http://www.idpf.org/2007/opf",
       "dc": "http://purl.org/dc/elements/1.1/"}
# PDFium is not thread-safe: every call into it, from any thread, goes through this lock.
PDFIUM_LOCK = threading.Lock()
MEDIA_TYPES = {".epub": "application/epub+zip", ".pdf": "application/pdf"}


@dataclass(frozen=True)
class BuiltFile:
    name: str  # <slug>.epub or <slug>.pdf
    media_type: str
    data: bytes
    mtime: float  # when the build wrote it (seconds since the epoch)

    @property
    def etag(self) -> str:
        return f'"{self.sha256[:32]}"'

    @cached_property
    def sha256(self) -> str:  # cached: the page names every image by it
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Contributor:
    name: str
    role: str  # MARC relator code: aut, edt, trl, ill, ...


@dataclass(frozen=True)
class OutlineEntry:
    title: str
    page: int  # 1-based
    level: int  # 0 for chapters
    label: str = ""  # the folio printed on that page (the PDF's page label), e.g. "1" or "v"


@dataclass(frozen=True)
class Book:
    slug: str
    title: str
    subtitle: str
    contributors: tuple[Contributor, ...]
    description: str
    publisher: str
    date: str
    lang: str
    epub: BuiltFile
    pdf: BuiltFile
    cover: bytes  # the EPUB's cover image
    cover_type: str
    pages: int
    page_size: tuple[float, float]  # points, of page 1
    outline: tuple[OutlineEntry, ...]

    @property
    def build_id(self) -> str:
        """Names this build's page images: changes whenever the PDF's bytes do."""
        return self.pdf.sha256[:16]


def _read(path: Path) -> BuiltFile:
    # Read bytes, then stat: the build replaces files atomically, so the bytes are one whole file.
    data = path.read_bytes()
    return BuiltFile(path.name, MEDIA_TYPES[path.suffix], data, path.stat().st_mtime)


def _epub_metadata(data: bytes) -> dict[str, object]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        container = etree.fromstring(z.read("META-INF/container.xml"))
        opf_path = container.xpath("//c:rootfile/@full-path", namespaces=_NS)[0]
        opf = etree.fromstring(z.read(opf_path))
        md = opf.find("opf:metadata", _NS)
        refines: dict[tuple[str, str], str] = {}
        for meta in md.findall("opf:meta", _NS):
            if meta.get("refines"):
                refines[(meta.get("refines", "")[1:], meta.get("property", ""))] = (meta.text or "").strip()

        def texts(tag: str) -> list[etree._Element]:
            return md.findall(f"dc:{tag}", _NS)

        titles = texts("title")
        title = next((t.text for t in titles if refines.get((t.get("id", ""), "title-type"), "main") == "main"), "")
        subtitle = next((t.text for t in titles if refines.get((t.get("id", ""), "title-type")) == "subtitle"), "")
        people = [Contributor((e.text or "").strip(), refines.get((e.get("id", ""), "role"), default))
                  for tag, default in (("creator", "aut"), ("contributor", "ctb")) for e in texts(tag)]
        first = lambda tag: (texts(tag)[0].text or "").strip() if texts(tag) else ""  # noqa: E731
        cover, cover_type = b"", ""
        for item in opf.iterfind("opf:manifest/opf:item", _NS):
            if "cover-image" in (item.get("properties") or "").split():
                cover = z.read(posixpath.join(posixpath.dirname(opf_path), item.get("href", "")))
                cover_type = item.get("media-type", "image/png")
        return {"title": title or "", "subtitle": subtitle or "", "contributors": tuple(people),
                "description": first("description"), "publisher": first("publisher"), "date": first("date"),
                "lang": first("language") or "en", "cover": cover, "cover_type": cover_type}


def _pdf_layout(data: bytes) -> tuple[int, tuple[float, float], tuple[OutlineEntry, ...]]:
    with PDFIUM_LOCK:
        return _read_layout(data)


def _read_layout(data: bytes) -> tuple[int, tuple[float, float], tuple[OutlineEntry, ...]]:
    pdf = pdfium.PdfDocument(data)
    try:
        outline = []
        for bookmark in pdf.get_toc():
            dest = bookmark.get_dest()
            index = dest.get_index() if dest is not None else None
            if index is not None:
                outline.append(OutlineEntry(bookmark.get_title(), index + 1, bookmark.level, pdf.get_page_label(index)))
        return len(pdf), tuple(pdf.get_page_size(0)), tuple(outline)
    finally:
        pdf.close()


def read_build(out: Path, slug: str) -> Book:
    """Read OUT/<slug>.epub and OUT/<slug>.pdf as one build."""
    epub, pdf = _read(out / f"{slug}.epub"), _read(out / f"{slug}.pdf")
    meta = _epub_metadata(epub.data)
    pages, size, outline = _pdf_layout(pdf.data)
    return Book(slug=slug, epub=epub, pdf=pdf, pages=pages, page_size=size, outline=outline, **meta)  # type: ignore[arg-type]
