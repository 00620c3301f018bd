"""Three translations -> one anthology: a chapter's author and translator in its own front matter.

    python tests/corpus/convert/anthology.py      writes tests/corpus/translated-anthology/

No public source reachable here is an anthology that names a translator per piece (see the
corpus README), so this one is assembled as an editor assembles a reader: chapters taken whole
from three corpus books that se2md.py converted from Standard Ebooks (run it first), each given
the author and translator of the edition it comes from, and the title of the work it belongs to
as its subtitle. Nothing in a chapter's text is changed; the book's own metadata names the
anthology and leaves the contributors to the chapters (the pipeline's rule: a chapter's
contributors are the book's, with their roles, unless book.yaml says otherwise).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import yaml

from se2md import q  # a YAML double-quoted string, as se2md writes book.yaml

CORPUS = Path(__file__).resolve().parent.parent
OUT = CORPUS / "translated-anthology"

# (corpus book, chapter files taken whole), in the anthology's order
PIECES: list[tuple[str, list[str]]] = [
    ("meditations", ["02-book-2.md"]),
    ("communist-manifesto", ["3-chapter-1.md", "6-chapter-4.md"]),
    ("rubaiyat", ["2-the-rubaiyat-of-omar-khayyam.md"]),
]

BOOK = """# Assembled from three corpus books by tests/corpus/convert/anthology.py
title: "Three Translations"
subtitle: "Marcus Aurelius, Marx and Engels, Omar Khayyám"
lang: en
date: 2026
rights: public domain
"""

_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_CHAPTER_LINK = re.compile(r"\[([^\]]*)\]\(([\w.-]+\.md)(#[^)\s]*)?\)")


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    (OUT / "book.yaml").write_text(BOOK, encoding="utf-8")
    names = {(book, name): f"{n}-{book}-{re.sub(r'^[0-9]+-', '', name)}"
             for n, (book, name) in enumerate(((b, f) for b, fs in PIECES for f in fs), 1)}
    n = 0
    for book, files in PIECES:
        meta = yaml.safe_load((CORPUS / book / "book.yaml").read_text(encoding="utf-8"))
        authors = [c["text"] for c in meta["creator"] if c.get("role") == "aut"]
        for name in files:
            text = (CORPUS / book / name).read_text(encoding="utf-8")
            front = _FRONT.match(text)
            assert front is not None, f"{book}/{name}: no front matter"
            lines = front.group(1).splitlines()
            assert not any(line.startswith(("author:", "translator:", "subtitle:")) for line in lines), name
            lines += [f"subtitle: {q('from ' + meta['title'])}",
                      "author: " + (q(authors[0]) if len(authors) == 1 else "[" + ", ".join(map(q, authors)) + "]"),
                      f"translator: {q(meta['translator'])}"]
            if meta.get("lang", "en") != "en":
                lines.append(f"lang: {meta['lang']}")
            n += 1

            def link(m: re.Match[str], book: str = book) -> str:
                """A link to a chapter of the same book: to it here, or its text alone where the
                anthology leaves that chapter out."""
                target = names.get((book, m.group(2)))
                return f"[{m.group(1)}]({target}{m.group(3) or ''})" if target else m.group(1)

            body = _CHAPTER_LINK.sub(link, text[front.end():])
            (OUT / names[book, name]).write_text("---\n" + "\n".join(lines) + "\n---\n" + body, encoding="utf-8")
    print(f"converted translated-anthology ({n} chapters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
