"""`pipeline new DIR`: a book folder to start from, that builds without an error or a warning."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

from pipeline.read.meta import slugify
from pipeline.diagnostics import display_path

EXIT_OK, EXIT_REFUSED = 0, 2

# Comments stand on lines of their own, or two spaces after a value: ` #` after one space
# would cut the value short (and is warned about).
BOOK_YAML = """\
# book.yaml: the book as a whole. Only title is required; every key is described in
# docs/manuscript.md ("book.yaml: the book"). Text values go in double quotes.
title: {title}
# subtitle: "A Subtitle"
author: "Your Name"  # or several: ["Ann Author", "Bo Writer"]; also editor, translator
lang: en  # the book's language: en, en-GB, fr, de, ...
date: {date}  # the date of this edition: 2026, 2026-05 or 2026-05-01
# publisher: "Your Press"
# rights: "Copyright Your Name. All rights reserved."  # or: public domain
# isbn: 978-0-306-40615-7
# description: "What the book is about: the ebook's metadata and the back cover."
trim: demy  # the page size: demy, royal, a5, b-format, us-trade, digest or "140mm x 216mm"
# print: kdp  # what the PDF is for: proof (the screen, the default), kdp, lulu, ingram, offset
# cover-image: cover.png  # a PNG of at least 1600 x 2560 pixels; without it a cover is drawn
# Without a 'chapters:' list, every .md file in this folder is a chapter, in order of file name.
# chapters: [01-beginning.md, 02-going-on.md]
"""

CHAPTERS = {
    "01-beginning.md": """\
---
title: "The Beginning"
---
This is the first paragraph of the book. The chapter's title is in the front matter
above, between the two lines of three hyphens; do not repeat it here. Paragraphs are
separated by a blank line, and the lines of one paragraph are joined, so break them where
you like.

Words in *italics* go between single asterisks, and **bold** between double ones. Type
"straight quotes" -- and two hyphens for a dash: the book gets curly quotes and a real
dash.[^first]

## A section

A line starting with two hashes is a section heading: it is listed in the ebook's
contents. A long quotation starts each line with a greater-than sign:

> A quotation, set off from the text.

[^first]: A footnote. The call goes where its number is to be printed; the note itself is
    a line of its own that starts with the same label and a colon.
""",
    "02-going-on.md": """\
---
title: "Going On"
---
Each chapter is a file of its own, and the files are read in order of their names: start
each name with a number of the same width (01, 02, ... 10).

***

A line of three asterisks between two paragraphs is a scene break. Check the book with
`pipeline check`, and build it with `pipeline build`.
""",
}


def title_of(folder: Path) -> str:
    """'my-new_book' -> 'My New Book': a title to change, but one that names the files well."""
    words = [w for w in re.split(r"[-_\s]+", folder.resolve().name) if w]
    return " ".join(w[:1].upper() + w[1:] for w in words) or "My Book"


def new_book(folder: Path) -> int:
    """Write the book; refuse (exit 2, nothing written) where DIR is a file or holds anything."""
    where = display_path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        kind = "a folder that is not empty" if folder.is_dir() else "not a folder"
        print(f"error: {where} is {kind}; nothing was written (give the name of a new folder)", file=sys.stderr)
        return EXIT_REFUSED
    title = title_of(folder)
    files = {"book.yaml": BOOK_YAML.format(title=json.dumps(title, ensure_ascii=False),
                                           date=dt.date.today().isoformat()), **CHAPTERS}
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    build = "pipeline build" + ("" if folder.resolve() == Path.cwd().resolve() else f" {where}")
    print(f"made {where}: {', '.join(files)}")
    print(f"next: edit them, then `{build}` writes build/{slugify(title)}.epub and build/{slugify(title)}.pdf")
    return EXIT_OK
