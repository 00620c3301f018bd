"""The commands the pipeline is measured against, each doing the work ours does.

- pandoc 3 (the `pypandoc_binary` package ships it: the same version on every machine), EPUB 3:
  with `--file-scope` (each chapter's notes its own: without it pandoc numbers every chapter's
  `[^n1]` as chapter 1's, 399 duplicate-note warnings at 100k words) and each chapter's title
  as its heading (without it pandoc writes the whole book as one XHTML file, against our file
  a chapter), as our chapters give theirs.
- Python-Markdown alone, with our parser's extensions, chapter by chapter: our parser's floor.
- WeasyPrint alone on the chapter documents our print renderer lays out (the same HTML and CSS,
  one after another in one process): the layout engine's share of our PDF build. Laying the
  whole book out as one document (the old baseline, kept as `weasyprint_whole`) costs
  WeasyPrint more than linearly, and is not what we do.
- Typst (the `typst` package), the fast PDF a user would pick instead, on the same chapters
  converted by pandoc 3's Typst writer (the conversion timed apart), tagged PDF/UA-1 as ours.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PY = sys.executable
_FRONT = re.compile(r'\A---\n.*?^title: "?(.*?)"?$.*?\n---\n', re.S | re.M)


def pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def pandoc_version() -> str:
    import pypandoc

    return pypandoc.get_pandoc_version()


def pandoc_sources(src: Path, dest: Path) -> list[Path]:
    """The chapters as pandoc reads a book: the front matter's title as the chapter's heading."""
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for chapter in sorted(src.glob("ch*.md")):
        text = chapter.read_text(encoding="utf-8")
        m = _FRONT.match(text)
        assert m, f"{chapter}: no title in its front matter"
        (dest / chapter.name).write_text(f"# {m.group(1)}\n\n{text[m.end():]}", encoding="utf-8")
        out.append(dest / chapter.name)
    return out


def pandoc_epub(chapters: list[Path], out: Path) -> list[str]:
    return [pandoc(), "-f", "markdown", "-t", "epub3", "--file-scope", "--split-level=1",
            "--metadata", "title=Synthetic", "--metadata", "lang=en", "-o", str(out), *map(str, chapters)]


def pandoc_typst(chapters: list[Path], out: Path) -> list[str]:
    return [pandoc(), "-f", "markdown", "-t", "typst", "--file-scope", "-s",
            "--metadata", "title=Synthetic", "--metadata", "lang=en", "-o", str(out), *map(str, chapters)]


def typst_pdf(source: Path, out: Path) -> list[str]:
    code = ("import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2], format='pdf', "
            "pdf_standards=['ua-1'])")
    return [PY, "-c", code, str(source), str(out)]


def markdown_only(src: Path) -> list[str]:
    code = (
        "import sys, markdown; from pathlib import Path; from pipeline.read.parse import extensions;"
        "[markdown.Markdown(extensions=extensions()).convert(p.read_text(encoding='utf-8').split('---\\n', 2)[2])"
        " for p in sorted(Path(sys.argv[1]).glob('ch*.md'))]"
    )
    return [PY, "-c", code, str(src)]


def dump_print_documents(src: Path, dest: Path, cwd: Path) -> None:
    """Writes the print renderer's documents as it gives them to WeasyPrint: the front matter
    and each chapter (section-NN.html), the whole book as one (book.html), and the stylesheets."""
    code = (
        "import sys; from pathlib import Path; from pipeline.diagnostics import Collector;"
        "from pipeline.load import load_normalised; from pipeline.render.pdf import layout;"
        "from pipeline.build import STYLES_DIR;"
        "doc = load_normalised(Path(sys.argv[1]), Collector()); d = Path(sys.argv[2]);"
        "parts = layout.print_parts(doc); setup = layout.section_setup(doc, parts, STYLES_DIR);"
        "bodies = [parts.front] + [body for _, body in layout._bodies(doc, parts)];"
        "[(d / f'section-{i:03d}.html').write_text(setup.head + b + setup.tail) for i, b in enumerate(bodies)];"
        "(d / 'book.html').write_text(layout.print_html(doc));"
        "(d / 'page.css').write_text(setup.base_css);"
        "(d / 'print.css').write_text((STYLES_DIR / 'print.css').read_text())"
    )
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run([PY, "-c", code, str(src), str(dest)], cwd=cwd, check=True)


_RENDER = (
    "import sys, weasyprint; from pathlib import Path; from weasyprint.text.fonts import FontConfiguration;"
    "d = Path(sys.argv[1]); names = sys.argv[2:]\n"
    "for n in names:\n"
    "    f = FontConfiguration()\n"
    "    css = [weasyprint.CSS(filename=str(d / c), font_config=f) for c in ('page.css', 'print.css')]\n"
    "    weasyprint.HTML(filename=str(d / n), base_url=str(d) + '/').write_pdf("
    "str(d / (n + '.pdf')), stylesheets=css, font_config=f, pdf_variant='pdf/ua-1')\n"
)


def weasyprint_chapters(dest: Path) -> list[str]:
    return [PY, "-c", _RENDER, str(dest), *sorted(p.name for p in dest.glob("section-*.html"))]


def weasyprint_whole(dest: Path) -> list[str]:
    return [PY, "-c", _RENDER, str(dest), "book.html"]


def pages_of(pdf: Path) -> int:
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        return len(doc)
    finally:
        doc.close()


def weasyprint_pages(dest: Path) -> int:
    return sum(pages_of(p) for p in dest.glob("section-*.html.pdf"))
