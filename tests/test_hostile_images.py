"""Hostile images (issue 12): SVG that runs, fetches or expands, and files that are not what their names say.

Each case is a real build of the tiny book with one such image, checked as a user meets it:
the exit code, a message at the image's reference, no traceback, and the outputs read back.
"""

from __future__ import annotations

import io
import resource
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from pipeline.cli import main
from pipeline.fetcher import LocalFetcher
from pipeline.read.meta import slugify
from pipeline.check.validate import run_epubcheck

SLUG = slugify("A Tiny Book")
SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="30"{root}>' \
      '<rect width="40" height="30" fill="red"/>{body}</svg>\n'
URL = "http://127.0.0.1:9"  # replaced by the loopback server's address where one listens
SANITISED = {
    "script": SVG.format(root="", body="<script>alert('svg-script')</script>"),
    "onload": SVG.format(root=' onload="alert(1)"', body='<circle r="5" onclick="alert(2)"/>'),
    "javascript-link": SVG.format(root="", body='<a xlink:href="javascript:alert(3)"><text y="20">x</text></a>'),
    "external-image": SVG.format(root="", body=f'<image href="{URL}/x.png" width="9" height="9"/>'
                                               f'<image xlink:href="{URL}/y.png" width="9" height="9"/>'),
    "foreign-object-and-css": SVG.format(root="", body=(
        f'<foreignObject width="9" height="9"><p xmlns="http://www.w3.org/1999/xhtml"><img src="{URL}/z.png"/>'
        f'</p></foreignObject><style>@import url({URL}/a.css); circle {{ fill: url("{URL}/b.svg#p") }}</style>'
        f'<circle r="4" style="stroke: url({URL}/c.svg#q)"/>')),
}
LAUGHS = '<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY a0 "lol">\n' + "".join(
    f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">\n' for i in range(1, 10)) + ']>\n' + SVG.format(root="", body="<text>&a9;</text>")
PASSWD = Path("/etc/passwd").read_text(encoding="utf-8").splitlines()[0]


def _add_image(book: Path, name: str, data: bytes) -> int:
    """`name` holding `data`, shown at the end of the first chapter; returns the reference's line."""
    (book / name).write_bytes(data)
    first = book / "first.md"
    text = first.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    first.write_text(text + f"![A picture]({name})\n", encoding="utf-8")
    return text.count("\n") + 1


def _set_cover(book: Path, name: str, data: bytes) -> int:
    """book.yaml's cover-image; returns its line."""
    (book / name).write_bytes(data)
    yaml = book / "book.yaml"
    text = yaml.read_text(encoding="utf-8").rstrip("\n") + "\n"
    yaml.write_text(text + f"cover-image: {name}\n", encoding="utf-8")
    return text.count("\n") + 1


def _build(book: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["build", str(book), "-o", str(out)])
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return code, err


def _png(size: tuple[int, int], fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "darkred").save(buffer, fmt)
    return buffer.getvalue()


def _assert_safe_svg(data: bytes) -> None:
    """Nothing in the SVG can run or fetch: no script or foreign content, no handler, no link out."""
    assert b"javascript:" not in data and b"127.0.0.1" not in data and b"alert" not in data, data
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    for el in root.iter():
        assert etree.QName(el).localname not in ("script", "foreignObject"), data
        for name, value in el.attrib.items():
            local = etree.QName(name).localname
            assert not local.lower().startswith("on"), data
            assert local != "href" or value.startswith("#"), data


def _epub_svgs(epub: Path) -> list[bytes]:
    with zipfile.ZipFile(epub) as z:
        return [z.read(n) for n in z.namelist() if n.endswith(".svg")]


@pytest.mark.parametrize("case", sorted(SANITISED))
def test_svg_that_could_run_or_fetch_is_sanitised_in_both_outputs(
        case: str, tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        http_server: tuple[str, list[str]]) -> None:
    """Was: copied into the EPUB unchanged, exit 0, no word said."""
    url, requests = http_server
    line = _add_image(tiny, "pic.svg", SANITISED[case].replace(URL, url).encode())
    code, err = _build(tiny, tmp_path / "out", capsys)
    assert code == 0, err
    assert f"first.md:{line}:" in err and "warning: image 'pic.svg': removed from both outputs" in err, err
    svgs = _epub_svgs(tmp_path / "out" / f"{SLUG}.epub")
    assert len(svgs) == 1
    _assert_safe_svg(svgs[0])
    assert b"<rect" in svgs[0]  # the picture itself is still there
    assert (tmp_path / "out" / f"{SLUG}.pdf").stat().st_size > 0
    assert requests == []


def test_sanitised_svgs_pass_epubcheck(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was: HTM-003 (external entity), OPF-014 (scripted, remote resources) and more."""
    for case, svg in SANITISED.items():
        _add_image(tiny, f"{case}.svg", svg.encode())
    code, err = _build(tiny, tmp_path / "out", capsys)
    assert code == 0, err
    epub = tmp_path / "out" / f"{SLUG}.epub"
    assert len(_epub_svgs(epub)) == len(SANITISED)
    report = run_epubcheck([epub])[epub]
    assert report.clean, report.messages


def test_the_pdf_is_given_the_sanitised_svg(tmp_path: Path) -> None:
    """WeasyPrint reads every image through LocalFetcher: it gets the bytes the EPUB carries."""
    path = tmp_path / "pic.svg"
    path.write_text(SANITISED["script"].replace("<rect", '<rect onclick="alert(4)"'), encoding="utf-8")
    response = LocalFetcher([path]).fetch(path.as_uri())
    _assert_safe_svg(response.read())


def test_svg_external_entity_is_refused_and_never_read(tiny: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Was: exit 0 and the entity carried into the EPUB (epubcheck HTM-003)."""
    svg = '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY pw SYSTEM "file:///etc/passwd">]>\n' \
          + SVG.format(root="", body="<text>&pw;</text>")
    line = _add_image(tiny, "pic.svg", svg.encode())
    code, err = _build(tiny, tmp_path / "out", capsys)
    assert code == 2, err
    assert f"first.md:{line}:" in err and "error: image 'pic.svg' declares entities" in err, err
    assert PASSWD not in err
    out = tmp_path / "out"
    assert not any(PASSWD.encode() in f.read_bytes() for f in out.rglob("*") if f.is_file())


def test_svg_entity_bomb_is_refused_fast(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A billion laughs: refused before anything expands, in bounded time and memory. Was: exit 0."""
    line = _add_image(tiny, "pic.svg", LAUGHS.encode())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    code, err = _build(tiny, tmp_path / "out", capsys)
    assert time.monotonic() - start < 20
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB
    assert code == 2, err
    assert f"first.md:{line}:" in err and "error: image 'pic.svg' declares entities" in err, err


@pytest.mark.parametrize(("svg", "message"), [
    ('<svg xmlns="http://www.w3.org/2000/svg"><rect width="4">\n</svg>', "is not well-formed XML (its line 2"),
    ("<svg><rect/></svg>", "is not an SVG image: its root is <svg>, not <svg xmlns="),
    ('<html xmlns="http://www.w3.org/1999/xhtml"/>', "is not an SVG image: its root is <html>"),
    ("", "is not well-formed XML"),
])
def test_svg_that_cannot_be_drawn_is_an_error_at_the_image(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           svg: str, message: str) -> None:
    """Was: exit 0, an empty warning filed under styles/print.css, and the broken file in the EPUB."""
    line = _add_image(tiny, "pic.svg", svg.encode())
    code, err = _build(tiny, tmp_path / "out", capsys)
    assert code == 2, err
    assert f"first.md:{line}:" in err and f"error: image 'pic.svg' {message}" in err, err
    assert "print.css" not in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("data", "message"), [
    (b"just some text\n", "image 'x.png' is not a readable PNG image"),
    (_png((8, 8), "JPEG"), "image 'x.png' is really a JPEG image, not PNG: rename it to .jpg"),
])
def test_figure_that_is_not_what_its_name_says_is_an_error(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           data: bytes, message: str) -> None:
    """Was: exit 0, and epubcheck reported a corrupted image."""
    line = _add_image(tiny, "x.png", data)
    code, err = _build(tiny, tmp_path / "out", capsys)
    assert code == 2, err
    assert f"first.md:{line}:" in err and f"error: {message}" in err, err
    assert not (tmp_path / "out").exists()


def test_png_decompression_bomb_is_refused_unread(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 100,000 x 100,000 PNG header on a few bytes: refused from its header, without decoding it."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")
    line = _add_image(tiny, "big.png", bomb)
    code, err = _build(tiny, tmp_path / "out", capsys)
    assert code == 2, err
    assert f"first.md:{line}:" in err and "error: image 'big.png' has more pixels than" in err, err


def test_cover_that_is_a_text_file_is_an_error_at_book_yaml(tiny: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Was: exit 0, and epubcheck reported a corrupted cover image."""
    line = _set_cover(tiny, "x.png", b"not a picture\n")
    code, err = _build(tiny, tmp_path / "out", capsys)
    assert code == 2, err
    assert f"book.yaml:{line}:" in err and "error: cover-image 'x.png' is not a readable PNG image" in err, err
    assert not (tmp_path / "out").exists()


def test_tiny_cover_is_a_warning_with_its_size(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was: exit 0 without a word; the reader's cover was a 10 x 10 blur."""
    line = _set_cover(tiny, "cover.png", _png((10, 10)))
    code, err = _build(tiny, tmp_path / "out", capsys)
    assert code == 0, err
    assert f"book.yaml:{line}:" in err and "warning: cover-image 'cover.png' is only 10 x 10 pixels" in err, err
