"""Model -> markup, one core for both renderers.

Options decide what differs: XHTML with epub:type and pop-up footnote asides
for the EPUB; HTML with notes set inline at the call (float: footnote) for print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import Callable, assert_never

from pipeline.model import (
    Attrs, Block, BlockQuote, BookMeta, Cell, Chapter, Code, CodeBlock, Div, Document, Emph, Figure,
    Heading, Image, Inline, LineBreak, Link, ListBlock, Note, Para, Phrase, SceneBreak, Span, Strong, Table, Text,
)
from pipeline.render.credits import byline, credits, names
from pipeline.walk import iter_block_inlines, iter_blocks, map_text_runs, plain_text


@dataclass(frozen=True)
class HtmlOptions:
    epub: bool  # XHTML + epub:type + asides; else print HTML with footnotes floated at the call
    file_of: Callable[[str], str] = lambda target_id: ""  # file part of a link to an id in the book
    image_src: Callable[[Image], str] = lambda image: Path(image.path).as_uri()


def t(text: str) -> str:
    return escape(text, quote=False)


def a(text: str) -> str:
    return escape(text, quote=True)


def code_lines(text: str) -> str:
    """Print: a code block's lines, a block each, so that a line turned over hangs (print.css)."""
    return "".join(f'<span class="line">{t(line) or " "}</span>' for line in text.rstrip("\n").split("\n"))


def one_line(texts: list[str]) -> list[str]:
    """Print notes: the source's line ends as spaces. In a footnote WeasyPrint 70 keeps a line
    end, and one after a space stops its layout (AssertionError "Got ' \\n' between two lines")."""
    return [re.sub(r"[ \t]*\n[ \t]*", " ", text) for text in texts]


def lang_attrs(lang: str, opts: HtmlOptions) -> str:
    if not lang:
        return ""
    if lang[:2].lower() == "x-":
        # A private-use tag alone is valid BCP 47, but reading systems and Ace's valid-lang rule
        # want a primary language: 'und' (undetermined) says the same and keeps the private use.
        lang = "und-" + lang
    return f' lang="{a(lang)}" xml:lang="{a(lang)}"' if opts.epub else f' lang="{a(lang)}"'


def attrs(at: Attrs, opts: HtmlOptions) -> str:
    out = f' id="{a(at.id)}"' if at.id else ""
    if at.classes:
        out += f' class="{a(" ".join(at.classes))}"'
    return out + lang_attrs(at.lang, opts)


def note_id(chapter_id: str, n: int) -> str:
    return f"{chapter_id}-note-{n}"


def noteref_id(chapter_id: str, n: int) -> str:
    return f"{chapter_id}-noteref-{n}"


