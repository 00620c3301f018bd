"""Accessibility, proven by the tools that check it: DAISY Ace on the EPUB, and the PDF/UA
structure read back with pypdf; the EPUB's page list checked against the PDF actually built."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from typing import Iterator

import pypdf
import pytest
from lxml import etree

from pipeline.build import STYLES_DIR
from pipeline.cli import main
from pipeline.diagnostics import Collector
from pipeline.load import load_normalised
from pipeline.pagemap import NOTE_ON_TEXT
from pipeline.render import html
from pipeline.render.epub.page_list import counted_text
from pipeline.render.pdf.layout import render_pdf
from pipeline.check.validate import run_ace, run_epubcheck

from conftest import FIXTURES, Built, build_into
from test_docs import example_book  # noqa: F401  (a fixture: the doc's examples, every feature in one book)

NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
SLUG = "the-darker-the-night-the-brighter-the-star"

# DPUB-ARIA: the role each epub:type takes (EPUB Type to ARIA Role Authoring Guide). Types in
# NO_ROLE have no role, or none allowed on the element carrying them (doc-cover belongs on the
# cover's img, not its section). A type in neither set fails the test: decide it before using it.
ROLE_OF = {
    "chapter": "doc-chapter", "appendix": "doc-appendix", "colophon": "doc-colophon", "toc": "doc-toc",
    "page-list": "doc-pagelist", "pagebreak": "doc-pagebreak", "noteref": "doc-noteref",
    "footnote": "doc-footnote", "endnotes": "doc-endnotes", "epigraph": "doc-epigraph",
    "foreword": "doc-foreword", "preface": "doc-preface", "introduction": "doc-introduction",
    "epilogue": "doc-epilogue", "afterword": "doc-afterword", "acknowledgments": "doc-acknowledgments",
    "bibliography": "doc-bibliography", "glossary": "doc-glossary", "index": "doc-index",
}
NO_ROLE = {"frontmatter", "bodymatter", "backmatter", "titlepage", "fulltitle", "title", "landmarks", "cover"}


def xhtml_files(epub: Path) -> Iterator[tuple[str, etree._Element]]:
    with zipfile.ZipFile(epub) as z:
        for name in sorted(z.namelist()):
            if name.endswith(".xhtml"):
                yield name, etree.fromstring(z.read(name))


def package(epub: Path) -> dict[str, list[str]]:
    with zipfile.ZipFile(epub) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
    props: dict[str, list[str]] = {}
    for m in opf.find("opf:metadata", NS).findall("opf:meta", NS):
        if m.get("property") and not m.get("refines"):
            props.setdefault(m.get("property"), []).append(m.text)
    return props


# -- DAISY Ace ---------------------------------------------------------------------------------


def test_ace_finds_no_violation_in_the_anthology(anthology: Built) -> None:
    report = run_ace(anthology.epub)
    assert report.violations == {"critical": 0, "serious": 0, "moderate": 0, "minor": 0}, report.messages
    assert report.outcome == "pass"
    # What Ace looks for and does not find is only the certifier's part (who audited the book).
    assert set(report.metadata_missing) <= {"a11y:certifiedBy", "a11y:certifierCredential", "a11y:certifierReport"}


def test_ace_finds_no_violation_in_a_book_with_pictures(resources_built: Built) -> None:
    report = run_ace(resources_built.epub)
    assert report.clean, report.messages


def test_ace_finds_no_violation_in_every_example_of_the_docs(example_book) -> None:  # type: ignore[no-untyped-def]
    """Tables, lists, verse, epigraphs, figures, code, notes in headings, languages: one book."""
    report = run_ace(example_book.out / "example.epub")
    assert report.clean, report.messages


# -- semantics ---------------------------------------------------------------------------------


def test_every_epub_type_has_its_aria_role(anthology: Built, resources_built: Built) -> None:
    seen = set()
    for book in (anthology, resources_built):
        for name, root in xhtml_files(book.epub):
            # links in the landmarks nav name the kind of their target, not their own
            landmarks = set(root.iterfind(".//x:nav[@epub:type='landmarks']//x:a", NS))
            for el in root.iter():
                for kind in (el.get(EPUB_TYPE) or "").split() if el not in landmarks else ():
                    seen.add(kind)
                    assert kind in ROLE_OF or kind in NO_ROLE, f"{name}: epub:type '{kind}' has no decided role"
                    if kind in ROLE_OF:
                        assert ROLE_OF[kind] in (el.get("role") or "").split(), f"{name}: {kind} without {ROLE_OF[kind]}"
    assert {"chapter", "noteref", "footnote", "pagebreak", "page-list", "toc", "colophon"} <= seen


def test_every_image_has_alt_text_or_is_marked_decorative(anthology: Built, resources_built: Built) -> None:
    count = 0
    for book in (anthology, resources_built):
        for name, root in xhtml_files(book.epub):
            for img in root.iter("{http://www.w3.org/1999/xhtml}img"):
                count += 1
                assert img.get("alt") is not None, name
                if not img.get("alt").strip():
                    assert img.get("role") == "presentation", name
    assert count >= 4  # two covers, the figure and the picture in the line


@pytest.fixture(scope="module")
def resources_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_into(FIXTURES / "resources", tmp_path_factory.mktemp("a11y-res"), "resources")


def test_claims_are_computed_from_the_document(resources_built: Built, tmp_path: Path) -> None:
    claims = package(resources_built.epub)
    assert "alternativeText" in claims["schema:accessibilityFeature"]
    assert claims["schema:accessModeSufficient"] == ["textual"]
    assert set(claims["schema:accessMode"]) == {"textual", "visual"}
    assert "every image has a text alternative" in claims["schema:accessibilitySummary"][0]

    # The same book with one picture left without a description: it is shown as decorative
    # (alt="", role="presentation", and the build warns), and the claims that are no longer true go.
    ms = tmp_path / "ms"
    shutil.copytree(FIXTURES / "resources", ms)
    chapter = ms / "two.md"
    chapter.write_text(chapter.read_text().replace("![A blue rectangle]", "![]"))
    built = build_into(ms, tmp_path / "out", "resources")
    claims = package(built.epub)
    assert "alternativeText" not in claims["schema:accessibilityFeature"]
    assert claims["schema:accessModeSufficient"] == ["textual,visual"]
    assert "text alternative" not in claims["schema:accessibilitySummary"][0]
    assert run_epubcheck([built.epub])[built.epub].clean


# -- the page list, from the print edition ---------------------------------------------------


def _words(text: str) -> str:
    """Text compared between the EPUB and the PDF: no white space, no line-end hyphens, no digits
    (print sets note calls in the line, the EPUB skips them here), no case (print sets some lines
    in lower-case small capitals)."""
    return re.sub(r"[\s\u2010\u00ad\d]", "", text).lower()


def text_after(root: etree._Element, marker: etree._Element) -> str:
    """The running text that follows the marker, as print sets it: note asides and calls skipped."""
    out: list[str] = []
    started = False

    def visit(el: etree._Element) -> None:
        nonlocal started
        skipped = el.tag == "{http://www.w3.org/1999/xhtml}aside" or el.get(EPUB_TYPE) == "noteref"
        if el is marker:
            started = True
        elif not skipped and started and el.text:
            out.append(el.text)
        if not skipped:
            for child in el:
                visit(child)
        if started and el.tail and el is not root:
            out.append(el.tail)

    visit(root)
    return "".join(out)


@pytest.fixture(scope="module")
def reader(anthology: Built) -> pypdf.PdfReader:
    return pypdf.PdfReader(anthology.pdf)


def test_page_list_has_every_page_of_the_print_body(anthology: Built, reader: pypdf.PdfReader) -> None:
    with zipfile.ZipFile(anthology.epub) as z:
        nav = etree.fromstring(z.read("EPUB/text/nav.xhtml"))
    page_list = nav.find(".//x:nav[@epub:type='page-list']", NS)
    assert page_list.get("role") == "doc-pagelist"
    entries = [(a.text, a.get("href")) for a in page_list.findall("x:ol/x:li/x:a", NS)]
    body = [label for label in reader.page_labels if label.isdigit()]
    assert [label for label, _ in entries] == body == [str(n) for n in range(1, len(body) + 1)]
    markers = {}
    for name, root in xhtml_files(anthology.epub):
        for el in root.iter():
            if el.get(EPUB_TYPE) == "pagebreak":
                assert el.get("role") == "doc-pagebreak" and el.get("aria-label") == el.get("id")[5:]
                markers[f"{name[10:]}#{el.get('id')}"] = el.get("aria-label")
    assert markers == {href: label for label, href in entries}


def test_each_page_break_marker_is_where_the_print_page_begins(anthology: Built, reader: pypdf.PdfReader) -> None:
    page_of = {label: i for i, label in enumerate(reader.page_labels)}
    texts = [_words(p.extract_text()) for p in reader.pages]
    checked = blank = 0
    for name, root in xhtml_files(anthology.epub):
        for marker in [el for el in root.iter() if el.get(EPUB_TYPE) == "pagebreak"]:
            index = page_of[marker.get("aria-label")]
            # never inside a heading, whose accessible name the page number would join
            assert not [e for e in marker.iterancestors() if re.fullmatch(r"\{[^}]*\}h[1-6]", e.tag)], marker.get("id")
            following = text_after(root, marker).split()
            # The marker stands before a word hyphenated across the turn of the page: compare
            # from the next word on.
            probe = _words(" ".join(following[1:5]))
            assert len(probe) >= 8, (name, marker.get("id"))
            if not texts[index]:  # a blank page: the text goes on at the top of the next one
                blank += 1
                index += 1
            where = texts[index].find(probe)
            # near the top of the page: after at most the running head
            assert 0 <= where < 80, f"{marker.get('id')}: '{probe}' not at the top of PDF page {index + 1}"
            checked += 1
    assert checked == 25 and blank == 1


def test_page_list_claims(anthology: Built) -> None:
    claims = package(anthology.epub)
    assert {"printPageNumbers", "pageNavigation"} <= set(claims["schema:accessibilityFeature"])
    source = claims["pageBreakSource"][0]
    assert "print edition" in source and "The Darker the Night" in source
    assert "page numbers of the print edition" in claims["schema:accessibilitySummary"][0]


def test_epub_alone_has_no_page_list_and_claims_none(anthology: Built, tmp_path: Path) -> None:
    """--only epub skips the print layout (most of a build's time), so there are no page numbers
    to give: no markers, no page-list nav, no page claims, and still a valid EPUB."""
    assert main(["build", str(anthology.source), "-o", str(tmp_path), "--only", "epub"]) == 0
    epub = tmp_path / f"{SLUG}.epub"
    assert not (tmp_path / f"{SLUG}.pdf").exists()
    for name, root in xhtml_files(epub):
        assert not [el for el in root.iter() if el.get(EPUB_TYPE) in ("pagebreak", "page-list")], name
    claims = package(epub)
    assert not {"printPageNumbers", "pageNavigation"} & set(claims["schema:accessibilityFeature"])
    assert "pageBreakSource" not in claims and "page numbers" not in claims["schema:accessibilitySummary"][0]
    assert run_epubcheck([epub])[epub].clean


# -- the PDF: PDF/UA-1, read back ----------------------------------------------------------------


def test_pdf_is_tagged_pdf_ua_1(reader: pypdf.PdfReader) -> None:
    root = reader.trailer["/Root"]
    assert reader.pdf_header == "%PDF-1.7"
    assert root["/Lang"] == "en"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712 (a pypdf BooleanObject)
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712
    assert b'pdfuaid:part="1"' in reader.xmp_metadata.stream.get_data()
    assert reader.metadata.title == "The Darker the Night, the Brighter the Star"


def structure(node: object, depth: int = 0) -> Iterator[tuple[str, object]]:
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, list):
        for kid in node:
            yield from structure(kid, depth)
    elif isinstance(node, dict) and "/S" in node:
        yield str(node["/S"]), node
        yield from structure(node.get("/K", []), depth + 1)


def test_pdf_structure_tree(reader: pypdf.PdfReader) -> None:
    tree = reader.trailer["/Root"]["/StructTreeRoot"]
    assert "/ParentTree" in tree
    elements = list(structure(tree["/K"]))
    kinds = [kind for kind, _ in elements]
    assert kinds[0] == "/Document"
    assert kinds.count("/H1") >= 3  # the two chapter titles and the Note on the Text
    assert kinds.count("/P") > 80
    assert "/L" in kinds and "/LI" in kinds  # the contents and the list of corrections
    assert "/BlockQuote" in kinds


def test_pdf_page_labels_are_the_printed_folios(reader: pypdf.PdfReader) -> None:
    labels = reader.page_labels
    assert labels[:6] == ["i", "ii", "iii", "iv", "v", "vi"] and labels[6] == "1"
    printed = 0
    for page, label in zip(reader.pages, labels, strict=True):
        lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        folio = lines[-1] if lines and re.fullmatch(r"\d+|[ivxlc]+", lines[-1]) else ""
        if folio:
            assert folio == label
            printed += 1
    assert printed >= 20


def test_pdf_outline_leads_to_the_folios_of_the_contents(reader: pypdf.PdfReader) -> None:
    labels = reader.page_labels
    top = {item.title: labels[reader.get_destination_page_number(item)] for item in reader.outline
           if not isinstance(item, list)}
    contents = next(p for p in reader.pages if "contents" in p.extract_text().lower()[:40]).extract_text()
    listed = dict(re.findall(r"^(.+?)[ .\u00a0]+(\d+)$", contents, flags=re.M))
    for title, folio in listed.items():
        match = [t for t in top if t.lower().startswith(title.strip().lower()[:12])]
        assert match and top[match[0]] == folio, (title, folio, top)
    assert len(listed) >= 3


# -- the page map: print and EPUB count the same running text -----------------------------------

def _lengths_both_ways(source: Path) -> tuple[dict[str, int], dict[str, int]]:
    doc = load_normalised(source, Collector())
    assert doc is not None
    printed = dict(render_pdf(doc, STYLES_DIR, write=False).page_map.lengths)
    opts = html.HtmlOptions(epub=True)
    epub = {ch.id: counted_text(html.chapter_section(ch, opts)) for ch in doc.chapters}
    if html.has_corrections(doc):
        epub[NOTE_ON_TEXT] = counted_text(html.note_on_text(doc, opts))
    return printed, {region: n for region, n in epub.items() if n}


@pytest.mark.parametrize("name", ["tiny", "resources"])
def test_print_and_epub_count_the_same_text(name: str) -> None:
    printed, epub = _lengths_both_ways(FIXTURES / name)
    assert printed == epub and len(epub) >= 2


def test_print_and_epub_count_the_same_text_in_every_kind_of_block(example_book) -> None:  # type: ignore[no-untyped-def]
    """Tables, lists, verse, figures, code, notes in headings and notes called twice."""
    printed, epub = _lengths_both_ways(example_book.source)
    assert printed == epub and len(epub) >= 20


def test_print_and_epub_count_the_same_text_in_the_anthology(anthology: Built) -> None:
    printed, epub = _lengths_both_ways(anthology.source)
    assert printed == epub and set(epub) == {"cliff-living-hell", "leblanc-darker-the-night", NOTE_ON_TEXT}


def test_pdf_figures_and_links_are_described(resources_built: Built) -> None:
    reader = pypdf.PdfReader(resources_built.pdf)
    alts = [str(node.get("/Alt")) for kind, node in structure(reader.trailer["/Root"]["/StructTreeRoot"]["/K"])
            if kind == "/Figure"]
    assert alts == ["A red rectangle standing for a map", "A blue rectangle"]
    described = {str(annot.get_object()["/Contents"]) for page in reader.pages for annot in page.get("/Annots") or []}
    # where each link goes, by name: chapters from the contents, headings from the text
    assert described == {"Link to One", "Link to Two", "Link to First place", "Link to Second place"}


def test_a_page_map_that_does_not_fit_the_text_is_left_out_with_a_warning(
        tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Should print and EPUB ever count a chapter differently, markers would stand on the wrong
    words: the build says so, and the EPUB has no page list and no page claims."""
    import dataclasses

    import pipeline.render.pdf.layout

    real = pipeline.render.pdf.layout.render_pdf

    def miscounted(*args, **kwargs):  # type: ignore[no-untyped-def]
        printed = real(*args, **kwargs)
        lengths = tuple((region, n + 1) for region, n in printed.page_map.lengths)
        return dataclasses.replace(printed, page_map=dataclasses.replace(printed.page_map, lengths=lengths))

    monkeypatch.setattr(pipeline.render.pdf.layout, "render_pdf", miscounted)
    assert main(["build", str(tiny), "-o", str(tmp_path)]) == 0
    assert "first.md:1:1: warning: the EPUB is built without the print edition's page list" in capsys.readouterr().err
    epub = tmp_path / "a-tiny-book.epub"
    assert "printPageNumbers" not in package(epub)["schema:accessibilityFeature"]
    for name, root in xhtml_files(epub):
        assert not [el for el in root.iter() if el.get(EPUB_TYPE) in ("pagebreak", "page-list")], name


def test_ncx_carries_the_page_list_in_reading_order(anthology: Built) -> None:
    """For reading systems that read only the EPUB 2 NCX."""
    ncx_ns = {"n": "http://www.daisy.org/z3986/2005/ncx/"}
    with zipfile.ZipFile(anthology.epub) as z:
        ncx = etree.fromstring(z.read("EPUB/toc.ncx"))
        nav = etree.fromstring(z.read("EPUB/text/nav.xhtml"))
    targets = ncx.findall("n:pageList/n:pageTarget", ncx_ns)
    listed = [a.text for a in nav.findall(".//x:nav[@epub:type='page-list']/x:ol/x:li/x:a", NS)]
    assert [t.get("value") for t in targets] == listed and len(listed) == 25
    assert [t.find("n:content", ncx_ns).get("src") for t in targets] == [
        "text/" + a.get("href") for a in nav.findall(".//x:nav[@epub:type='page-list']/x:ol/x:li/x:a", NS)]
    head = {m.get("name"): m.get("content") for m in ncx.findall("n:head/n:meta", ncx_ns)}
    assert head["dtb:totalPageCount"] == "25" and head["dtb:maxPageNumber"] == "25"
    pages = [int(t.get("playOrder")) for t in targets]
    points = [int(p.get("playOrder")) for p in ncx.iter("{http://www.daisy.org/z3986/2005/ncx/}navPoint")]
    assert pages == sorted(pages) and sorted(pages + points) == list(range(1, len(pages) + len(points) + 1))
    # the second text opens after the last page of the first, and before its own first page
    second = next(p for p in ncx.iter("{http://www.daisy.org/z3986/2005/ncx/}navPoint")
                  if p.find("n:content", ncx_ns).get("src") == "text/leblanc-darker-the-night.xhtml")
    assert pages[8] < int(second.get("playOrder")) < pages[9]


def test_headings_go_down_one_level_at_a_time(tiny: Path, tmp_path: Path) -> None:
    """An editor's `###` right under the chapter title, and a `####` under it, skipped levels:
    Ace failed the EPUB (moderate heading-order). They become h2 and h3; headings written alike
    stay alike, a later `##` is an h2 again."""
    second = tiny / "second.md"
    second.write_text(second.read_text().replace("## Only Section", "### A part\n\nText.\n\n##### Deeper\n\nText.\n\n"
                                                 "### Another part\n\nText.\n\n## Only Section"))
    assert main(["build", str(tiny), "-o", str(tmp_path), "--only", "epub"]) == 0
    epub = next(tmp_path.glob("*.epub"))
    with zipfile.ZipFile(epub) as z:
        page = z.read("EPUB/text/second.xhtml").decode()
    levels = [(int(m[1]), re.sub("<[^>]+>", "", m[2])) for m in re.finditer(r"<h(\d)[^>]*>(.*?)</h\1>", page)]
    assert levels == [(1, "The Second"), (2, "A part"), (3, "Deeper"), (2, "Another part"), (2, "Only Section")]
    report = run_ace(epub)
    assert report.clean, report.messages
