"""`make bench`: build synthetic books of several sizes and compare against baselines measured in the same run.

For each size: clean EPUB and PDF builds (no outputs, an empty cache), pandoc's EPUB 3 of the same chapters,
Python-Markdown alone on the same chapters, WeasyPrint alone on the exact HTML and CSS of
our print renderer (the whole book as one document), a no-op rebuild, and rebuilds after a
one-paragraph edit in a middle chapter. Each figure is the median of --runs runs (of at
least 3 or 5 for the steps of a few seconds); every build is a separate process (wall time,
peak RSS from wait4). Writes build/bench.json.
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
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
J_MAX_WORDS = 100_000  # whole builds (EPUB and PDF) with and without -j: measured up to here
KEYS = ("words", "chapters", "notes", "pages", "epub_s", "pdf_s", "pages_per_s", "pandoc_epub_s",
        "markdown_only_s", "weasyprint_only_s", "noop_s", "edit_epub_s", "edit_pdf_s", "peak_rss_mb",
        "epub_peak_rss_mb", "pandoc_peak_rss_mb", "weasyprint_only_peak_rss_mb")


@dataclass(frozen=True)
class Run:
    seconds: float  # wall clock
    cpu: float  # user + system, the process and the workers it waited for
    peak_mb: float


CPU: dict[tuple[str, ...], float] = {}  # median CPU seconds of each command measured


def measure(cmd: list[str], runs: int, before=None, env=None) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(median wall seconds, largest peak MB) over runs; `before` prepares each run (untimed).
    The median CPU seconds are kept in CPU: on a shared machine they vary less than the wall time."""
    times, peaks, cpu = [], [], []
    for i in range(runs):
        if before:
            before(i)
        r = _timed_wait4(cmd, env)
        times.append(r.seconds)
        peaks.append(r.peak_mb)
        cpu.append(r.cpu)
    CPU[tuple(cmd)] = round(statistics.median(cpu), 3)
    return round(statistics.median(times), 3), round(max(peaks), 1)


def measure_both(row: dict[str, object], key: str, cmd: list[str], runs: int, before=None, env=None) -> float:  # type: ignore[no-untyped-def]
    """Sets row[key] (wall) and row[key - '_s' + '_cpu_s']; returns the peak MB."""
    row[key], peak = measure(cmd, runs, before, env)
    row[key[:-2] + "_cpu_s"] = CPU[tuple(cmd)]
    return peak


