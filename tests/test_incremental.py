"""The build cache and the incremental PDF: a rebuild gives what a clean build gives.

The print PDF is laid out a chapter at a time and merged; after an edit only the changed
chapter is laid out again (its neighbours come from the cache at their cached folios). The
result is compared page by page with a clean build: text (which carries the folios, the
running heads and the note numbers), the outline, and the bytes themselves.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pypdf
import pytest

from pipeline.build import STYLES_DIR, build
from pipeline.cache import Cache, inputs_key
from pipeline.diagnostics import Collector
from pipeline.fonts import font_files
from pipeline.load import load_normalised

from conftest import MANUSCRIPT, ROOT, Built

sys.path.insert(0, str(ROOT / "bench"))
import synth  # noqa: E402


def page_texts(pdf: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(pdf).pages]


def outline(pdf: Path) -> list[tuple[int, str, int]]:
    reader = pypdf.PdfReader(pdf)
    out: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:  # type: ignore[type-arg]
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """Four chapters in the first book's style, with notes and block quotes."""
    src = tmp_path / "book"
    synth.write_book(src, 6000, words_per_chapter=1500)
    return src


def laid_out(messages: list[str]) -> list[str]:
    """Names of the sections a build laid out afresh, from its progress messages."""
    return [m.split(": ", 1)[1].split(" (")[0] for m in messages
            if m.startswith("laying out PDF: ") and not m.endswith("merging the sections")]


def test_edit_lays_out_only_the_changed_chapter_and_matches_a_clean_build(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first: list[str] = []
    built = build(book, out, progress=first.append)
    assert laid_out(first) == ["ch01", "ch02", "ch03", "ch04", "front matter"]
    chapter = book / "ch02.md"
    paragraphs = chapter.read_text().split("\n\n")
    paragraphs[3] += " An editor's word more."
    chapter.write_text("\n\n".join(paragraphs))

    again: list[str] = []
    rebuilt = build(book, out, progress=again.append, jobs=2)
    fresh = laid_out(again)
    assert fresh[0] == "ch02", fresh  # the edited chapter; later ones only if its page count changed
    assert "ch01" not in fresh
    clean = build(book, tmp_path / "clean", use_cache=False)

    assert rebuilt.pages == clean.pages
    assert page_texts(rebuilt.pdf) == page_texts(clean.pdf)  # text, folios, running heads, note numbers
    assert outline(rebuilt.pdf) == outline(clean.pdf)
    assert rebuilt.pdf.read_bytes() == clean.pdf.read_bytes()
    assert rebuilt.epub.read_bytes() == clean.epub.read_bytes()
    assert "editor\u2019s word more" in "".join(page_texts(rebuilt.pdf)).replace("\n", " ")
    assert built.pdf == rebuilt.pdf


def test_noop_rebuild_is_a_cache_hit_with_the_bytes_of_a_clean_build(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(book, out)
    messages: list[str] = []
    hit = build(book, out, progress=messages.append)
    assert messages == ["nothing changed: outputs from the cache"]
    clean = build(book, tmp_path / "clean", use_cache=False)
    assert hit.pdf.read_bytes() == clean.pdf.read_bytes()
    assert hit.epub.read_bytes() == clean.epub.read_bytes()
    assert hit.pages == clean.pages
    # Removed outputs come back from the cache, whole.
    hit.pdf.unlink()
    assert build(book, out).pdf.read_bytes() == clean.pdf.read_bytes()


def test_the_cache_key_covers_sources_styles_and_fonts(book: Path, tmp_path: Path) -> None:
    styles = tmp_path / "styles"
    shutil.copytree(STYLES_DIR, styles)
    base = inputs_key(book, styles, font_files())
    assert inputs_key(book, styles, font_files()) == base
    (styles / "print.css").write_text((styles / "print.css").read_text() + "\np { color: black; }\n")
    assert inputs_key(book, styles, font_files()) != base
    styled = inputs_key(book, styles, font_files())
    (book / "ch04.md").write_text((book / "ch04.md").read_text().replace("the", "teh", 1))
    assert inputs_key(book, styles, font_files()) != styled
    assert inputs_key(book, styles, font_files()[:1]) != inputs_key(book, styles, font_files())


def test_sections_give_the_pages_of_the_whole_book_laid_out_at_once(anthology: Built, tmp_path: Path) -> None:
    """The claim the sections rest on: the anthology laid out by WeasyPrint as one document
    (the whole print HTML, the same stylesheets, notes kept with their calls the same way)
    has the same pages, folios and running heads."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from pipeline.render import pdf
    from pipeline.render.footnote_fit import break_rules, find_displaced

    doc = load_normalised(MANUSCRIPT, Collector())
    assert doc is not None
    fixes = ""
    for _ in range(4):
        fonts = FontConfiguration()
        css = [weasyprint.CSS(string=pdf.font_face_css(pdf.FAMILY) + pdf.page_css(doc.meta.trim), font_config=fonts),
               weasyprint.CSS(filename=str(STYLES_DIR / "print.css"), font_config=fonts),
               weasyprint.CSS(string=fixes or "/* none */", font_config=fonts)]
        document = weasyprint.HTML(string=pdf.print_html(doc), base_url=str(STYLES_DIR) + "/").render(
            stylesheets=css, font_config=fonts)
        new = [rule for rule in break_rules(find_displaced(document.pages)) if rule not in fixes]
        if not new:
            break
        fixes += "\n".join(["", *new])
    whole = tmp_path / "whole.pdf"
    document.write_pdf(whole, pdf_tags=True)
    assert page_texts(anthology.pdf) == page_texts(whole)
    assert outline(anthology.pdf) == outline(whole)


def test_cache_off_writes_no_cache(book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_CACHE", "0")
    assert Cache.beside(tmp_path / "out").folder is None
    build(book, tmp_path / "out", only="epub")
    assert not (tmp_path / ".pipeline-cache").exists()


def test_a_cache_hit_reports_the_warnings_of_the_build_it_replays(book: Path, tmp_path: Path) -> None:
    from pipeline.diagnostics import ManuscriptError

    chapter = book / "ch03.md"
    chapter.write_text(chapter.read_text() + "\n[^unused]: A note nobody calls.\n")
    first = build(book, tmp_path / "out", only="epub")
    assert any("never called" in d.message for d in first.warnings)
    messages: list[str] = []
    again = build(book, tmp_path / "out", only="epub", progress=messages.append)
    assert messages == ["nothing changed: outputs from the cache"]
    assert again.warnings == first.warnings
    with pytest.raises(ManuscriptError, match="never called"):
        build(book, tmp_path / "out", only="epub", strict=True)


def test_an_output_folder_inside_the_manuscript_does_not_defeat_the_cache(book: Path) -> None:
    build(book, book / "out", only="epub")
    messages: list[str] = []
    build(book, book / "out", only="epub", progress=messages.append)
    assert messages == ["nothing changed: outputs from the cache"]


def test_the_cache_keeps_the_most_recent_whole_books_only(tmp_path: Path) -> None:
    import os

    from pipeline.cache import KEEP

    cache = Cache(tmp_path / "cache")
    for i in range(40):
        cache.put("output", f"book-{i}", b"%PDF")
        os.utime(tmp_path / "cache" / "output" / f"book-{i}", (1_000_000 + i, 1_000_000 + i))
    kept = {p.name for p in (tmp_path / "cache" / "output").iterdir()}
    assert len(kept) <= KEEP["output"] + KEEP["output"] // 10
    assert "book-39" in kept and "book-0" not in kept