class Renderer:
    """Renders one chapter's blocks; collects its notes for the EPUB's asides."""

    def __init__(self, chapter_id: str, opts: HtmlOptions) -> None:
        self.chapter_id, self.opts = chapter_id, opts
        self.notes: list[Note] = []
        self.repeats: dict[int, list[str]] = {}  # note number -> ids of its further calls
        self.nested: list[Note] | None = None  # print, while a note's text is rendered: the notes it calls

    def inlines(self, items: tuple[Inline, ...]) -> str:
        out = []
        for i, item in enumerate(items):
            following = items[i + 1] if i + 1 < len(items) else None
            if not self.opts.epub and isinstance(item, Text) and isinstance(following, Note):
                # Print: the word before a call and the call share a no-wrap span, so a
                # call never starts a line of its own.
                head, _, word = item.text.rpartition(" ")
                out.append(t(head + " " if head or item.text.startswith(" ") else "") + f'<span class="call-wrap">{t(word)}')
                continue
            out.append(self.inline(item))
            if not self.opts.epub and isinstance(item, Note) and i and isinstance(items[i - 1], Text):
                out.append("</span>")
        return "".join(out)

    def inline(self, item: Inline) -> str:
        match item:
            case Text():
                return t(item.text)
            case Emph():
                return f"<em{attrs(item.attrs, self.opts)}>{self.inlines(item.inlines)}</em>"
            case Strong():
                return f"<strong{attrs(item.attrs, self.opts)}>{self.inlines(item.inlines)}</strong>"
            case Code():
                return f"<code>{t(item.text)}</code>"
            case Link():
                title = f' title="{a(item.title)}"' if item.title else ""
                url = self.opts.file_of(item.url[1:]) + item.url if item.url.startswith("#") else item.url
                return f'<a href="{a(url)}"{title}>{self.inlines(item.inlines)}</a>'
            case Image():
                return self.img(item)
            case LineBreak():
                return "<br/>"
            case Span():
                return f"<span{attrs(item.attrs, self.opts)}>{self.inlines(item.inlines)}</span>"
            case Phrase():
                title = f' title="{a(item.title)}"' if item.title else ""
                return f"<{item.tag}{title}>{self.inlines(item.inlines)}</{item.tag}>"
            case Note():
                return self.note_call(item)
            case _:
                assert_never(item)

    def table(self, table: Table) -> str:
        def cell(c: Cell) -> str:
            tag = "th" if c.header else "td"
            extra = (f' colspan="{c.colspan}"' if c.colspan > 1 else "") + (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "")
            extra += f' class="align-{c.align}"' if c.align else ""
            return f"<{tag}{extra}>{self.inlines(c.inlines)}</{tag}>"

        def rows(rs: tuple[tuple[Cell, ...], ...]) -> str:
            return "".join("<tr>" + "".join(cell(c) for c in r) + "</tr>\n" for r in rs)

        caption = f"<caption>{self.inlines(table.caption)}</caption>\n" if table.caption else ""
        head_rows, body_rows = head_and_body(table)
        head = f"<thead>\n{rows(head_rows)}</thead>\n" if head_rows else ""
        return f"<table>\n{caption}{head}<tbody>\n{rows(body_rows)}</tbody>\n</table>"

    def img(self, image: Image) -> str:
        # An empty alt marks the image decorative; readers of the text then skip it.
        role = ' role="presentation"' if not image.alt else ""
        return f'<img src="{a(self.opts.image_src(image))}" alt="{a(image.alt)}"{role}/>'

    def note_call(self, note: Note) -> str:
        n, cid = note.number, self.chapter_id
        ref = noteref_id(cid, n) + (f"-{note.repeat + 1}" if note.repeat else "")
        if self.opts.epub:
            if note.repeat:
                self.repeats.setdefault(n, []).append(ref)
            else:
                self.notes.append(note)
            return (f'<a href="#{note_id(cid, n)}" id="{ref}" class="noteref" '
                    f'epub:type="noteref" role="doc-noteref">{n}</a>')
        if note.repeat:  # print: the note is already at the foot of the page of its first call
            return f'<a href="#{note_id(cid, n)}" id="{ref}" class="note-repeat">{n}</a>'
        if self.nested is not None:  # print: a call in a note's text, its note set after that note
            self.nested.append(note)
            return f'<a href="#{note_id(cid, n)}" id="{ref}" class="note-inner-call">{n}</a>'
        return self.print_note(note)

    def print_note(self, note: Note, nested: bool = False) -> str:
        """Print: the note's text sits at the call; WeasyPrint floats it to the page foot. The
        notes called in it follow it there, each a float of its own beside it (a float inside
        a float is laid out on the page where WeasyPrint first tries the outer note, and stays
        there when the outer note moves on: Keynes's notes 48-50 printed a page before 47)."""
        self.nested = []
        body = "".join(self.note_paragraphs(note.blocks, "note-p"))
        inner, self.nested = self.nested, None
        own = (f'<span class="footnote{" note-nested" if nested else ""}" id="{note_id(self.chapter_id, note.number)}" '
               f'data-n="{note.number}">{body}</span>')
        return own + "".join(self.print_note(called, nested=True) for called in inner)

    def note_paragraphs(self, blocks: tuple[Block, ...], classes: str, marker: str = "", lang: str = "") -> list[str]:
        """Print: a note's blocks as spans (the note stands inside its call's paragraph, where
        no block element may), one a paragraph, each a quote's or a list item's paragraph too,
        so that print.css sets them apart (and pipeline.render.pdf.note_split can cut between them)."""
        out: list[str] = []
        for b in blocks:
            if isinstance(b, BlockQuote):
                out += self.note_paragraphs(b.blocks, "note-p note-quote", lang=lang)
            elif isinstance(b, ListBlock):
                for number, item in enumerate(b.items, b.start):
                    out += self.note_paragraphs(item, "note-p note-li", f"{number}." if b.ordered else "•", lang)
            elif isinstance(b, Div) and "verse" in b.attrs.classes:
                # Verse keeps its lines, each a span of its own as in the text (stanza()).
                for stanza in b.blocks:
                    if isinstance(stanza, Para):
                        out.append(f'<span class="note-p note-verse"{lang_attrs(b.attrs.lang or lang, self.opts)}>'
                                   f'{self.stanza_lines(stanza, in_note=True)}</span>')
                    else:
                        out += self.note_paragraphs((stanza,), classes, lang=b.attrs.lang or lang)
            elif isinstance(b, Div):
                out += self.note_paragraphs(b.blocks, classes, marker, b.attrs.lang or lang)
                marker = ""
            elif isinstance(b, Table):
                out.append(self.note_table(b, lang))
            elif isinstance(b, CodeBlock):
                out.append(f'<span class="note-p note-code">{code_lines(b.text)}</span>')
            else:
                inlines = b.inlines if isinstance(b, Para) else tuple(iter_block_inlines(b, False))
                inlines = map_text_runs(inlines, one_line)
                mark = f' data-marker="{a(marker)}"' if marker else ""
                out.append(f'<span class="{classes}"{mark}{lang_attrs(lang, self.opts)}>{self.inlines(inlines)}</span>')
                marker = ""  # a list item's marker before its first paragraph only
        return out

    def note_table(self, table: Table, lang: str) -> str:
        """Print: a table in a note, as spans that print.css sets as a table (WeasyPrint reads
        colspan and rowspan on any element set as a table cell)."""
        def cell(c: Cell) -> str:
            extra = (f' colspan="{c.colspan}"' if c.colspan > 1 else "") + (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "")
            align = f" align-{c.align}" if c.align else ""
            return f'<span class="note-{"th" if c.header else "td"}{align}"{extra}>{self.inlines(map_text_runs(c.inlines, one_line))}</span>'

        head_rows, body_rows = head_and_body(table)
        rows = "".join(f'<span class="note-tr{" note-head" if k < len(head_rows) else ""}">'
                       + "".join(cell(c) for c in r) + "</span>" for k, r in enumerate((*head_rows, *body_rows)))
        caption = f'<span class="note-caption">{self.inlines(table.caption)}</span>' if table.caption else ""
        return f'<span class="note-p note-table"{lang_attrs(lang, self.opts)}>{caption}{rows}</span>'

    def blocks(self, items: tuple[Block, ...]) -> str:
        return "\n".join(self.block(b) for b in items)

    def block(self, block: Block) -> str:
        match block:
            case Para():
                return f"<p{attrs(block.attrs, self.opts)}>{self.inlines(block.inlines)}</p>"
            case Heading():
                # Print bookmarks take a note-free label when a note is called in the heading.
                label = (f' data-bookmark="{a(plain_text(block.inlines))}"'
                         if not self.opts.epub and any(isinstance(i, Note) for i in block.inlines) else "")
                return f"<h{block.level}{attrs(block.attrs, self.opts)}{label}>{self.inlines(block.inlines)}</h{block.level}>"
            case BlockQuote():
                return f"<blockquote>\n{self.blocks(block.blocks)}\n</blockquote>"
            case ListBlock():
                tag = "ol" if block.ordered else "ul"
                start = f' start="{block.start}"' if block.ordered and block.start != 1 else ""
                if start and not self.opts.epub:  # WeasyPrint 70 reads no start attribute: its counter
                    start += f' style="counter-reset: list-item {block.start - 1}"'
                items = "".join(f"<li>{self.blocks(item)}</li>\n" for item in block.items)
                return f"<{tag}{start}>\n{items}</{tag}>"
            case CodeBlock():
                if self.opts.epub:
                    return f"<pre><code>{t(block.text)}</code></pre>"
                return f"<pre><code>{code_lines(block.text)}</code></pre>"
            case SceneBreak():
                return '<hr class="scene-break"/>'
            case Div():
                inner = ("\n".join(self.stanza(b) if isinstance(b, Para) else self.block(b) for b in block.blocks)
                         if "verse" in block.attrs.classes else self.blocks(block.blocks))
                return f"<div{attrs(block.attrs, self.opts)}>\n{inner}\n</div>"
            case Figure():
                caption = f"<figcaption>{self.inlines(block.caption)}</figcaption>" if block.caption else ""
                return f"<figure>{self.img(block.image)}{caption}</figure>"
            case Table():
                return self.table(block)
            case _:
                assert_never(block)

    def stanza(self, para: Para) -> str:
        """A stanza, each of its lines a span of its own, which the style sheets set as a block
        with a hanging indent: every line starts at the margin, and only a line too long for the
        measure turns over indented (on the <p>, the indent took the lines after each <br> for
        turnovers and left the stanza's first line hanging out; text-indent's each-line, which
        would tell them apart, is not in WeasyPrint 70). The <br/> stays at each line's end, for
        a reader without the style sheet and for copied text."""
        return f"<p{attrs(para.attrs, self.opts)}>{self.stanza_lines(para)}</p>"

    def stanza_lines(self, para: Para, in_note: bool = False) -> str:
        lines: list[list[Inline]] = [[]]
        for item in para.inlines:
            if in_note and not lines[-1] and isinstance(item, Text) and len(lines) > 1:
                # The source's line end after a <br>: in a footnote WeasyPrint 70 sets it as
                # a blank line of its own (elsewhere it is collapsed away, as it should be).
                item = replace(item, text=item.text.lstrip())
            lines[-1].append(item)
            if isinstance(item, LineBreak):
                lines.append([])
        return "".join(f'<span class="line">{self.inlines(tuple(line))}</span>' for line in lines if line)

    def asides(self) -> str:
        """EPUB pop-up footnotes: one aside a note, each linking back to its call."""
        out = []
        done = 0
        while done < len(self.notes):  # rendering a note may find calls of notes inside it
            note = self.notes[done]
            done += 1
            n, cid = note.number, self.chapter_id
            back = (f'<a href="#{noteref_id(cid, n)}" class="note-number" role="doc-backlink" '
                    f'title="Back to the text">{n}.</a> ')
            body = self.blocks(note.blocks) if note.blocks else "<p></p>"
            for k, ref in enumerate(self.repeats.get(n, []), 2):
                body += (f'\n<p class="more-calls"><a href="#{ref}" role="doc-backlink" '
                         f'title="Back to call {k}">Back to call {k}</a></p>')
            body = body.replace("<p>", "<p>" + back, 1) if body.startswith("<p>") else f"<p>{back}</p>{body}"
            out.append((n, f'<aside id="{note_id(cid, n)}" class="footnote" epub:type="footnote" role="doc-footnote">\n{body}\n</aside>'))
        return "\n".join(html for _, html in sorted(out))


