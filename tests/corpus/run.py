"""Build every corpus book and hold it to the bar of issue 13, section 4.

    .venv/bin/python tests/corpus/run.py [-j N] [-o OUT] [BOOK ...]      (what `make corpus` runs)

Each book (a folder of tests/corpus/ holding a book.yaml) is built in its own process, N at
a time (default: the number of cores), as `python -m pipeline build BOOK -o OUT/BOOK
--profile kdp` (a printer profile: the PDF, its cover and the preflight report, and the
EPUB), and then required to have:

- exit status 0;
- epubcheck: no message at all (fatal, error, warning or usage);
- DAISY Ace: no violation;
- preflight's text-completeness check: no problem (read from OUT/BOOK/<slug>-preflight.json;
  while the report has no such check, the column says so and nothing is required of it);
- the EPUB's navigation document has a page list (epub:type="page-list");
- no warning that calls itself a bug ("please report").

A book listed in tests/corpus/README.md under "Known failures" (a table row
`| book | fails: ... | needs: ... |`) is expected to fail: its failure is reported and does
not fail the run. Once it passes, the run says so (remove the row); with --strict that fails
the run, so that the list stays true. The table (book, words, pages, notes, tables, warnings, result) is written to
tests/corpus/RESULTS.md and printed; the exit status is 0 when every book is as expected.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
README = HERE / "README.md"
RESULTS = HERE / "RESULTS.md"
# The check of preflight that proves no text was lost (issue 13, section 1): its name in the
# report's "checks" is matched loosely, as it is being written alongside this runner.
TEXT_CHECK = re.compile(r"text|complete|lost|missing_words", re.I)


@dataclass
class Result:
    book: str
    seconds: float = 0.0
    exit: int | None = None
    words: str = "?"
    pages: str = "?"
    notes: str = "?"
    tables: str = "?"
    warnings: int = 0
    failures: list[str] = field(default_factory=list)
    notes_on: list[str] = field(default_factory=list)  # facts that are not failures
    output: str = ""

    @property
    def ok(self) -> bool:
        return not self.failures


def books() -> list[str]:
    return sorted(p.parent.name for p in HERE.glob("*/book.yaml"))


def known_failures() -> dict[str, str]:
    """book -> what the README says of it, from the rows '| book | fails: ... |'."""
    known = {}
    if README.exists():
        for line in README.read_text(encoding="utf-8").splitlines():
            m = re.match(r"\|\s*`?([\w.-]+)`?\s*\|\s*fails:\s*(.*?)\s*\|", line)
            if m:
                known[m.group(1)] = m.group(2)
    return known


def manuscript_counts(src: Path, words: str) -> tuple[str, str, str]:
    """For a book that did not build: its words (when `check` could not count them), notes and
    tables counted in the Markdown itself, marked '~'."""
    text = ""
    for md in sorted(src.glob("*.md")):
        body = md.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        text += body + "\n"
    notes = len(set(re.findall(r"^ {0,3}\[\^([^\]]+)\]:", text, re.M)))
    tables = text.count("<table") + len(re.findall(r"^\|?\s*:?-{3,}:?\s*\|", text, re.M))
    if words == "?":
        prose = re.sub(r"<[^>]+>|\{[^}]*\}|\[\^[^\]]+\]", " ", text)
        count = len(re.findall(r"[^\W_]+(?:[’'-][^\W_]+)*", prose))
        words = f"~{count:,}"
    return words, f"~{notes}", f"~{tables}"


def build_one(book: str, out: Path, python: str) -> Result:
    r = Result(book)
    src = HERE / book
    dest = out / book
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*"):
        if old.is_file():
            old.unlink()
    start = time.monotonic()
    env = dict(os.environ)
    check = subprocess.run([python, "-m", "pipeline", "check", str(src)], capture_output=True, text=True, cwd=ROOT, env=env)
    m = re.search(r"([\d,]+) words", check.stdout + check.stderr)
    if m:
        r.words = m.group(1)
    done = subprocess.run(["nice", "-n", "10", python, "-m", "pipeline", "build", str(src), "-o", str(dest), "--profile", "kdp"],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    r.seconds = time.monotonic() - start
    r.exit = done.returncode
    r.output = (done.stdout + done.stderr).strip()
    r.warnings = sum(1 for line in r.output.splitlines() if ": warning:" in line)
    bugs = [line for line in r.output.splitlines() if "please report" in line.lower()]
    if bugs:
        r.failures.append("a warning that calls itself a bug: " + bugs[0].strip())
    if done.returncode != 0:
        r.words, r.notes, r.tables = manuscript_counts(src, r.words)
        lines = [line for line in r.output.splitlines() if "error" in line.lower()] or r.output.splitlines()[-3:]
        r.failures.append(f"exit {done.returncode}: " + " / ".join(x.strip() for x in lines[:3]))
        return r
    epubs = sorted(dest.glob("*.epub"))
    reports = sorted(dest.glob("*-preflight.json"))
    if not epubs:
        r.failures.append("no EPUB written")
        return r
    epub = epubs[0]
    # -- the page list, and the tables, from the EPUB itself
    with zipfile.ZipFile(epub) as z:
        names = z.namelist()
        nav = next((n for n in names if n.endswith("nav.xhtml")), None)
        navtext = z.read(nav).decode() if nav else ""
        if 'epub:type="page-list"' not in navtext:
            r.failures.append("the EPUB's navigation has no page list")
        r.tables = str(sum(z.read(n).decode().count("<table") for n in names if n.endswith(".xhtml") and n != nav))
    # -- preflight
    if reports:
        data = json.loads(reports[0].read_text())
        r.pages = str(data.get("pages", "?"))
        r.notes = str(data.get("notes", "?"))
        checks = [name for name in data.get("checks", {}) if TEXT_CHECK.search(name)]
        lost = [p for p in data.get("problems", []) if TEXT_CHECK.search(p.get("check", ""))]
        if not checks and not lost:
            r.notes_on.append("text-completeness: not in the preflight report yet")
        else:
            if lost:
                first = lost[0]
                r.failures.append(f"text-completeness: {len(lost)} problem(s), first: {first.get('file')}: page {first.get('page')}: {first.get('message')}")
    else:
        r.failures.append("no preflight report written")
    # -- epubcheck and Ace, the validators the tests use
    sys.path.insert(0, str(ROOT))
    from pipeline.check.validate import run_ace, run_epubcheck

    check_report = run_epubcheck([epub])[epub]
    if not check_report.clean:
        r.failures.append(f"epubcheck: {check_report.fatals} fatal, {check_report.errors} errors, {check_report.warnings} warnings, "
                          f"{check_report.usages} usage; first: {check_report.messages[0] if check_report.messages else '?'}")
    try:
        ace = run_ace(epub)
        if not ace.clean:
            total = sum(ace.violations.values())
            r.failures.append(f"Ace: {total} violation(s); first: {ace.messages[0] if ace.messages else ace.outcome}")
    except (FileNotFoundError, RuntimeError, subprocess.TimeoutExpired) as e:
        r.failures.append(f"Ace did not run: {e}")
    r.seconds = time.monotonic() - start
    return r


def table(results: list[Result], known: dict[str, str], wall: float) -> str:
    lines = ["# Corpus results", "",
             f"Written by `make corpus` (tests/corpus/run.py): {len(results)} books, printer profile kdp, "
             f"{wall:.0f} s wall clock on {os.cpu_count()} cores.", "",
             "| book | words | pages | notes | tables | warnings | result |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in results:
        if r.ok:
            result = "clean" if r.book not in known else "clean, but listed as failing in README.md"
        else:
            result = ("fails (known)" if r.book in known else "FAILS") + ": " + "; ".join(r.failures)
        result = result.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {r.book} | {r.words} | {r.pages} | {r.notes} | {r.tables} | {r.warnings} | {result} |")
    extra = sorted({n for r in results for n in r.notes_on})
    if extra:
        lines += [""] + [f"Note: {n} (every book)." if all(n in r.notes_on for r in results) else f"Note: {n}." for n in extra]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("books", nargs="*", help="only these books (folder names)")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2, help="books built at once")
    ap.add_argument("-o", type=Path, default=ROOT / "build" / "corpus", help="output folder")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--strict", action="store_true", help="a listed failure that now passes fails the run")
    args = ap.parse_args(argv)
    chosen = args.books or books()
    known = known_failures()
    start = time.monotonic()
    results: dict[str, Result] = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.j) as pool:
        futures = {pool.submit(build_one, b, args.o.resolve(), args.python): b for b in chosen}
        for fut in concurrent.futures.as_completed(futures):
            b = futures[fut]
            try:
                r = fut.result()
            except Exception as e:  # the runner's own failure is the book's failure, not a crash of the run
                r = Result(b, failures=[f"the runner failed: {type(e).__name__}: {e}"])
            results[b] = r
            status = "clean" if r.ok else "fails: " + "; ".join(r.failures)
            print(f"[{len(results)}/{len(chosen)}] {b} ({r.seconds:.0f} s): {status}", flush=True)
    wall = time.monotonic() - start
    ordered = [results[b] for b in chosen]
    text = table(ordered, known, wall)
    if not args.books:
        RESULTS.write_text(text, encoding="utf-8")
    print()
    print(text)
    unexpected = [r.book for r in ordered if not r.ok and r.book not in known]
    fixed = [r.book for r in ordered if r.ok and r.book in known]
    for b in unexpected:
        print(f"{b}: fails and is not listed under 'Known failures' in tests/corpus/README.md", file=sys.stderr)
    for b in fixed:
        print(f"{b}: builds clean now: remove its row from 'Known failures' in tests/corpus/README.md", file=sys.stderr)
    ok = not unexpected and not (fixed and args.strict)
    print(f"corpus: {sum(r.ok for r in ordered)} clean, {len(ordered) - sum(r.ok for r in ordered)} failing "
          f"({len(unexpected)} unexpected, {len(fixed)} listed as failing but clean), {wall:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
