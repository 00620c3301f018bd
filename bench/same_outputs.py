"""Do two revisions of the pipeline give the same books? Builds each book with this working
tree's code and with the code of git revision REV (a worktree, as `make bench --against`),
each profile in its own fresh output folder with the cache off, and compares:

- the EPUB and a proof PDF: byte for byte;
- a printer profile's PDF and cover (whose layout path may change): the text of every page,
  every page's boxes (MediaBox, TrimBox, BleedBox), the page labels, the fonts (and whether
  each is embedded), the outline, the output intent and PDF/X identification, the number of
  link annotations, whether it is tagged; and its preflight report.

    .venv/bin/python bench/same_outputs.py --against 173f06a manuscript tests/corpus/rubaiyat --profiles proof kdp

Prints one line a book and profile, and exits 1 if any differ.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pikepdf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import worktree  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
_SUBSET = re.compile(r"^/?[A-Z]{6}\+")


def build(code: Path, book: Path, out: Path, profile: str) -> str:
    env = {**os.environ, "PIPELINE_CACHE": "0"}
    done = subprocess.run([PY, "-m", "pipeline", "build", str(book.resolve()), "-o", str(out), "-q",
                           "--profile", profile], cwd=code, env=env, capture_output=True, text=True)
    return "" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr.strip()[-300:]}"


def page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [" ".join(page.split()) for page in text.split("\f")]


def _fonts(resources: pikepdf.Object) -> set[tuple[str, bool]]:
    """(name, embedded) of each font the resources name (WeasyPrint gives every page of a
    document the same resources: only the book's set of fonts is compared)."""
    names = set()
    for font in resources.get("/Font", pikepdf.Dictionary()).values():
        faces = [font, *font.get("/DescendantFonts", [])]
        embedded = any(k in face.get("/FontDescriptor", {}) for face in faces
                       for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        names.add((_SUBSET.sub("", str(font.get("/BaseFont", ""))), embedded))
    for xobject in resources.get("/XObject", pikepdf.Dictionary()).values():
        if "/Resources" in xobject:
            names |= _fonts(xobject.Resources)
    return names


def printed_facts(pdf: Path) -> dict[str, object]:
    """What a printer profile's PDF must keep, whichever way it was laid out."""
    def box(page: pikepdf.Page, name: str) -> tuple[float, ...] | None:
        return tuple(round(float(v), 2) for v in page.obj[name]) if name in page.obj else None

    with pikepdf.open(pdf) as doc:
        def outline(items: list[pikepdf.OutlineItem]) -> list[object]:
            out: list[object] = []
            for item in items:
                dest = item.destination
                page = next((i for i, p in enumerate(doc.pages) if isinstance(dest, pikepdf.Array)
                             and p.obj.objgen == dest[0].objgen), None)
                out.append((item.title, page, outline(item.children)))
            return out

        with doc.open_outline() as tree:
            titles = outline(list(tree.root))
        intents = [(str(i.get("/S", "")), str(i.get("/OutputConditionIdentifier", "")))
                   for i in doc.Root.get("/OutputIntents", [])]
        return {
            "pages": len(doc.pages),
            "boxes": [(box(p, "/MediaBox"), box(p, "/TrimBox"), box(p, "/BleedBox")) for p in doc.pages],
            "labels": [p.label for p in doc.pages],
            "fonts": sorted(set().union(*(_fonts(p.Resources) for p in doc.pages if "/Resources" in p.obj))),
            "links": sum(len(p.obj.get("/Annots", [])) for p in doc.pages),
            "outline": titles,
            "output intents": intents,
            "pdfx": str(doc.docinfo.get("/GTS_PDFXVersion", "")),
            "tagged": "/StructTreeRoot" in doc.Root,
            "text": page_texts(pdf),
        }


def differences(old: Path, new: Path, profile: str) -> list[str]:
    found = []
    for name in sorted({p.name for p in old.iterdir()} | {p.name for p in new.iterdir()}):
        a, b = old / name, new / name
        if not a.exists() or not b.exists():
            found.append(f"{name}: only in {'new' if b.exists() else 'old'}")
        elif name.endswith(".pdf") and profile != "proof":
            fa, fb = printed_facts(a), printed_facts(b)
            for key in fa:
                if fa[key] != fb[key]:
                    where = ""
                    if isinstance(fa[key], list) and isinstance(fb[key], list):
                        i = next((i for i, (x, y) in enumerate(zip(fa[key], fb[key])) if x != y), min(len(fa[key]), len(fb[key])))
                        where = f" (first at page {i + 1})" if key != "outline" else ""
                    found.append(f"{name}: {key} differ{where}")
        elif name.endswith("-preflight.json"):
            if json.loads(a.read_text()) != json.loads(b.read_text()):
                found.append(f"{name}: the reports differ")
        elif name.endswith((".pdf", ".epub")) and a.read_bytes() != b.read_bytes():
            found.append(f"{name}: bytes differ")
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("books", nargs="+", type=Path)
    ap.add_argument("--against", required=True, help="the git revision to compare with")
    ap.add_argument("--profiles", nargs="+", default=["proof", "kdp"])
    ap.add_argument("-j", type=int, default=2, help="builds at a time")
    ap.add_argument("--work", type=Path, default=None, help="where to build (default: a temporary folder)")
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="same-outputs-"))
    old_code = worktree(args.against, work)
    jobs = [(book, profile) for book in args.books for profile in args.profiles]

    def one(job: tuple[Path, str]) -> str:
        book, profile = job
        outs = {}
        for label, code in (("old", old_code), ("new", ROOT)):
            outs[label] = work / (f"old-{args.against}" if label == "old" else "new") / book.name / profile
            if label == "old" and any(outs[label].glob("*.pdf")):
                continue  # built by an earlier run with the same --work: REV's code does not change
            outs[label].mkdir(parents=True, exist_ok=True)
            failed = build(code, book, outs[label], profile)
            if failed:
                return f"{book.name} {profile}: {label} build failed: {failed}"
        found = differences(outs["old"], outs["new"], profile)
        return f"{book.name} {profile}: " + ("same" if not found else "DIFFERENT: " + "; ".join(found))

    bad = 0
    with ThreadPoolExecutor(args.j) as pool:
        for line in pool.map(one, jobs):
            print(line, flush=True)
            bad += "same" not in line.split(":", 1)[1]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
