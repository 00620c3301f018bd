"""Benchmark of the book's web page, against a full build measured in the same run.

    .venv/bin/python bench/web.py [MANUSCRIPT]      (make bench-web)

Prints: the baseline build, reading a build back, rendering page images (spread and zoom),
the page's HTML, HTTP downloads, range and conditional requests, save-to-preview latency of
the live preview, and writing the static site; each also as a ratio to the baseline build."""

from __future__ import annotations

import http.client
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.build import STYLES_DIR, BuildPlan, build  # noqa: E402
from pipeline.web.bookpage import render_page  # noqa: E402
from pipeline.web.pages import PageImages  # noqa: E402
from pipeline.web.server import BookServer  # noqa: E402
from pipeline.web.site import write_site  # noqa: E402
from pipeline.web.snapshot import read_build  # noqa: E402
from pipeline.web.state import BookState  # noqa: E402
from pipeline.web.watch import Rebuilder  # noqa: E402


def timed(fn, repeat: int = 1) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, body


def main() -> None:
    manuscript = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "manuscript"
    work = Path(tempfile.mkdtemp(prefix="bench-web-"))
    try:
        source = work / "manuscript"
        shutil.copytree(manuscript, source)
        out = work / "out"
        base, result = timed(lambda: build(BuildPlan(source, out)))
        slug = result.pdf.stem  # type: ignore[attr-defined]
        rows: list[tuple[str, float, str]] = [("full build (baseline)", base, "")]

        t, book = timed(lambda: read_build(out, slug), repeat=5)
        rows.append(("read a build back (EPUB metadata, PDF outline)", t, ""))
        images = PageImages(book, work / "pages")  # type: ignore[arg-type]  # closed below
        t, _ = timed(lambda: images.render_all(("s",)))
        rows.append((f"render {book.pages} spread images (880 px)", t, f"{1000 * t / book.pages:.0f} ms/page"))  # type: ignore[attr-defined]
        t, _ = timed(lambda: images.render_all(("z",)))
        rows.append((f"render {book.pages} zoom images (1600 px)", t, f"{1000 * t / book.pages:.0f} ms/page"))  # type: ignore[attr-defined]
        t, _ = timed(lambda: images.render_all(("s", "z")))
        rows.append(("the same images again, cached", t, ""))
        images.close()
        t, html = timed(lambda: render_page(book), repeat=20)  # type: ignore[arg-type]
        rows.append(("page HTML", t, f"{len(html) / 1000:.0f} KB"))  # type: ignore[arg-type]

        state = BookState(source, out, STYLES_DIR)
        state.load_existing(slug)
        server = BookServer("127.0.0.1", 0, state, live=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        t, _ = timed(lambda: get(port, "/"), repeat=20)
        rows.append(("GET / over HTTP", t, ""))
        t, (_, body) = timed(lambda: get(port, f"/files/{slug}.epub"), repeat=10)
        rows.append(("GET the EPUB", t, f"{len(body) / t / 1e6:.0f} MB/s"))
        t, _ = timed(lambda: get(port, f"/files/{slug}.pdf", {"Range": "bytes=1000-65535"}), repeat=50)
        rows.append(("GET a 64 KB range of the PDF (206)", t, ""))
        etag = f'"{book.pdf.sha256[:32]}"'  # type: ignore[attr-defined]
        t, (status, _) = timed(lambda: get(port, f"/files/{slug}.pdf", {"If-None-Match": etag}), repeat=50)
        assert status == 304
        rows.append(("conditional GET answered 304", t, ""))

        # save-to-preview: from writing a chapter to the event that tells the page
        rebuilder = Rebuilder([source, STYLES_DIR], out, state.rebuild)
        rebuilder.start()
        time.sleep(1.0)  # let the watcher settle
        chapter = sorted(source.glob("*.md"))[0]
        before = state.current()
        start = time.perf_counter()
        chapter.write_text(chapter.read_text() + "\nOne more paragraph, for the benchmark.\n")
        while (now := state.wait(before.version, 60)).book is before.book or now.building:
            before = now
        latency = time.perf_counter() - start
        rows.append(("save -> new build shown in the live preview", latency, f"of which build {now.seconds:.2f} s"))
        rebuilder.close()
        state.close()
        server.shutdown()
        server.server_close()

        current = state.current().book
        site_images = PageImages(current, work / "site-pages")  # type: ignore[arg-type]
        t, count = timed(lambda: write_site(current, site_images, work / "site"))  # type: ignore[arg-type]
        site_images.close()
        size = sum(p.stat().st_size for p in (work / "site").rglob("*") if p.is_file())
        rows.append(("static site (all images rendered)", t, f"{count} files, {size / 1e6:.1f} MB"))

        print(f"manuscript: {manuscript} ({book.pages} pages)")  # type: ignore[attr-defined]
        for name, seconds, note in rows:
            print(f"{name:<50} {seconds * 1000:9.1f} ms  {seconds / base:7.3f} x build  {note}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
