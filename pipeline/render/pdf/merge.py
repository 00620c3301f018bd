"""Section PDFs -> one PDF (pikepdf): pages in order with blank pages where a section must end on
a left-hand page, one outline, one table of named destinations, one tag tree, cross-section links.

WeasyPrint writes each section's links to its own ids as named destinations and its tag tree
with a parent tree keyed from 0 (pages, then link annotations); merging renumbers those keys
and hangs every section's elements under one Document element. The result is saved with a
content-derived file ID, so the same sections always give the same bytes.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem, Pdf, String

from pipeline.render.pdf.sections import XREF


@dataclass(frozen=True)
class Merged:
    pdf: bytes
    pages: int
    unresolved: tuple[str, ...]  # ids that cross-section links aimed at and no section defines


def _outline(items: Sequence[OutlineItem], index: dict[tuple[int, int], int], first: int) -> list[OutlineItem]:
    out = []
    for item in items:
        dest = item.destination
        if isinstance(dest, Array) and len(dest) >= 4:
            page = first + index[dest[0].objgen]
            left, top = float(dest[2]), float(dest[3])
            new = OutlineItem(item.title, page, "XYZ", left=left, top=top)
        else:
            new = OutlineItem(item.title)
        new.is_closed = item.is_closed
        new.children.extend(_outline(item.children, index, first))
        out.append(new)
    return out


def _describe_links(out: Pdf, targets: dict[str, str]) -> None:
    """PDF/UA-1 wants each link described in /Contents, which WeasyPrint fills with the bare
    target (an id): "Link to <what the target is called>" (links.link_targets)."""
    for page in out.pages:
        for annot in page.obj.get("/Annots", Array()):
            if annot.get("/Subtype") != Name.Link:
                continue
            if "/Dest" in annot and isinstance(annot.Dest, String):
                annot.Contents = String(f"Link to {targets.get(str(annot.Dest), 'a place in the book')}")
            elif "/Contents" in annot:
                annot.Contents = String(f"Link to {annot.Contents}")


def _page_labels(out: Pdf, first_body_page: int) -> None:
    """/PageLabels, so that a viewer's page box shows the printed folio ("v", "12"): lower-case
    roman from i, then decimal from 1 at the first page of the body."""
    nums = Array([0, Dictionary(S=Name.r)])
    if first_body_page < len(out.pages):
        nums.extend([first_body_page, Dictionary(S=Name.D)])
    out.Root.PageLabels = Dictionary(Nums=nums)


def merge(sections: Sequence[bytes], blank_after: Sequence[bool], first_body_page: int = 0,
          targets: dict[str, str] | None = None, finish: Callable[[Pdf], None] | None = None) -> Merged:
    """sections: PDFs in order, the first giving the document's metadata (PDF/UA-1 or PDF/X
    identification in its XMP and docinfo, /Lang, /MarkInfo, /ViewerPreferences, a PDF/X's
    /OutputIntents); blank_after[i]: a blank page follows section i; first_body_page: 0-based
    index where decimal page labels begin; targets: what each id is called, for link
    descriptions; finish: a printer's edits of the merged file (printer.py), before it is saved."""
    out = Pdf.new()
    sources = [Pdf.open(io.BytesIO(data)) for data in sections]
    outline: list[OutlineItem] = []
    dests: list[tuple[str, int, Array]] = []
    document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array()))
    parent_nums: list[object] = []
    key_offset = 0
    for src, blank in zip(sources, blank_after):
        first = len(out.pages)
        index = {page.obj.objgen: i for i, page in enumerate(src.pages)}
        with warnings.catch_warnings():
            # pikepdf warns that named destinations are not carried over: they are, below.
            warnings.simplefilter("ignore", pikepdf.exceptions.PageCopyWarning)
            out.pages.extend(src.pages)
        with src.open_outline() as src_outline:
            outline.extend(_outline(src_outline.root, index, first))
        names = src.Root.get("/Names", Dictionary()).get("/Dests", Dictionary()).get("/Names", Array())
        for k in range(0, len(names), 2):
            dest = names[k + 1]
            dests.append((str(names[k]), first + index[dest[0].objgen], Array(list(dest)[1:])))
        tree = src.Root.get("/StructTreeRoot")
        if tree is not None:
            tree = out.copy_foreign(tree)  # same foreign-object map as the pages: /Pg points at our copies
            for kid in tree.K[0].K:
                kid.P = document
                document.K.append(kid)
            nums = tree.ParentTree.Nums
            keys = [int(nums[k]) for k in range(0, len(nums), 2)]
            for k in range(0, len(nums), 2):
                parent_nums.extend([int(nums[k]) + key_offset, nums[k + 1]])
            for page in out.pages[first:]:
                if "/StructParents" in page.obj:
                    page.obj.StructParents = int(page.obj.StructParents) + key_offset
                for annot in page.obj.get("/Annots", Array()):
                    if "/StructParent" in annot:
                        annot.StructParent = int(annot.StructParent) + key_offset
            key_offset += max(keys, default=-1) + 1
        if blank:
            # The blank page's boxes are those of the last page on its side of the spread (a
            # printer's bleed may differ between left- and right-hand pages).
            like = out.pages[-2 if len(out.pages) > 1 else -1].obj
            out.add_blank_page(page_size=(float(like.MediaBox[2]), float(like.MediaBox[3])))
            for box in ("/MediaBox", "/TrimBox", "/BleedBox"):
                if box in like:
                    out.pages[-1].obj[box] = Array(list(like[box]))

    # Named destinations, sorted as a name tree must be; then cross-section links aimed at them.
    dests.sort(key=lambda d: d[0])
    flat = Array()
    known = set()
    for name, page, rest in dests:
        flat.append(String(name))
        flat.append(Array([out.pages[page].obj, *rest]))
        known.add(name)
    if dests:
        out.Root.Names = Dictionary(Dests=Dictionary(Names=flat))
    unresolved = []
    for page in out.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        for annot in list(annots):
            uri = str(annot.get("/A", Dictionary()).get("/URI", ""))
            if uri.startswith(XREF):
                target = uri[len(XREF):]
                del annot.A
                annot.Dest = String(target)
                if target not in known:
                    unresolved.append(target)
    _describe_links(out, targets or {})
    _page_labels(out, first_body_page)

    if sources:
        head = sources[0]
        out.docinfo = out.copy_foreign(head.docinfo)
        for key in ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata", "/OutputIntents"):
            if key in head.Root and isinstance(head.Root[key], Array):
                out.Root[key] = out.copy_foreign(head.make_indirect(head.Root[key]))
            elif key in head.Root:
                value = head.Root[key]
                out.Root[key] = out.copy_foreign(value) if value.is_indirect else \
                    (Dictionary(dict(value.items())) if isinstance(value, Dictionary) else value)
    if len(document.K):
        parent_tree = out.make_indirect(Dictionary(Nums=Array(parent_nums)))
        root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array([document]), ParentTree=parent_tree,
                                            ParentTreeNextKey=key_offset))
        document.P = root
        out.Root.StructTreeRoot = root
    with out.open_outline() as merged_outline:
        merged_outline.root.extend(outline)
    if finish is not None:
        finish(out)
    buffer = io.BytesIO()
    version = max((s.pdf_version for s in sources), default="1.7")
    # Object streams came with PDF 1.5: a PDF/X-1a (PDF 1.4) keeps a plain cross-reference table.
    streams = pikepdf.ObjectStreamMode.generate if version >= "1.5" else pikepdf.ObjectStreamMode.disable
    out.save(buffer, deterministic_id=True, fix_metadata_version=False, min_version=version,
             object_stream_mode=streams)
    pages = len(out.pages)
    for src in sources:
        src.close()
    return Merged(buffer.getvalue(), pages, tuple(dict.fromkeys(unresolved)))
