"""Where a manuscript is, and a book without book.yaml (a folder of chapter files, or one .md
file), whose metadata comes from the first chapter's front matter, as pandoc takes a
document's from its own.

Light on purpose: the command line asks for metadata_note on every build, and a build from the
cache imports neither the metadata code nor the front matter reader.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.read.sources import RawManuscript, YamlBlock

BOOK_FILE = "book.yaml"


def manuscript_folder(root: Path) -> Path:
    """Where a manuscript's files are read from: DIR itself, or a single .md file's own folder."""
    return root.parent if root.suffix.lower() == ".md" and root.is_file() else root


def _only(block: YamlBlock, keys: set[str]) -> YamlBlock:
    def keep(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k in keys}

    # Its warnings were reported when the front matter was read: neither half repeats them.
    return replace(block, data=keep(block.data), key_pos=keep(block.key_pos), value_pos=keep(block.value_pos),
                   written=keep(block.written), warnings=())


def lend_first_front(raw: RawManuscript) -> RawManuscript:
    """No book.yaml: the book's block is the first chapter's book keys, and that chapter keeps
    the rest, so each key is checked (and warned about) once, as the book's or the chapter's.
    Keys only a book has (publisher, trim, isbn, ...) are the book's; those both have (title,
    subtitle, lang, date, rights) are both's. People are not lent: the book's contributors are
    then every chapter's (meta.book_meta), as when book.yaml names no one, so that an
    anthology's other authors are not lost."""
    if not raw.book_from or raw.book.broken or not raw.chapters:
        return raw
    from pipeline.read.meta import BOOK_KEYS, CHAPTER_KEYS, PEOPLE_KEYS

    book_only = BOOK_KEYS - CHAPTER_KEYS - {"chapters"}
    shared = (BOOK_KEYS & CHAPTER_KEYS) - set(PEOPLE_KEYS)
    front = raw.chapters[0].front
    book, chapter = _only(front, book_only | shared), _only(front, set(front.data) - book_only)
    return replace(raw, book=book, chapters=(replace(raw.chapters[0], front=chapter), *raw.chapters[1:]))


def metadata_note(root: Path) -> str:
    """The one line a build or check prints when there is no book.yaml to read; "" when there is."""
    folder = manuscript_folder(root)
    if folder == root and (not root.is_dir() or (root / BOOK_FILE).exists()):
        return ""
    from pipeline.diagnostics import display_path
    from pipeline.read.sources import md_files

    if folder != root:
        return (f"{display_path(root)} alone: the book's title and details come from its front matter "
                f"(no {BOOK_FILE} or other chapter beside it is read)")
    chapters = md_files(folder)
    if not chapters:
        return ""  # the error says what is missing
    here = "this folder" if os.path.abspath(folder) == os.getcwd() else display_path(folder)
    return (f"no {BOOK_FILE} in {here}: the book's title and details come from the front matter of "
            f"{display_path(chapters[0])} (write a {BOOK_FILE} to set them)")
