"""`make bench`: synthetic books of several sizes, built by the pipeline and by peers doing the same work.

For each size, in rounds: every step runs once a round, in the same order, so that a swing
in the machine's load falls on all of them alike, and each ratio is taken within a round (its
median and spread over the rounds are reported). Steps: clean EPUB and PDF builds (no outputs,
an empty cache); pandoc 3's EPUB of the same chapters; Python-Markdown alone; WeasyPrint alone
on the chapter documents we lay out, and on the whole book as one document; pandoc 3's Typst
writer and Typst's PDF; a no-op rebuild; rebuilds after a one-paragraph edit in a middle
chapter. With `--against REV`, the pipeline's own steps also run with the code of git revision
REV, in the same rounds. Each step is a fresh process: wall time, CPU time (its children
included) and the peak of the memory of all its processes at once (bench/measure.py).
Writes build/bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402
import synth  # noqa: E402
from measure import Run, timed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
# (numerator, denominator) of the ratios reported
RATIOS = (("epub", "pandoc_epub"), ("epub", "markdown_only"), ("pdf", "weasyprint_chapters"),
          ("pdf", "weasyprint_whole"), ("pdf", "typst_pdf"), ("pdf_j2", "pdf"), ("edit_epub", "epub"), ("edit_pdf", "pdf"))


@dataclass
class Step:
    name: str
    cmd: list[str]
    before: Callable[[int], None] = lambda r: None  # prepares round r (untimed)
    cwd: Path = ROOT
    env: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)


def pipeline(src: Path, out: Path, *extra: str) -> list[str]:
    return [PY, "-m", "pipeline", "build", str(src), "-o", str(out), "-q", *extra]


def edit_text(i: int) -> str:
    return f"An editor's added sentence, number {i}, changes this paragraph."


def worktree(rev: str, work: Path) -> Path:
    """The pipeline's code at `rev`, checked out beside the work (run from there, `python -m
    pipeline` imports that code: the current folder comes first on sys.path)."""
    dest = work / f"code-{rev}"
    if not dest.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(dest), rev], cwd=ROOT, check=True,
                       capture_output=True)
    return dest


def pipeline_steps(src: Path, size_dir: Path, code: Path, label: str, jobs: int) -> list[Step]:
    """The pipeline's steps for the code at `code`: clean EPUB and PDF (and the PDF with -j
    jobs), no-op, edits."""
    out, cache = size_dir / f"out{label}", size_dir / f".cache{label}"
    env = {"PIPELINE_CACHE": "1", "PIPELINE_CACHE_DIR": str(cache)}  # the cache is under test too
    middle = synth.middle_chapter(src)
    original = middle.read_text(encoding="utf-8")
    anchor = original.split("\n\n")[len(original.split("\n\n")) // 2]
    assert "[^" not in anchor[:3] and anchor.strip(), "the edit must land in a paragraph"

    def fresh(_: int) -> None:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
        middle.write_text(original, encoding="utf-8")

    def built(_: int) -> None:  # both outputs and their cache in place: the no-op's starting point
        middle.write_text(original, encoding="utf-8")
        timed(pipeline(src, out), code, env)

    def edit(i: int) -> None:  # each edit changes the text the one before built
        middle.write_text(original.replace(anchor, anchor + " " + edit_text(i), 1), encoding="utf-8")

    def restore(_: int) -> None:
        middle.write_text(original, encoding="utf-8")

    return [
        Step(f"epub{label}", pipeline(src, out, "--only", "epub"), fresh, code, env),
        Step(f"pdf{label}", pipeline(src, out, "--only", "pdf"), fresh, code, env),
        *([Step(f"pdf_j{jobs}{label}", pipeline(src, out, "--only", "pdf", "-j", str(jobs)), fresh, code, env)]
          if jobs > 1 else []),
        Step(f"noop{label}", pipeline(src, out), built, code, env),
        Step(f"edit_epub{label}", pipeline(src, out, "--only", "epub"), lambda r: edit(2 * r), code, env),
        Step(f"edit_pdf{label}", pipeline(src, out, "--only", "pdf"), lambda r: edit(2 * r + 1), code, env),
        Step(f"restore{label}", [PY, "-c", "pass"], restore, code, env),  # leaves the chapter as written
    ]


def bench_size(words: int, rounds: int, work: Path, against: Path | None, whole: bool,
               jobs: int) -> dict[str, object]:
    size_dir = work / f"size-{words}"
    src = size_dir / "book"
    shutil.rmtree(size_dir, ignore_errors=True)
    synth.write_book(src, words)
    slug = subprocess.run([PY, "-m", "pipeline", "slug", str(src)], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    chapters = peers.pandoc_sources(src, size_dir / "pandoc-src")
    prints = size_dir / "weasyprint"
    peers.dump_print_documents(src, prints, ROOT)
    typ = size_dir / "book.typ"
    steps = pipeline_steps(src, size_dir, ROOT, "", jobs)
    steps[2:2] = [
        Step("pandoc_epub", peers.pandoc_epub(chapters, size_dir / "pandoc.epub")),
        Step("markdown_only", peers.markdown_only(src)),
        Step("weasyprint_chapters", peers.weasyprint_chapters(prints)),
        *([Step("weasyprint_whole", peers.weasyprint_whole(prints))] if whole else []),
        Step("pandoc_typst", peers.pandoc_typst(chapters, typ)),
        Step("typst_pdf", peers.typst_pdf(typ, size_dir / "typst.pdf")),
    ]
    if against is not None:
        steps += pipeline_steps(src, size_dir, against, "_old", jobs)
    for r in range(rounds):
        print(f"  round {r + 1} of {rounds}", file=sys.stderr, flush=True)
        for step in steps:
            step.before(r)
            step.runs.append(timed(step.cmd, step.cwd, step.env))
    pages = {"pdf": peers.pages_of(size_dir / "out" / f"{slug}.pdf"),
             "weasyprint_chapters": peers.weasyprint_pages(prints),
             "typst_pdf": peers.pages_of(size_dir / "typst.pdf")}
    pages |= {f"pdf_j{jobs}": pages["pdf"], "weasyprint_whole": pages["weasyprint_chapters"]}
    row: dict[str, object] = {
        "words": words, "rounds": rounds, "chapters": len(chapters),
        "notes": sum(p.read_text().count("\n[^n") for p in src.glob("ch*.md")), "pages": pages,
        "steps": {s.name: {"wall_s": [x.seconds for x in s.runs], "cpu_s": [x.cpu for x in s.runs],
                           "peak_mb": [x.peak_mb for x in s.runs]} for s in steps if not s.name.startswith("restore")},
    }
    return row


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def ratios(row: dict, a: str, b: str, kind: str) -> list[float]:
    steps = row["steps"]
    if a not in steps or b not in steps:
        return []
    return [x / y for x, y in zip(steps[a][kind], steps[b][kind]) if y]


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    mid = f"{statistics.median(values):.2f}"
    return mid if len(values) == 1 else f"{mid} ({min(values):.2f}-{max(values):.2f})"


def report(rows: list[dict], against: str | None) -> str:
    out = []
    for row in rows:
        steps, pages = row["steps"], row["pages"]
        out.append(f"\n{row['words']:,} words, {row['chapters']} chapters, {row['notes']} notes; "
                   f"{row['rounds']} round(s); pages: ours {pages['pdf']}, Typst's {pages['typst_pdf']}")
        out.append("| step | wall s | CPU s | peak MB (all processes) | pages/s (wall) |")
        out.append("|---|---:|---:|---:|---:|")
        for name, s in steps.items():
            wall = median(s["wall_s"])
            pps = pages.get(name.removesuffix("_old"))
            out.append(f"| {name} | {wall} | {median(s['cpu_s'])} | {median(s['peak_mb'])} | "
                       f"{round(pps / wall, 1) if pps and wall else ''} |")
        out.append("\n| ratio, per round | wall: median (min-max) | CPU: median (min-max) |")
        out.append("|---|---:|---:|")
        pairs = list(RATIOS) + ([(n, n + "_old") for n in ("epub", "pdf", "noop", "edit_epub", "edit_pdf")]
                                if against else [])
        for a, b in pairs:
            if a in steps and b in steps:
                out.append(f"| {a}/{b} | {spread(ratios(row, a, b, 'wall_s'))} | {spread(ratios(row, a, b, 'cpu_s'))} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 300_000], help="book sizes in words")
    p.add_argument("--rounds", type=int, nargs="+", default=[5, 3, 1],
                   help="rounds, one number for all sizes or one per size (default 5 3 1: a round at 300k "
                        "words takes several minutes); medians and spreads are over the rounds")
    p.add_argument("--against", metavar="REV", help="also run the pipeline's steps with the code of git revision REV")
    p.add_argument("--no-whole", action="store_true",
                   help="leave out WeasyPrint on the whole book as one document (the old baseline; minutes at 300k)")
    p.add_argument("-j", "--jobs", type=int, default=2, help="also time the PDF with -j N (default 2; 1: skip)")
    p.add_argument("--work", type=Path, default=ROOT / "build" / "bench", help="scratch folder (default build/bench)")
    p.add_argument("-o", "--out", type=Path, default=ROOT / "build" / "bench.json", help="results (default build/bench.json)")
    args = p.parse_args(argv)
    rounds = args.rounds if len(args.rounds) == len(args.sizes) else [args.rounds[0]] * len(args.sizes)
    args.work.mkdir(parents=True, exist_ok=True)
    against = worktree(args.against, args.work) if args.against else None
    rows = []
    for words, n in zip(args.sizes, rounds):
        print(f"benchmarking {words} words ({n} round(s))...", file=sys.stderr, flush=True)
        rows.append(bench_size(words, n, args.work, against, not args.no_whole, args.jobs))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, python "
          f"{sys.version.split()[0]}, pandoc {peers.pandoc_version()}, typst {__import__('typst').__version__}"
          + (f"; old code: {args.against}" if args.against else "")
          + "; each figure the median over the rounds, each ratio taken within a round")
    print(report(rows, args.against))
    return 0


if __name__ == "__main__":
    sys.exit(main())
