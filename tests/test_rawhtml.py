"""Raw HTML: the safe list passes into both outputs; nothing that can run or fetch ever does."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pypdf
import pytest
from lxml import etree

from pipeline.cli import main
from pipeline.check.validate import run_epubcheck

from conftest import Built, build_into

X = {"x": "http://www.w3.org/1999/xhtml"}
SAFE = """---
title: "Raw"
---
Water is H<sub>2</sub>O and E = mc<sup>2</sup>; the <abbr title="Union of Soviet Socialist Republics">USSR</abbr>
fell.<br>A new line, <span class="smallcaps" lang="fr">petit</span> and <b>bold</b>.

| Year | Event | Count |
|:-----|:-----:|------:|
| 1928 | Alma Ata | 1 |
| 1940 | *Mexico* | 2 |

<table>
<caption>Spans</caption>
<tr><th colspan="2">Both</th></tr>
<tr><td rowspan="2">Tall</td><td>One</td></tr>
<tr><td>Two</td></tr>
</table>

<div class="verse" lang="la">
<p>Dum spiro, spero.</p>
</div>
"""


@pytest.fixture(scope="module")
def raw_book(tmp_path_factory: pytest.TempPathFactory) -> Built:
    src = tmp_path_factory.mktemp("raw-src")
    (src / "book.yaml").write_text("title: Raw\ndate: '2024-01-01'\n")
    (src / "a.md").write_text(SAFE)
    return build_into(src, tmp_path_factory.mktemp("raw-out"), "raw")


def test_safe_list_reaches_the_epub(raw_book: Built) -> None:
    assert run_epubcheck([raw_book.epub])[raw_book.epub].clean
    with zipfile.ZipFile(raw_book.epub) as z:
        doc = etree.fromstring(z.read("EPUB/text/a.xhtml"))
    assert doc.find(".//x:sub", X).text == "2" and doc.find(".//x:sup", X).text == "2"
    assert doc.find(".//x:abbr", X).get("title") == "Union of Soviet Socialist Republics"
    assert doc.find(".//x:span[@class='smallcaps']", X).get("lang") == "fr"
    tables = doc.findall(".//x:table", X)
    assert len(tables) == 2
    assert [th.get("class") for th in tables[0].findall(".//x:th", X)] == ["align-left", "align-center", "align-right"]
    assert tables[1].find(".//x:th", X).get("colspan") == "2"
    assert tables[1].find(".//x:td", X).get("rowspan") == "2"
    assert doc.find(".//x:div[@class='verse']", X).get("lang") == "la"


def test_safe_list_reaches_the_pdf(raw_book: Built) -> None:
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(raw_book.pdf).pages)
    for words in ("USSR", "Alma Ata", "Mexico", "Spans", "Both", "Tall", "Dum spiro, spero."):
        assert words in text


@pytest.mark.parametrize(("html", "message", "kept"), [
    ('<script>alert("x")</script>', "<script> removed, with all it holds", ""),
    ('<iframe src="https://example.com/"></iframe>', "<iframe> removed, with all it holds", ""),
    ('<object data="x.swf"></object>', "<object> removed, with all it holds", ""),
    ('<embed src="x.swf">', "<embed> removed, with all it holds", ""),
    ('<p onclick="steal()">Click</p>', "<p onclick=...>: event-handler attribute removed", "Click"),
    ('Text with <span onmouseover="steal()">a span</span>.', "<span onmouseover=...>: event-handler attribute removed",
     "a span"),
    ('A <a href="javascript:alert(1)">link</a>.', "<a href=\"javascript:alert(1)\">: attribute removed", "link"),
    ('A <a href="file:///etc/passwd">link</a>.', "<a href=\"file:///etc/passwd\">: attribute removed", "link"),
    ('A <a href="data:text/html,x">link</a>.', "<a href=\"data:text/html,x\">: attribute removed", "link"),
    ('A <a href=" java&#9;script:alert(1)">link</a>.', "attribute removed", "link"),
])
def test_dangerous_html_is_removed_with_a_warning_and_never_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], html: str, message: str, kept: str) -> None:
    """A pasted web page makes a book: what could run is left out of it, each at its line (an
    error under --strict), and nothing of it reaches the EPUB or the PDF."""
    (tmp_path / "book.yaml").write_text("title: Bad\n")
    (tmp_path / "a.md").write_text(f"---\ntitle: A\n---\nBefore.\n\n{html}\n\nAfter.\n")
    assert main(["build", str(tmp_path), "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert re.search(rf"a\.md:6:\d+: warning: .*{re.escape(message)}", err), err
    assert "Traceback" not in err
    with zipfile.ZipFile(tmp_path / "out" / "bad.epub") as z:
        page = z.read("EPUB/text/a.xhtml").decode("utf-8").partition("<section")[2]  # the chapter's text
    assert kept in page and "Before." in page and "After." in page
    for gone in ("script", "iframe", "object", "embed", "onclick", "onmouseover", "steal", "alert", "x.swf",
                 "file:", "data:", "href"):
        assert gone not in page, gone
    pdf = pypdf.PdfReader(tmp_path / "out" / "bad.pdf")
    actions = [a.get_object().get("/A") for page in pdf.pages for a in page.get("/Annots") or []]
    assert not [a for a in actions if a and "/URI" in a]  # no link out survives
    assert main(["build", str(tmp_path), "-o", str(tmp_path / "strict"), "--strict"]) == 2
    assert re.search(rf"a\.md:6:\d+: error: .*{re.escape(message)}", capsys.readouterr().err)
    assert not (tmp_path / "strict").exists()


@pytest.mark.parametrize(("html", "message"), [
    ('<marquee>old</marquee>', "<marquee> is not in the safe list"),
    ('Unclosed <sup>2 here.', "<sup> is never closed"),
])
def test_html_outside_the_safe_list_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                html: str, message: str) -> None:
    (tmp_path / "book.yaml").write_text("title: Bad\n")
    (tmp_path / "a.md").write_text(f"---\ntitle: A\n---\nBefore.\n\n{html}\n\nAfter.\n")
    assert main(["build", str(tmp_path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "a.md:" in err and message in err, err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_a_raw_html_heading_is_a_heading_and_its_id_a_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Markdown's own syntax guide writes its headings as <h2 id="overview">, linked from its contents."""
    (tmp_path / "book.yaml").write_text("title: Headings\n")
    (tmp_path / "a.md").write_text('---\ntitle: A\n---\n[See the overview](#overview).\n\n'
                                   '<h2 id="overview">Overview</h2>\n\nText of the overview.\n')
    assert main(["build", str(tmp_path), "-o", str(tmp_path / "out"), "--only", "epub"]) == 0, capsys.readouterr().err
    with zipfile.ZipFile(tmp_path / "out" / "headings.epub") as z:
        page = z.read("EPUB/text/a.xhtml").decode()
        nav = z.read("EPUB/text/nav.xhtml").decode()
    assert '<h2 id="overview">Overview</h2>' in page and re.search(r'href="[^"]*#overview"', page)
    assert "Overview" in nav


