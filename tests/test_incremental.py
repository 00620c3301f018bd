"""The print PDF laid out a chapter at a time: after an edit only the changed chapter is laid
out again, and the result is what a clean build gives, and what the whole book laid out at
once gives (pages, folios, running heads, note numbers, labels, outline, page map, preflight).

Each result is read back from the PDF: page texts (which carry the folios, the running heads
and the note numbers), the outline, the page labels, and the bytes themselves.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

from pipeline.build import STYLES_DIR, BuildPlan, build
from pipeline.diagnostics import Collector
from pipeline.load import load_normalised
from pipeline.render.pdf.facts import LayoutFacts

from conftest import MANUSCRIPT, ROOT

sys.path.insert(0, str(ROOT / "bench"))
import synth  # noqa: E402


def page_texts(pdf: Path | bytes) -> list[str]:
    return [page.extract_text() for page in _reader(pdf).pages]


def _reader(pdf: Path | bytes) -> pypdf.PdfReader:
    import io

    return pypdf.PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)


def outline(pdf: Path | bytes) -> list[tuple[int, str, int]]:
    reader = _reader(pdf)
    out: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:  # type: ignore[type-arg]
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out


def links(pdf: Path | bytes) -> list[str]:
    return sorted(str(a.get_object().get("/Contents")) for p in _reader(pdf).pages for a in p.get("/Annots") or [])


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


def assert_same_book(built, clean) -> None:  # type: ignore[no-untyped-def]
    assert built.pages == clean.pages
    assert page_texts(built.pdf) == page_texts(clean.pdf)  # text, folios, running heads, note numbers
    assert outline(built.pdf) == outline(clean.pdf)
    assert _reader(built.pdf).page_labels == _reader(clean.pdf).page_labels
    assert links(built.pdf) == links(clean.pdf)
    assert built.pdf.read_bytes() == clean.pdf.read_bytes()
    assert built.epub.read_bytes() == clean.epub.read_bytes()  # its page list comes from the layout
    report = built.pdf.with_name(built.pdf.stem + "-preflight.json")
    assert report.read_bytes() == clean.pdf.with_name(clean.pdf.stem + "-preflight.json").read_bytes()
    assert built.warnings == clean.warnings


def test_an_edit_lays_out_only_its_chapter_and_gives_a_clean_build(
        book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_CACHE", "1")
    out = tmp_path / "out"
    first: list[str] = []
    build(BuildPlan(book, out), progress=first.append)
    assert laid_out(first) == ["ch01", "ch02", "ch03", "ch04", "front matter"]
    chapter = book / "ch02.md"
    paragraphs = chapter.read_text().split("\n\n")
    paragraphs[3] += " An editor's word more."
    chapter.write_text("\n\n".join(paragraphs))

    again: list[str] = []
    rebuilt = build(BuildPlan(book, out, jobs=2), progress=again.append)
    assert laid_out(again) == ["ch02"]  # the same page count: nothing else moves
    clean = build(BuildPlan(book, tmp_path / "clean", use_cache=False))
    assert_same_book(rebuilt, clean)
    assert "editor\u2019s word more" in "".join(page_texts(rebuilt.pdf)).replace("\n", " ")


def test_a_chapter_that_grows_moves_the_later_chapters_to_new_folios(
        book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_CACHE", "1")
    out = tmp_path / "out"
    before = build(BuildPlan(book, out))
    chapter = book / "ch02.md"
    paragraphs = chapter.read_text().split("\n\n")
    paragraphs[3:3] = paragraphs[3:9]  # six paragraphs more: a page or more
    chapter.write_text("\n\n".join(paragraphs))

    again: list[str] = []
    rebuilt = build(BuildPlan(book, out, jobs=2), progress=again.append)  # ch03 and ch04 (folios known) in parallel
    assert rebuilt.pages > before.pages
    # ch01 stays; ch03 and ch04 at new folios; the contents shows them
    assert laid_out(again) == ["ch02", "ch03", "ch04", "front matter"]
    clean = build(BuildPlan(book, tmp_path / "clean", use_cache=False))
    assert_same_book(rebuilt, clean)


def test_with_the_cache_off_every_section_is_laid_out_and_nothing_is_kept(book: Path, tmp_path: Path) -> None:
    messages: list[str] = []
    build(BuildPlan(book, tmp_path / "out", jobs=2), progress=messages.append)
    assert laid_out(messages) == ["ch01", "ch02", "ch03", "ch04", "front matter"]
    assert not (tmp_path / ".pipeline-cache").exists()


def without_keys(facts):  # type: ignore[no-untyped-def]
    import dataclasses

    return [dataclasses.replace(p, paragraphs=tuple(n for _, n in p.paragraphs)) for p in facts.pages]


def test_a_printer_profile_lays_out_the_pages_of_the_proof(book: Path) -> None:
    """One engine: a printer's PDF (KDP: bleed, a gutter by page count that this trim's own
    inside margin already exceeds) has the proof's pages, folios, running heads, labels,
    outline, page map and layout facts; only its boxes and page furniture differ."""
    from pipeline.print_profiles import PROFILES
    from pipeline.render.pdf.layout import render_pdf
    from pipeline.render.pdf.printer import press_options

    doc = load_normalised(MANUSCRIPT, Collector())
    assert doc is not None
    proof = render_pdf(doc, STYLES_DIR)
    kdp = render_pdf(doc, STYLES_DIR, press_options(PROFILES["kdp"]))
    assert kdp.pages == proof.pages
    assert page_texts(kdp.pdf) == page_texts(proof.pdf)
    assert outline(kdp.pdf) == outline(proof.pdf)
    assert _reader(kdp.pdf).page_labels == _reader(proof.pdf).page_labels
    assert links(kdp.pdf) == links(proof.pdf)
    assert kdp.page_map == proof.page_map and kdp.page_map.breaks
    assert kdp.facts == proof.facts
    # KDP's bleed on the outside edge: right of a recto, left of a verso, blank pages too
    bleeds = [(round(float(p.trimbox.left - p.bleedbox.left)), round(float(p.bleedbox.right - p.trimbox.right)))
              for p in _reader(kdp.pdf).pages]
    assert set(bleeds[::2]) == {(0, 9)} and set(bleeds[1::2]) == {(9, 0)}
    # the facts survive the cache (JSON) unchanged
    assert LayoutFacts.from_json(json.loads(json.dumps(kdp.facts.to_json()))) == kdp.facts


def test_a_printer_profile_after_an_edit_lays_out_the_changed_chapter_only(
        book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """IngramSpark's PDF/X-1a, CMYK, bleed: cached a section at a time as the proof is."""
    monkeypatch.setenv("PIPELINE_CACHE", "1")
    build(BuildPlan(book, tmp_path / "out", profile="ingram"))
    chapter = book / "ch02.md"
    paragraphs = chapter.read_text().split("\n\n")
    paragraphs[3] += " An editor's word more."
    chapter.write_text("\n\n".join(paragraphs))
    messages: list[str] = []
    rebuilt = build(BuildPlan(book, tmp_path / "out", profile="ingram"), progress=messages.append)
    assert laid_out(messages) == ["ch02"]
    clean = build(BuildPlan(book, tmp_path / "clean", profile="ingram", use_cache=False))
    assert_same_book(rebuilt, clean)


