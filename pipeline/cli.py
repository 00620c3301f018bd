"""Command line: `pipeline build|check|dump|slug|new [DIR]` (and the web's serve, preview and site).
Parses arguments, prints, returns an exit code. `python -m pipeline` is the same command."""

from __future__ import annotations

import argparse
import sys
import traceback
from itertools import count
from pathlib import Path
from typing import Any, Callable, Iterable

from pipeline import __version__
from pipeline.read.bookless import manuscript_folder, metadata_note
from pipeline.diagnostics import Collector, Diagnostic, ManuscriptError, Severity
from pipeline.print_profiles import PROFILES

EXIT_OK, EXIT_BUG, EXIT_MANUSCRIPT = 0, 1, 2

DESCRIPTION = """Build a book into an EPUB 3 and a print-ready PDF. The manuscript is a
folder holding book.yaml (the book's title, authors and other details) and one
.md file per chapter; without book.yaml, the first chapter's front matter gives
the book's details. A single .md file is a book of that one chapter. DIR is the
current folder when left out. `python -m pipeline` is the same command."""
EPILOG = """exit status:
  0  built (warnings, if any, are printed)
  1  the output cannot be written (the message names the path and the cause),
     or a bug in the pipeline (please report it with the message shown)
  2  the manuscript has problems; each is printed as PATH:LINE:COL: error: message
     and nothing in the output folder is changed (new: the folder is not empty)

examples:
  pipeline new my-book           a book to start from: book.yaml, two chapters
  pipeline build my-book         writes build/<slug>.epub and build/<slug>.pdf
  pipeline build                 builds the book in the current folder: ./build
  pipeline build my-book -o out  writes into out/
  pipeline build essay.md        a book of that one chapter, its details from
                                 its front matter
  pipeline build my-book --profile kdp
                                 a PDF for KDP (bleed, gutter), the cover
                                 build/<slug>-cover.pdf and the preflight
                                 report build/<slug>-preflight.json
  pipeline build my-book -j 2    parses a large book's chapters and lays out
                                 the proof PDF's chapters in two processes
  pipeline check my-book         reports problems without building; with none,
                                 the chapters, words and notes it read
  pipeline dump my-book          prints the normalised document tree
  pipeline slug my-book          prints the output files' name (no extension)
  pipeline serve my-book         the book's page at http://127.0.0.1:8000/
  pipeline preview my-book       the same, rebuilt live while you edit
  pipeline site my-book          the page as a static site in build/site/"""

_DIR_HELP = "manuscript folder, or one .md file (default: the current folder)"


def _dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", type=Path, nargs="?", default=Path("."), metavar="DIR", help=_DIR_HELP)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pipeline", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"pipeline {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    b = sub.add_parser("build", help="build OUT/<slug>.epub and OUT/<slug>.pdf",
                       description="Build the EPUB and the PDF of the manuscript in DIR.")
    _dir(b)
    b.add_argument("-o", "--out", type=Path, default=Path("build"), metavar="OUT",
                   help="output folder (default: build, in the current folder)")
    b.add_argument("--strict", action="store_true", help="treat warnings as errors")
    b.add_argument("-q", "--quiet", action="store_true", help="print nothing but problems")
    b.add_argument("--only", choices=("epub", "pdf"), default="", help="build just one of the two files")
    b.add_argument("--profile", choices=list(PROFILES), default="", metavar="NAME",
                   help="print profile, overriding book.yaml's 'print:': "
                        + "; ".join(f"{p.name}: {p.summary}" for p in PROFILES.values()))
    b.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                   help="use N processes to parse the chapters of a large book that the cache does not hold "
                        "and to lay out the proof PDF's chapters that it does not hold, all at once on a clean "
                        "build (default: the PDF of a book of over about 40,000 words in as many processes as "
                        "there are cores, at most 4, anything else in one; each process needs the memory of one "
                        "chapter's layout)")
    b.add_argument("--no-cache", action="store_true",
                   help="build everything afresh and leave the cache alone (the cache lives in "
                        "$PIPELINE_CACHE_DIR, else $XDG_CACHE_HOME/pipeline, else ~/.cache/pipeline, never "
                        "in the manuscript folder; PIPELINE_CACHE=0 also turns it off)")
    c = sub.add_parser("check", help="report problems in the manuscript without building",
                       description="Report every problem in the manuscript in DIR; write nothing. With no "
                                   "errors, end with one line: its chapters, words and notes, and the "
                                   "number of warnings (or 'no problems found').")
    _dir(c)
    c.add_argument("--strict", action="store_true", help="treat warnings as errors")
    d = sub.add_parser("dump", help="print the normalised document tree",
                       description="Print the normalised document tree of the manuscript in DIR.")
    _dir(d)
    d.add_argument("--positions", action="store_true", help="show the source line:col of each node")
    s = sub.add_parser("slug", help="print the book's slug (the output file name without extension)",
                       description="Print the slug of the book in DIR: its output files are <slug>.epub and "
                                   "<slug>.pdf.")
    _dir(s)
    n = sub.add_parser("new", help="make a new book folder to start from",
                       description="Make the folder DIR with a commented book.yaml and two sample chapters "
                                   "that build without a warning. DIR must not exist, or be empty.")
    n.add_argument("dir", type=Path, metavar="DIR", help="the new book's folder")
    # --- web: serve, preview, site (pipeline/web) ---
    from pipeline.web.commands import add_arguments as add_web_commands

    add_web_commands(sub)
    # --- end web ---
    return p