Rows = tuple[tuple[Cell, ...], ...]


def head_and_body(table: Table) -> tuple[Rows, Rows]:
    """The head rows and the body rows. A table from raw HTML often has no <thead>, its heading
    row a <tr> of <th> in the body: the leading rows made only of header cells are its head (so
    print repeats them on each page the table runs on to, and reading systems announce them),
    unless a row span runs from them into the body or nothing would be left of it."""
    if table.head:
        return table.head, table.body
    body = table.body
    k = 0
    while k < len(body) - 1 and body[k] and all(c.header for c in body[k]):
        k += 1
    while k and any(i + c.rowspan > k for i in range(k) for c in body[i]):
        k -= 1
    return body[:k], body[k:]


def title_page_people(meta: BookMeta) -> str:
    """The authors' line, then a line for each other role; nothing for a role no one has."""
    authors = names(meta)
    lines = [f'<p class="authors">{t(authors)}</p>'] if authors else []
    return "\n".join(lines + [f'<p class="editors">{t(line)}</p>' for line in credits(meta.contributors)])


def chapter_section(ch: Chapter, opts: HtmlOptions) -> str:
    """A chapter: header (title, subtitle, byline), text, source line, and EPUB note asides."""
    r = Renderer(ch.id, opts)
    et = (lambda v: f' epub:type="{v}"') if opts.epub else (lambda v: "")
    head = [f'<h1 class="chapter-title"{et("title")}>{t(ch.meta.title)}</h1>']
    if ch.meta.subtitle:
        head.append(f'<p class="subtitle">{t(ch.meta.subtitle)}</p>')
    if ch.meta.authors:
        head.append(f'<p class="byline">{t(byline(ch))}</p>')
    head += [f'<p class="byline">{t(line)}</p>' for line in credits(ch.meta.contributors)]
    body = r.blocks(ch.blocks)
    source = source_line(ch, r)
    notes = r.asides() if opts.epub else ""
    role = ' role="doc-chapter"' if opts.epub else ""
    return (f'<section id="{a(ch.id)}" class="chapter"{et("chapter")}{role}{lang_attrs(ch.meta.lang, opts)}>\n'
            f'<header>\n{chr(10).join(head)}\n</header>\n{body}\n{source}\n{notes}\n</section>')


