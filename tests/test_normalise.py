"""Normalisation passes, one at a time, and the golden dump of a small manuscript."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.diagnostics import Collector
from pipeline.dump import dump
from pipeline.load import load, load_normalised
from pipeline.model import Note, Para, Text
from pipeline.normalise import PASSES, normalise
from pipeline.normalise.notes import number_notes
from pipeline.normalise.structure import one_title_per_chapter
from pipeline.normalise.typography import smarten, smarten_runs, typography
from pipeline.walk import iter_block_inlines

from conftest import FIXTURES

GOLDEN = Path(__file__).parent / "golden" / "tiny.dump"


@pytest.mark.parametrize(("before", "after"), [
    ('"Quoted," she said.', "\u201cQuoted,\u201d she said."),
    ("Trotsky's 'isolators'", "Trotsky\u2019s \u2018isolators\u2019"),
    ("the '30s", "the \u201930s"),
    ("in 1935-39 and 8-10,000", "in 1935\u201339 and 8\u201310,000"),
    ("a Centrist - arguing", "a Centrist \u2013 arguing"),
    ("wait---no", "wait\u2014no"),
    ("compromised...Socialism", "compromised\u2026Socialism"),
    ("see p. 29, pp. 94-95, No. 33, Vol. 20", "see p.\u00a029, pp.\u00a094\u201395, No.\u00a033, Vol.\u00a020"),
    ("E. H. Carr and E.H. Carr and L. Trotsky", "E.\u00a0H.\u00a0Carr and E.H.\u00a0Carr and L.\u00a0Trotsky"),
    ("hyphen-ated words stay", "hyphen-ated words stay"),
    # A chain of numbers is an identifier or a date, not a range.
    ("ISBN 978-0-14-044913-6, on 1917-02-23", "ISBN 978-0-14-044913-6, on 1917-02-23"),
])
def test_typography_rules(before: str, after: str) -> None:
    assert smarten(before) == after
    assert smarten(after) == after  # idempotent


def test_quotes_pair_across_inline_boundaries() -> None:
    assert smarten_runs(['He wrote "', "The Title", '" and "left"']) == ["He wrote \u201c", "The Title", "\u201d and \u201cleft\u201d"]


def test_typography_never_touches_code(tmp_path: Path) -> None:
    (tmp_path / "book.yaml").write_text("title: T\n")
    (tmp_path / "a.md").write_text('---\ntitle: A\n---\nSay "hi" `x -- "y" ...` and\n\n    code -- "block"\n')
    diags = Collector()
    doc = load_normalised(tmp_path, diags)
    assert doc is not None and not diags.items
    text = dump(doc)
    assert "Code text='x -- \"y\" ...'" in text
    assert "CodeBlock text='code -- \"block\"\\n'" in text
    assert "\u201chi\u201d" in text


def test_notes_numbered_in_reading_order_not_definition_order() -> None:
    diags = Collector()
    doc = load(FIXTURES / "tiny", diags)
    assert doc is not None
    numbered = number_notes(doc)
    notes = [i for b in numbered.chapters[0].blocks for i in iter_block_inlines(b, into_notes=False) if isinstance(i, Note)]
    assert [(n.label, n.number) for n in notes] == [("z", 1), ("a", 2), ("m", 3)]
    second = [i for b in numbered.chapters[1].blocks for i in iter_block_inlines(b, False) if isinstance(i, Note)]
    assert [n.number for n in second] == [1, 2]  # per chapter


def test_one_top_level_heading_per_chapter() -> None:
    diags = Collector()
    doc = load(FIXTURES / "tiny", diags)
    assert doc is not None
    before = [b for b in doc.chapters[0].blocks if type(b).__name__ == "Heading"]
    after = [b for b in one_title_per_chapter(doc).chapters[0].blocks if type(b).__name__ == "Heading"]
    assert [h.level for h in before] == [1] and [h.level for h in after] == [2]


def test_no_space_before_a_note_call(tmp_path: Path) -> None:
    (tmp_path / "book.yaml").write_text("title: T\n")
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\nShe wrote it. [^1]\n\n[^1]: N.\n")
    doc = load_normalised(tmp_path, Collector())
    assert doc is not None
    para = doc.chapters[0].blocks[0]
    assert isinstance(para, Para) and para.inlines[0] == Text("She wrote it.")


def test_passes_are_idempotent_on_the_fixture() -> None:
    doc = load_normalised(FIXTURES / "tiny", Collector())
    assert doc is not None
    assert typography(doc) == doc
    assert normalise(doc, Collector(), PASSES) == doc


def test_golden_dump(save_golden: bool) -> None:
    diags = Collector()
    doc = load_normalised(FIXTURES / "tiny", diags)
    assert doc is not None
    text = dump(doc, positions=True) + "\n"
    if save_golden:
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), "run pytest --save-golden-files after checking the change"


def test_backslash_escapes_keep_typewriter_characters(tmp_path: Path) -> None:
    (tmp_path / "book.yaml").write_text("title: T\n")
    (tmp_path / "a.md").write_text('---\ntitle: A\n---\nA \\"straight\\" pair, 1935\\-39, p\\. 29, x\\-\\-y, and "curly".\n')
    diags = Collector()
    doc = load_normalised(tmp_path, diags)
    assert doc is not None and not diags.items
    para = doc.chapters[0].blocks[0]
    assert isinstance(para, Para)
    text = "".join(i.text for i in para.inlines if isinstance(i, Text))
    assert text == 'A "straight" pair, 1935-39, p. 29, x--y, and \u201ccurly\u201d.'


def _ids_attrs_walked(doc):  # type: ignore[no-untyped-def]
    """What the passes computed, each on its own walk, before pipeline.chapter_index."""
    from pipeline.model import Div, Heading, Image, Link, Span
    from pipeline.walk import iter_blocks

    out = []
    for ch in doc.chapters:
        ids, attrs, inlines = [], [], []
        for block in ch.blocks:
            ids += [b.attrs.id for b in iter_blocks((block,)) if isinstance(b, (Heading, Div, Para)) and b.attrs.id]
            ids += [i.attrs.id for i in iter_block_inlines(block) if isinstance(i, Span) and i.attrs.id]
            attrs += [(b.attrs, b.pos) for b in iter_blocks((block,)) if hasattr(b, "attrs")]
            attrs += [(i.attrs, block.pos) for i in iter_block_inlines(block) if hasattr(i, "attrs")]
            inlines += iter_block_inlines(block)
        out.append((tuple(ids), tuple(attrs), any(isinstance(i, Link) for i in inlines),
                    tuple(i for i in inlines if isinstance(i, Image)), any(isinstance(i, Note) for i in inlines),
                    any(isinstance(b, Heading) for b in iter_blocks(ch.blocks))))
    return out


@pytest.mark.parametrize("folder", ["resources", "tiny", "note-pushed"])
def test_the_chapter_index_answers_what_separate_walks_answered(folder: str) -> None:
    from pipeline.chapter_index import chapter_index

    for doc in (load(FIXTURES / folder, Collector()), load_normalised(FIXTURES / folder, Collector())):
        assert doc is not None
        got = [(i.ids, i.attrs, i.links, i.images, i.notes, i.headings) for i in map(chapter_index, doc.chapters)]
        assert got == _ids_attrs_walked(doc)
    assert any(g[2] for g in got) or folder != "resources"  # the fixture with links has them indexed


def test_passes_that_change_nothing_in_a_chapter_hand_on_the_same_objects() -> None:
    """So that what is known of a chapter or block (its index, its fingerprint) stays known."""
    from pipeline.normalise.ids import assign_ids
    from pipeline.normalise.links import resolve_links

    doc = load_normalised(FIXTURES / "resources", Collector())  # ids assigned, links resolved
    assert doc is not None
    again = assign_ids(doc)  # every heading has its id already
    assert all(a is b for a, b in zip(again.chapters, doc.chapters))
    tiny = load_normalised(FIXTURES / "tiny", Collector())
    assert tiny is not None
    linkless = resolve_links(tiny, Collector())
    assert all(a is b for a, b in zip(linkless.chapters, tiny.chapters))