def _progress(enabled: bool) -> Callable[[str], None]:
    """On a terminal, one line rewritten in place per stage; elsewhere nothing."""
    steps = count(1)
    current: dict[str, Any] = {"stage": "", "step": 0}

    def show(stage: str) -> None:
        # "laying out PDF: ch03 (24 pages)" is progress within the stage "laying out PDF (proof)"
        if not current["stage"] or not stage.startswith(current["stage"].split(" (")[0] + ":"):
            current["stage"], current["step"] = stage, next(steps)
        if enabled:
            print(f"\r\033[K[{current['step']}/5] {stage}…", end="", file=sys.stderr, flush=True)

    return show


def _report(diagnostics: Iterable[Diagnostic], manuscript: Path) -> None:
    """Each problem at its place, its file named as the shell names it (positions name files
    relative to the manuscript folder: pipeline.diagnostics)."""
    folder = manuscript_folder(manuscript)
    for d in diagnostics:
        print(d.shown(folder), file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    if args.command in ("serve", "preview", "site"):  # web: pipeline/web/commands.py
        from pipeline.web.commands import run as run_web

        return run_web(args)
    if args.command == "new":
        from pipeline.scaffold import new_book

        return new_book(args.dir)
    # No book.yaml: say where the book's title came from, once it has worked (on exit 2 stderr
    # holds nothing but the problems, each at its place: the contract other tools parse).
    note = metadata_note(args.dir) if args.command in ("build", "check", "dump") else ""

    def say_note() -> None:
        if note and not getattr(args, "quiet", False):
            print(note, file=sys.stderr)
    if args.command == "build":
        from pipeline.build import BuildPlan, CannotWrite, Outputs, build  # WeasyPrint only when building

        tty = sys.stderr.isatty() and not args.quiet
        plan = BuildPlan(args.dir, args.out, Outputs(args.only), args.profile, args.strict, max(0, args.jobs),
                         use_cache=not args.no_cache)
        try:
            result = build(plan, progress=_progress(tty))
        except CannotWrite as exc:
            if tty:
                print("\r\033[K", end="", file=sys.stderr)
            print(f"error: cannot write the output: {exc}", file=sys.stderr)
            return EXIT_BUG
        except ManuscriptError as exc:
            if tty:
                print("\r\033[K", end="", file=sys.stderr)
            _report(exc.diagnostics, args.dir)
            errors = sum(d.severity is Severity.ERROR for d in exc.diagnostics)
            print(f"{errors} error(s): nothing was written; fix them and build again", file=sys.stderr)
            return EXIT_MANUSCRIPT
        if tty:
            print("\r\033[K", end="", file=sys.stderr)
        say_note()
        _report(list(result.warnings), args.dir)
        # The preflight summary: always for a printer's profile (a cover was built), else at a
        # terminal only, so that a proof build stays quiet when all is well.
        if result.preflight and not args.quiet and (tty or result.cover):
            print("\n".join(result.preflight), file=sys.stderr)
        if tty:
            built = [str(p) for p in (result.epub, result.pdf) if p.exists() and (plan.epub if p.suffix == ".epub" else plan.pdf)]
            built += [str(result.cover)] if result.cover else []
            print(f"built {' and '.join(built)}" + (f" ({result.pages} pages)" if result.pages else ""), file=sys.stderr)
        return EXIT_OK

    from pipeline.load import load_normalised

    diags = Collector()
    doc = load_normalised(args.dir, diags)
    if getattr(args, "strict", False):
        diags.promote_warnings()
    _report(sorted(diags.items, key=lambda d: (d.pos, d.message)), args.dir)
    if diags.has_errors:
        errors = sum(d.severity is Severity.ERROR for d in diags.items)
        print(f"{errors} error(s), {len(diags.items) - errors} warning(s): fix the errors and run again",
              file=sys.stderr)
        return EXIT_MANUSCRIPT
    say_note()
    if args.command == "check" and doc is not None:  # a clean check says so, with what it read
        from pipeline.stats import book_stats

        warnings = len(diags.items)
        print(f"{book_stats(doc)}: " + (f"{warnings} warning(s), no errors" if warnings else "no problems found"))
    if args.command == "slug" and doc is not None:
        print(doc.meta.slug)
    if args.command == "dump" and doc is not None:
        from pipeline.dump import dump

        print(dump(doc, positions=args.positions))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("interrupted; the previous build is untouched", file=sys.stderr)
        return 130
    except OSError as exc:  # the machine's problem (disk, permissions, a file system's limit)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}; nothing was written (check the disk and its permissions)",
              file=sys.stderr)
        return EXIT_BUG
    except Exception:  # a bug, not a manuscript problem: say so, with the trace to report
        traceback.print_exc()
        print("internal error in the pipeline (exit 1): please report the message above", file=sys.stderr)
        return EXIT_BUG
