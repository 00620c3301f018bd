"""The `serve`, `preview` and `site` commands: build if needed, then serve or write the page."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.web.state import BookState

EXIT_OK, EXIT_BUG, EXIT_MANUSCRIPT = 0, 1, 2
SERVE_EPILOG = """exit status:
  0  stopped with Ctrl-C (or kill)
  1  cannot listen on HOST:PORT (choose another with --port, or --port 0 for any free one)
  2  serve only: the manuscript has problems, printed as PATH:LINE:COL: error: message;
     preview keeps running, shows them in the page and rebuilds when they are fixed

The page serves only the built files and its own assets, answers GET and HEAD only, and
listens on this computer only unless --host says otherwise."""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(root: Path, out: Path, styles_dir: Path, log=_log) -> BookState:  # type: ignore[no-untyped-def]
    from pipeline.web.state import BookState

    state = BookState(root, out, styles_dir, log)
    bring_up_to_date(state)
    return state


def bring_up_to_date(state: BookState) -> None:
    """Show what OUT already holds, rebuilt first when the sources are newer. A failed build
    keeps what OUT holds (the last good build) beside its diagnostics."""
    from pipeline.web.state import manuscript_slug, up_to_date

    slug = manuscript_slug(state.root)
    loaded = slug is not None and state.load_existing(slug)
    if not (loaded and slug and up_to_date(state.root, state.styles_dir, state.out, slug)):
        if sys.stderr.isatty():
            state.log(f"building {state.root} into {state.out}…")
        state.rebuild()


def add_arguments(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for name, help_text, description in (
        ("serve", "serve the book's page (cover, downloads, print preview) on this computer",
         "Build the book in DIR if needed, then serve its page at http://HOST:PORT/: cover, title, "
         "contributors, contents, EPUB and PDF downloads and a preview of the printed pages."),
        ("preview", "serve the book's page and rebuild it live while you edit",
         "Like serve, and watch DIR and the styles folder: after each save the book is rebuilt and the "
         "open page shows the new pages (or the manuscript's errors) by itself."),
    ):
        p = sub.add_parser(name, help=help_text, description=description, epilog=SERVE_EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("dir", type=Path, metavar="DIR", help="manuscript folder")
        p.add_argument("-o", "--out", type=Path, default=Path("build"), metavar="OUT",
                       help="where the book is built (default: build)")
        p.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this computer only; 0.0.0.0 for the network)")
        p.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    s = sub.add_parser("site", help="write the book's page, files and page images as a static site",
                       description="Build the book in DIR if needed, then write its page, the EPUB and PDF, "
                                   "the cover and every page image into SITE, linked by relative URLs: it "
                                   "works from any static web host and opened straight from disk.")
    s.add_argument("dir", type=Path, metavar="DIR", help="manuscript folder")
    s.add_argument("-o", "--out", type=Path, default=Path("build/site"), metavar="SITE",
                   help="site folder (default: build/site); replaced as a whole")
    s.add_argument("--build-dir", type=Path, default=Path("build"), metavar="OUT",
                   help="where the book is built (default: build)")


def run(args: argparse.Namespace) -> int:
    from pipeline.build import STYLES_DIR

    if args.command == "site":
        return _site(args.dir, args.build_dir, args.out, STYLES_DIR)
    return _serve(args.dir, args.out, args.host, args.port, args.command == "preview", STYLES_DIR)


def _site(root: Path, build_dir: Path, target: Path, styles_dir: Path) -> int:
    book_state = prepare(root, build_dir, styles_dir, log=lambda m: None)
    try:
        return _write_site(book_state, target)
    finally:
        book_state.close()  # no thread may be inside PDFium when the process exits


def _write_site(book_state: BookState, target: Path) -> int:
    from pipeline.web.site import NotASiteFolder, write_site

    state = book_state.current()
    if state.errors or state.book is None or state.images is None:
        for line in state.errors:
            _log(line)
        _log(f"{sum(': error: ' in e for e in state.errors)} error(s): the site was not written; fix them and run again")
        return EXIT_MANUSCRIPT
    try:
        count = write_site(state.book, state.images, target)
    except NotASiteFolder as exc:
        _log(f"error: {exc}")
        return EXIT_MANUSCRIPT
    except OSError as exc:  # read-only, full, a file on the way: the user's to fix, not a bug
        _log(f"error: cannot write the site {target}: {exc.strerror or exc} ({exc.filename or target})")
        return EXIT_BUG
    if sys.stderr.isatty():
        _log(f"wrote {target}/ ({count} files); open {target}/index.html or copy the folder to any web host")
    return EXIT_OK


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _serve(root: Path, out: Path, host: str, port: int, live: bool, styles_dir: Path) -> int:
    from pipeline.web.server import BookServer
    from pipeline.web.watch import Rebuilder

    from pipeline.web.state import BookState

    state = BookState(root, out, styles_dir, _log)
    try:
        server = BookServer(host, port, state, live=live)
    except OSError as exc:
        _log(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another with --port (or --port 0)")
        return EXIT_BUG
    # Watch before the first build, so that a save while it runs is not missed.
    rebuilder = Rebuilder([root, styles_dir], out, state.rebuild) if live else None
    if rebuilder:
        rebuilder.start()
    bring_up_to_date(state)
    if not live and state.current().errors:  # nothing current to serve: fail like `build`
        errors = state.current().error_count
        _log(f"{errors} error(s): fix them and run serve again, or use 'preview' to fix them with the page open")
        server.server_close()
        return EXIT_MANUSCRIPT
    book = state.current().book
    what = f"'{book.title}'" if book else "the build errors"
    watching = f"; watching {root} and {styles_dir.name}/ for changes" if live else ""
    _log(f"serving {what} at {server.url}{watching} (Ctrl-C to stop)")
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    # A process started in the background by a shell inherits SIGINT ignored; the server says
    # "Ctrl-C to stop", so Ctrl-C (or SIGINT from a script) must stop it all the same.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        _log("stopped")
    finally:
        if rebuilder:
            rebuilder.close()
        state.close()  # ends the live-preview streams and all page rendering
        server.server_close()
    return EXIT_OK
