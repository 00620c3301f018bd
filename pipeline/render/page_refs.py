"""Tagged PDFs in time linear in the pages, not quadratic (WeasyPrint 70 with pydyf 0.12).

Writing a PDF/UA file, WeasyPrint reads `pdf.page_references[n]` for every tagged element and
every link, and pydyf's property builds the references of all the pages on each read: a
chapter of 5,469 pages reads it some 265,000 times, about 1.5 billion references made to use
one each (its PDF took 583 s of CPU, 379 s with this; 4 MB of prose 119 s, 92 s). `install()`
keeps the tuple until a page is added (pages are only ever appended, by PDF.add_page), so a
read is one index. The same references, so the same bytes.
"""

from __future__ import annotations

from typing import Any

_KEPT = "_pipeline_page_references"  # (the Kids array, its length, the references made from it)


def install() -> bool:
    """Idempotent; True when in effect. Leaves pydyf alone if page_references is not the
    plain property it patches."""
    import pydyf

    current = pydyf.PDF.__dict__.get("page_references")
    if not isinstance(current, property) or current.fget is None:
        return False
    if getattr(current.fget, "keeps_references", False):
        return True
    stock = current.fget

    def page_references(pdf: Any) -> tuple[bytes, ...]:
        kids = pdf.pages["Kids"]
        kept = pdf.__dict__.get(_KEPT)
        if kept is None or kept[0] is not kids or kept[1] != len(kids):
            kept = (kids, len(kids), stock(pdf))
            pdf.__dict__[_KEPT] = kept
        return kept[2]  # type: ignore[no-any-return]

    page_references.keeps_references = True  # type: ignore[attr-defined]
    page_references.stock = stock  # type: ignore[attr-defined]  # for tests that compare
    pydyf.PDF.page_references = property(page_references)
    return True
