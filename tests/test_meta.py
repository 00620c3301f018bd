"""Book metadata: trims, contributors, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.diagnostics import Collector
from pipeline.load import load

from conftest import MANUSCRIPT


def book(tmp_path: Path, yaml: str) -> tuple[object, list[str]]:
    (tmp_path / "book.yaml").write_text(yaml)
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\nText.\n")
    diags = Collector()
    doc = load(tmp_path, diags)
    return doc, [str(d) for d in diags.items]


@pytest.mark.parametrize(("trim", "size"), [
    ("us-trade", (152.4, 228.6)), ("digest", (139.7, 215.9)), ("demy", (138, 216)),
    ("royal", (156, 234)), ("b-format", (129, 198)), ("a5", (148, 210)),
    ("140mm x 210mm", (140, 210)), ("5 x 8 in", (127, 203.2)), ("13.5cm x 21.5cm", (135, 215)),
])
def test_trims(tmp_path: Path, trim: str, size: tuple[float, float]) -> None:
    doc, diags = book(tmp_path, f"title: T\ntrim: {trim}\n")
    assert not diags
    assert (doc.meta.trim.width_mm, doc.meta.trim.height_mm) == pytest.approx(size)  # type: ignore[attr-defined]


def test_unknown_trim_is_an_error(tmp_path: Path) -> None:
    _, diags = book(tmp_path, "title: T\ntrim: huge\n")
    assert any(":2:7: error: unknown trim 'huge'" in d for d in diags), diags


def test_defaults_need_only_a_title(tmp_path: Path) -> None:
    doc, diags = book(tmp_path, "title: Only a Title\n")
    assert not diags
    m = doc.meta  # type: ignore[attr-defined]
    assert (m.lang, m.trim.name, m.slug) == ("en", "demy", "only-a-title")
    assert m.identifier.startswith("urn:uuid:")
    again, _ = book(tmp_path, "title: Only a Title\n")
    assert again.meta.identifier == m.identifier  # type: ignore[attr-defined]


def test_title_is_required(tmp_path: Path) -> None:
    _, diags = book(tmp_path, "author: Someone\n")
    assert any("error: 'title' is required" in d for d in diags)


def test_author_string_or_list(tmp_path: Path) -> None:
    one, _ = book(tmp_path, "title: T\nauthor: Ann Author\n")
    two, _ = book(tmp_path, "title: T\nauthor: [Ann Author, Bo Writer]\n")
    assert [c.name for c in one.meta.contributors] == ["Ann Author"]  # type: ignore[attr-defined]
    assert [(c.name, c.role, c.file_as) for c in two.meta.contributors] == [  # type: ignore[attr-defined]
        ("Ann Author", "aut", "Author, Ann"), ("Bo Writer", "aut", "Writer, Bo")]


def test_the_anthology_metadata() -> None:
    diags = Collector()
    doc = load(MANUSCRIPT, diags)
    assert doc is not None and not diags.items
    m = doc.meta
    assert [(c.name, c.role) for c in m.contributors] == [
        ("Tony Cliff", "aut"), ("Paul Le Blanc", "aut"), ("Pipeline Press Editorial Team", "edt")]
    assert [ch.meta.lang for ch in doc.chapters] == ["en-GB", "en-US"]
    assert m.trim.name == "demy"
    assert len(doc.chapters[0].meta.corrections) == 6
