"""Standard Ebooks XHTML -> a manuscript folder (book.yaml + one .md per chapter + images).

    python tests/corpus/convert/se2md.py                 convert every book in se.BOOKS
    python tests/corpus/convert/se2md.py dracula         one of them

Reads tests/corpus/sources/<name>/ (content.opf, text/*.xhtml, images/ as copied from the
Standard Ebooks repository named in tests/corpus/README.md) and writes tests/corpus/<name>/.

The conversion is what an editor would do by hand with the manuscript guide open
(docs/manuscript.md): it maps Standard Ebooks' semantic XHTML onto the guide's Markdown and
does not bend the text to what the pipeline happens to accept today.

- the spine of content.opf gives the chapters, less the front and back matter that a new
  edition writes for itself (title page, imprint, colophon, uncopyright, endnotes);
  a file whose body holds several works (poems, stories) gives one chapter per work;
- content.opf gives book.yaml: title, subtitle, authors, translators and other roles,
  language, description, subjects, the date of the source edition, the rights;
- endnotes (endnotes.xhtml) become footnotes `[^n]` defined at the end of the chapter that
  calls them, with their paragraphs, quotations, verse, lists and tables;
- z3998:poem / z3998:verse / z3998:song (span lines and <br/>) become the guide's
  `<div class="verse" markdown="1">`, a stanza a paragraph, indents (class i1, i2...) em spaces;
- epigraphs become `<div class="epigraph" markdown="1">`, with their citation after a dash;
- letters (z3998:letter) are block quotes; their header, dateline, salutation, valediction and
  signature are paragraphs (line breaks kept with <br>);
- a play's speeches (z3998:drama tables) become paragraphs: the speaker in small caps
  (`[Algernon]{.smallcaps}`) and the speech; a row of stage directions alone a paragraph in
  italics;
- other tables are HTML tables (colspan, rowspan, thead, tfoot, <br> kept); inline markup:
  i/em -> *...*, b/strong -> **...**, xml:lang -> {lang=..}, abbr -> its text, links kept.
"""

from __future__ import annotations

import copy
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent
SOURCES = CORPUS / "sources"

X = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"

# name -> options. source: folder under sources/; split: a file holding several works gives a
# chapter per work (article); drop: file stems left out beyond the usual front/back matter.
BOOKS: dict[str, dict] = {
    "dracula": {"source": "se-dracula"},
    "importance-of-being-earnest": {"source": "se-importance-of-being-earnest"},
    "economic-consequences-of-the-peace": {"source": "se-economic-consequences-of-the-peace"},
    "communist-manifesto": {"source": "se-communist-manifesto"},
    "meditations": {"source": "se-meditations"},
    "eliot-poetry": {"source": "se-eliot-poetry", "split": True},
    "rubaiyat": {"source": "se-rubaiyat"},
    "lyrical-ballads": {"source": "se-lyrical-ballads", "split": True},
    "adventures-of-sherlock-holmes": {"source": "se-adventures-of-sherlock-holmes"},
    "devils-dictionary": {"source": "se-devils-dictionary"},
    "midsummer-nights-dream": {"source": "se-midsummer-nights-dream"},
}

LEFT_OUT = {"titlepage", "imprint", "colophon", "uncopyright", "halftitlepage", "endnotes", "toc", "loi",
            "copyright-page"}
POS = {"noun": ", n.", "adjective": ", adj.", "adjective noun": ", adj. and n.", "adverb": ", adv.", "eoc": "",
       "noun-plural": ", n. pl.", "past-participle": ", pp.", "pronoun": ", pron.", "question": "", "unknown": ", x.",
       "verb": ", v.", "verb-intransitive": ", v. i.", "verb-transitive": ", v. t."}
VERSE_TYPES = {"z3998:poem", "z3998:verse", "z3998:song", "z3998:hymn", "z3998:lyrics"}
ROLES = {"trl": "translator", "edt": "editor", "ill": "illustrator"}


def local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def types(el: etree._Element) -> set[str]:
    return set((el.get(EPUB_TYPE) or "").split())


def lang_of(el: etree._Element) -> str:
    return el.get(XML_LANG) or el.get("lang") or ""


def squash(text: str) -> str:
    """XHTML's indentation is not text: runs of ASCII white space are one space. No-break,
    hair and other Unicode spaces are the text's own and are kept."""
    return re.sub(r"[ \t\r\n]+", " ", text)


def plain(el: etree._Element) -> str:
    """The text of a title: no markup, note calls left out."""
    parts = []

    def walk(e: etree._Element) -> None:
        if local(e) == "a" and "noteref" in types(e):
            if e.tail:
                parts.append(e.tail)
            return
        if local(e) == "br":
            parts.append(" ")
        elif e.text:
            parts.append(e.text)
        for c in e:
            walk(c)
        if e.tail and e is not el:
            parts.append(e.tail)

    walk(el)
    return squash("".join(parts)).strip()