def test_other_attributes_are_dropped_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "book.yaml").write_text("title: Style\n")
    (tmp_path / "a.md").write_text('---\ntitle: A\n---\nA <span style="color: red">red</span> word.\n')
    assert main(["build", str(tmp_path), "-o", str(tmp_path / "out")]) == 0
    assert "a.md:4:3: warning: <span style=...>: attribute dropped" in capsys.readouterr().err
    with zipfile.ZipFile(tmp_path / "out" / "style.epub") as z:
        assert b"color: red" not in z.read("EPUB/text/a.xhtml")


def test_an_end_tag_in_a_code_span_does_not_end_the_html_around_it(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """PHP Markdown Extra's test: `<p markdown="1">` whose text holds the code span `</p>`.
    Python-Markdown ended the paragraph inside the backticks, and the build stopped on a stray
    <p>. Code spans and code blocks elsewhere keep their end tags as typed."""
    (tmp_path / "book.yaml").write_text("title: Code\n")
    (tmp_path / "a.md").write_text('---\ntitle: A\n---\n<p markdown="1">\nCode spans like `</p>` are allowed, '
                                   "and _emphasis_.\n</p>\n\nAt the top, `</b>` and `<b>`.\n\n"
                                   "    an indented `</x>` block\n\nThe end.\n")
    assert main(["build", str(tmp_path), "-o", str(tmp_path / "out"), "--only", "epub"]) == 0
    assert ": warning: " not in capsys.readouterr().err
    with zipfile.ZipFile(tmp_path / "out" / "code.epub") as z:
        page = z.read("EPUB/text/a.xhtml").decode()
    assert re.search(r"<p>\s*Code spans like <code>&lt;/p&gt;</code> are allowed, and <em>emphasis</em>.\s*</p>", page)
    assert "<code>&lt;/b&gt;</code> and <code>&lt;b&gt;</code>" in page
    assert "<pre><code>an indented `&lt;/x&gt;` block\n</code></pre>" in page
    assert "\ue000" not in page
