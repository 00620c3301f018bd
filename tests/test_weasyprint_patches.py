"""The patches of WeasyPrint's code (issue 14, part 3; pipeline/render/pdf/patches.py):
each in effect only while a layout runs, restored after it (also when two layouts overlap in
threads), and each refusing, with a message that names it, code that is not what it was
written for. What each patch does is tested with the defect it fixes (see that module).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import main
from pipeline.render.pdf import patches


def _there(patch: patches.Patch) -> list[Any]:
    holders = patch.holders()
    return [h.__dict__[patch.attribute] if isinstance(h, type) else getattr(h, patch.attribute) for h in holders]


@pytest.mark.parametrize("name", list(patches.PATCHES))
def test_a_patch_is_in_effect_only_within_its_layout(name: str) -> None:
    patch = patches.PATCHES[name]
    before = _there(patch)
    assert len({id(x) for x in before}) == 1, "every holder has WeasyPrint's own"
    with patches.applied(name):
        during = _there(patch)
        assert all(x is during[0] for x in during) and during[0] is not before[0]
        assert patches.stock(name) is before[0]
        with patches.applied(name):  # re-entrant: an inner layout changes nothing
            assert _there(patch) == during
        assert _there(patch) == during, "still in effect until the outer layout ends"
    assert _there(patch) == before


def _changed(patch: patches.Patch) -> Any:
    """Code of another shape where the patch's target is: an upstream change."""
    if patch.name == "KEEP_PAGE_REFERENCES":
        return property(lambda pdf: ())
    if patch.name in ("KEEP_FIRST_WORDS", "KEEP_MARGIN_STATE"):
        return lambda context, page: None  # other parameters
    def _linebox_layout(*args: Any) -> None:  # the rewritten line is not in it
        return None
    _linebox_layout.__name__ = _there(patch)[0].__name__
    return _linebox_layout


@pytest.mark.parametrize("name", list(patches.PATCHES))
def test_a_patch_refuses_code_it_was_not_written_for(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    patch = patches.PATCHES[name]
    other = _changed(patch)
    for holder in patch.holders():
        monkeypatch.setattr(holder, patch.attribute, other)
    with pytest.raises(patches.PatchOutdated) as raised:
        with patches.applied(name):
            pass
    message = str(raised.value)
    assert f"{patch.attribute} is not the code that the patch {name}" in message
    assert "WeasyPrint 70.0" in message and "make setup" in message
    assert all(x is other for x in _there(patch)), "nothing applied"
    assert not patches._in_use.get(name)


def test_a_failed_patch_leaves_the_others_unapplied(monkeypatch: pytest.MonkeyPatch) -> None:
    first, failing = (patches.PATCHES[n] for n in ("KEEP_NOTES_WITH_CALLS", "KEEP_FIRST_WORDS"))
    before = _there(first)
    for holder in failing.holders():
        monkeypatch.setattr(holder, failing.attribute, _changed(failing))
    with pytest.raises(patches.PatchOutdated):
        with patches.applied(first.name, failing.name):
            pass
    assert _there(first) == before


def test_overlapping_layouts_in_threads_share_the_patches_until_the_last_ends() -> None:
    patch = patches.PATCHES["KEEP_NOTE_PAGES"]
    before = _there(patch)
    inside, release = threading.Event(), threading.Event()

    def layout() -> None:
        with patches.applied():
            inside.set()
            release.wait(timeout=60)

    other = threading.Thread(target=layout)
    other.start()
    assert inside.wait(timeout=60)
    with patches.applied():
        during = _there(patch)
        assert during != before
    assert _there(patch) == during, "the other thread's layout still runs with it"
    release.set()
    other.join(timeout=60)
    assert _there(patch) == before


def test_after_a_build_weasyprint_is_as_shipped(tiny: Path, tmp_path: Path) -> None:
    before = {name: _there(patch) for name, patch in patches.PATCHES.items()}
    assert main(["build", str(tiny), "-o", str(tmp_path), "--only", "pdf", "--no-cache", "-j", "1"]) == 0
    assert {name: _there(patch) for name, patch in patches.PATCHES.items()} == before
    assert not any(patches._in_use.values())


def test_a_build_leaves_no_font_files_in_the_temporary_folder(
        tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint writes each @font-face font into a folder of its own under the temporary
    folder, removed only when garbage-collected: a build left one per layout in /tmp."""
    import tempfile

    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))  # the cover's worker process
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))  # this process
    assert main(["build", str(tiny), "-o", str(tmp_path / "out"), "--profile", "kdp", "--no-cache"]) == 0
    assert main(["build", str(tiny), "-o", str(tmp_path / "proof"), "--no-cache", "-j", "2"]) == 0
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 2  # the book and its cover
    assert sorted(p.name for p in temporary.iterdir() if p.name.startswith("weasyprint-")) == []