_MD_SPECIAL = re.compile(r"([\\`*_\[\]])")


def escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_LINE_START = re.compile(r"^(\s*)(#|>|[-+*](?=\s)|\d+(?=[.)]\s)|={3,}|-{3,})")


def guard_lines(text: str) -> str:
    """A line of text that Markdown would read as a heading, quotation, list or rule keeps its
    first character as text."""
    out = []
    for line in text.split("\n"):
        m = _LINE_START.match(line)
        if m:
            mark = m.group(2)
            if mark[0].isdigit():
                line = line[:m.end(2)] + "\\" + line[m.end(2):]
            else:
                line = line[:m.start(2)] + "\\" + line[m.start(2):]
        out.append(line)
    return "\n".join(out)


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line.strip() else line.rstrip() for line in text.split("\n"))


@dataclass
class Chapter:
    stem: str
    title: str
    subtitle: str = ""
    authors: list[str] = field(default_factory=list)
    translators: list[str] = field(default_factory=list)
    lang: str = ""
    blocks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # note numbers called, in order


class Converter:
    def __init__(self, name: str, src: Path, out: Path, split: bool = False):
        self.name, self.src, self.out, self.split = name, src, out, split
        self.opf = etree.parse(str(src / "content.opf")).getroot()
        self.book_lang = self.opf.findtext(f"{OPF}metadata/{DC}language") or "en"
        self.endnotes: dict[str, etree._Element] = {}
        notes_file = src / "text" / "endnotes.xhtml"
        if notes_file.exists():
            for li in etree.parse(str(notes_file)).getroot().iter(f"{X}li"):
                if li.get("id", "").startswith("note-"):
                    self.endnotes[li.get("id")] = li
        self.targets: set[str] = set()  # ids some link points at: kept
        self.file_of_id: dict[str, str] = {}  # xhtml file -> chapter stem, for links to a file
        self.chapter_of_file: dict[str, str] = {}
        self.images: set[str] = set()
        self.chapter: Chapter | None = None
        self.in_note = 0
        self.verse_depth = 0

    # -- the book ---------------------------------------------------------------------------
    def spine(self) -> list[Path]:
        manifest = {i.get("id"): i.get("href") for i in self.opf.iter(f"{OPF}item")}
        files = []
        for ref in self.opf.iter(f"{OPF}itemref"):
            href = manifest[ref.get("idref")]
            if not href.startswith("text/"):
                continue
            path = self.src / href
            if path.stem in LEFT_OUT:
                continue
            files.append(path)
        return files

    def meta(self) -> dict:
        md = self.opf.find(f"{OPF}metadata")
        refines: dict[str, dict[str, list[str]]] = {}
        for m in md.iter(f"{OPF}meta"):
            if m.get("refines"):
                refines.setdefault(m.get("refines")[1:], {}).setdefault(m.get("property"), []).append(m.text or "")
        data: dict = {}
        titles = md.findall(f"{DC}title")
        for t in titles:
            kind = refines.get(t.get("id"), {}).get("title-type", ["main"])[0]
            if kind == "main":
                data["title"] = t.text
            elif kind == "subtitle":
                data["subtitle"] = t.text
        for c in md.findall(f"{DC}creator"):
            data.setdefault("creator", []).append({"text": c.text, "file-as": refines.get(c.get("id"), {}).get("file-as", [c.text])[0]})
        for c in md.findall(f"{DC}contributor"):
            roles = refines.get(c.get("id"), {}).get("role", [])
            for code, key in ROLES.items():
                if code in roles:
                    data.setdefault(key, []).append(c.text)
        data["lang"] = self.book_lang
        date = md.findtext(f"{DC}date") or ""
        data["date"] = date[:10]
        abstract = [m.text for m in md.iter(f"{OPF}meta") if m.get("property") == "schema:abstract"]
        if abstract:
            data["description"] = abstract[0]
        data["subject"] = [s.text for s in md.findall(f"{DC}subject")]
        sources = [s.text for s in md.findall(f"{DC}source")]
        data["_sources"] = sources
        return data

    def run(self) -> None:
        files = self.spine()
        docs = {f: etree.parse(str(f)).getroot() for f in files}
        for f, root in docs.items():
            for a in root.iter(f"{X}a"):
                href = a.get("href") or ""
                if "#" in href and not href.startswith("http") and "noteref" not in types(a):
                    self.targets.add(href.split("#", 1)[1])
        for li in self.endnotes.values():
            for a in li.iter(f"{X}a"):
                href = a.get("href") or ""
                if "#" in href and not href.startswith("http") and "backlink" not in types(a):
                    self.targets.add(href.split("#", 1)[1])
        chapters: list[Chapter] = []
        self.unit_ids = {}
        for f, root in docs.items():
            body = root.find(f"{X}body")
            works = [c for c in body if local(c) in ("section", "article")]
            for w in works:
                for sec in [w] + [x for x in w if local(x) in ("section", "article")][:0]:
                    if sec.get("id"):
                        self.unit_ids[sec.get("id")] = f.name
        for f, root in docs.items():
            body = root.find(f"{X}body")
            works = [c for c in body if local(c) in ("section", "article")]
            if self.split and len(works) > 1:
                units = works
            elif self.split and len(works) == 1 and len([a for a in works[0] if local(a) == "article"]) > 1:
                # a volume of poems: the volume's own heading (and any text of its own) is a chapter,
                # each poem another
                wrapper = copy.deepcopy(works[0])
                for a in [a for a in wrapper if local(a) == "article"]:
                    wrapper.remove(a)
                units = [wrapper] + [a for a in works[0] if local(a) == "article"]
            else:
                units = [body]
            for i, unit in enumerate(units):
                stem = unit.get("id") if unit is not body and unit.get("id") else f.stem
                self.chapter_of_file.setdefault(f.name, stem)
                chapters.append(self.convert_unit(f, unit, stem, root))
        number = len(chapters)
        width = len(str(number))
        if self.out.exists():
            shutil.rmtree(self.out)
        self.out.mkdir(parents=True)
        names = {}
        for n, ch in enumerate(chapters, 1):
            names[ch.stem] = f"{n:0{width}d}-{ch.stem}.md"
        by_key = dict(names)
        for key, fname in list(self.unit_ids.items()):
            stem = key if key in names else self.chapter_of_file.get(fname)
            if stem in names:
                by_key[key] = names[stem]
        for fname, stem in self.chapter_of_file.items():
            by_key[fname] = names[stem]

        def file_link(m: re.Match) -> str:
            return by_key.get(m.group(1), m.group(1))

        for ch in chapters:
            text = re.sub("\x02([^\x02]*)\x02", file_link, self.chapter_text(ch))
            (self.out / names[ch.stem]).write_text(text, encoding="utf-8")
        for img in sorted(self.images):
            (self.out / "images").mkdir(exist_ok=True)
            shutil.copy(self.src / "images" / img, self.out / "images" / img)
        (self.out / "book.yaml").write_text(self.book_yaml(), encoding="utf-8")
        self.check_words(docs)

    def check_words(self, docs: dict) -> None:
        """The converter's own proof that it dropped no word: every word of the chapters and of
        the notes they call is in the Markdown (markup aside)."""
        from collections import Counter
        want: Counter = Counter()
        for root in docs.values():
            want.update(words(" ".join(root.find(f"{X}body").itertext())))
        called = {a.get("href", "").rsplit("-", 1)[-1] for root in docs.values() for a in root.iter(f"{X}a")
                  if "noteref" in types(a)}
        for n in called:
            li = self.endnotes.get(f"note-{n}")
            if li is not None:
                want.update(words(" ".join(li.itertext())))
        have: Counter = Counter()
        for md in self.out.glob("*.md"):
            have.update(words(md.read_text(encoding="utf-8")))
        missing = want - have
        missing.pop("↩", None)
        if missing:
            print(f"{self.name}: {sum(missing.values())} words of the source are not in the Markdown: "
                  + ", ".join(f"{w} ({n})" for w, n in missing.most_common(12)), file=sys.stderr)

    # -- writing the files ------------------------------------------------------------------
    def book_yaml(self) -> str:
        m = self.meta()
        lines = [f"# Converted from the Standard Ebooks edition by tests/corpus/convert/se2md.py",
                 f"title: {q(m['title'])}"]
        if m.get("subtitle"):
            lines.append(f"subtitle: {q(m['subtitle'])}")
        if m.get("creator"):
            lines.append("creator:")
            for c in m["creator"]:
                lines.append(f"  - {{text: {q(c['text'])}, role: aut, file-as: {q(c['file-as'])}}}")
        for key in ROLES.values():
            if m.get(key):
                lines.append(f"{key}: " + (q(m[key][0]) if len(m[key]) == 1 else "[" + ", ".join(q(x) for x in m[key]) + "]"))
        lines.append(f"lang: {m['lang']}")
        if m.get("date"):
            lines.append(f"date: {m['date']}")
        if m.get("description"):
            lines.append(f"description: {q(m['description'])}")
        if m.get("subject"):
            lines.append("subject:")
            lines.extend(f"  - {q(s)}" for s in m["subject"])
        lines.append("rights: public domain")
        return "\n".join(lines) + "\n"

    def chapter_text(self, ch: Chapter) -> str:
        fm = ["---", f"title: {q(ch.title or 'Untitled')}"]
        if ch.subtitle:
            fm.append(f"subtitle: {q(ch.subtitle)}")
        if ch.authors:
            fm.append("author: " + (q(ch.authors[0]) if len(ch.authors) == 1 else "[" + ", ".join(q(a) for a in ch.authors) + "]"))
        if ch.translators:
            fm.append("translator: " + ", ".join(q(a) for a in ch.translators))
        if ch.lang and ch.lang != self.book_lang:
            fm.append(f"lang: {ch.lang}")
        fm.append("---")
        body = "\n\n".join(b for b in ch.blocks if b.strip())
        notes = []
        self.chapter = ch  # a note called inside a note is this chapter's too (ch.notes grows as they are met)
        for n in ch.notes:
            li = self.endnotes.get(f"note-{n}")
            if li is None:
                continue
            self.in_note += 1
            blocks = [b for b in self.blocks(li) if b.strip()]
            self.in_note -= 1
            if not blocks:
                blocks = [""]
            if blocks[0].startswith("<"):  # a note that opens with a table or verse: the block below its label
                blocks.insert(0, "")
            text = f"[^{n}]: " + blocks[0].replace("\n", "\n    ")
            for b in blocks[1:]:
                text += "\n\n" + indent(b)
            notes.append(text)
        out = "\n".join(fm) + "\n" + body + "\n"
        if notes:
            out += "\n" + "\n\n".join(notes) + "\n"
        return out

    # -- a chapter --------------------------------------------------------------------------
    def convert_unit(self, f: Path, unit: etree._Element, stem: str, root: etree._Element) -> Chapter:
        ch = Chapter(stem=stem, title="")
        self.chapter = ch
        lang = lang_of(unit) or lang_of(root)
        if local(unit) == "body":
            inner = [c for c in unit if local(c) in ("section", "article")]
            # the body's one section: the chapter (a part title page has a section holding only its heading)
            unit_el = inner[0] if len(inner) == 1 else unit
            lang = lang_of(unit_el) or lang
        else:
            unit_el = unit
        ch.lang = lang
        self.heading_base = None
        ch.blocks = self.section_blocks(unit_el, top=True)
        if not ch.title:
            ch.title = plain(root.find(f"{X}head/{X}title")) if root.find(f"{X}head/{X}title") is not None else stem
        return ch

    def take_title(self, h: etree._Element, group: etree._Element | None = None) -> list[str]:
        """The chapter's own heading: its title (and subtitle) go to the front matter; a note
        called in it is called at the start of the text instead."""
        ch = self.chapter
        assert ch is not None
        ch.title = plain(h)
        extra = []
        for a in (group if group is not None else h).iter(f"{X}a"):
            if "noteref" in types(a):
                extra.append(self.noteref(a))
        if group is not None:
            subs = [plain(p) for p in group if local(p) == "p"]
            for p in group:
                if local(p) == "p" and ("z3998:author" in types(p)):
                    ch.authors.append(plain(p))
                    subs.remove(plain(p))
            if subs:
                if "ordinal" in types(h) or "z3998:ordinal" in types(h) or re.fullmatch(r"[IVXLC]+\.?|\d+\.?", ch.title):
                    ch.title = f"{ch.title}: {subs[0]}" if subs else ch.title
                    subs = subs[1:]
                if subs:
                    ch.subtitle = "; ".join(subs)
        self.heading_base = int(local(h)[1])
        return extra

    def section_blocks(self, el: etree._Element, top: bool = False) -> list[str]:
        out: list[str] = []
        pending_calls: list[str] = []
        verse = bool(types(el) & VERSE_TYPES)
        if verse:
            self.verse_depth += 1
        children = list(el)
        for c in children:
            name = local(c)
            if top and self.chapter and not self.chapter.title and name in ("h1", "h2", "h3", "h4", "h5", "h6"):
                pending_calls += self.take_title(c)
                continue
            if top and self.chapter and not self.chapter.title and name == "hgroup":
                h = next((x for x in c if local(x).startswith("h") and local(x) != "hgroup"), None)
                if h is not None:
                    pending_calls += self.take_title(h, c)
                    continue
            if top and name == "header" and self.chapter and not self.chapter.title:
                for hc in c:
                    hn = local(hc)
                    if hn in ("h1", "h2", "h3", "h4", "h5", "h6") and not self.chapter.title:
                        pending_calls += self.take_title(hc)
                    elif hn == "hgroup" and not self.chapter.title:
                        h = next((x for x in hc if local(x) in ("h1", "h2", "h3", "h4", "h5", "h6")), None)
                        if h is not None:
                            pending_calls += self.take_title(h, hc)
                    elif hn == "p" and "z3998:author" in types(hc):
                        self.chapter.authors.append(plain(hc))
                    else:
                        out += self.block(hc)
                continue
            out += self.block(c)
        if verse:
            self.verse_depth -= 1
        out = merge_verse(out)
        if pending_calls:
            for i, b in enumerate(out):
                if b.strip() and not b.startswith("#"):
                    out[i] = add_calls(b, "".join(pending_calls))
                    break
            else:
                out.append("".join(pending_calls))
        return out

    # -- blocks -----------------------------------------------------------------------------
    def blocks(self, el: etree._Element) -> list[str]:
        out: list[str] = []
        for c in el:
            out += self.block(c)
        return merge_verse(out)

    def heading(self, h: etree._Element, sub: str = "") -> str:
        level = int(local(h)[1])
        base = self.heading_base or (level - 1)
        md_level = max(2, min(6, level - base + 1))
        text = self.inline_content(h, in_heading=True).strip()
        if sub:
            text = f"{text}: {sub}" if text else sub
        hid = h.get("id")
        tail = f" {{#{hid}}}" if hid and hid in self.targets else ""
        return "#" * md_level + " " + text.replace("\n", " ") + tail

    def block(self, c: etree._Element) -> list[str]:
        name = local(c)
        t = types(c)
        if not name:
            return []
        if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            return [self.heading(c)]
        if name == "hgroup":
            h = next((x for x in c if local(x) in ("h1", "h2", "h3", "h4", "h5", "h6")), None)
            subs = [self.inline_content(p).strip() for p in c if local(p) == "p"]
            if h is None:
                return ["\n".join(subs)]
            return [self.heading(h, ": ".join(subs))]
        if name in ("section", "article"):
            verse = bool(t & VERSE_TYPES)
            if verse:
                self.verse_depth += 1
            out = []
            for x in c:
                out += self.block(x)
            if verse:
                self.verse_depth -= 1
            return merge_verse(out)
        if name in ("header", "footer", "div", "aside", "main", "nav", "figure") and name != "figure":
            if "epigraph" in t:
                return [self.epigraph(c)]
            return self.blocks(c)
        if name == "figure":
            return self.figure(c)
        if name == "p":
            if self.verse_depth and is_verse_p(c):
                return [VERSE + self.stanza(c, lang_of(c))]
            text = self.inline_content(c).strip()
            if not text:
                return []
            text = guard_lines(text)
            lang = lang_of(c)
            pid = c.get("id")  # kept when some link points at the paragraph
            attrs = []
            if pid and pid in self.targets:
                attrs.append(f"#{pid}")
            if lang and lang != self.current_lang():
                attrs.append(f"lang={lang}")
            if attrs:  # the guide's attribute list for one paragraph, on the line after it
                text += "\n{: " + " ".join(attrs) + " }"
            return [text]
        if name == "blockquote":
            if "epigraph" in t:
                return [self.epigraph(c)]
            if t & VERSE_TYPES or all(is_verse_p(x) for x in c if local(x) == "p") and any(local(x) == "p" for x in c) \
                    and not [x for x in c if local(x) not in ("p", "cite", "br")]:
                self.verse_depth += 1
                inner = self.blocks(c)
                self.verse_depth -= 1
                if c.get("id") in self.targets and inner and inner[0].startswith('<div class="verse"'):
                    inner[0] = inner[0].replace('<div class="verse"', f'<div class="verse" id="{c.get("id")}"', 1)
                return inner
            inner = self.blocks(c)
            if c.get("id") in self.targets:  # a quotation some link points at: a div with its id around it
                return [f'<div id="{c.get("id")}" markdown="1">\n\n' + quote(inner) + "\n\n</div>"]
            return [quote(inner)]
        if name in ("ol", "ul"):
            return [self.list_(c)]
        if name == "table":
            if self.is_drama(c):
                return self.drama(c)
            return [self.table(c)]
        if name == "hr":
            return ["***"]
        if name == "pre":
            return ["```\n" + "".join(c.itertext()).strip("\n") + "\n```"]
        if name == "dl":
            # a dictionary's entries: the term in bold with its part of speech (which the source's
            # style sheet prints after it), then the definition
            out = []
            terms: list[str] = []
            for x in c:
                if local(x) == "dt":
                    pos = POS.get(x.get("class", ""), ".")
                    word = self.inline_content(x).strip()
                    if x.get("id") in self.targets:
                        word = f"[{word}]{{#{x.get('id')}}}"
                    terms.append("**" + word + "**" + (f", *{pos[2:]}*" if pos.startswith(", ") else pos))
                elif local(x) == "dd":
                    blocks = self.blocks(x) if any(local(y) in ("p", "blockquote", "ul", "ol") for y in x) else [self.inline_content(x).strip()]
                    if terms:
                        term = " ".join(terms)
                        if blocks and not blocks[0].startswith(("<", ">")):
                            blocks[0] = term + " " + blocks[0]
                        else:
                            blocks.insert(0, term)
                        terms = []
                    out += blocks
            out += terms
            return out
        if name == "cite":
            return ["— " + self.inline_content(c).strip()]
        if name in ("img",):
            return self.figure(c)
        if name in ("span", "i", "em", "b", "strong", "a", "abbr", "br"):
            text = self.inline_node(c).strip()
            return [text] if text else []
        return self.blocks(c)

    def epigraph(self, c: etree._Element) -> str:
        inner = []
        for x in c:
            if local(x) == "cite":
                inner.append("— " + self.inline_content(x).strip())
            else:
                inner += self.block(x) if local(x) != "p" or not is_verse_p(x) else [VERSE + self.stanza(x, lang_of(x))]
        inner = merge_verse(inner)
        lang = lang_of(c)
        attr = f' lang="{lang}"' if lang else ""
        return f'<div class="epigraph"{attr} markdown="1">\n' + "\n\n".join(inner) + "\n</div>"

    def stanza(self, p: etree._Element, lang: str) -> str:
        lines: list[str] = []
        current = ""
        for node in p:
            n = local(node)
            if n == "br":
                lines.append(current)
                current = ""
                continue
            if n == "span" and not (types(node) - {""}) and not lang_of(node):
                cls = node.get("class") or ""
                m = re.search(r"\bi(\d)\b", cls)
                pad = "&emsp;" * int(m.group(1)) if m else ""
                current += pad + self.span_line(node)
            else:
                current += self.inline_node(node, tail=False)
            if node.tail and node.tail.strip():
                current += escape(squash(node.tail))
        if current.strip() or not lines:
            lines.append(current)
        lines = [guard_lines(squash(x).strip()) for x in lines]
        body = "<br>\n".join(x for x in lines)
        if p.text and p.text.strip():
            body = escape(squash(p.text).strip()) + " " + body
        return (lang + "\x00" if lang else "\x00") + body

    def span_line(self, span: etree._Element) -> str:
        text = self.inline_content(span)
        sid = span.get("id")
        if sid and sid in self.targets and "[" not in text and "]" not in text:
            return f"[{text.strip()}]{{#{sid}}}"
        return text

    def figure(self, c: etree._Element) -> list[str]:
        img = c if local(c) == "img" else next(c.iter(f"{X}img"), None)
        if img is None:
            return self.blocks(c)
        src = img.get("src", "")
        name = src.split("/")[-1]
        self.images.add(name)
        cap = next(c.iter(f"{X}figcaption"), None)
        caption = plain(cap).replace('"', "'") if cap is not None else ""
        alt = (img.get("alt") or "").replace("]", ")").replace("[", "(")
        return [f"![{alt}](images/{name}" + (f' "{caption}"' if caption else "") + ")"]

    def list_(self, c: etree._Element) -> str:
        ordered = local(c) == "ol"
        n = int(c.get("start", "1"))
        items = []
        for li in c:
            if local(li) != "li":
                continue
            if any(local(x) in ("p", "blockquote", "ul", "ol", "table", "div") for x in li):
                blocks = self.blocks(li)
            else:
                blocks = [guard_lines(self.inline_content(li).strip())]
            blocks = [b for b in blocks if b.strip()] or [""]
            marker = f"{n}. " if ordered else "- "
            n += 1
            text = marker + blocks[0].replace("\n", "\n    ")
            for b in blocks[1:]:
                text += "\n\n" + indent(b)
            items.append(text)
        loose = any("\n\n" in i for i in items)
        return ("\n\n" if loose else "\n").join(items)

    def is_drama(self, table: etree._Element) -> bool:
        anc = table
        while anc is not None:
            if "z3998:drama" in types(anc):
                return True
            anc = anc.getparent()
        return any("z3998:persona" in types(td) for td in table.iter(f"{X}td"))

    def drama(self, table: etree._Element) -> list[str]:
        out = []
        for tr in table.iter(f"{X}tr"):
            cells = [td for td in tr if local(td) in ("td", "th")]
            if not cells:
                continue
            persona = next((td for td in cells if "z3998:persona" in types(td)), None)
            speech = [td for td in cells if td is not persona]
            if persona is None and len(cells) >= 1:
                for td in speech:
                    out += self.cell_blocks(td)
                continue
            who = plain(persona)
            blocks = []
            for td in speech:
                blocks += self.cell_blocks(td)
            name = f"[{escape(who)}]{{.smallcaps}}."
            if blocks and not blocks[0].startswith((VERSE, "<", ">")):
                blocks[0] = f"{name} {blocks[0]}"
            else:
                blocks.insert(0, name)
            out += blocks
        return out

    def cell_blocks(self, td: etree._Element) -> list[str]:
        if any(local(x) in ("p", "blockquote", "table", "ul", "ol") for x in td):
            verse = bool(types(td) & VERSE_TYPES)
            self.verse_depth += verse
            out = self.blocks(td)
            self.verse_depth -= verse
            return out
        if td.find(f"{X}br") is not None and not td.text or (td.find(f"{X}span") is not None and td.find(f"{X}br") is not None):
            self.verse_depth += 1
            s = VERSE + self.stanza(td, lang_of(td))
            self.verse_depth -= 1
            return [s]
        text = guard_lines(self.inline_content(td).strip())
        return [text] if text else []

    def table(self, t: etree._Element) -> str:
        rows = []
        for part in t:
            pn = local(part)
            if pn == "caption":
                rows.append(f"<caption>{self.html_inline(part).strip()}</caption>")
            elif pn in ("thead", "tbody", "tfoot"):
                rows.append(f"<{pn}>")
                for tr in part:
                    rows.append(self.tr(tr))
                rows.append(f"</{pn}>")
            elif pn == "tr":
                rows.append(self.tr(part))
        return "<table>\n" + "\n".join(rows) + "\n</table>"

    def tr(self, tr: etree._Element) -> str:
        cells = []
        for td in tr:
            n = local(td)
            if n not in ("td", "th"):
                continue
            attrs = "".join(f' {a}="{td.get(a)}"' for a in ("colspan", "rowspan") if td.get(a))
            if td.get("class"):
                attrs += f' class="{td.get("class")}"'
            if lang_of(td):
                attrs += f' lang="{lang_of(td)}"'
            inner = self.html_inline(td).strip()
            cells.append(f"<{n}{attrs}>{inner}</{n}>")
        return "<tr>" + "".join(cells) + "</tr>"

    # -- inline -----------------------------------------------------------------------------
    def inline_content(self, el: etree._Element, in_heading: bool = False, depth: int = 0) -> str:
        parts = [escape(squash(el.text)) if el.text else ""]
        for c in el:
            parts.append(self.inline_node(c, depth=depth))
        return "".join(parts)

    def noteref(self, a: etree._Element) -> str:
        href = a.get("href", "")
        nid = href.split("#")[-1]
        n = nid.split("-")[-1]
        ch = self.chapter
        if ch is not None and n not in ch.notes and not self.in_note:
            ch.notes.append(n)
        elif ch is not None and self.in_note and n not in ch.notes:
            ch.notes.append(n)
        return f"[^{n}]"

    def inline_node(self, c: etree._Element, tail: bool = True, depth: int = 0) -> str:
        name = local(c)
        t = types(c)
        tail_text = escape(squash(c.tail)) if (tail and c.tail) else ""
        if not name:  # comment or processing instruction
            return tail_text
        lang = lang_of(c)
        if name == "br":
            return "<br>\n" + tail_text.lstrip()
        if name == "a":
            if "noteref" in t:
                return self.noteref(a=c) + tail_text
            if "backlink" in t:
                return tail_text
            inner = self.inline_content(c, depth=depth)
            href = c.get("href", "")
            if href.startswith(("http://", "https://", "mailto:")):
                return f"[{inner}]({href})" + tail_text
            target = href.split("#", 1)[1] if "#" in href else ""
            if target and target not in self.unit_ids:
                return f"[{inner}](#{target})" + tail_text
            # a link to a chapter as a whole: to its file, named when the files are numbered
            return f"[{inner}](\x02{target or href}\x02)" + tail_text
        if name in ("i", "em", "b", "strong"):
            inner = self.inline_content(c, depth=depth + 1)
            if not inner.strip():
                return inner + tail_text
            lead = inner[: len(inner) - len(inner.lstrip())]
            trail = inner[len(inner.rstrip()):]
            core = inner.strip()
            if name in ("i", "em"):
                mark = "*" if depth % 2 == 0 else "_"
            else:
                mark = "**"
            if "z3998:persona" in t and name == "b":
                s = f"[{core}]{{.smallcaps}}" if "[" not in core else core
                return lead + s + trail + tail_text
            s = f"{mark}{core}{mark}"
            if lang and lang != self.current_lang():
                s += f"{{lang={lang}}}"
            return lead + s + trail + tail_text
        if name == "abbr":
            inner = self.inline_content(c, depth=depth)
            if c.get("title"):
                return f'<abbr title="{html_escape(c.get("title"))}">{inner}</abbr>' + tail_text
            return self.langed(inner, lang) + tail_text
        if name in ("sup", "sub", "small"):
            inner = self.inline_content(c, depth=depth)
            return f"<{name}>{inner}</{name}>" + tail_text
        if name == "code":
            return "`" + "".join(c.itertext()) + "`" + tail_text
        if name == "img":
            return "".join(self.figure(c)) + tail_text
        inner = self.inline_content(c, depth=depth)
        sid = c.get("id")
        if sid and sid in self.targets:
            if "[" in inner or "]" in inner:
                return f'<span id="{sid}">{inner}</span>' + tail_text
            return f"[{inner}]{{#{sid}" + (f" lang={lang}" if lang else "") + "}" + tail_text
        if "z3998:persona" in t:
            return f"[{inner}]{{.smallcaps}}" + tail_text
        return self.langed(inner, lang) + tail_text

    def langed(self, inner: str, lang: str) -> str:
        if not lang or lang == self.current_lang() or not inner.strip():
            return inner
        lead = inner[: len(inner) - len(inner.lstrip())]
        trail = inner[len(inner.rstrip()):]
        core = inner.strip()
        if "[" in core.replace("\\[", "") or "]" in core.replace("\\]", "") or "\\[" in core or "\\]" in core:
            return f'{lead}<span lang="{lang}">{core}</span>{trail}'
        return f"{lead}[{core}]{{lang={lang}}}{trail}"

    def current_lang(self) -> str:
        return self.chapter.lang if self.chapter else self.book_lang

    def html_inline(self, el: etree._Element) -> str:
        """Cell content as the guide's inline HTML (a raw HTML table holds no Markdown)."""
        parts = [html_escape(squash(el.text)) if el.text else ""]
        for c in el:
            n = local(c)
            tail = html_escape(squash(c.tail)) if c.tail else ""
            if not n:
                parts.append(tail)
                continue
            if n == "br":
                parts.append("<br>" + tail)
                continue
            if n == "a" and "noteref" in types(c):
                # a note call in a table cell: HTML has no footnotes; the call stays as Markdown
                parts.append(self.noteref(c) + tail)
                continue
            inner = self.html_inline(c)
            lang = lang_of(c)
            la = f' lang="{lang}"' if lang else ""
            if n in ("i", "em", "b", "strong", "sup", "sub", "small", "code"):
                parts.append(f"<{n}{la}>{inner}</{n}>{tail}")
            elif n == "abbr" and c.get("title"):
                parts.append(f'<abbr title="{html_escape(c.get("title"))}">{inner}</abbr>{tail}')
            elif n == "p":
                parts.append(inner + "<br>" + tail)
            elif lang:
                parts.append(f'<span lang="{lang}">{inner}</span>{tail}')
            else:
                parts.append(inner + tail)
        text = "".join(parts)
        return re.sub(r"(<br>)+$", "", text.strip())


