"""What the web page shows and when it rebuilds: a build read back, the page's escaping, a failed
or crashing build beside the last good one, and the watcher's debouncing."""

from __future__ import annotations

import dataclasses
import shutil
import threading
import time
from pathlib import Path

import pypdf
import pytest
from conftest import Built

import pipeline.build
from pipeline.build import STYLES_DIR
from pipeline.web.bookpage import render_page
from pipeline.web.pages import ImagesClosed
from pipeline.web.snapshot import read_build
from pipeline.web.state import BookState
from pipeline.web.watch import Rebuilder


def test_a_build_read_back(anthology: Built) -> None:
    book = read_build(anthology.out, anthology.epub.stem)
    assert book.title == "The Darker the Night, the Brighter the Star"
    assert book.subtitle == "Two Texts on Trotsky and the Struggle against Stalinism"
    assert [(c.name, c.role) for c in book.contributors][:2] == [("Tony Cliff", "aut"), ("Paul Le Blanc", "aut")]
    assert book.epub.data == anthology.epub.read_bytes() and book.pdf.data == anthology.pdf.read_bytes()
    assert book.cover.startswith(b"\x89PNG") and book.cover_type == "image/png"
    reader = pypdf.PdfReader(anthology.pdf)
    assert book.pages == len(reader.pages)

    def flat(items: list, level: int = 0) -> list[tuple[str, int, int]]:  # type: ignore[type-arg]
        out: list[tuple[str, int, int]] = []
        for item in items:
            if isinstance(item, list):
                out += flat(item, level + 1)
            else:
                out.append((item.title, reader.get_destination_page_number(item) + 1, level))
        return out

    assert [(e.title, e.page, e.level) for e in book.outline] == flat(reader.outline)
    assert any(e.title == "Living hell" for e in book.outline)


def test_the_page_escapes_everything_it_shows(tiny_built: Built) -> None:
    book = read_build(tiny_built.out, tiny_built.epub.stem)
    evil = '<script>alert(1)</script> & "quoted"'
    book = dataclasses.replace(book, title=evil, subtitle=evil, description=evil,
                               contributors=(dataclasses.replace(book.contributors[0], name=evil),))
    html = render_page(book, errors=[f"first.md:1:1: error: {evil}"], live="events", status=evil, warnings=[evil])
    assert "<script>alert" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;") >= 7


def test_failed_and_crashing_builds_keep_the_last_good_one(tiny: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    state = BookState(tiny, tmp_path / "out", STYLES_DIR)
    good = state.rebuild()
    assert good.book is not None and not good.errors
    (tiny / "second.md").write_text((tiny / "second.md").read_text().replace("title:", "title: [", 1))
    failed = state.rebuild()
    assert failed.book is good.book and failed.version > good.version
    assert failed.errors and all("second.md:" in e for e in failed.errors)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(pipeline.build, "build", crash)
    crashed = state.rebuild()
    assert crashed.book is good.book
    assert crashed.errors == ("internal error in the pipeline: RuntimeError: a bug (please report it)",)
    state.close()


def test_the_page_counts_the_errors_not_the_warnings_beside_them(tiny: Path, tmp_path: Path) -> None:
    """Two errors and a warning: the build's own count (2) is what the page and the event say,
    not a count of the lines shown."""
    first = tiny / "first.md"
    text = first.read_text().replace('date: "1993"', "date: 1917-02-29").replace("[^m]: Third.", "")
    first.write_text(text.replace("lang: en-GB", "lang: en-GB\nauthr: typo"))
    state = BookState(tiny, tmp_path / "out", STYLES_DIR)
    failed = state.rebuild()
    assert len(failed.errors) == 3 and any(": warning: unknown key 'authr'" in e for e in failed.errors)
    assert failed.error_count == 2
    html = render_page(failed.book, errors=failed.errors, error_count=failed.error_count, live="events")
    assert "The manuscript has 2 problems" in html
    state.close()


def _counting_rebuilder(folder: Path, seconds: float = 0.0) -> tuple[Rebuilder, list[float]]:
    calls: list[float] = []

    def rebuild() -> None:
        calls.append(time.monotonic())
        time.sleep(seconds)

    rebuilder = Rebuilder([folder], folder / "out", rebuild)
    rebuilder.start()
    time.sleep(0.5)  # the watcher is set up
    return rebuilder, calls


def _wait_for(calls: list[float], n: int, limit: float = 20, settle: float = 2) -> None:
    deadline = time.monotonic() + limit
    while len(calls) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(settle)  # and nothing more follows


def test_a_burst_of_saves_is_one_rebuild(tmp_path: Path) -> None:
    shutil.copytree(Path(__file__).parent / "fixtures" / "tiny", tmp_path / "book")
    rebuilder, calls = _counting_rebuilder(tmp_path / "book")
    try:
        chapter = tmp_path / "book" / "first.md"
        for i in range(5):  # an editor that writes a file in pieces, plus a swap file
            chapter.write_text(chapter.read_text() + f"\nline {i}\n")
        (tmp_path / "book" / ".first.md.swp").write_text("swap")
        _wait_for(calls, 1)
        assert len(calls) == 1
        (tmp_path / "book" / "out").mkdir()
        (tmp_path / "book" / "out" / "x.epub").write_text("the build's own output is not a change")
        (tmp_path / "book" / "first.md~").write_text("backup")
        time.sleep(2.5)
        assert len(calls) == 1
    finally:
        rebuilder.close()


def test_a_save_during_a_build_is_built_after_it(tmp_path: Path) -> None:
    shutil.copytree(Path(__file__).parent / "fixtures" / "tiny", tmp_path / "book")
    rebuilder, calls = _counting_rebuilder(tmp_path / "book", seconds=2.0)
    try:
        chapter = tmp_path / "book" / "first.md"
        chapter.write_text(chapter.read_text() + "\none\n")
        _wait_for(calls, 1, limit=10, settle=0)
        assert len(calls) == 1
        chapter.write_text(chapter.read_text() + "\ntwo\n")  # while the (slow) build runs
        _wait_for(calls, 2, settle=3)
        assert len(calls) == 2
    finally:
        rebuilder.close()


def test_closing_stops_all_page_rendering(tiny_built: Built, tmp_path: Path) -> None:
    """At exit no thread may be inside PDFium: closing waits for the page being rendered and
    renders nothing more, while pages already cached are still served."""
    state = BookState(tiny_built.source, tmp_path / "out", STYLES_DIR)
    shutil.copytree(tiny_built.out, tmp_path / "out")
    assert state.load_existing(tiny_built.epub.stem)
    images = state.current().images
    first = images.path("z", 1)
    state.close()
    assert not any(t.is_alive() for t in threading.enumerate() if t.name == "render-ahead")
    assert images.path("z", 1) == first
    last = images.book.pages
    if not (images.folder / f"z-{last:03d}.png").exists():
        with pytest.raises(ImagesClosed):
            images.path("z", last)


def test_event_stream_waits_for_the_next_state(tiny_built: Built) -> None:
    state = BookState(tiny_built.source, tiny_built.out, STYLES_DIR)
    assert state.load_existing(tiny_built.epub.stem)
    version = state.current().version
    seen = []
    waiter = threading.Thread(target=lambda: seen.append(state.wait(version, 30)))
    waiter.start()
    time.sleep(0.2)
    assert not seen  # still waiting
    state.load_existing(tiny_built.epub.stem)
    waiter.join(10)
    assert seen and seen[0].version > version
    state.close()
