"""Generic traversal of the model: rebuild trees with dataclasses.replace (sharing what is unchanged), never mutate.

The readers (iter_*) keep explicit stacks; the rebuilders recurse, a few frames a level, which is
safe because the parser builds no model deeper than the limits of pipeline.read.nesting.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Iterator, TypeVar, assert_never

from pipeline.model import (
    Block, BlockQuote, Chapter, Code, CodeBlock, Div, Document, Emph, Figure, Heading, Image, Inline,
    LineBreak, Link, ListBlock, Note, Para, Phrase, SceneBreak, Span, Strong, Table, Text,
)

InlineSeqFn = Callable[[tuple[Inline, ...]], tuple[Inline, ...]]
N = TypeVar("N")


def _same(new: object, old: object) -> bool:
    """The same object, or tuples (of tuples) of the same objects."""
    return new is old or (type(new) is tuple and type(old) is tuple and len(new) == len(old)  # type: ignore[arg-type]
                          and all(map(_same, new, old)))  # type: ignore[arg-type]


def replace_changed(node: N, **changes: Any) -> N:
    """dataclasses.replace, but a node whose fields would hold the very objects they hold is
    returned as it is: a pass that changes little shares the rest of the tree instead of
    copying it (the copies were most of the passes' time)."""
    if all(_same(value, getattr(node, name)) for name, value in changes.items()):
        return node
    return replace(node, **changes)  # type: ignore[type-var]


def map_inline_seqs(blocks: tuple[Block, ...], fn: InlineSeqFn, into_notes: bool = True) -> tuple[Block, ...]:
    """Apply fn to the inline sequence of every Para and Heading.

    With into_notes, the paragraphs inside notes are rewritten too, before the
    sequence that holds the call; without it, fn handles notes itself.
    """

    def inl(items: tuple[Inline, ...]) -> tuple[Inline, ...]:
        return fn(tuple(_into_notes(i) for i in items) if into_notes else items)

    def _into_notes(item: Inline) -> Inline:
        match item:
            case Note():
                return replace_changed(item, blocks=map_inline_seqs(item.blocks, fn))
            case Emph() | Strong() | Span() | Phrase():
                return replace_changed(item, inlines=tuple(_into_notes(i) for i in item.inlines))
            case Link():
                return replace_changed(item, inlines=tuple(_into_notes(i) for i in item.inlines))
            case Text() | Code() | LineBreak() | Image():
                return item
            case _:
                assert_never(item)

    def blk(block: Block) -> Block:
        match block:
            case Para():
                return replace_changed(block, inlines=inl(block.inlines))
            case Heading():
                return replace_changed(block, inlines=inl(block.inlines))
            case BlockQuote() | Div():
                return replace_changed(block, blocks=tuple(blk(b) for b in block.blocks))
            case ListBlock():
                return replace_changed(block, items=tuple(tuple(blk(b) for b in item) for item in block.items))
            case Figure():
                return replace_changed(block, caption=inl(block.caption))
            case Table():
                rows = lambda rs: tuple(tuple(replace_changed(c, inlines=inl(c.inlines)) for c in r) for r in rs)  # noqa: E731
                return replace_changed(block, head=rows(block.head), body=rows(block.body), caption=inl(block.caption))
            case CodeBlock() | SceneBreak():
                return block
            case _:
                assert_never(block)

    return tuple(blk(b) for b in blocks)


def map_chapters(doc: Document, fn: Callable[[Chapter], Chapter]) -> Document:
    return replace(doc, chapters=tuple(fn(c) for c in doc.chapters))


def iter_inlines(items: tuple[Inline, ...], into_notes: bool = True) -> Iterator[Inline]:
    """Every inline, depth first, in reading order. An explicit stack of the sequences being
    read, not recursion: a stage that only reads never depends on how deep the text nests."""
    stack: list[Iterator[Inline]] = [iter(items)]
    while stack:
        for item in stack[-1]:
            yield item
            match item:
                case Emph() | Strong() | Span() | Link() | Phrase():
                    stack.append(iter(item.inlines))
                    break
                case Note():
                    if into_notes:  # one generator a level of notes in notes: at most nesting.MAX_NOTE_DEPTH
                        for block in item.blocks:
                            yield from iter_block_inlines(block, into_notes)
                case Text() | Code() | LineBreak() | Image():
                    pass
                case _:
                    assert_never(item)
        else:
            stack.pop()


def iter_blocks(blocks: tuple[Block, ...]) -> Iterator[Block]:
    """Every block, depth first (not the blocks inside notes), with an explicit stack."""
    stack: list[Iterator[Block]] = [iter(blocks)]
    while stack:
        for block in stack[-1]:
            yield block
            match block:
                case BlockQuote() | Div():
                    stack.append(iter(block.blocks))
                    break
                case ListBlock():
                    stack.append(b for item in block.items for b in item)
                    break
                case Para() | Heading() | CodeBlock() | SceneBreak() | Figure() | Table():
                    pass
                case _:
                    assert_never(block)
        else:
            stack.pop()


def iter_block_inlines(block: Block, into_notes: bool = True) -> Iterator[Inline]:
    for b in iter_blocks((block,)):
        if isinstance(b, (Para, Heading)):
            yield from iter_inlines(b.inlines, into_notes)
        elif isinstance(b, Figure):
            yield b.image
            yield from iter_inlines(b.caption, into_notes)
        elif isinstance(b, Table):
            yield from iter_inlines(b.caption, into_notes)
            for row in (*b.head, *b.body):
                for cell in row:
                    yield from iter_inlines(cell.inlines, into_notes)


def plain_text(items: tuple[Inline, ...]) -> str:
    """The visible text of inlines, without notes (for titles, ids and bookmarks)."""
    out = []
    for item in iter_inlines(items, into_notes=False):
        if isinstance(item, (Text, Code)):
            out.append(item.text)
        elif isinstance(item, LineBreak):
            out.append(" ")
    return "".join(out)


def map_text_runs(items: tuple[Inline, ...], fn: Callable[[list[str]], list[str]]) -> tuple[Inline, ...]:
    """Give fn the texts of all Text nodes of a sequence at once (code and notes excluded),
    so context such as quote pairing crosses inline boundaries; put its results back."""
    texts = [i.text for i in iter_inlines(items, into_notes=False) if isinstance(i, Text)]
    if not texts:
        return items
    new = iter(fn(texts))

    def rebuild(seq: tuple[Inline, ...]) -> tuple[Inline, ...]:
        out: list[Inline] = []
        for item in seq:
            match item:
                case Text():
                    text = next(new)  # a literal run gives context to its neighbours but keeps its text
                    out.append(item if item.literal or text == item.text else Text(text))
                case Emph() | Strong() | Span() | Link() | Phrase():
                    out.append(replace_changed(item, inlines=rebuild(item.inlines)))
                case Note() | Code() | LineBreak() | Image():
                    out.append(item)
                case _:
                    assert_never(item)
        return tuple(out)

    return rebuild(items)