def test_sections_laid_out_in_worker_processes_give_the_same_bytes(
        book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.render.pdf import sections as pdf_sections
    from pipeline.render.pdf.layout import render_pdf

    doc = load_normalised(book, Collector())
    assert doc is not None
    here = render_pdf(doc, STYLES_DIR)
    monkeypatch.setattr(pdf_sections, "WORKER_CHARS", 0)  # as for a large book: every chapter in a worker
    assert render_pdf(doc, STYLES_DIR).pdf == here.pdf


def test_a_section_laid_out_from_folio_1_and_renumbered_is_the_section_laid_out_at_its_folio() -> None:
    """What a clean build with -j rests on: folios are only in the margin boxes (folios.renumber)."""
    from pipeline.render.pdf import layout as pdf
    from pipeline.render.pdf import sections as pdf_sections

    doc = load_normalised(MANUSCRIPT, Collector())
    assert doc is not None
    parts = pdf.print_parts(doc)
    setup = pdf.section_setup(doc, parts, STYLES_DIR)
    name, body = pdf._bodies(doc, parts)[1]  # Le Blanc: running heads and folios on 15 pages
    at_folio = pdf_sections.lay_out(setup, pdf_sections.Section(name, body, 17))
    counted: list[int] = []
    section, renumbered = pdf_sections._lay_out(setup, pdf_sections.Section(name, body, 1), None,
                                                lambda pages: counted.append(pages) or 17)
    assert counted == [at_folio.pages] and section.first_folio == 17
    assert renumbered.pdf == at_folio.pdf
    assert (renumbered.anchors, renumbered.facts) == (at_folio.anchors, at_folio.facts)
    texts = page_texts(renumbered.pdf)
    assert texts[1].strip().splitlines()[-1].strip() == "18"  # a folio of the real numbering


def test_a_clean_build_with_j_lays_out_every_chapter_at_once_and_gives_the_same_book(
        book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.render.pdf import sections as pdf_sections

    submitted: list[str] = []

    class Recording(pdf_sections.ProcessPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            submitted.append(fn.__name__)
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(pdf_sections, "ProcessPoolExecutor", Recording)
    parallel = build(BuildPlan(book, tmp_path / "j2", use_cache=False, jobs=2))
    assert submitted == ["lay_out_in_turn"] * 4  # all four chapters before any page count is known
    assert_same_book(parallel, build(BuildPlan(book, tmp_path / "j1", use_cache=False)))


def test_a_section_waiting_for_its_folio_gives_up_when_another_fails() -> None:
    """Otherwise a worker would wait for ever for the page count of a section whose layout failed."""
    from multiprocessing import get_context

    from pipeline.render.pdf import layout as pdf
    from pipeline.render.pdf import sections as pdf_sections

    doc = load_normalised(ROOT / "tests" / "fixtures" / "note-pushed", Collector())
    assert doc is not None
    parts = pdf.print_parts(doc)
    setup = pdf.section_setup(doc, parts, STYLES_DIR)
    name, body = pdf._bodies(doc, parts)[0]
    pdf_sections._share_counts(get_context("spawn").Array("q", [-1, -1, 1]))  # section 0 unknown; abort set
    try:
        with pytest.raises(RuntimeError, match="another section's layout failed"):
            pdf_sections.lay_out_in_turn(setup, name, body, None, 1)
    finally:
        pdf_sections._share_counts(None)


def test_a_book_outlasting_its_workers_is_finished_by_fresh_ones(book: Path, tmp_path: Path) -> None:
    """Workers are replaced after SECTIONS_PER_WORKER sections each (here 1, so four pools for
    four chapters with -j 2): the build ends (a pool retiring its own workers could wait for
    ever: CPython gh-115634) and gives the bytes of a build in one process."""
    code = ("import sys; from pathlib import Path; from pipeline.render.pdf import sections as pdf_sections;"
            "pdf_sections.SECTIONS_PER_WORKER = 1; from pipeline.build import BuildPlan, build;"
            "build(BuildPlan(Path(sys.argv[1]), Path(sys.argv[2]), use_cache=False, jobs=2))")
    subprocess.run([sys.executable, "-c", code, str(book), str(tmp_path / "j2")], cwd=ROOT, timeout=900, check=True)
    alone = build(BuildPlan(book, tmp_path / "j1", use_cache=False))
    assert (tmp_path / "j2" / alone.pdf.name).read_bytes() == alone.pdf.read_bytes()


@pytest.mark.parametrize("chars, cores, workers", [(200_000, 8, [4]), (200_000, 2, [2]), (2_000, 8, [])])
def test_without_j_a_large_book_is_laid_out_in_a_worker_a_core(monkeypatch: pytest.MonkeyPatch, chars: int,
                                                               cores: int, workers: list[int]) -> None:
    """`-j` left out (jobs 0): a book large enough for worker processes lays out its chapters in as
    many as the machine has cores, at most AUTO_JOBS (a 300,000-word clean PDF: 40 s against 64 s
    wall on 2 cores, make bench); a small book in the build's own process, as before (a worker
    costs about a second to start)."""
    from pipeline.cache.store import Cache
    from pipeline.render.pdf import sections

    class Started(Exception):
        pass

    made: list[int] = []

    def workers_made(jobs: int, *args: object) -> None:
        made.append(jobs)
        raise Started

    def laid_out_here(*args: object) -> None:
        raise Started

    monkeypatch.setattr(sections, "_Workers", workers_made)
    monkeypatch.setattr(sections, "lay_out", laid_out_here)
    monkeypatch.setattr(sections.os, "cpu_count", lambda: cores)
    bodies = [("one", "x" * chars), ("two", "y" * chars)]
    with pytest.raises(Started):
        sections.lay_out_body(None, bodies, sections.SectionCache(Cache(None), ""), 0, lambda s: None)  # type: ignore[arg-type]
    assert made == workers


@pytest.mark.parametrize("laid_before, where", [(0, "here"), (12, "worker")])
def test_an_edits_one_section_of_a_large_book_is_laid_out_in_the_builds_own_process(
        monkeypatch: pytest.MonkeyPatch, laid_before: int, where: str) -> None:
    """A worker costs more to start than one chapter's layout (300,000 words, one paragraph
    edited: 4.0 CPU-s against 4.7), and one section's memory is a worker's bound anyway. A
    process that has laid out SECTIONS_PER_WORKER sections itself (a preview server after many
    edits) leaves them to workers, whose memory goes back to the system."""
    from pipeline.cache.store import Cache
    from pipeline.render.pdf import sections

    class Started(Exception):
        pass

    seen: list[str] = []

    def workers_made(*args: object) -> None:
        seen.append("worker")
        raise Started

    def laid_out_here(*args: object) -> None:
        seen.append("here")
        raise Started

    monkeypatch.setattr(sections, "_Workers", workers_made)
    monkeypatch.setattr(sections, "lay_out", laid_out_here)
    monkeypatch.setattr(sections, "_laid_in_process", laid_before)
    assert laid_before in (0, sections.SECTIONS_PER_WORKER)
    large = [("one", "x" * (sections.WORKER_CHARS + 1))]
    with pytest.raises(Started):
        sections.lay_out_body(None, large, sections.SectionCache(Cache(None), ""), 0, lambda s: None)  # type: ignore[arg-type]
    assert seen == [where]


def test_after_an_edit_the_check_reads_only_the_pages_of_the_changed_chapter(
        book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """check/readings.py: the words, colours and findings of unchanged sections come from the
    cache; pdftotext reads the changed section's pages of the merged PDF, and the report is a
    clean build's."""
    from pipeline.check import readings

    monkeypatch.setenv("PIPELINE_CACHE", "1")
    build(BuildPlan(book, tmp_path / "out"))
    chapter = book / "ch02.md"
    paragraphs = chapter.read_text().split("\n\n")
    paragraphs[3] += " An editor's word more."
    chapter.write_text("\n\n".join(paragraphs))
    read: list[tuple[int, int]] = []
    real = readings.pdf_words

    def recorded(pdf, first=0, last=0):  # type: ignore[no-untyped-def]
        read.append((first, last))
        return real(pdf, first, last)

    monkeypatch.setattr(readings, "pdf_words", recorded)
    rebuilt = build(BuildPlan(book, tmp_path / "out"))
    labels = _reader(rebuilt.pdf).page_labels
    (first, last), = read
    assert labels[first - 1] != "1" and labels[first - 1].isdigit() and last < len(labels)  # ch02: neither ch01 nor the end
    assert "editor\u2019s word more" in " ".join(page_texts(rebuilt.pdf)[first - 1:last]).replace("\n", " ")
    assert_same_book(rebuilt, build(BuildPlan(book, tmp_path / "clean", use_cache=False)))