def _timed_wait4(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PIPELINE_CACHE": "1", **(env or {})})  # the cache is under test too
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"benchmark step failed ({proc.returncode}): {' '.join(cmd)}\n{err.decode()[-2000:]}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def pipeline(src: Path, out: Path, *extra: str) -> list[str]:
    return [PY, "-m", "pipeline", "build", str(src), "-o", str(out), "-q", *extra]


def pages_of(pdf: Path) -> int:
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        return len(doc)
    finally:
        doc.close()


def dump_print_input(src: Path, dest: Path) -> list[str]:
    """Writes the whole book's print HTML and its stylesheets, as our renderer gives them to
    WeasyPrint; returns the command that renders them with WeasyPrint alone."""
    code = (
        "import sys; from pathlib import Path; from pipeline.diagnostics import Collector;"
        "from pipeline.load import load_normalised; from pipeline.render.pdf import layout as pdf;"
        "from pipeline.build import STYLES_DIR;"
        "doc = load_normalised(Path(sys.argv[1]), Collector()); d = Path(sys.argv[2]);"
        "(d / 'book.html').write_text(pdf.print_html(doc));"
        "(d / 'page.css').write_text(pdf.font_face_css(pdf.FAMILY) + pdf.page_css(doc.meta.trim));"
        "(d / 'print.css').write_text((STYLES_DIR / 'print.css').read_text())"
    )
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run([PY, "-c", code, str(src), str(dest)], cwd=ROOT, check=True)
    render = (
        "import sys, weasyprint; from pathlib import Path; from weasyprint.text.fonts import FontConfiguration;"
        "d = Path(sys.argv[1]); f = FontConfiguration();"
        "css = [weasyprint.CSS(filename=str(d / n), font_config=f) for n in ('page.css', 'print.css')];"
        "weasyprint.HTML(filename=str(d / 'book.html'), base_url=str(d) + '/')"
        ".write_pdf(str(d / 'book.pdf'), stylesheets=css, font_config=f, pdf_variant='pdf/ua-1')"
    )
    return [PY, "-c", render, str(dest)]


def markdown_only(src: Path) -> list[str]:
    """Python-Markdown with our parser's extensions, chapter by chapter, HTML out: our parser's floor."""
    code = (
        "import sys, markdown; from pathlib import Path; from pipeline.read.parse import extensions;"
        "[markdown.Markdown(extensions=extensions()).convert(p.read_text(encoding='utf-8').split('---\\n', 2)[2])"
        " for p in sorted(Path(sys.argv[1]).glob('ch*.md'))]"
    )
    return [PY, "-c", code, str(src)]


def pandoc_epub(src: Path, out: Path) -> list[str] | None:
    pandoc = shutil.which("pandoc")
    if not pandoc:
        return None
    chapters = [str(p) for p in sorted(src.glob("ch*.md"))]
    return [pandoc, "-f", "markdown", "-t", "epub3", "--metadata", "title=Synthetic", "-o", str(out), *chapters]


def edit_text(i: int) -> str:
    return f"An editor's added sentence, number {i}, changes this paragraph."


def bench_size(words: int, runs: int, work: Path, jobs: int) -> dict[str, object]:
    src = work / f"book-{words}"
    shutil.rmtree(src, ignore_errors=True)
    synth.write_book(src, words)
    slug = subprocess.run([PY, "-m", "pipeline", "slug", str(src)], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    # Each size has its own folder, and its own build cache in it (the builds it starts inherit
    # PIPELINE_CACHE_DIR): the user's own cache is never touched or counted.
    out = work / f"size-{words}" / "out"
    cache = out.parent / ".pipeline-cache"
    os.environ["PIPELINE_CACHE_DIR"] = str(cache)
    row: dict[str, object] = {"words": words, "chapters": len(list(src.glob("ch*.md"))),
                              "notes": sum(p.read_text().count("\n[^n") for p in src.glob("ch*.md"))}

    def fresh(_: int) -> None:
        """A clean build: no outputs, no cache (the build writes its cache, as a first build does)."""
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)

    # Steps of a few seconds or less are run at least 3 (5) times whatever --runs says: on a
    # shared machine one run of them varies by a third, and they are cheap to repeat.
    short, shortest = max(runs, 3), max(runs, 5)
    row["epub_peak_rss_mb"] = measure_both(row, "epub_s", pipeline(src, out, "--only", "epub"), short, fresh)
    if jobs > 1:  # one run each: more whole builds
        row[f"pdf_j{jobs}_peak_rss_mb"] = measure_both(
            row, f"pdf_j{jobs}_s", pipeline(src, out, "--only", "pdf", "-j", str(jobs)), 1, fresh)
    if jobs > 1 and words <= J_MAX_WORDS:
        row[f"build_j{jobs}_peak_rss_mb"] = measure_both(row, f"build_j{jobs}_s", pipeline(src, out, "-j", str(jobs)), 1, fresh)
        row["build_s"] = measure(pipeline(src, out), 1, fresh)[0]
    row["peak_rss_mb"] = measure_both(row, "pdf_s", pipeline(src, out, "--only", "pdf"), runs, fresh)
    row["pages"] = pages_of(out / f"{slug}.pdf")
    row["pages_per_s"] = round(row["pages"] / row["pdf_s"], 1)  # type: ignore[operator]
    measure_both(row, "markdown_only_s", markdown_only(src), short)
    pandoc = pandoc_epub(src, work / f"pandoc-{words}.epub")
    if pandoc:
        row["pandoc_peak_rss_mb"] = measure_both(row, "pandoc_epub_s", pandoc, runs)
    else:
        row["pandoc_epub_s"] = row["pandoc_peak_rss_mb"] = None
        print("pandoc is not installed: pandoc_epub_s not measured (apt-get install pandoc)", file=sys.stderr)
    wp = dump_print_input(src, work / f"weasyprint-{words}")
    row["weasyprint_only_peak_rss_mb"] = measure_both(row, "weasyprint_only_s", wp, runs)

    # The last clean PDF build left its cache: the EPUB joins it, then nothing changed; then a
    # one-paragraph edit in a middle chapter (each run edits the text the run before built).
    # (timed like the rest, so that it runs with the cache on whatever the caller's environment
    # says: a plain subprocess inheriting PIPELINE_CACHE=0 left the 300k no-op a full build)
    _timed_wait4(pipeline(src, out))
    measure_both(row, "noop_s", pipeline(src, out), shortest)
    middle = synth.middle_chapter(src)
    original = middle.read_text(encoding="utf-8")
    anchor = original.split("\n\n")[len(original.split("\n\n")) // 2]
    assert "[^" not in anchor[:3] and anchor.strip(), "the edit must land in a paragraph"

    def edit(i: int) -> None:
        middle.write_text(original.replace(anchor, anchor + " " + edit_text(i), 1), encoding="utf-8")

    measure_both(row, "edit_epub_s", pipeline(src, out, "--only", "epub"), shortest, edit)
    measure_both(row, "edit_pdf_s", pipeline(src, out, "--only", "pdf"), runs, lambda i: edit(i + 100))
    middle.write_text(original, encoding="utf-8")
    return {k: row.get(k) for k in KEYS} | {k: v for k, v in row.items() if k not in KEYS}


def ratio(a: object, b: object) -> str:
    return f"{a / b:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else "-"  # type: ignore[operator]


def table(rows: list[dict[str, object]], jobs: int, cpu: bool = False) -> str:
    suffix = "_cpu_s" if cpu else "_s"
    timed = ["epub", "pdf"] + ([f"pdf_j{jobs}", "build", f"build_j{jobs}"] if jobs > 1 and not cpu else []) + \
        ["pandoc_epub", "markdown_only", "weasyprint_only", "noop", "edit_epub", "edit_pdf"]
    cols = ["words", "pages"] + [t + ("_s" if t.startswith("build") else suffix) for t in timed]
    cols += [] if cpu else ["pages_per_s", "epub_peak_rss_mb", "peak_rss_mb"]
    parallel = [f"pdf_j{jobs}/pdf"] if jobs > 1 and not cpu else []
    head = cols + ["epub/pandoc", "epub/markdown", "pdf/weasyprint", *parallel, "edit_epub/epub", "edit_pdf/pdf"]
    lines = [head]
    for r in rows:
        g = lambda k: r.get(k + suffix)  # noqa: E731
        lines.append([str(r.get(c) if r.get(c) is not None else "-") for c in cols] + [
            ratio(g("epub"), g("pandoc_epub")), ratio(g("epub"), g("markdown_only")),
            ratio(g("pdf"), g("weasyprint_only")), *(ratio(g(f"pdf_j{jobs}"), g("pdf")) for _ in parallel),
            ratio(g("edit_epub"), g("epub")), ratio(g("edit_pdf"), g("pdf"))])
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    md = ["| " + " | ".join(cell.rjust(w) for cell, w in zip(line, widths)) + " |" for line in lines]
    md.insert(1, "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    return "\n".join(md)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 300_000], help="book sizes in words")
    p.add_argument("--runs", type=int, nargs="+", default=[3, 3, 1],
                   help="runs per figure, one number for all sizes or one per size; medians are reported "
                        "(default 3 3 1: the 300k-word PDF takes minutes a run); the clean EPUB and "
                        "Python-Markdown run at least 3 times, the no-op and EPUB-after-an-edit at least 5")
    p.add_argument("-j", "--jobs", type=int, default=2, help="also time `build -j N` for the PDF (default 2; 1: skip)")
    p.add_argument("--work", type=Path, default=ROOT / "build" / "bench", help="scratch folder (default build/bench)")
    p.add_argument("-o", "--out", type=Path, default=ROOT / "build" / "bench.json", help="results (default build/bench.json)")
    args = p.parse_args(argv)
    runs = args.runs if len(args.runs) == len(args.sizes) else [args.runs[0]] * len(args.sizes)
    rows = []
    for words, n in zip(args.sizes, runs):
        print(f"benchmarking {words} words ({n} run(s) each)...", file=sys.stderr, flush=True)
        rows.append(bench_size(words, n, args.work, args.jobs) | {"runs": n})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"python {sys.version.split()[0]}; seconds are medians of {', '.join(map(str, runs))} run(s) (epub and "
          "markdown_only: at least 3, noop and edit_epub: at least 5), each a fresh process")
    print("\nwall-clock seconds:")
    print(table(rows, args.jobs))
    print("\nCPU seconds (user + system; steadier than wall time on a shared machine):")
    print(table(rows, args.jobs, cpu=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
