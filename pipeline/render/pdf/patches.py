"""Every change this pipeline makes to the code of WeasyPrint 70 and pydyf 0.12, in one place.

Each patch replaces one function (or property) of theirs. It is applied only while a layout or
the writing of a PDF runs (`applied()`, re-entrant and shared by threads that lay out at once),
and WeasyPrint is as shipped outside it. Before it applies, each checks that the code it
replaces is the code it was written for, and raises `PatchOutdated` naming the function and
the patch when it is not: a new WeasyPrint must be looked at, never silently mis-patched.
`tests/test_weasyprint_patches.py` pins each one; what each does is tested where it matters
(tests/test_footnote_fit.py, test_completeness.py, test_print_defects.py, test_hostile_size.py,
test_incremental.py).

The patches, each with the upstream change that would remove it:

- KEEP_NOTES_WITH_CALLS (block._linebox_layout): WeasyPrint, to keep a paragraph's orphans at
  the foot of a page, defers that page's footnotes to the next ("report footnotes"); a book
  must not part a note from its call. One line is rewritten (`report = False`). Gone when
  WeasyPrint lets a footnote policy (CSS GCPM `footnote-policy`) keep notes with their lines.
- KEEP_NOTE_PAGES (page.make_all_pages): when the book is laid out in several passes, a page
  that holds only a long note's continuation (render/pdf/note_split.py) was dropped because the
  pass before had no footnotes left to report. One line is rewritten. Gone with footnotes that
  split across pages upstream (Kozea/WeasyPrint#1833), which makes note_split needless too.
- KEEP_FIRST_WORDS (inline.split_first_line): a text run that ends with a space and fits the
  line only without it was cut after its first word ("Dar-" / "win" in a block quote holding a
  note call). Wrapped: such a run is laid out whole. Gone when split_first_line leaves a
  run's trailing space out of the width it compares (the space hangs, CSS Text 3 4.1.3).
- KEEP_PAGE_REFERENCES (pydyf.PDF.page_references): a property that builds the references of
  every page at each read, read for every tag and link of a tagged PDF (time quadratic in the
  pages: 583 s of CPU for a chapter of 5,469 pages, 379 s with this). Kept until a page is
  added. Gone when pydyf caches it (or WeasyPrint reads it once per page).
- KEEP_MARGIN_STATE (layout.make_margin_boxes), only within render/pdf/renumber.keeping_state(): each
  page keeps the layout context and counter state its margin boxes were made from, so a
  section laid out from folio 1 can be numbered from its real folio later. Gone when
  WeasyPrint can lay out a document from a given page counter (or keeps the state itself).
"""

from __future__ import annotations

import inspect
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

PINNED = "WeasyPrint 70.0 and pydyf 0.12"


class PatchOutdated(RuntimeError):
    """The code a patch replaces is not the code it was written for."""


@dataclass(frozen=True)
class Patch:
    name: str
    holders: Callable[[], tuple[Any, ...]]  # the modules or classes that hold the attribute
    attribute: str
    make: Callable[[Any], Any]  # the replacement, from what is there; raises PatchOutdated

    def outdated(self, what: str) -> PatchOutdated:
        owner = self.holders()[0]
        where = getattr(owner, "__module__", "") if isinstance(owner, type) else owner.__name__
        return PatchOutdated(f"{where}.{self.attribute} is not the code that the patch {self.name} in "
                             f"pipeline/render/pdf/patches.py was written for ({PINNED}): {what}; "
                             "check the patch against this version, or install the pinned one (make setup)")


def _rewritten(patch_name: str, old: str, new: str) -> Callable[[Any], Any]:
    """A function whose source is the stock one with the line `old` (found exactly once) as `new`."""
    def make(stock: Any) -> Any:
        lines, first = inspect.getsourcelines(stock)
        source = "".join(lines)
        if source.count(old) != 1:
            raise PATCHES[patch_name].outdated(f"the line {old.strip()!r} is not in it exactly once")
        module = inspect.getmodule(stock)
        namespace: dict[str, Any] = {}
        # Compiled at its own lines of WeasyPrint's file, so that tracebacks point at its source.
        exec(compile("\n" * (first - 1) + source.replace(old, new), module.__file__, "exec"),  # type: ignore[union-attr]
             module.__dict__, namespace)  # type: ignore[union-attr]
        return namespace[stock.__name__]
    return make