VERSE = "\x01verse\x01"


def words(text: str) -> list[str]:
    text = re.sub(r"\\(.)", r"\1", text)
    return re.findall(r"[^\W\d_]+", text.lower())


def is_verse_p(p: etree._Element) -> bool:
    kids = [c for c in p if isinstance(c.tag, str)]
    if not kids:
        return False
    if p.find(f"{X}br") is not None and any(local(k) == "span" for k in kids):
        return True
    return all(local(k) == "span" for k in kids) and not (p.text or "").strip() and len(kids) == 1 and False


def merge_verse(blocks: list[str]) -> list[str]:
    """Consecutive stanzas of one language become one verse div, a stanza a paragraph."""
    out: list[str] = []
    run: list[str] = []
    run_lang = None

    def flush() -> None:
        nonlocal run, run_lang
        if run:
            attr = f' lang="{run_lang}"' if run_lang else ""
            out.append(f'<div class="verse"{attr} markdown="1">\n' + "\n\n".join(run) + "\n</div>")
        run, run_lang = [], None

    for b in blocks:
        if b.startswith(VERSE):
            lang, _, text = b[len(VERSE):].partition("\x00")
            if run and lang != run_lang:
                flush()
            run_lang = lang
            run.append(text)
        else:
            flush()
            out.append(b)
    flush()
    return out


def quote(blocks: list[str]) -> str:
    return "\n>\n".join("\n".join("> " + line if line else ">" for line in b.split("\n")) for b in blocks if b.strip())


def add_calls(block: str, calls: str) -> str:
    if block.endswith("</div>"):
        head, _, _ = block.rpartition("\n</div>")
        return head + calls + "\n</div>"
    return block + calls


def q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(argv: list[str]) -> int:
    names = argv or list(BOOKS)
    for name in names:
        opts = BOOKS[name]
        Converter(name, SOURCES / opts["source"], CORPUS / name, split=opts.get("split", False)).run()
        print(f"converted {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
