"""The build cache: a rebuild gives the bytes a clean build gives.

A rebuild with nothing changed writes the last build's files from the cache; after an edit,
only the edited chapter is parsed again (the others come from the chapter cache).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from pipeline.build import STYLES_DIR, BuildPlan, Outputs, build
from pipeline.cache.store import Cache, inputs_key
from pipeline.fonts import font_files

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import synth  # noqa: E402


@pytest.fixture(autouse=True)
def cache_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_CACHE", "1")  # conftest turns it off for the other tests


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """Four chapters in the first book's style, with notes and block quotes."""
    src = tmp_path / "book"
    synth.write_book(src, 6000, words_per_chapter=1500)
    return src


def test_an_edit_parses_only_its_chapter_and_gives_the_bytes_of_a_clean_build(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildPlan(book, out))
    chapters = tmp_path / ".pipeline-cache" / "chapter"
    before = set(chapters.iterdir())
    (book / "ch03.md").write_text((book / "ch03.md").read_text().replace("the", "a", 1))
    rebuilt = build(BuildPlan(book, out))
    assert len(set(chapters.iterdir()) - before) == 1  # ch03 alone was parsed again
    clean = build(BuildPlan(book, tmp_path / "clean", use_cache=False))
    assert rebuilt.epub.read_bytes() == clean.epub.read_bytes()
    assert rebuilt.pdf.read_bytes() == clean.pdf.read_bytes()


def test_noop_rebuild_is_a_cache_hit_with_the_bytes_of_a_clean_build(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildPlan(book, out))
    messages: list[str] = []
    hit = build(BuildPlan(book, out), progress=messages.append)
    assert messages == ["nothing changed: outputs from the cache"]
    clean = build(BuildPlan(book, tmp_path / "clean", use_cache=False))
    assert hit.pdf.read_bytes() == clean.pdf.read_bytes()
    assert hit.epub.read_bytes() == clean.epub.read_bytes()
    assert hit.pages == clean.pages
    # Removed outputs come back from the cache, whole.
    hit.pdf.unlink()
    assert build(BuildPlan(book, out)).pdf.read_bytes() == clean.pdf.read_bytes()


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


