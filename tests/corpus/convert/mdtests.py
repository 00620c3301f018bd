"""The test suites of other Markdown tools -> manuscript folders, one chapter per test file.

    python tests/corpus/convert/mdtests.py [NAME ...]

Reads tests/corpus/sources/pandoc-tests/ and tests/corpus/sources/mdtest/ (copied from the
repositories named in tests/corpus/README.md) and writes tests/corpus/<name>/. An editor
handed these files would do no more than this: give each file the front matter the guide
asks for (its title: the test's name), move pandoc's title block (`% title`, `% authors`,
`% date`) into book.yaml, and copy the pictures the text names beside it. The Markdown itself
is left exactly as it is: these are the documents that Markdown tools are tested against.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent
SOURCES = CORPUS / "sources"

BOOKS: dict[str, dict] = {
    "pandoc-test-suite": {
        "source": "pandoc-tests",
        "chapters": [("testsuite.txt", None), ("tables.txt", "Tables"), ("pipe-tables.txt", "Pipe Tables"),
                     ("markdown-reader-more.txt", "More Markdown")],
        "files": ["lalune.jpg", "movie.jpg"],
        "yaml": {"subtitle": "The test documents of pandoc's Markdown reader", "lang": "en"},
    },
    "markdown-test-suite": {
        "source": "mdtest/Markdown.mdtest",
        "yaml": {"title": "Markdown Test Suite", "subtitle": "The test documents of Markdown 1.0.3, as kept in MDTest",
                 "author": "John Gruber", "lang": "en"},
    },
    "php-markdown-extra-test-suite": {
        "source": "mdtest/PHP Markdown Extra.mdtest",
        "yaml": {"title": "PHP Markdown Extra Test Suite", "subtitle": "The test documents of PHP Markdown Extra, as kept in MDTest",
                 "author": "Michel Fortin", "lang": "en"},
        # (file, text, replacement, why): the test expects a call to an undefined note, and a
        # note's call to the note that holds it, printed as text; a book calls those errors
        # (tests/test_notes.py), so the brackets are escaped and print as the test expects.
        "edits": [("Footnotes.text", "the footnote is undefined.[^3]", "the footnote is undefined.\\[^3]",
                   "a call to a note that is not defined"),
                  ("Footnotes.text", "But [^reference] should be litteral", "But \\[^reference] should be litteral",
                   "a note's call to the note that calls it")],
        # MDTest names these pictures and does not ship them: a grey picture of the same name
        # stands in, so that the test's Markdown stays as written.
        "placeholders": ["images/MGR-1800-travel.jpeg", "images/MGR-1830-travel.jpeg"],
    },
}


def q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def title_block(text: str) -> tuple[dict, str]:
    """pandoc's `% title` / `% author; author` / `% date` lines at the top of a file."""
    lines = text.split("\n")
    block = []
    while lines and lines[0].startswith("% "):
        block.append(lines.pop(0)[2:].strip())
    meta: dict = {}
    if block:
        meta["title"] = block[0]
    if len(block) > 1:
        meta["author"] = [a.strip() for a in block[1].split(";") if a.strip()]
    if len(block) > 2:
        meta["date"] = block[2]
    return meta, "\n".join(lines).lstrip("\n")


def convert(name: str, opts: dict) -> None:
    src = SOURCES / opts["source"]
    out = CORPUS / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    chapters = opts.get("chapters") or [(p.name, p.name[: -len(".text")]) for p in sorted(src.glob("*.text"))]
    book = dict(opts["yaml"])
    width = len(str(len(chapters)))
    for n, (fname, title) in enumerate(chapters, 1):
        text = (src / fname).read_text(encoding="utf-8")
        for efile, old, new, _why in opts.get("edits", []):
            if efile == fname:
                assert old in text, f"{fname}: {old!r} is no longer in the source"
                text = text.replace(old, new)
        meta, text = title_block(text)
        if meta and n == 1:
            book = {**{k: v for k, v in meta.items()}, **book}
        title = title or meta.get("title") or fname
        fm = f"---\ntitle: {q(title)}\n---\n"
        (out / f"{n:0{width}d}-{slug(title)}.md").write_text(fm + text, encoding="utf-8")
    for f in opts.get("files", []):
        shutil.copy(src / f, out / f)
    for f in opts.get("placeholders", []):
        (out / f).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (600, 400), (200, 200, 200)).save(out / f, "JPEG", quality=80)
    lines = [f"# Converted by tests/corpus/convert/mdtests.py from the files named in tests/corpus/README.md"]
    order = ["title", "subtitle", "author", "lang", "date"]
    for key in order:
        if key not in book:
            continue
        value = book[key]
        if isinstance(value, list):
            lines.append(f"{key}: [" + ", ".join(q(v) for v in value) + "]")
        elif key in ("lang", "date"):
            lines.append(f"{key}: {value}")
        else:
            lines.append(f"{key}: {q(value)}")
    (out / "book.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"converted {name}: {len(chapters)} chapters")


def main(argv: list[str]) -> int:
    for name in argv or list(BOOKS):
        convert(name, BOOKS[name])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
