"""What editors write, the pipeline accepts (issue 13, section 2): dates as written, chapters'
contributors, YAML's mistakes explained, titles cut at ' #', front matter never closed, non-Latin
slugs, ISBNs and rights. Each test builds or checks a real tiny book."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from pipeline.cli import main
from pipeline.diagnostics import Collector
from pipeline.load import load
from pipeline.render.pdf.layout import print_html

OPF = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
RAW_YAML = ("found unexpected end of stream", "cannot start any token", "mapping values are not allowed here",
            "could not find expected ':'", "while scanning")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def problems(err: str) -> list[str]:
    return [line for line in err.splitlines() if ": error: " in line or ": warning: " in line]


def front(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def chapter(path: Path, front_matter: str, body: str = "Some text.\n") -> None:
    path.write_text(f"---\n{front_matter}---\n{body}", encoding="utf-8")


def build_epub(book: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    code, err = run(capsys, "build", str(book), "-o", str(out), "--only", "epub")
    assert code == 0, err
    (epub,) = out.glob("*.epub")
    return epub, err


def opf(epub: Path) -> etree._Element:
    with zipfile.ZipFile(epub) as z:
        return etree.fromstring(z.read("EPUB/content.opf"))


def page(epub: Path, name: str) -> str:
    with zipfile.ZipFile(epub) as z:
        return z.read(f"EPUB/text/{name}.xhtml").decode()


def people(package: etree._Element) -> list[tuple[str, str, str]]:
    """(element, name, role) of every dc:creator and dc:contributor, roles from their refines."""
    roles = {m.get("refines"): m.text for m in package.iterfind(".//opf:meta[@property='role']", OPF)}
    return [(etree.QName(e).localname, e.text, roles.get(f"#{e.get('id')}", ""))
            for e in package.iterfind(".//opf:metadata/*", OPF) if etree.QName(e).localname in ("creator", "contributor")]


# -- 1. dates ----------------------------------------------------------------

@pytest.mark.parametrize(("written", "iso"), [
    ("1908", "1908"), ("1917-10", "1917-10"), ("2006-07-17", "2006-07-17"), ('"July 17, 2006"', "2006-07-17"),
    ("17 July 2006", "2006-07-17"), ("Oct. 1917", "1917-10"), ("October 1917", "1917-10"), ("Sept. 3, 1917", "1917-09-03"),
    ("13/04/1917", "1917-04-13"), ("1917/04/03", "1917-04-03"), ("!!timestamp 2006-07-17", "2006-07-17"),
])
def test_dates_as_editors_write_them_are_normalised_to_iso(tiny: Path, written: str, iso: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    front(tiny / "book.yaml", 'date: "2020-02-29"', f"date: {written}")
    front(tiny / "first.md", 'date: "1993"', f"date: {written}")
    assert run(capsys, "check", str(tiny)) == (0, "")
    diags = Collector()
    doc = load(tiny, diags)
    assert doc is not None and not diags.items
    assert doc.meta.date == iso and doc.chapters[0].meta.date == iso


def test_a_bare_year_reaches_the_epub_metadata_and_the_copyright_line(tiny: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    front(tiny / "book.yaml", 'date: "2020-02-29"', "date: 1908")
    front(tiny / "first.md", 'date: "1993"', 'date: "July 17, 2006"')
    epub, err = build_epub(tiny, tmp_path / "out", capsys)
    assert not problems(err), err
    assert opf(epub).findtext(".//dc:date", namespaces=OPF) == "1908"
    assert "2006" in page(epub, "colophon")


@pytest.mark.parametrize(("written", "iso", "message"), [
    ("03/04/1917", "1917", "first.md:5:7: warning: 'date' 03/04/1917 could be 3 April or 4 March 1917"),
    ("3.4.1917", "1917", "first.md:5:7: warning: 'date' 3.4.1917 could be 3 April or 4 March 1917"),
])
def test_an_ambiguous_date_is_a_warning_and_keeps_only_its_year(tiny: Path, written: str, iso: str, message: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    front(tiny / "first.md", 'date: "1993"', f"date: {written}")
    code, err = run(capsys, "check", str(tiny))
    assert code == 0 and message in err, err
    doc = load(tiny, Collector())
    assert doc is not None and doc.chapters[0].meta.date == iso


@pytest.mark.parametrize("written", ["yesterday", "1917-02-29", "31 June 1917", "19088", "true"])
def test_what_is_not_a_date_is_still_an_error_that_says_what_to_write(tiny: Path, written: str,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    front(tiny / "first.md", 'date: "1993"', f"date: {written}")
    code, err = run(capsys, "check", str(tiny))
    assert code == 2 and "first.md:5:7: error: 'date'" in err and "1917-10-25" in err, err


# -- 2. contributors -----------------------------------------------------------

def _anthology(tiny: Path, book_people: str = "") -> None:
    (tiny / "book.yaml").write_text(f'title: "A Tiny Book"\n{book_people}date: "2020"\nchapters: [first.md, second.md]\n')
    chapter(tiny / "first.md", 'title: "The First"\nauthor: Anna Karenina\ntranslator: Tom Translator\n')
    chapter(tiny / "second.md", 'title: "The Second"\nauthor: [Bo Writer, Anna Karenina]\n'
                                'translator: Tom Translator\nillustrator: Ida Illustrator\neditor: Ed Itor\n')


def test_chapters_contributors_are_the_books_when_book_yaml_names_none(tiny: Path, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    _anthology(tiny)
    epub, err = build_epub(tiny, tmp_path / "out", capsys)
    assert not problems(err), err
    assert sorted(people(opf(epub)), key=lambda p: p[0] != "creator") == [  # in order, creators first
        ("creator", "Anna Karenina", "aut"), ("creator", "Bo Writer", "aut"), ("contributor", "Tom Translator", "trl"),
        ("contributor", "Ed Itor", "edt"), ("contributor", "Ida Illustrator", "ill")]
    title_page = page(epub, "titlepage")
    assert "Anna Karenina and Bo Writer" in title_page and "Translated by Tom Translator" in title_page
    assert "Illustrated by Ida Illustrator" in title_page and "Edited by Ed Itor" in title_page
    assert "Translated by Tom Translator" in page(epub, "first")
    doc = load(tiny, Collector())
    assert doc is not None
    printed = print_html(doc).split('<section class="title-page">', 1)[1].split("</section>", 1)[0]
    assert "Anna Karenina and Bo Writer" in printed and "Translated by Tom Translator" in printed


def test_book_yaml_contributors_are_the_books_and_the_chapters_keep_theirs(tiny: Path, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    _anthology(tiny, "editor: Ann Anthologist\n")
    epub, err = build_epub(tiny, tmp_path / "out", capsys)
    assert not problems(err), err
    assert people(opf(epub)) == [("contributor", "Ann Anthologist", "edt")]
    assert "Anna Karenina" not in page(epub, "titlepage")
    assert "Bo Writer and Anna Karenina" in page(epub, "second")


def test_no_author_anywhere_prints_no_empty_author_line(tiny: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tiny / "book.yaml").write_text('title: "A Tiny Book"\nchapters: [first.md, second.md]\n')
    chapter(tiny / "first.md", 'title: "The First"\n')
    chapter(tiny / "second.md", 'title: "The Second"\n')
    epub, err = build_epub(tiny, tmp_path / "out", capsys)
    assert not problems(err), err
    assert not re.search(r'<p class="[^"]*">\s*</p>', page(epub, "titlepage")), page(epub, "titlepage")
    doc = load(tiny, Collector())
    assert doc is not None and not re.search(r'<p class="[^"]*">\s*</p>', print_html(doc))


# -- 3. YAML's messages, translated ------------------------------------------------

@pytest.mark.parametrize(("front_matter", "message"), [
    ('title: "The Second\nlang: en\n', "second.md:2:8: error: the quote opened here is never closed"),
    ("title: 'The Second\n", "second.md:2:8: error: the quote opened here is never closed"),
    ("title: The Second\nauthor:\n\t- Bo Writer\n", "second.md:4:1: error: a tab: indent with spaces, not tabs"),
    ("title: Chapter 2: the end\n",
     "second.md:2:8: error: a ': ' inside a value: put the value in quotes: title: \"Chapter 2: the end\""),
    ("title: The Second\nauthor Bo Writer\nlang: en\n", "second.md:3:1: error: line 3 is not 'key: value'"),
    ('title: "Stalin" and me\n', "second.md:2:8: error: text after the closing quote: put the whole value in "
                                 "single quotes: title: '\"Stalin\" and me'"),
    ("publication: *Trotsky*, 1993\ntitle: T\n", "second.md:2:14: error: a value that starts with '*'"),
    ('title: "C:\\path"\n', "second.md:2:8: error: a backslash inside double quotes"),
    ("title: [unclosed\n", "second.md:2:8: error: the list opened here is never closed"),
])
def test_yaml_mistakes_are_told_as_what_to_do(tiny: Path, front_matter: str, message: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    chapter(tiny / "second.md", front_matter)
    code, err = run(capsys, "check", str(tiny))
    assert code == 2 and message in err, err
    assert not any(raw in err for raw in RAW_YAML), err


def test_an_error_in_book_yaml_no_longer_hides_the_chapters_problems(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    front(tiny / "book.yaml", 'title: "A Tiny Book"', "title: A Tiny Book: the second edition")
    front(tiny / "second.md", "Another chapter, with its own notes.[^1]", "Another chapter.[^9]")
    code, err = run(capsys, "check", str(tiny))
    assert code == 2
    assert "book.yaml:1:8: error: a ': ' inside a value: put the value in quotes" in err, err
    assert "second.md:11:17: error: footnote [^9] has no definition" in err, err
    assert "'title' is required" not in err, err


# -- 4. a value cut short at ' #' --------------------------------------------------

def test_a_title_cut_short_by_a_comment_is_a_warning(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    front(tiny / "second.md", 'title: "The Second"', "title: Chapter #2: the end")
    front(tiny / "first.md", 'date: "1993"', 'date: "1993"  # the first edition')
    code, err = run(capsys, "check", str(tiny))
    assert code == 0, err
    assert problems(err) == [f"{tiny / 'second.md'}:2:8: warning: 'title' ends at ' #': YAML reads the rest of the "
                             "line as a comment, so the value is 'Chapter'; if '#2: the end' belongs to it, put the "
                             "value in quotes: title: \"Chapter #2: the end\""], err


# -- 5. front matter never closed ------------------------------------------------------

def test_front_matter_never_closed_before_a_scene_break_is_an_error_naming_the_text(
        tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tiny / "second.md").write_text("---\ntitle: Open\nlang: en\n\nIt was: the first paragraph.\n\n---\n\nMore.\n")
    code, err = run(capsys, "check", str(tiny))
    assert code == 2, err
    assert ("second.md:1:1: error: front matter is never closed: add a line '---' after the last key, before line 5 "
            "(where the text starts: 'It was: the first paragraph.')") in err, err


def test_front_matter_never_closed_at_all_names_the_text_too(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tiny / "second.md").write_text("---\ntitle: Open\n\nBody text.[^x]\n")
    code, err = run(capsys, "check", str(tiny))
    assert code == 2, err
    assert "second.md:1:1: error: front matter is never closed: add a line '---' after the last key, before line 4" in err
    assert "second.md:4:11: error: footnote [^x] has no definition" in err, err  # the text is still read


def test_a_closed_front_matter_with_a_blank_line_and_a_comment_is_fine(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    front(tiny / "second.md", "lang: en-US\n", "lang: en-US\n\n# where it was found\ndescription: |\n  One.\n\n  Two.\n")
    code, err = run(capsys, "check", str(tiny))
    assert "never closed" not in err, err


# -- 6. non-Latin titles ----------------------------------------------------------------

def test_a_cyrillic_title_gives_a_transliterated_file_name(tiny: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    front(tiny / "book.yaml", 'title: "A Tiny Book"', 'title: "Война и мир"')
    epub, _ = build_epub(tiny, tmp_path / "out", capsys)
    assert epub.name == "voyna-i-mir.epub"


# -- 7. ISBN and rights ------------------------------------------------------------------

def test_an_isbn_is_the_identifier_and_printed_hyphenated(tiny: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    front(tiny / "book.yaml", "trim: a5\n", "trim: a5\nisbn: 9780306406157\n")
    epub, err = build_epub(tiny, tmp_path / "out", capsys)
    assert not problems(err), err
    assert opf(epub).findtext(".//dc:identifier", namespaces=OPF) == "urn:isbn:9780306406157"
    assert "ISBN 978-0-306-40615-7" in page(epub, "colophon")
    doc = load(tiny, Collector())
    assert doc is not None and "ISBN 978-0-306-40615-7" in print_html(doc)


@pytest.mark.parametrize(("line", "message"), [
    ("isbn: 978-0-306-40615-8", "book.yaml:9:7: error: ISBN 978-0-306-40615-8: the check digit is wrong"),
    ('identifier: "urn:isbn:0306406153"', "book.yaml:9:13: error: ISBN 0306406153: the check digit is wrong"),
    ("isbn: 97803064061", "book.yaml:9:7: error: 'isbn' 97803064061 is not an ISBN"),
])
def test_a_wrong_isbn_is_an_error_at_its_line(tiny: Path, line: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    front(tiny / "book.yaml", "trim: a5\n", f"trim: a5\n{line}\n")
    code, err = run(capsys, "check", str(tiny))
    assert code == 2 and message in err, err


def test_identifier_that_is_an_isbn_is_printed_as_one(tiny: Path) -> None:
    front(tiny / "book.yaml", "trim: a5\n", 'trim: a5\nidentifier: "urn:isbn:0306406152"\n')
    doc = load(tiny, Collector())
    assert doc is not None and doc.meta.identifier == "urn:isbn:0306406152"
    assert "ISBN 0-306-40615-2" in print_html(doc)


def test_the_copyright_page_claims_only_what_the_manuscript_says(tiny: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    front(tiny / "first.md", 'date: "1993"', 'date: "1993"\nrights: public domain')
    epub, err = build_epub(tiny, tmp_path / "out", capsys)
    assert not problems(err), err
    colophon = page(epub, "colophon")
    assert "\u00a9" not in colophon, colophon
    assert "\u201cThe First\u201d, by Ann Author, 1993. In the public domain." in colophon, colophon
    assert "\u201cThe Second\u201d, by Bo Writer, 2019.</p>" in colophon, colophon
    doc = load(tiny, Collector())
    assert doc is not None and "\u00a9" not in print_html(doc)


def test_a_book_of_public_domain_texts_says_so_in_its_metadata(tiny: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("first.md", "second.md"):
        front(tiny / name, "lang: ", "rights: Public Domain\nlang: ")
    epub, err = build_epub(tiny, tmp_path / "out", capsys)
    assert not problems(err), err
    assert opf(epub).findtext(".//dc:rights", namespaces=OPF) == "In the public domain."


def test_the_printed_title_page_shows_the_pdf_text(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The print edition itself, read back: contributors with their roles and the ISBN."""
    _anthology(tiny)
    front(tiny / "book.yaml", 'date: "2020"\n', 'date: "2020"\nisbn: "978-0-306-40615-7"\nrights: "public domain"\n')
    code, err = run(capsys, "build", str(tiny), "-o", str(tmp_path / "out"), "--only", "pdf")
    assert code == 0, err
    (pdf,) = (tmp_path / "out").glob("*.pdf")
    text = subprocess.run(["pdftotext", "-l", "4", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "Anna Karenina and Bo Writer" in flat and "Translated by Tom Translator" in flat, flat
    assert "ISBN 978-0-306-40615-7" in flat and "\u00a9" not in flat, flat


@pytest.mark.parametrize("fence", ["~~~~~ .html {#codeid}", "~~~~~ .html{.bold}", "``` python {.numbered}", "~~~ {.html #codeid}"])
def test_a_fence_with_a_language_and_attributes_is_a_code_block(tiny: Path, tmp_path: Path, fence: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """PHP Markdown Extra's and pandoc's `~~~ .html {#id}`: Python-Markdown reads a language or
    braces, not both, and the block was raw HTML, an error (php-markdown-extra-test-suite)."""
    close = fence.split()[0].split(".")[0].rstrip("{")
    front(tiny / "second.md", "## Only Section", f"{fence}\n</div> <b>bold</b>\n{close}\n\n## Only Section")
    epub, err = build_epub(tiny, tmp_path, capsys)
    assert problems(err) == []
    assert "<pre><code>&lt;/div&gt; &lt;b&gt;bold&lt;/b&gt;\n</code></pre>" in page(epub, "second")


def test_a_fence_under_a_list_item_or_indented_at_the_margin_is_a_code_block(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """PHP Markdown Extra's "In a list item with smalish indent": a fence indented under a list
    item (CommonMark's way) printed as a justified paragraph, "#!/bin/sh # # Preload driver
    binary"; a fence indented one space at the margin was a paragraph too. Blank lines and the
    code's own indents are kept; a fence inside a fenced block is its text."""
    text = ("* In a list item with smalish indent:\n\n  `````\n  #!/bin/sh\n\n  #   Preload driver binary\n"
            "  `````\n\n* Another item:\n  ```\n  one()\n  ```\n\nAt the margin:\n\n ~~~\n one space in\n ~~~\n\n"
            "```\n  ```\n```\n\nThe end.\n\n## Only Section")
    front(tiny / "second.md", "## Only Section", text)
    epub, err = build_epub(tiny, tmp_path, capsys)
    assert problems(err) == []
    markup = page(epub, "second")
    items = re.findall(r"<li>(.*?)</li>", markup, re.S)
    assert [re.findall(r"<pre><code>(.*?)</code></pre>", item, re.S) for item in items] == [
        ["#!/bin/sh\n\n#   Preload driver binary\n"], ["one()\n"]]
    assert re.findall(r"</ul>.*?<pre><code>(.*?)</code></pre>", markup, re.S)[:1] == ["one space in\n"]
    assert "<pre><code>  ```\n</code></pre>" in markup
    assert "<p>The end.</p>" in markup


def test_two_quotations_with_a_blank_line_between_are_two(tiny: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Two letters one after the other (dracula, chapter V) were joined into one quotation:
    Python-Markdown merges a `>` block into the quotation before it, CommonMark and pandoc do not."""
    front(tiny / "second.md", "## Only Section", "> The first letter.\n>\n> Its second paragraph.\n\n"
                                                 "> The second letter.\n\n## Only Section")
    epub, err = build_epub(tiny, tmp_path, capsys)
    assert problems(err) == []
    quotes = re.findall(r"<blockquote>(.*?)</blockquote>", page(epub, "second"), re.S)
    assert [re.findall(r"<p>(.*?)</p>", q) for q in quotes] == [
        ["The first letter.", "Its second paragraph."], ["The second letter."]]
