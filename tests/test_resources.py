"""Images and links: embedded from inside the manuscript only, never fetched, resolved in both outputs."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pypdf
import pytest
from lxml import etree

from pipeline.cli import main
from pipeline.check.validate import run_epubcheck

from conftest import FIXTURES, Built, build_into

X = {"x": "http://www.w3.org/1999/xhtml"}


@pytest.fixture(scope="module")
def resources(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_into(FIXTURES / "resources", tmp_path_factory.mktemp("res"), "resources")


@pytest.fixture
def manuscript(tmp_path: Path) -> Path:
    dest = tmp_path / "ms"
    shutil.copytree(FIXTURES / "resources", dest)
    return dest


def test_epub_embeds_both_images_and_passes_epubcheck(resources: Built) -> None:
    report = run_epubcheck([resources.epub])[resources.epub]
    assert report.clean, report.messages
    with zipfile.ZipFile(resources.epub) as z:
        images = sorted(n for n in z.namelist() if n.endswith("-map.png"))
        assert len(images) == 2  # two files called map.png stay two images
        assert z.read(images[0]) != z.read(images[1])
        one = etree.fromstring(z.read("EPUB/text/one.xhtml"))
        two = etree.fromstring(z.read("EPUB/text/two.xhtml"))
    figure = one.find(".//x:figure", X)
    assert figure.find("x:img", X).get("alt") == "A red rectangle standing for a map"
    assert figure.find("x:figcaption", X).text == "The red map"
    hrefs = [a.get("href") for a in one.iter("{http://www.w3.org/1999/xhtml}a")]
    assert hrefs == ["two.xhtml#second-place", "two.xhtml#two"]
    ids = {e.get("id") for e in two.iter() if e.get("id")}
    assert {"second-place", "two"} <= ids
    assert [a.get("href") for a in two.iter("{http://www.w3.org/1999/xhtml}a")] == ["one.xhtml#first-place", "two.xhtml#second-place"]
    assert one.find(".//x:span[@class='smallcaps']", X) is not None
    assert one.find(".//x:span[@lang='fr']", X) is not None


def test_pdf_shows_both_images_and_links_go_inside(resources: Built) -> None:
    reader = pypdf.PdfReader(resources.pdf)
    images = {img.data for page in reader.pages for img in page.images}
    assert len(images) == 2
    internal = 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link" and ("/Dest" in annot or annot.get("/A", {}).get("/S") == "/GoTo"):
                internal += 1
    assert internal >= 4 + 3  # the four links in the text, three contents entries


@pytest.mark.parametrize(("src", "message"), [
    ("../../../../etc/passwd", "lies outside the manuscript folder"),
    ("/etc/passwd", "lies outside the manuscript folder"),
    ("link.png", "lies outside the manuscript folder"),
    ("nope/missing.png", "image 'nope/missing.png' not found"),
])
def test_bad_images_are_errors(manuscript: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], src: str, message: str) -> None:
    outside = tmp_path / "outside.png"
    shutil.copy(manuscript / "a" / "map.png", outside)
    (manuscript / "link.png").symlink_to(outside)
    one = manuscript / "one.md"
    one.write_text(one.read_text().replace("(a/map.png", f"({src}"))
    assert main(["build", str(manuscript), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "one.md:6:37:" in err and message in err, err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("link", "message"), [
    ("three.md#x", "no chapter file of that name"),
    ("two.md#nowhere", "no heading or span has the id 'nowhere'"),
])
def test_bad_links_are_errors(manuscript: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], link: str, message: str) -> None:
    one = manuscript / "one.md"
    one.write_text(one.read_text().replace("(two.md#second-place)", f"({link})"))
    assert main(["check", str(manuscript)]) == 2
    err = capsys.readouterr().err
    assert "one.md:9:30:" in err and message in err, err


@pytest.mark.parametrize(("src", "message"), [
    ("data:image/png;base64,AAAA", "warning: image 'data:image/png;base64,AAAA' is not a file, so it is left out"),
    ("javascript:alert(1)", "warning: image 'javascript:alert(1)' is not a file, so it is left out"),
    # A web page's own picture (Markdown's test suite, pasted pages): not a file named from this machine's root.
    ("/path/to/img.jpg", "warning: image '/path/to/img.jpg' is an address on a web site (it starts with '/')"),
    ("", "warning: image with no address: it is left out and its alt text stands in its place"),
])
def test_images_whose_address_is_not_a_file_are_left_out_with_a_warning(
        manuscript: Path, capsys: pytest.CaptureFixture[str], src: str, message: str) -> None:
    """As a remote picture is (issue 13): its alt text stands in; --strict makes it an error."""
    one = manuscript / "one.md"
    one.write_text(one.read_text().replace("(a/map.png", f"({src}"))
    assert main(["check", str(manuscript)]) == 0
    assert f"one.md:6:37: {message}" in capsys.readouterr().err
    assert main(["check", str(manuscript), "--strict"]) == 2


def test_javascript_link_is_removed_with_a_warning(manuscript: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = manuscript / "one.md"
    one.write_text(one.read_text().replace("(two.md#second-place)", "(javascript:alert(1))"))
    assert main(["check", str(manuscript)]) == 0
    assert "one.md:9:30: warning: link 'javascript:alert(1)' removed, its text kept" in capsys.readouterr().err


def test_remote_image_is_never_fetched(manuscript: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       http_server: tuple[str, list[str]]) -> None:
    url, requests = http_server
    one = manuscript / "one.md"
    one.write_text(one.read_text().replace("(a/map.png", f"({url}/map.png"))
    assert main(["build", str(manuscript), "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert f"warning: remote image '{url}/map.png' is not fetched" in err
    assert requests == []
    with zipfile.ZipFile(tmp_path / "out" / "resources.epub") as z:
        text = z.read("EPUB/text/one.xhtml").decode()
        assert "A red rectangle standing for a map" in text and "127.0.0.1" not in text
        assert len([n for n in z.namelist() if n.endswith("-map.png")]) == 1