def _parameters(patch_name: str, stock: Any, expected: tuple[str, ...]) -> None:
    found = tuple(inspect.signature(stock).parameters)
    if found != expected:
        raise PATCHES[patch_name].outdated(f"its parameters are {found}, not {expected}")


def _keep_first_words(stock: Any) -> Any:
    _parameters("KEEP_FIRST_WORDS", stock, ("text", "style", "context", "max_width", "justification_spacing",
                                            "is_line_start", "minimum"))

    def first_word_only(text: str, length: int) -> bool:
        """The first line holds at most the run's first word (perhaps part of it)."""
        return " " not in text.encode()[:length].decode(errors="ignore").strip(" ")

    def split_first_line(text: str, style: Any, context: Any, max_width: float | None,
                         justification_spacing: float, is_line_start: bool = True, minimum: bool = False) -> Any:
        result = stock(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        if (result[2] is None or max_width is None or minimum or style["white_space"] != "normal"
                or not text.endswith(" ") or not text.strip(" ") or not first_word_only(text, result[1])):
            return result
        trimmed = stock(text.rstrip(" "), style, context, max_width, justification_spacing, is_line_start, minimum)
        if trimmed[2] is not None or trimmed[3] > max_width:
            return result  # the run is too wide even without its space: the stock answer stands
        return stock(text, style, context, None, justification_spacing, is_line_start, minimum)

    return split_first_line


_REFERENCES_KEPT = "_pipeline_page_references"  # (the Kids array, its length, the references made from it)


def _keep_page_references(stock: Any) -> Any:
    if not isinstance(stock, property) or stock.fget is None or stock.fset is not None:
        raise PATCHES["KEEP_PAGE_REFERENCES"].outdated("it is not a read-only property")
    made = stock.fget
    # What is kept is right only while the references are made from the Kids array alone.
    if "self.pages['Kids']" not in inspect.getsource(made):
        raise PATCHES["KEEP_PAGE_REFERENCES"].outdated("it is not made from the pages' Kids array")

    def page_references(pdf: Any) -> tuple[bytes, ...]:
        kids = pdf.pages["Kids"]
        kept = pdf.__dict__.get(_REFERENCES_KEPT)
        if kept is None or kept[0] is not kids or kept[1] != len(kids):  # pages are only appended
            kept = (kids, len(kids), made(pdf))
            pdf.__dict__[_REFERENCES_KEPT] = kept
        return kept[2]  # type: ignore[no-any-return]

    return property(page_references)


MARGIN_STATE = "pipeline_margin_state"  # the PageBox attribute holding (layout context, page state)


def _keep_margin_state(stock: Any) -> Any:
    _parameters("KEEP_MARGIN_STATE", stock, ("context", "page", "state"))

    def make_margin_boxes(context: Any, page: Any, state: Any) -> Any:
        setattr(page, MARGIN_STATE, (context, state))
        return stock(context, page, state)

    return make_margin_boxes


def _block() -> tuple[Any, ...]:
    from weasyprint.layout import block
    return (block,)


def _pages() -> tuple[Any, ...]:
    from weasyprint import layout
    from weasyprint.layout import page
    return (page, layout)  # layout_document calls it by the name it imported


def _inline() -> tuple[Any, ...]:
    from weasyprint.layout import inline
    return (inline,)


def _pdf() -> tuple[Any, ...]:
    import pydyf
    return (pydyf.PDF,)


def _layout() -> tuple[Any, ...]:
    from weasyprint import layout
    return (layout,)


PATCHES: dict[str, Patch] = {p.name: p for p in (
    Patch("KEEP_NOTES_WITH_CALLS", _block, "_linebox_layout", _rewritten(
        "KEEP_NOTES_WITH_CALLS", "report = not context.in_column and can_break_now and not could_break_before",
        "report = False")),
    # make_all_pages, on a page that a later pass of the layout does not make again (the passes
    # that put the contents' page numbers in), forgets the notes moved on from it to the next
    # page: the pages after the text that hold only notes were dropped, and the notes with them
    # (the end of a long note at a book's end, or a last note moved overleaf). Rewritten, the
    # page ends as it did in the pass before, so the pages that pass made after it still follow.
    Patch("KEEP_NOTE_PAGES", _pages, "make_all_pages", _rewritten(
        "KEEP_NOTE_PAGES", "            reported_footnotes = None\n            yield pages[i]\n",
        "            reported_footnotes = i + 1 < len(pages) or None\n            yield pages[i]\n")),
    Patch("KEEP_FIRST_WORDS", _inline, "split_first_line", _keep_first_words),
    Patch("KEEP_PAGE_REFERENCES", _pdf, "page_references", _keep_page_references),
    Patch("KEEP_MARGIN_STATE", _layout, "make_margin_boxes", _keep_margin_state),
)}
LAYOUT = ("KEEP_NOTES_WITH_CALLS", "KEEP_NOTE_PAGES", "KEEP_FIRST_WORDS", "KEEP_PAGE_REFERENCES")

@contextmanager
def font_configuration() -> Iterator[Any]:
    """A WeasyPrint FontConfiguration whose folder of @font-face files is removed when the
    layout is done. WeasyPrint writes each such font into a folder of its own under the
    temporary folder and removes it only when the configuration is garbage-collected, which a
    process that ends first (or pauses the collector, pipeline/build/gc_pause.py) never does: a
    folder of font files was left in /tmp by every layout. Reads FontConfiguration._folder
    (checked, as the patches are); gone when WeasyPrint gives the configuration a close()."""
    from weasyprint.text.fonts import FontConfiguration

    if "_folder" not in FontConfiguration.__dict__:
        raise PatchOutdated("weasyprint.text.fonts.FontConfiguration has no _folder: the clean-up in "
                            f"pipeline/render/pdf/patches.py was written for {PINNED}; check it against this version")
    fonts = FontConfiguration()
    try:
        yield fonts
    finally:
        if fonts._folder:
            shutil.rmtree(fonts._folder, ignore_errors=True)
            fonts._folder = None


_lock = threading.RLock()
_in_use: dict[str, int] = {}  # patch name -> layouts running with it
_stock: dict[str, Any] = {}  # patch name -> what was there before it


def stock(name: str) -> Any:
    """WeasyPrint's own function while the patch is applied (for tests that compare)."""
    return _stock[name]


def _apply(patch: Patch) -> None:
    holders = patch.holders()
    # A class's own attribute, not the descriptor's value: a property stays a property.
    there = holders[0].__dict__[patch.attribute] if isinstance(holders[0], type) else getattr(holders[0], patch.attribute)
    replacement = patch.make(there)
    _stock[patch.name] = there
    for holder in holders:
        setattr(holder, patch.attribute, replacement)


def _restore(patch: Patch) -> None:
    there = _stock.pop(patch.name)
    for holder in patch.holders():
        setattr(holder, patch.attribute, there)


@contextmanager
def applied(*names: str) -> Iterator[None]:
    """Within it, the named patches (default: those every layout needs) are in effect."""
    chosen = [PATCHES[n] for n in (names or LAYOUT)]
    with _lock:
        done: list[Patch] = []
        try:
            for patch in chosen:
                if not _in_use.get(patch.name):
                    _apply(patch)
                _in_use[patch.name] = _in_use.get(patch.name, 0) + 1
                done.append(patch)
        except BaseException:
            _release(done)
            raise
    try:
        yield
    finally:
        with _lock:
            _release(chosen)


def _release(patches: list[Patch]) -> None:
    for patch in patches:
        _in_use[patch.name] -= 1
        if not _in_use[patch.name]:
            _restore(patch)
