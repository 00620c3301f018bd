"""Hostile markup around and inside the chapter text (issue 12, section 2): front matter rendered
as Markdown, attribute lists, <div markdown="1">, CDATA and processing instructions.

Each case builds the tiny book for real and reads back what was written: no EPUB file carries
an unsafe href or an event handler, no PDF a URI action for them, and every problem is a
message at its file and line, never a traceback.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pikepdf
import pytest

from pipeline.cli import main
from pipeline.model import BookMeta, ChapterMeta
from pipeline.normalise.front_matter import BOOK_FIELDS, CHAPTER_FIELDS

UNSAFE_HREF = re.compile(r"""\b(?:href|src)\s*=\s*["']\s*(?:javascript|vbscript|file|data):""", re.IGNORECASE)
HANDLER = re.compile(r"""<[^>]*\son[a-z]+\s*=""", re.IGNORECASE)
UNSAFE_URI = re.compile(r"^\s*(?:javascript|vbscript|file|data):", re.IGNORECASE)


def build(book: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["build", str(book), "-o", str(out)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def epub_texts(out: Path) -> dict[str, str]:
    texts: dict[str, str] = {}
    for epub in out.glob("*.epub"):
        with zipfile.ZipFile(epub) as z:
            texts |= {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith((".xhtml", ".opf", ".ncx"))}
    return texts


def pdf_uris(out: Path) -> list[str]:
    """Every /URI of every object in the PDFs, link annotations or not, and of the actions held
    directly in the pages' annotations (WeasyPrint writes a link's action so: no object of its own)."""
    uris = []
    for path in out.glob("*.pdf"):
        with pikepdf.open(path) as pdf:
            uris += [str(o.URI) for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and "/URI" in o]
            uris += [str(a.A.URI) for page in pdf.pages for a in page.get("/Annots", [])
                     if "/A" in a and "/URI" in a.A]
    return uris


def assert_outputs_safe(out: Path) -> None:
    for name, text in epub_texts(out).items():
        assert not UNSAFE_HREF.search(text), name
        assert not HANDLER.search(text), name
    for uri in pdf_uris(out):
        assert not UNSAFE_URI.match(uri) and "file:" not in uri, uri


def set_front_matter(book: Path, key: str, value: str) -> None:
    """Replace (or add) one key of first.md's front matter, on its line 6 or 7."""
    path = book / "first.md"
    lines = path.read_text(encoding="utf-8").split("\n")
    line = {"publication": 5, "source": 6}[key]
    lines[line] = f"{key}: {value}"
    path.write_text("\n".join(lines), encoding="utf-8")


def write_body(book: Path, text: str) -> None:
    """first.md with `text` as the first lines of its body, which start on line 13."""
    path = book / "first.md"
    head, _, body = path.read_text(encoding="utf-8").partition("---\nIt was")
    path.write_text(f"{head}---\n{text}\n\nIt was{body}", encoding="utf-8")


# -- front matter rendered as Markdown -------------------------------------------------------


@pytest.mark.parametrize(("key", "url", "severity", "message"), [
    ("publication", "javascript:alert(1)", "warning", "link 'javascript:alert(1)' removed, its text kept"),
    ("source", "vbscript:msgbox(1)", "warning", "link 'vbscript:msgbox(1)' removed, its text kept"),
    ("source", "file:///etc/passwd", "warning", "link 'file:///etc/passwd' removed, its text kept"),
    ("publication", "data:text/html,hi", "warning", "link 'data:text/html,hi' removed, its text kept"),
    ("source", "nowhere.md#x", "error", "link to 'nowhere.md': no chapter file of that name in the manuscript"),
])
def test_chapter_front_matter_links_are_checked_as_the_text_is(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               key: str, url: str, severity: str, message: str) -> None:
    """A link that could run code loses its address, with a warning at the key's line (issue 13:
    an error only under --strict); one to a chapter that is not there stops the build."""
    set_front_matter(tiny, key, f'"A [link]({url}) in the {key}"')
    out = tmp_path / "out"
    code, err = build(tiny, out, capsys)
    line = {"publication": 6, "source": 7}[key]
    assert code == (2 if severity == "error" else 0), err
    assert re.search(rf"first\.md:{line}:\d+: {severity}: {re.escape(message)}", err), err
    if code == 2:
        assert not out.exists() or not list(out.iterdir())  # nothing written
    else:
        assert f"A link in the {key}" in epub_texts(out)["EPUB/text/first.xhtml"]
    assert_outputs_safe(out)


def test_every_front_matter_value_rendered_as_markdown_is_walked_with_its_position() -> None:
    """The passes find these values by their type: a new one is checked, and needs its `_pos`."""
    assert set(BOOK_FIELDS) >= {"note_on_text"} and set(CHAPTER_FIELDS) >= {"publication", "source"}
    for cls, names in ((BookMeta, BOOK_FIELDS), (ChapterMeta, CHAPTER_FIELDS)):
        assert all(f"{name}_pos" in cls.__dataclass_fields__ for name in names), cls


def test_book_note_on_text_links_are_checked(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book_yaml = tiny / "book.yaml"
    book_yaml.write_text(book_yaml.read_text() + 'note-on-text: "See [this](javascript:evil())."\n')
    out = tmp_path / "out"
    code, err = build(tiny, out, capsys)
    assert code == 0, err
    assert re.search(r"book\.yaml:10:\d+: warning: link 'javascript:evil\(\)' removed, its text kept", err), err
    assert_outputs_safe(out)


def test_front_matter_links_between_chapters_lead_into_the_book(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Resolved as the text's links are: the EPUB points at the chapter's file, the PDF has an
    internal link, not a file:// URI of the build machine."""
    set_front_matter(tiny, "source", '"See [the second](second.md) and [its section](second.md#second-only-section)"')
    out = tmp_path / "out"
    code, err = build(tiny, out, capsys)
    assert code == 0, err
    first = epub_texts(out)["EPUB/text/first.xhtml"]
    assert '<a href="second.xhtml#second">the second</a>' in first
    assert '<a href="second.xhtml#second-only-section">its section</a>' in first
    assert not [u for u in pdf_uris(out) if "second" in u]
    assert_outputs_safe(out)


def test_front_matter_span_attributes_are_checked(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    set_front_matter(tiny, "publication", '"[Ein Buch]{lang=not_a_tag} and <span id=\'two words\'>x</span>"')
    code, err = build(tiny, tmp_path / "out", capsys)
    assert code == 2
    assert re.search(r"first\.md:6:\d+: error: lang='not_a_tag' is not a language tag", err), err
    assert re.search(r"first\.md:6:\d+: error: the id 'two words' is not usable: an id is one word", err), err


# -- attribute lists and <div markdown="1"> follow raw HTML's rules -------------------------


@pytest.mark.parametrize(("body", "line", "message"), [
    ('A paragraph.\n{: onclick="alert(1)" }', 14, "<p onclick=...>: event-handler attribute removed"),
    ('## A heading {: onmouseover="x()" }', 13, "<h2 onmouseover=...>: event-handler attribute removed"),
    ('Some *word*{: onclick="x()" } here.', 13, "<em onclick=...>: event-handler attribute removed"),
    ('A [link](https://example.org){: onclick="x()" }.', 13, "<a onclick=...>: event-handler attribute removed"),
    ('A [span]{onclick="x()"} here.', 13, "<span onclick=...>: event-handler attribute removed"),
    ('<div markdown="1" onclick="x()">\nInside.\n</div>', 13, "<div onclick=...>: event-handler attribute removed"),
    ('``` { .py onclick="x()" }\ncode\n```', 13, "<code onclick=...>: event-handler attribute removed"),
])
def test_event_handlers_in_attribute_lists_are_removed_with_a_warning(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, line: int, message: str) -> None:
    """Removed at their line (issue 13: an error only under --strict); the text stays."""
    write_body(tiny, body)
    out = tmp_path / "out"
    code, err = build(tiny, out, capsys)
    assert code == 0, err
    assert re.search(rf"first\.md:{line}:\d+: warning: {re.escape(message)}", err), err
    assert "onclick" not in epub_texts(out)["EPUB/text/first.xhtml"]
    assert_outputs_safe(out)


def test_style_in_attribute_lists_is_dropped_with_a_warning(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_body(tiny, 'A paragraph.\n{: style="color:red" }\n\n<div markdown="1" style="display:none">\nHidden?\n</div>')
    out = tmp_path / "out"
    code, err = build(tiny, out, capsys)
    assert code == 0, err
    assert re.search(r"first\.md:14:\d+: warning: <p style=\.\.\.>: attribute dropped", err), err
    assert re.search(r"first\.md:16:\d+: warning: <div style=\.\.\.>: attribute dropped", err), err
    first = epub_texts(out)["EPUB/text/first.xhtml"]
    assert "style=" not in first and "Hidden?" in first
    assert_outputs_safe(out)


# -- CDATA, processing instructions, comments ------------------------------------------------


def test_cdata_keeps_its_text_with_a_warning(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_body(tiny, "<![CDATA[Kept as a block.]]>\n\nInline <![CDATA[kept too]]> and <!-- a comment --> here.")
    out = tmp_path / "out"
    code, err = build(tiny, out, capsys)
    assert code == 0, err
    assert re.search(r"first\.md:13:\d+: warning: a CDATA section: its text is kept as plain text", err), err
    assert re.search(r"first\.md:15:\d+: warning: a CDATA section: its text is kept as plain text", err), err
    assert "comment" not in err  # comments are left out of the book, as documented, without a word
    first = epub_texts(out)["EPUB/text/first.xhtml"]
    assert "Kept as a block." in first and "Inline kept too and  here." in first
    assert "CDATA" not in first and "a comment" not in first
    with pikepdf.open(next(out.glob("*.pdf"))) as pdf:
        assert pdf.pages  # laid out whole
    assert_outputs_safe(out)


@pytest.mark.parametrize("body", ["<?php system('rm -rf ~'); ?>", "<div>\n<?php system('rm -rf ~'); ?>\n<p>Text.</p>\n</div>"])
def test_processing_instructions_are_errors_wherever_they_stand(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str) -> None:
    """As in running text, where one always was: nothing of it reaches a book."""
    write_body(tiny, body)
    code, err = build(tiny, tmp_path / "out", capsys)
    line = 13 + body.count("\n", 0, body.index("<?"))
    assert code == 2
    assert re.search(rf"first\.md:{line}:\d+: error: raw HTML '<\?php system", err), err
