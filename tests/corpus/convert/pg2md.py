"""Project Gutenberg HTML -> a manuscript folder (book.yaml + one .md per chapter).

    python tests/corpus/convert/pg2md.py [NAME ...]

Reads tests/corpus/sources/<source>/<file> (the HTML file of a Project Gutenberg ebook, as
kept in the GITenberg repository named in tests/corpus/README.md) and writes
tests/corpus/<name>/. What an editor does with such a file:

- the Gutenberg header and licence (the <pre> blocks before and after the text) are not
  the book's text and are left out; the title page goes into book.yaml;
- a chapter starts at each heading of the level given per book (h2); a heading whose text
  is only a Roman numeral is a section of the chapter (`## IV`), as is the next lower level
  (h3 under h2 chapters: `##`);
- a story's byline ("BY ANTON P. CHEKHOV") is the chapter's author; titles and bylines
  set in capitals are written in title case, as the contents page has them;
- page-number anchors and drop-cap spans are the printed book's furniture: their text stays,
  the markup goes; <br> in a paragraph is a line break; i/em/b/strong as in the guide;
- the text keeps Gutenberg's characters: curly quotes, « » and » «, dashes, no-break spaces.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from pathlib import Path

import lxml.html
from lxml import etree

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent
SOURCES = CORPUS / "sources"

BOOKS: dict[str, dict] = {
    "die-verwandlung": {
        "source": "pg-22367-die-verwandlung", "file": "22367-h.htm",
        "yaml": {"title": "Die Verwandlung", "author": "Franz Kafka", "lang": "de",
                 "date": "August 21, 2007",
                 "description": "Kafkas Erzählung nach der zweiten Ausgabe (Kurt Wolff Verlag, Leipzig 1917; "
                                "Bücherei »Der jüngste Tag«, Band 22/23), wie Project Gutenberg sie 2007 veröffentlichte.",
                 "rights": "public domain"},
        "chapter_level": "h2", "chapter_title": "{title}", "roman_sections": False,
    },
    "best-russian-short-stories": {
        "source": "pg-13437-best-russian-short-stories", "file": "13437-h.htm",
        "yaml": {"title": "Best Russian Short Stories", "editor": "Thomas Seltzer", "lang": "en",
                 "date": "September 11, 2004",
                 "rights": "public domain"},
        "chapter_level": "h2", "skip": {"CONTENTS", "BEST RUSSIAN SHORT STORIES", "Compiled and Edited by Thomas Seltzer"},
        "authors": {"INTRODUCTION": "Thomas Seltzer"},
        # the editor's corrections of the bylines, which the contents page spells so
        "byline_fixes": {"Anton P. Chekov": "Anton P. Chekhov", "Vladimir G. Korlenko": "Vladimir G. Korolenko"},
    },
}

SMALL = {"a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to", "with"}
ROMAN = re.compile(r"^[IVXLC]+\.?$")


def title_case(text: str) -> str:
    """A title or byline set in capitals, as the contents page writes it."""
    if text != text.upper():
        return text
    text = re.sub(r"(^|[\s.\-(\[])(\w)", lambda m: m.group(1) + m.group(2).upper(), text.lower())
    words = text.split(" ")
    return " ".join(w.lower() if i and w.lower() in SMALL else w for i, w in enumerate(words))


def squash(text: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", text)


def plain(el) -> str:
    return squash(" ".join(el.itertext())).strip()


_MD = re.compile(r"([\\`*_\[\]])")


def escape(text: str) -> str:
    return _MD.sub(r"\\\1", text.replace("&", "&amp;").replace("<", "&lt;"))


_LINE_START = re.compile(r"^(\s*)(#|>|[-+*](?=\s)|\d+(?=[.)]\s))")


def guard(text: str) -> str:
    out = []
    for line in text.split("\n"):
        m = _LINE_START.match(line)
        if m:
            mark = m.group(2)
            line = (line[:m.end(2)] + "\\" + line[m.end(2):]) if mark[0].isdigit() else (line[:m.start(2)] + "\\" + line[m.start(2):])
        out.append(line)
    return "\n".join(out)


def inline(el, depth: int = 0) -> str:
    parts = [escape(squash(el.text)) if el.text else ""]
    for c in el:
        tail = escape(squash(c.tail)) if c.tail else ""
        if not isinstance(c.tag, str):
            parts.append(tail)
            continue
        tag = c.tag.lower()
        if tag == "br":
            parts.append("<br>\n" + tail.lstrip())
            continue
        inner = inline(c, depth + 1)
        if tag in ("i", "em", "cite"):
            core = inner.strip()
            mark = "*" if depth % 2 == 0 else "_"
            parts.append((inner[: len(inner) - len(inner.lstrip())] + f"{mark}{core}{mark}" + inner[len(inner.rstrip()):]) if core else inner)
        elif tag in ("b", "strong"):
            core = inner.strip()
            parts.append(f"**{core}**" if core else inner)
        elif tag in ("sup", "sub", "small"):
            parts.append(f"<{tag}>{inner}</{tag}>")
        else:  # a (page anchors), span (drop caps, first words), big, font: the text only
            parts.append(inner)
        parts.append(tail)
    return "".join(parts)


class Chapter:
    def __init__(self, title: str):
        self.title = title
        self.author = ""
        self.blocks: list[str] = []


def convert(name: str, opts: dict) -> None:
    src = SOURCES / opts["source"] / opts["file"]
    doc = lxml.html.parse(str(src)).getroot()
    body = doc.find("body")
    level = opts["chapter_level"]
    chapters: list[Chapter] = []
    want: Counter = Counter()  # every word of the text kept, to prove that none was dropped
    current: Chapter | None = None
    skipping = False
    for el in list(body):
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag == "pre":
            continue
        text = plain(el)
        roman_sections = opts.get("roman_sections", True)
        if tag == level and not (roman_sections and ROMAN.match(text)):
            if text in opts.get("skip", set()):
                skipping = True
                continue
            skipping = False
            want.update(words(text))
            current = Chapter(title_case(text).rstrip("."))
            current.author = opts.get("authors", {}).get(text, "")
            chapters.append(current)
            continue
        if current is None or skipping:
            continue
        source_words = words("".join(el.itertext()))
        if text.upper().startswith("BY ") and not current.author and not current.blocks:
            source_words = source_words[1:]  # a byline's "BY" goes with it into the front matter
        want.update(source_words)
        if tag in ("h2", "h3", "h4") and ROMAN.match(text) and roman_sections:
            current.blocks.append("## " + text.rstrip("."))
            continue
        if tag in ("h3", "p") and text.upper().startswith("BY ") and not current.author and not current.blocks:
            name_part, _, pen_name = re.sub(r"\.$", "", text[3:]).partition(" [")
            byline = title_case(name_part)
            fixed = opts.get("byline_fixes", {}).get(byline, byline)
            if fixed != byline:  # the editor's correction: the word check expects the corrected spelling
                want.subtract(words(byline))
                want.update(words(fixed))
            pen_name = pen_name.strip(" ]")
            current.author = fixed + (f" [{pen_name}]" if pen_name else "")
            continue
        if tag in ("h3", "h4", "h5"):  # the level below the chapter's is the guide's ## (sections)
            current.blocks.append("#" * (int(tag[1]) - int(level[1]) + 1) + " " + escape(title_case(text)))
            continue
        if tag == "p":
            t = guard(inline(el).strip())
            if t.replace("<br>", "").strip():
                current.blocks.append(t)
        elif tag == "blockquote":
            inner = [guard(inline(p).strip()) for p in el if isinstance(p.tag, str) and p.tag.lower() == "p"] or [guard(inline(el).strip())]
            current.blocks.append("\n>\n".join("\n".join("> " + x for x in b.split("\n")) for b in inner if b))
        elif tag == "hr" and (el.get("class") or "") in ("tb", "scene"):
            current.blocks.append("***")
        elif tag == "div" and text:
            current.blocks.append(guard(inline(el).strip()))
    out = CORPUS / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    width = len(str(len(chapters)))
    y = opts["yaml"]
    lines = [f"# Converted from the Project Gutenberg HTML by tests/corpus/convert/pg2md.py"]
    for key, value in y.items():
        lines.append(f"{key}: {value}" if key == "date" or key == "lang" or value == "public domain" else f"{key}: {q(value)}")
    (out / "book.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for n, ch in enumerate(chapters, 1):
        stem = re.sub(r"[^a-z0-9]+", "-", ch.title.lower()).strip("-") or "chapter"
        title = opts.get("chapter_title", "{title}").format(title=ch.title.rstrip("."))
        fm = ["---", f"title: {q(title)}"]
        if ch.author:
            fm.append(f"author: {q(ch.author)}")
        fm.append("---")
        (out / f"{n:0{width}d}-{stem}.md").write_text("\n".join(fm) + "\n" + "\n\n".join(ch.blocks) + "\n", encoding="utf-8")
    have: Counter = Counter()
    for md in out.glob("*.md"):
        have.update(words(md.read_text(encoding="utf-8")))
    missing = want - have
    if missing:
        print(f"{name}: {sum(missing.values())} words of the source are not in the Markdown: "
              + ", ".join(f"{w} ({n})" for w, n in missing.most_common(12)), file=sys.stderr)
    print(f"converted {name}: {len(chapters)} chapters")


def words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", re.sub(r"\\(.)", r"\1", text).lower())


def q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(argv: list[str]) -> int:
    for name in argv or list(BOOKS):
        convert(name, BOOKS[name])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
