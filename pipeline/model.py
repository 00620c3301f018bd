"""The document model: frozen dataclasses and tuples, shared by every stage.

A closed set of node types, with Div and Span as generic containers (as in
pandoc's AST). Renderers dispatch over these with `assert_never`, so adding a
type here fails loudly wherever it is not handled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from pipeline.diagnostics import SourcePos


@dataclass(frozen=True)
class Attrs:
    id: str = ""
    classes: tuple[str, ...] = ()
    lang: str = ""


NO_ATTRS = Attrs()


# -- inlines ---------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str
    literal: bool = False  # a backslash-escaped character (\" \' \- \.): typography leaves it as written


@dataclass(frozen=True)
class Emph:
    inlines: tuple[Inline, ...]
    attrs: Attrs = NO_ATTRS


@dataclass(frozen=True)
class Strong:
    inlines: tuple[Inline, ...]
    attrs: Attrs = NO_ATTRS


@dataclass(frozen=True)
class Code:
    text: str


NO_POS = SourcePos("")


@dataclass(frozen=True)
class Link:
    """url is as written until the links pass; then a link inside the book is '#target-id'."""

    url: str
    inlines: tuple[Inline, ...]
    title: str = ""
    pos: SourcePos = NO_POS


@dataclass(frozen=True)
class Image:
    """An image from the manuscript folder. `path` is resolved and checked to lie inside
    the folder; `href` is its name in the book, unique per content (images/<hash>-<name>)."""

    path: str
    href: str
    alt: str
    title: str
    pos: SourcePos


@dataclass(frozen=True)
class LineBreak:
    pass


@dataclass(frozen=True)
class Span:
    attrs: Attrs
    inlines: tuple[Inline, ...]


@dataclass(frozen=True)
class Phrase:
    """A phrase element from the safe list of raw HTML: sup, sub, abbr (with its title), small."""

    tag: str
    inlines: tuple[Inline, ...]
    title: str = ""


@dataclass(frozen=True)
class Note:
    """A footnote: an inline holding blocks. `number` is set by normalisation."""

    label: str
    blocks: tuple[Block, ...]
    pos: SourcePos
    number: int = 0
    repeat: int = 0  # 0 for a note's first call; 1, 2, ... for further calls of the same note


Inline = Union[Text, Emph, Strong, Code, Link, Image, LineBreak, Span, Phrase, Note]


# -- blocks ----------------------------------------------------------------


@dataclass(frozen=True)
class Para:
    inlines: tuple[Inline, ...]
    pos: SourcePos
    attrs: Attrs = NO_ATTRS  # from `{: .class #id lang=xx}` on the line after the paragraph


@dataclass(frozen=True)
class Heading:
    level: int
    inlines: tuple[Inline, ...]
    pos: SourcePos
    attrs: Attrs = NO_ATTRS


@dataclass(frozen=True)
class BlockQuote:
    blocks: tuple[Block, ...]
    pos: SourcePos


@dataclass(frozen=True)
class ListBlock:
    ordered: bool
    items: tuple[tuple[Block, ...], ...]
    pos: SourcePos
    start: int = 1


@dataclass(frozen=True)
class CodeBlock:
    text: str
    pos: SourcePos


@dataclass(frozen=True)
class SceneBreak:
    pos: SourcePos


@dataclass(frozen=True)
class Figure:
    """An image standing alone in its paragraph; its title becomes the caption."""

    image: Image
    caption: tuple[Inline, ...]
    pos: SourcePos


@dataclass(frozen=True)
class Cell:
    inlines: tuple[Inline, ...]
    header: bool = False
    colspan: int = 1
    rowspan: int = 1
    align: str = ""  # left, center, right or ""


@dataclass(frozen=True)
class Table:
    head: tuple[tuple[Cell, ...], ...]
    body: tuple[tuple[Cell, ...], ...]
    caption: tuple[Inline, ...]
    pos: SourcePos


@dataclass(frozen=True)
class Div:
    attrs: Attrs
    blocks: tuple[Block, ...]
    pos: SourcePos


Block = Union[Para, Heading, BlockQuote, ListBlock, CodeBlock, SceneBreak, Figure, Table, Div]


# -- metadata and the document ---------------------------------------------


@dataclass(frozen=True)
class Contributor:
    name: str
    role: str  # MARC relator code: aut, edt, trl, ...
    file_as: str


@dataclass(frozen=True)
class Trim:
    name: str
    width_mm: float
    height_mm: float


@dataclass(frozen=True)
class Correction:
    was: str
    now: str
    note: str
    pos: SourcePos


@dataclass(frozen=True)
class BookMeta:
    title: str
    subtitle: str
    contributors: tuple[Contributor, ...]
    lang: str
    identifier: str
    publisher: str
    date: str  # ISO 8601 text
    description: str
    subjects: tuple[str, ...]
    rights: str
    trim: Trim
    slug: str
    cover_image: str  # path relative to the manuscript folder, or ""
    note_on_text: tuple[Inline, ...]  # the editor's opening words to the list of corrections
    pos: SourcePos
    print_profile: str = "proof"  # a name in pipeline.print_profiles.PROFILES
    paper: str = "white"  # a paper name or an explicit thickness per page, for the spine
    note_on_text_pos: SourcePos = NO_POS  # where the value starts: normalise/front_matter.py reports there
    isbn: str = ""  # hyphenated, as the copyright page prints it after "ISBN"
    date_is_default: bool = False  # no `date` in book.yaml: no year is printed as the book's

    @property
    def authors(self) -> tuple[Contributor, ...]:
        return tuple(c for c in self.contributors if c.role == "aut")


@dataclass(frozen=True)
class ChapterMeta:
    title: str
    subtitle: str
    authors: tuple[str, ...]  # the names of the contributors with the role aut: the byline
    lang: str
    date: str
    publication: tuple[Inline, ...]
    source: tuple[Inline, ...]
    rights: str
    corrections: tuple[Correction, ...]
    publication_pos: SourcePos = NO_POS  # where each value starts: normalise/front_matter.py reports there
    source_pos: SourcePos = NO_POS
    contributors: tuple[Contributor, ...] = ()  # every role, authors included, as in the front matter


@dataclass(frozen=True)
class Chapter:
    id: str
    meta: ChapterMeta
    blocks: tuple[Block, ...]
    pos: SourcePos


@dataclass(frozen=True)
class Document:
    meta: BookMeta
    chapters: tuple[Chapter, ...] = field(default_factory=tuple)