def source_line(ch: Chapter, r: Renderer) -> str:
    parts = []
    if ch.meta.publication:
        parts.append(f'<p><span class="label">First published:</span> {r.inlines(ch.meta.publication)}</p>')
    if ch.meta.source:
        parts.append(f'<p><span class="label">Source:</span> {r.inlines(ch.meta.source)}</p>')
    return f'<footer class="source">\n{chr(10).join(parts)}\n</footer>' if parts else ""


def has_corrections(doc: Document) -> bool:
    return any(ch.meta.corrections for ch in doc.chapters)


def note_on_text(doc: Document, opts: HtmlOptions, heading_id: str = "note-on-the-text") -> str:
    """The back-matter list of every editorial correction, chapter by chapter."""
    intro = Renderer("note-on-the-text", opts).inlines(doc.meta.note_on_text)
    out = [f'<h1 id="{heading_id}">Note on the Text</h1>', f"<p>{intro}</p>"]
    for ch in doc.chapters:
        if not ch.meta.corrections:
            continue
        out.append(f'<h2>{t(ch.meta.title)} <span class="by">({t(byline(ch))})</span></h2>')
        items = []
        for c in ch.meta.corrections:
            why = f' <span class="why">({t(c.note)})</span>' if c.note else ""
            items.append(f"<li>\u201c{t(c.now)}\u201d for \u201c{t(c.was)}\u201d{why}</li>")
        out.append('<ul class="corrections">\n' + "\n".join(items) + "\n</ul>")
    return "\n".join(out)


