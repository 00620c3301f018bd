"""docs/manuscript.md stays true: every example in it is built as a real book.

Each ```markdown block becomes a chapter of one book (a block that starts with
front matter is the whole chapter file; otherwise `title: Example` front matter
is put before it); `<!-- file: NAME.md -->` on the line above a block names its
file, so examples can link to each other. Each ```yaml block is the book.yaml of
a book of its own. Everything must build with exit status 0 and without a single
error or warning, and every key the pipeline knows must be documented.
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from pipeline.cli import main
from pipeline.diagnostics import Collector, SourcePos
from pipeline.load import load_normalised
from pipeline.read.meta import BOOK_KEYS, CHAPTER_KEYS, TRIMS, slugify
from pipeline.model import Div, Document, LineBreak, Text
from pipeline.read.sources import parse_yaml
from pipeline.walk import iter_block_inlines, iter_blocks

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "manuscript.md"
DOC_NAME = "docs/manuscript.md"
X = {"x": "http://www.w3.org/1999/xhtml"}

# An opening fence (``` or longer, or ~~~), its info word, the body, the same fence closing.
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\s`]*)[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                    re.MULTILINE | re.DOTALL)
_FILE_MARK = re.compile(r"<!--\s*file:\s*(\S+?\.md)\s*-->\s*\Z")
_IMAGE = re.compile(r"\]\((images/[^)\s\"]+)")
_PROBLEM = re.compile(r"^(?P<path>.*?)(?::\d+){0,2}: (?P<severity>error|warning): ")
_IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}


@dataclass(frozen=True)
class Example:
    lang: str
    body: str
    line: int  # line of the opening fence in the doc
    file: str  # chapter file name it is built as (markdown examples)

    def __str__(self) -> str:
        role = "as book.yaml" if self.lang == "yaml" else f"built as {self.file}"
        return f"{DOC_NAME}:{self.line}: ```{self.lang} example ({role})"


def _examples() -> list[Example]:
    text = DOC.read_text(encoding="utf-8")
    out = []
    for m in _FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        mark = _FILE_MARK.search(text[: m.start()])
        name = mark.group(1) if mark else f"example-line-{line:04d}.md"
        out.append(Example(m.group("info").lower(), m.group("body"), line, name))
    return out


EXAMPLES = _examples()
MARKDOWN = [e for e in EXAMPLES if e.lang == "markdown"]
YAML = [e for e in EXAMPLES if e.lang == "yaml"]


def _image(path: Path, size: tuple[int, int] = (40, 30)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".svg":
        path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30">'
                        '<rect width="40" height="30" fill="red"/></svg>\n', encoding="utf-8")
    else:
        Image.new("RGB", size, (200, 30, 30)).save(path, _IMAGE_FORMATS[path.suffix.lower()])


def _build(source: Path, out: Path) -> tuple[int, str]:
    """The real command line, with what it prints to stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["build", str(source), "-o", str(out)])
    return code, err.getvalue()


def _problems(stderr: str) -> list[tuple[str, str]]:
    """(file name, line) of every error or warning printed."""
    found = []
    for line in stderr.splitlines():
        m = _PROBLEM.match(line)
        if m:
            found.append((Path(m.group("path")).name, line))
    return found


@dataclass(frozen=True)
class ExampleBook:
    source: Path
    out: Path
    code: int
    stderr: str
    by_file: dict[str, Example]


@pytest.fixture(scope="module")
def example_book(tmp_path_factory: pytest.TempPathFactory) -> ExampleBook:
    """All ```markdown examples as the chapters of one book, built once."""
    source = tmp_path_factory.mktemp("doc-examples") / "book"
    source.mkdir()
    (source / "book.yaml").write_text("title: Example\n", encoding="utf-8")
    by_file: dict[str, Example] = {}
    for ex in MARKDOWN:
        assert ex.file not in by_file, f"{ex}: two examples are named {ex.file}"
        by_file[ex.file] = ex
        chapter = ex.body if ex.body.startswith("---\n") else "---\ntitle: Example\n---\n" + ex.body
        (source / ex.file).write_text(chapter, encoding="utf-8")
        for ref in _IMAGE.findall(ex.body):
            if not (source / ref).exists():
                _image(source / ref)
    out = source.parent / "out"
    code, stderr = _build(source, out)
    return ExampleBook(source, out, code, stderr, by_file)


def test_the_doc_has_examples_and_marks_them_so_they_are_tested() -> None:
    assert len(MARKDOWN) >= 20 and len(YAML) >= 5
    untested = [e for e in EXAMPLES if e.lang in ("md", "yml", "markdown-", "mkd", "yaml-")]
    assert not untested, "mark manuscript examples ```markdown or ```yaml so they are tested: " + \
        ", ".join(str(e) for e in untested)


def test_every_markdown_example_builds_without_errors_or_warnings(example_book: ExampleBook) -> None:
    problems = _problems(example_book.stderr)
    report = []
    for file, line in problems:
        ex = example_book.by_file.get(file)
        report.append(f"{ex}:\n    {line}" if ex else f"(no example): {line}")
    if example_book.code != 0 or problems:
        pytest.fail(f"exit status {example_book.code}\n" + ("\n".join(report) if report else example_book.stderr),
                    pytrace=False)
    assert (example_book.out / "example.epub").is_file() and (example_book.out / "example.pdf").is_file()