def test_cache_off_writes_no_cache(book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_CACHE", "0")
    assert Cache.for_manuscript(book).folder is None
    build(BuildPlan(book, tmp_path / "out", outputs=Outputs.EPUB))
    assert not (tmp_path / ".pipeline-cache").exists()


def test_a_cache_hit_reports_the_warnings_of_the_build_it_replays(book: Path, tmp_path: Path) -> None:
    from pipeline.diagnostics import ManuscriptError

    chapter = book / "ch03.md"
    chapter.write_text(chapter.read_text() + "\n[^unused]: A note nobody calls.\n")
    first = build(BuildPlan(book, tmp_path / "out", outputs=Outputs.EPUB))
    assert any("never called" in d.message for d in first.warnings)
    messages: list[str] = []
    again = build(BuildPlan(book, tmp_path / "out", outputs=Outputs.EPUB), progress=messages.append)
    assert messages == ["nothing changed: outputs from the cache"]
    assert again.warnings == first.warnings
    with pytest.raises(ManuscriptError, match="never called"):
        build(BuildPlan(book, tmp_path / "out", outputs=Outputs.EPUB, strict=True))


def test_an_output_folder_inside_the_manuscript_does_not_defeat_the_cache(book: Path) -> None:
    build(BuildPlan(book, book / "out", outputs=Outputs.EPUB))
    messages: list[str] = []
    build(BuildPlan(book, book / "out", outputs=Outputs.EPUB), progress=messages.append)
    assert messages == ["nothing changed: outputs from the cache"]


def test_the_cache_keeps_the_most_recent_whole_books_only(tmp_path: Path) -> None:
    import os

    from pipeline.cache.store import KEEP

    from pipeline.cache.entries import OutputFile

    cache = Cache(tmp_path / "cache")
    for i in range(40):
        cache.put(OutputFile(f"book-{i}"), b"%PDF")
        os.utime(cache.path_of(OutputFile(f"book-{i}")), (1_000_000 + i, 1_000_000 + i))
    kept = {p.name for p in (tmp_path / "cache" / "output").iterdir()}
    assert len(kept) <= KEEP["output"] + KEEP["output"] // 10
    assert cache.path_of(OutputFile("book-39")).name in kept and cache.path_of(OutputFile("book-0")).name not in kept


def test_an_epub_edit_renders_and_compresses_only_its_chapter(
        book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.render import html
    from pipeline.render.epub import container as epub_zip

    out = tmp_path / "out"
    build(BuildPlan(book, out, outputs=Outputs.EPUB))
    (book / "ch03.md").write_text((book / "ch03.md").read_text().replace("\n\n", " One sentence more.\n\n", 1))
    rendered: list[str] = []
    compressed: list[bytes] = []
    render, deflate = html.chapter_section, epub_zip.deflate
    monkeypatch.setattr(html, "chapter_section", lambda ch, opts: rendered.append(ch.id) or render(ch, opts))
    monkeypatch.setattr(epub_zip, "deflate", lambda data: compressed.append(data) or deflate(data))
    rebuilt = build(BuildPlan(book, out, outputs=Outputs.EPUB))
    assert rendered == ["ch03"]
    assert len(compressed) == 1 and b"One sentence more." in compressed[0]  # the other files are as they were
    monkeypatch.undo()
    clean = build(BuildPlan(book, tmp_path / "clean", outputs=Outputs.EPUB, use_cache=False))
    assert rebuilt.epub.read_bytes() == clean.epub.read_bytes()


def test_the_page_list_check_reads_the_remembered_markup(book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With both books, the check that the page map fits the EPUB's text asks for the same
    chapter markup as the EPUB: after an edit, the edited chapter is rendered once, and no
    other chapter is rendered at all."""
    from pipeline.render import html

    out = tmp_path / "out"
    build(BuildPlan(book, out))
    (book / "ch03.md").write_text((book / "ch03.md").read_text().replace("\n\n", " One sentence more.\n\n", 1))
    rendered: list[str] = []
    render = html.chapter_section
    monkeypatch.setattr(html, "chapter_section",
                        lambda ch, opts: (rendered.append(ch.id) if opts.epub else None) or render(ch, opts))
    rebuilt = build(BuildPlan(book, out))
    assert rendered == ["ch03"]
    monkeypatch.undo()
    clean = build(BuildPlan(book, tmp_path / "clean", use_cache=False))
    assert rebuilt.epub.read_bytes() == clean.epub.read_bytes()


def test_the_chapter_markup_key_holds_every_rendering_option() -> None:
    """A field added to HtmlOptions is in the key of the remembered markup without anyone
    remembering to add it: changing any one field changes the key."""
    from dataclasses import fields, replace

    from pipeline.cache.store import entry_key
    from pipeline.cache.entries import ChapterMarkup
    from pipeline.render.html import HtmlOptions

    def key(opts: HtmlOptions) -> str:
        return entry_key(ChapterMarkup("fingerprint", opts, ""))

    def other_file(target: str) -> str:
        return "x.xhtml"

    base = HtmlOptions(epub=True)
    for f in fields(HtmlOptions):
        value = getattr(base, f.name)
        changed = replace(base, **{f.name: other_file if callable(value) else not value})
        assert key(changed) != key(base), f.name


def test_damaged_cache_entries_are_misses(book: Path, tmp_path: Path) -> None:
    """Every entry cut short (chapters, their markup and compressed bytes, the cover, whole builds)."""
    out = tmp_path / "out"
    build(BuildPlan(book, out, outputs=Outputs.EPUB))
    kinds = sorted(p for p in (tmp_path / ".pipeline-cache").iterdir() if p.is_dir())
    assert {"chapter", "section", "deflate"} <= {k.name for k in kinds}
    for kind in kinds:
        for entry in kind.iterdir():
            entry.write_bytes(entry.read_bytes()[:-7])
    (book / "ch02.md").write_text((book / "ch02.md").read_text().replace("\n\n", " One sentence more.\n\n", 1))
    rebuilt = build(BuildPlan(book, out, outputs=Outputs.EPUB))
    clean = build(BuildPlan(book, tmp_path / "clean", outputs=Outputs.EPUB, use_cache=False))
    assert rebuilt.epub.read_bytes() == clean.epub.read_bytes()


def test_a_chapter_is_rendered_again_when_the_id_it_links_to_moves_to_another_chapter(
        book: Path, tmp_path: Path) -> None:
    """ch01 is not edited and its link still reads #moved, but the file it points at changes."""
    target = "\n\nThe passage [here]{#moved} is this one.\n"

    def put_target_in(name: str) -> None:
        for ch in ("ch02.md", "ch03.md"):
            text = (book / ch).read_text().replace(target, "")
            (book / ch).write_text(text + target if ch == name else text)

    first = book / "ch01.md"
    first.write_text(first.read_text() + "\n\nSee [the passage](#moved).\n")
    put_target_in("ch02.md")
    out = tmp_path / "out"
    before = build(BuildPlan(book, out, outputs=Outputs.EPUB))
    assert 'href="ch02.xhtml#moved"' in _chapter_file(before.epub, "ch01")
    put_target_in("ch03.md")
    after = build(BuildPlan(book, out, outputs=Outputs.EPUB))
    assert 'href="ch03.xhtml#moved"' in _chapter_file(after.epub, "ch01")
    clean = build(BuildPlan(book, tmp_path / "clean", outputs=Outputs.EPUB, use_cache=False))
    assert after.epub.read_bytes() == clean.epub.read_bytes()


def _chapter_file(epub: Path, chapter_id: str) -> str:
    import zipfile

    with zipfile.ZipFile(epub) as z:
        return z.read(f"EPUB/text/{chapter_id}.xhtml").decode()


def test_front_matter_parsed_before_at_the_same_place_comes_from_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.read import sources
    from pipeline.diagnostics import Collector, SourcePos

    cache = Cache(tmp_path / "cache")
    text = 'title: "A Title"\ndate: 2019-05-01\nauthors: [One, Two]'
    first = sources.parse_yaml(text, SourcePos("ch01.md", 2, 1), Collector(), cache)
    parsed: list[str] = []
    parse = sources._parse_yaml
    monkeypatch.setattr(sources, "_parse_yaml", lambda t, pos, d: parsed.append(pos.path) or parse(t, pos, d))
    assert sources.parse_yaml(text, SourcePos("ch01.md", 2, 1), Collector(), cache) == first
    assert parsed == []
    moved = sources.parse_yaml(text, SourcePos("ch02.md", 2, 1), Collector(), cache)  # positions name the file
    assert parsed == ["ch02.md"] and moved is not None and moved.key_pos["date"].path == "ch02.md"
    once, again = Collector(), Collector()  # (one collector keeps a message once)
    assert sources.parse_yaml("title: [unclosed", SourcePos("ch03.md", 2, 1), once, cache) is None
    assert sources.parse_yaml("title: [unclosed", SourcePos("ch03.md", 2, 1), again, cache) is None
    assert len(once.items) == len(again.items) == 1  # an error is reported every time, never kept


def test_every_entry_is_declared_in_one_module_with_a_kind_of_its_own() -> None:
    """One module owns every kind of entry; a key is made from an entry's fields only, so an
    input cannot be left out of it, and nothing else can be stored."""
    import dataclasses

    from pipeline.cache import entries as cache_entries
    from pipeline.cache.store import entry_key

    kinds = [c for c in vars(cache_entries).values()
             if isinstance(c, type) and issubclass(c, cache_entries.Entry) and c is not cache_entries.Entry]
    assert len(kinds) == 12 and len({k.KIND for k in kinds}) == len(kinds)
    for kind in kinds:
        assert dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen, kind  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        entry_key(("chapter", "a key made by hand"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        entry_key(cache_entries.PdfPages("context", {"not": "an input"}))  # type: ignore[arg-type]
    assert entry_key(cache_entries.PdfPages("a", "b")) != entry_key(cache_entries.PdfPages("ab", ""))


def test_a_build_from_another_working_folder_is_a_cache_hit_told_from_there(
        book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Positions name files relative to the manuscript folder (issue 14): the whole-build key
    holds no working folder, and only the CLI names the files as the shell does."""
    from pipeline.cli import main

    chapter = book / "ch03.md"
    chapter.write_text(chapter.read_text() + "\n[^unused]: A note nobody calls.\n")
    first = build(BuildPlan(book, tmp_path / "out", outputs=Outputs.EPUB))
    (warning,) = [d for d in first.warnings if "never called" in d.message]
    assert warning.pos.path == "ch03.md"
    messages: list[str] = []
    monkeypatch.chdir(book)
    again = build(BuildPlan(Path("."), tmp_path / "out", outputs=Outputs.EPUB), progress=messages.append)
    assert messages == ["nothing changed: outputs from the cache"]
    assert again.warnings == first.warnings
    for cwd, shown in ((book, "ch03.md"), (tmp_path, "book/ch03.md"), (book / "images", str(book / "ch03.md"))):
        cwd.mkdir(exist_ok=True)
        monkeypatch.chdir(cwd)
        assert main(["build", str(book), "-o", str(tmp_path / "out"), "--only", "epub"]) == 0
        assert f"{shown}:{warning.pos.line}:{warning.pos.col}: warning: " in capsys.readouterr().err