def copyright_lines(doc: Document) -> list[str]:
    """The imprint, shared by the print copyright page and the EPUB colophon (markup, escaped)."""
    m = doc.meta
    lines = [f"<p><i>{t(m.title)}</i>{': ' + t(m.subtitle) if m.subtitle else ''}</p>"]
    for ch in doc.chapters:
        # Only what the front matter says: who wrote it, when, and the rights it states. No
        # copyright is claimed for anyone: a text may be in the public domain, or licensed.
        said = (f", by {t(byline(ch))}" if ch.meta.authors else "") + (f", {t(ch.meta.date[:4])}" if ch.meta.date else "")
        rights = f" {t(ch.meta.rights)}" if ch.meta.rights and ch.meta.rights != m.rights else ""
        if said or rights:
            lines.append(f"<p>\u201c{t(ch.meta.title)}\u201d{said}.{rights}</p>")
    if m.rights:
        lines.append(f"<p>{t(m.rights)}</p>")
    editors = names(m, "edt")
    if editors:
        lines.append(f"<p>Edited by {t(editors)}.</p>")
    if m.publisher:  # the year only when book.yaml gives a date (the default is no one's claim)
        lines.append(f"<p>Published by {t(m.publisher)}{'' if m.date_is_default else ', ' + t(m.date[:4])}.</p>")
    lines.append(f'<p class="identifier">{"ISBN " + t(m.isbn) if m.isbn else t(m.identifier)}</p>')
    return lines


def section_headings(ch: Chapter) -> list[Heading]:
    return [b for b in iter_blocks(ch.blocks) if isinstance(b, Heading) and b.level == 2]