@pytest.mark.parametrize("example", YAML, ids=[f"line-{e.line}" for e in YAML])
def test_every_yaml_example_is_a_book_yaml_that_builds(example: Example, tmp_path: Path) -> None:
    diags = Collector()
    block = parse_yaml(example.body, SourcePos("book.yaml", 1, 1), diags)
    assert block is not None and not diags.items, f"{example}: " + "; ".join(map(str, diags.items))
    # A fragment that leaves out the title gets one, so it can be built.
    text = example.body if "title" in block.data else "title: Example\n" + example.body
    source = tmp_path / "book"
    source.mkdir()
    (source / "book.yaml").write_text(text, encoding="utf-8")
    for i, name in enumerate(block.data.get("chapters") or ["chapter.md"], 1):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(f'---\ntitle: "Chapter {i}"\n---\nText.\n', encoding="utf-8")
    if block.data.get("cover-image"):
        _image(source / block.data["cover-image"], (1600, 2560))  # a smaller cover is warned about
    code, stderr = _build(source, tmp_path / "out")
    problems = [line for _, line in _problems(stderr)]
    if code != 0 or problems:
        pytest.fail(f"{example}: exit status {code}\n    " + ("\n    ".join(problems) or stderr), pytrace=False)


def _key_table(section: str) -> set[str]:
    """The keys listed in the first table after 'Every key' in a section of the doc."""
    table = section.split("Every key", 1)[1].split("\n\n", 2)[1]
    return set(re.findall(r"^\| `([^`]+)` \|", table, re.MULTILINE))


def test_every_key_and_trim_is_documented_and_nothing_else() -> None:
    text = DOC.read_text(encoding="utf-8")
    book_section = text.split("\n## 2.", 1)[1].split("\n## 3.", 1)[0]
    chapter_section = text.split("\n## 3.", 1)[1].split("\n## 4.", 1)[0]
    book_table, chapter_table = _key_table(book_section), _key_table(chapter_section)
    assert book_table == BOOK_KEYS, (
        f"book.yaml keys missing from the doc's table: {sorted(BOOK_KEYS - book_table)}; "
        f"in the table but not known to the pipeline: {sorted(book_table - BOOK_KEYS)}")
    assert chapter_table == CHAPTER_KEYS, (
        f"chapter keys missing from the doc's table: {sorted(CHAPTER_KEYS - chapter_table)}; "
        f"in the table but not known to the pipeline: {sorted(chapter_table - CHAPTER_KEYS)}")
    for key in BOOK_KEYS | CHAPTER_KEYS:
        assert f"`{key}`" in text
    for name in TRIMS:
        assert f"| `{name}` |" in book_section, f"trim '{name}' is not in the doc's table of trims"


def _loaded(source: Path, clean: bool = True) -> Document:
    """The normalised model; with clean, there must be no error (the example book's own errors
    are reported by the test that builds it)."""
    diags = Collector()
    doc = load_normalised(source, diags)
    assert doc is not None and not (clean and diags.has_errors), "\n".join(map(str, diags.items))
    return doc


@pytest.mark.parametrize("kind", ["verse", "epigraph"])
def test_verse_and_epigraph_examples_keep_their_line_breaks(kind: str, example_book: ExampleBook) -> None:
    examples = [e for e in MARKDOWN if f'<div class="{kind}" markdown="1">' in e.body]
    assert examples, f"the doc has no {kind} example"
    doc = _loaded(example_book.source, clean=False)
    chapters = {ch.id: ch for ch in doc.chapters}
    for ex in examples:
        cid = slugify(Path(ex.file).stem)
        divs = [b for b in iter_blocks(chapters[cid].blocks) if isinstance(b, Div) and kind in b.attrs.classes]
        breaks = sum(isinstance(i, LineBreak) for d in divs for i in iter_block_inlines(d))
        typed = ex.body.count("<br>")
        assert divs and breaks == typed > 0, f"{ex}: {typed} <br> typed, {breaks} LineBreak in the model"
        assert not any(isinstance(i, Text) and "\\" in i.text for d in divs for i in iter_block_inlines(d))
        if example_book.code != 0:
            pytest.skip("the book of examples did not build: see the test that builds it")
        with zipfile.ZipFile(example_book.out / "example.epub") as z:
            page = etree.fromstring(z.read(f"EPUB/text/{cid}.xhtml"))
        div = page.find(f".//x:div[@class='{kind}']", X)
        assert div is not None and len(div.findall(".//x:br", X)) == typed, f"{ex}: line breaks lost in the EPUB"


def test_what_the_doc_says_about_line_ends(tmp_path: Path) -> None:
    """The doc says: two trailing spaces keep a break; a trailing backslash does not (it is printed)."""
    (tmp_path / "book.yaml").write_text("title: Example\n", encoding="utf-8")
    (tmp_path / "a.md").write_text(
        '---\ntitle: Example\n---\n<div class="verse" markdown="1">\nspaces  \nnext\n\nbackslash\\\nnext\n</div>\n',
        encoding="utf-8")
    div = next(b for b in iter_blocks(_loaded(tmp_path).chapters[0].blocks) if isinstance(b, Div))
    spaces, backslash = div.blocks
    assert any(isinstance(i, LineBreak) for i in spaces.inlines), "two trailing spaces no longer break a line"
    assert not any(isinstance(i, LineBreak) for i in backslash.inlines), (
        "a trailing backslash now breaks a line: update 'Verse and epigraphs' in docs/manuscript.md")
