"""Synthetic books in the style of the first book: its paragraphs, its note density, its block quotes.

Paragraph texts are taken from the anthology's own chapters (its notes removed and
re-placed at the anthology's density), so paragraph lengths, vocabulary, punctuation
and hyphenation are the real book's. A seeded generator makes every run identical.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANUSCRIPT = ROOT / "manuscript"
WORDS_PER_CHAPTER = 10_000  # a 300k-word book: 30 chapter files, as in the pandoc figure
_NOTE_REF = re.compile(r"\[\^[^\]]+\]")


@dataclass(frozen=True)
class Style:
    paragraphs: tuple[str, ...]
    quotes: tuple[str, ...]
    notes: tuple[str, ...]
    words_per_note: float
    words_per_quote: float


def source_style() -> Style:
    paragraphs, quotes, notes, words, n_notes, n_quotes = [], [], [], 0, 0, 0
    for path in sorted(MANUSCRIPT.glob("*.md")):
        body = path.read_text(encoding="utf-8").split("---\n", 2)[2]
        for block in body.split("\n\n"):
            block = block.strip()
            if not block or block.startswith("#") or block.startswith(":::") or block.startswith("<"):
                continue
            if block.startswith("[^"):  # definitions, one a line, possibly run together
                for definition in re.split(r"\n(?=\[\^)", block):
                    notes.append(_NOTE_REF.sub("", definition.split(":", 1)[1]).strip())
                continue
            if block.startswith(">"):
                text = " ".join(line.lstrip("> ").strip() for line in block.splitlines())
                quotes.append(_NOTE_REF.sub("", text))
                n_quotes += 1
            else:
                text = _NOTE_REF.sub("", " ".join(block.splitlines()))
                if len(text.split()) >= 8:
                    paragraphs.append(text)
            words += len(block.split())
            n_notes += len(_NOTE_REF.findall(block))
    return Style(tuple(paragraphs), tuple(quotes), tuple(n for n in notes if n),
                 words / max(n_notes, 1), words / max(n_quotes, 1))


def _chapter(style: Style, rng: random.Random, number: int, words: int, edit: str = "") -> str:
    out, count, n_notes, since_heading = [], 0, 0, 0
    notes: list[str] = []
    middle = None
    while count < words:
        if since_heading > 1800:
            out.append(f"## Part {len(out)} of chapter {number}")
            since_heading = 0
        if rng.random() < 100 / style.words_per_quote and style.quotes:  # a block averages about 100 words
            text = rng.choice(style.quotes)
            out.append("> " + text)
        else:
            text = rng.choice(style.paragraphs)
            if rng.random() < 110 / style.words_per_note:  # a paragraph averages about 110 words
                n_notes += 1
                # The call goes at the end of a sentence, where the book puts them.
                text = text.rstrip() + f"[^n{n_notes}]"
                notes.append(f"[^n{n_notes}]: {rng.choice(style.notes)}")
            out.append(text)
        n = len(text.split())
        count += n
        since_heading += n
        if middle is None and count >= words // 2:
            middle = len(out) - 1
    if edit and middle is not None:
        out[middle] = out[middle] + " " + edit
    front = f'---\ntitle: "Chapter {number}: A History in Parts"\nauthor: "Synthetic Author"\nlang: en-GB\ndate: "1993"\n---\n'
    return front + "\n\n".join(out + notes) + "\n"


def write_book(dest: Path, words: int, seed: int = 1, edit: str = "",
               words_per_chapter: int = WORDS_PER_CHAPTER) -> list[Path]:
    """Writes book.yaml and the chapter files; `edit` is appended to one paragraph of the middle chapter."""
    style = source_style()
    dest.mkdir(parents=True, exist_ok=True)
    chapters = max(1, round(words / words_per_chapter))
    per = words // chapters
    names = [f"ch{i:02d}.md" for i in range(1, chapters + 1)]
    rng = random.Random(seed)
    for i, name in enumerate(names, 1):
        text = _chapter(style, random.Random(rng.random()), i, per, edit if i == (chapters + 1) // 2 else "")
        (dest / name).write_text(text, encoding="utf-8")
    (dest / "book.yaml").write_text(
        f'title: "A Synthetic History of {words} Words"\nauthor: "Synthetic Author"\nlang: en\n'
        f'identifier: "urn:uuid:00000000-0000-4000-8000-{words:012d}"\npublisher: "Pipeline Press"\n'
        f'date: "2026-11-29"\ntrim: demy\nchapters: [{", ".join(names)}]\n', encoding="utf-8")
    return [dest / n for n in names]


def middle_chapter(dest: Path) -> Path:
    names = sorted(dest.glob("ch*.md"))
    return names[(len(names) + 1) // 2 - 1]


if __name__ == "__main__":
    import sys

    write_book(Path(sys.argv[1]), int(sys.argv[2]))
