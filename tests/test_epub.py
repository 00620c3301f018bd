"""The EPUB, read back: epubcheck, navigation, notes, metadata, reproducibility."""

from __future__ import annotations

import io
import zipfile

import pypdf
from pathlib import Path

from lxml import etree
from PIL import Image

from pipeline.check.validate import run_epubcheck

from conftest import Built, build_into
from pipeline.read.meta import slugify

NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "ncx": "http://www.daisy.org/z3986/2005/ncx/"}


def xml(z: zipfile.ZipFile, name: str) -> etree._Element:
    return etree.fromstring(z.read(name))


def test_epubcheck_reports_nothing(anthology: Built, tiny_built: Built) -> None:
    reports = run_epubcheck([anthology.epub, tiny_built.epub])
    for path, report in reports.items():
        assert (report.fatals, report.errors, report.warnings, report.usages) == (0, 0, 0, 0), report.messages


def test_zip_layout(anthology: Built) -> None:
    with zipfile.ZipFile(anthology.epub) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/epub+zip"
        assert len({i.date_time for i in z.infolist()}) == 1


def test_package_metadata(anthology: Built) -> None:
    with zipfile.ZipFile(anthology.epub) as z:
        opf = xml(z, "EPUB/content.opf")
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    md = opf.find("opf:metadata", NS)
    creators = {c.text: c.get("id") for c in md.findall("dc:creator", NS)}
    assert set(creators) == {"Tony Cliff", "Paul Le Blanc"}
    refines = {(m.get("refines"), m.get("property")): m.text for m in md.findall("opf:meta", NS) if m.get("refines")}
    for uid in creators.values():
        assert refines[(f"#{uid}", "role")] == "aut"
        assert refines[(f"#{uid}", "file-as")]
    editors = md.findall("dc:contributor", NS)
    assert editors and refines[(f"#{editors[0].get('id')}", "role")] == "edt"
    props = {}
    for m in md.findall("opf:meta", NS):
        props.setdefault(m.get("property"), []).append(m.text)
    assert props["dcterms:modified"] == ["2026-11-23T00:00:00Z"]
    assert props["schema:accessibilityHazard"] == ["none"]
    assert "textual" in props["schema:accessModeSufficient"]
    assert {"tableOfContents", "readingOrder", "structuralNavigation"} <= set(props["schema:accessibilityFeature"])
    assert props["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]
    assert md.find("dc:identifier", NS).text.startswith("urn:uuid:")


def test_navigation_in_reading_order(anthology: Built) -> None:
    with zipfile.ZipFile(anthology.epub) as z:
        nav = xml(z, "EPUB/text/nav.xhtml")
        opf = xml(z, "EPUB/content.opf")
        ncx = xml(z, "EPUB/toc.ncx")
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    top = [a.get("href") for a in toc.findall("x:ol/x:li/x:a", NS)]
    assert top == ["cliff-living-hell.xhtml", "leblanc-darker-the-night.xhtml", "note-on-the-text.xhtml", "colophon.xhtml"]
    landmarks = [a.get("{http://www.idpf.org/2007/ops}type") for a in nav.findall(".//x:nav[@epub:type='landmarks']//x:a", NS)]
    assert landmarks == ["cover", "titlepage", "toc", "bodymatter"]
    manifest = {i.get("id"): i.get("href") for i in opf.find("opf:manifest", NS)}
    spine = [manifest[r.get("idref")] for r in opf.find("opf:spine", NS)]
    assert spine == ["text/cover.xhtml", "text/titlepage.xhtml", "text/nav.xhtml", "text/cliff-living-hell.xhtml",
                     "text/leblanc-darker-the-night.xhtml", "text/note-on-the-text.xhtml", "text/colophon.xhtml"]
    assert [c.get("src") for c in ncx.findall(".//ncx:navMap/ncx:navPoint/ncx:content", NS)][:2] == [
        "text/cliff-living-hell.xhtml", "text/leblanc-darker-the-night.xhtml"]


def test_notes_are_popup_footnotes_that_link_back(anthology: Built) -> None:
    counts = {}
    with zipfile.ZipFile(anthology.epub) as z:
        for name in ("cliff-living-hell", "leblanc-darker-the-night"):
            doc = xml(z, f"EPUB/text/{name}.xhtml")
            refs = doc.findall(".//x:a[@epub:type='noteref']", NS)
            asides = doc.findall(".//x:aside[@epub:type='footnote']", NS)
            assert [r.get("role") for r in refs] == ["doc-noteref"] * len(refs)
            assert [a.get("role") for a in asides] == ["doc-footnote"] * len(asides)
            assert [r.text for r in refs] == [str(n) for n in range(1, len(refs) + 1)]
            for ref, aside in zip(refs, asides, strict=True):
                assert ref.get("href") == "#" + aside.get("id")
                back = aside.find(".//x:a[@role='doc-backlink']", NS)
                assert back.get("href") == "#" + ref.get("id")
            counts[name] = len(refs)
            assert doc.get("{http://www.w3.org/XML/1998/namespace}lang") in ("en-GB", "en-US")
    assert counts == {"cliff-living-hell": 7, "leblanc-darker-the-night": 22}


def test_languages(anthology: Built) -> None:
    with zipfile.ZipFile(anthology.epub) as z:
        cliff = xml(z, "EPUB/text/cliff-living-hell.xhtml")
        leblanc = xml(z, "EPUB/text/leblanc-darker-the-night.xhtml")
    assert cliff.find(".//x:section[@class='chapter']", NS).get("lang") == "en-GB"
    assert leblanc.find(".//x:section[@class='chapter']", NS).get("lang") == "en-US"
    latin = cliff.findall(".//x:em[@lang='la']", NS)
    assert latin and latin[0].get("{http://www.w3.org/XML/1998/namespace}lang") == "la"


def test_cover_image(anthology: Built) -> None:
    with zipfile.ZipFile(anthology.epub) as z:
        image = Image.open(io.BytesIO(z.read("EPUB/images/cover.png")))
        opf = xml(z, "EPUB/content.opf")
    assert image.size[0] >= 1600 and image.size[1] >= 2560
    cover = [i for i in opf.find("opf:manifest", NS) if "cover-image" in (i.get("properties") or "")]
    assert [c.get("href") for c in cover] == ["images/cover.png"]


def test_same_sources_same_bytes(anthology: Built, tiny_built: Built, tmp_path: Path) -> None:
    for first in (anthology, tiny_built):
        again = build_into(first.source, tmp_path / first.source.name, first.epub.stem)
        assert again.epub.read_bytes() == first.epub.read_bytes()
        assert again.pdf.read_bytes() == first.pdf.read_bytes()


def test_cover_image_from_book_yaml_replaces_the_typographic_cover(tiny: Path, tmp_path: Path) -> None:
    image = io.BytesIO()
    Image.new("RGB", (1600, 2560), "darkred").save(image, "PNG")
    (tiny / "cover.png").write_bytes(image.getvalue())
    book = tiny / "book.yaml"
    book.write_text(book.read_text() + "cover-image: cover.png\n")
    built = build_into(tiny, tmp_path / "out", slugify("A Tiny Book"))
    with zipfile.ZipFile(built.epub) as z:
        assert z.read("EPUB/images/cover.png") == image.getvalue()


def test_cover_image_outside_the_manuscript_is_refused(tiny: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from pipeline.cli import main

    book = tiny / "book.yaml"
    book.write_text(book.read_text() + "cover-image: ../../../etc/passwd\n")
    assert main(["build", str(tiny), "-o", str(tmp_path / "out")]) == 2
    assert "lies outside the manuscript folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_attributes_on_a_paragraph_reach_both_outputs(tiny: Path, tmp_path: Path) -> None:
    second = tiny / "second.md"
    second.write_text(second.read_text() + "\nA paragraph set apart.\n{: .noindent #apart lang=fr }\n")
    built = build_into(tiny, tmp_path, slugify("A Tiny Book"))
    with zipfile.ZipFile(built.epub) as z:
        xhtml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    paragraph = etree.fromstring(xhtml[xhtml.index("<p id=\"apart\""):].split("</p>")[0] + "</p>")
    assert (paragraph.get("class"), paragraph.get("lang"), paragraph.text) == ("noindent", "fr", "A paragraph set apart.")
    assert "A paragraph set apart." in "".join(p.extract_text() for p in pypdf.PdfReader(built.pdf).pages)
