"""Read a manuscript folder: bytes -> text, front matter split off with positions kept."""

from __future__ import annotations

import functools
import itertools
import os
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.read.bookless import BOOK_FILE, manuscript_folder
from pipeline.cache.store import Cache, digest
from pipeline.cache.entries import FrontMatter
from pipeline.diagnostics import Collector, SourcePos, display_path
from pipeline.read.files import MAX_FILE_BYTES, Refused, is_readable_inside, read_inside
from pipeline.read.yaml_help import cut_at_comment, explain, text_starts

MAX_YAML_VALUES = 20_000  # scalars, lists and mappings in one front matter, aliases expanded
MAX_REPORTED = 50  # control characters listed one by one in a file; the rest are counted
_FENCE = re.compile(r"^---[ \t]*$")
# Characters XML (and so XHTML) cannot hold, and noncharacters: never valid in a book.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_CLOSE = re.compile(r"^(---|\.\.\.)[ \t]*$")


@functools.cache
def _loader() -> type:
    """SafeLoader that keeps dates as the text written (no date objects, no ValueError).
    Made on first use: a build whose front matter is all in the cache never imports PyYAML."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def _compose_and_load(text: str) -> tuple[Any, Any]:
    """(node, data) from one parse (not yaml.compose and yaml.load, two): the node for
    positions, the data constructed from it."""
    loader = _loader()(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


@dataclass(frozen=True)
class YamlBlock:
    """A parsed YAML mapping with the position of each top-level key."""

    data: dict[str, Any]
    key_pos: dict[str, SourcePos]
    value_pos: dict[str, SourcePos]
    pos: SourcePos
    # Kept with the block (and so in the cache): reported each time the block is read.
    warnings: tuple[tuple[SourcePos, str], ...] = ()
    broken: bool = False  # book.yaml could not be read: it stands empty, its problems already reported
    written: dict[str, str] = field(default_factory=dict)  # each plain top-level value as typed (0306406152)

    def at(self, key: str) -> SourcePos:
        """Where the key's value starts: what a message about the value points at."""
        return self.value_pos.get(key, self.pos)

    def key_at(self, key: str) -> SourcePos:
        return self.key_pos.get(key, self.pos)


@dataclass(frozen=True)
class RawChapter:
    path: Path
    rel: str  # path as shown in diagnostics
    front: YamlBlock
    body: str
    body_line: int  # 1-based line of the body's first line in the file


@dataclass(frozen=True)
class RawManuscript:
    root: Path
    book: YamlBlock
    chapters: tuple[RawChapter, ...] = field(default_factory=tuple)
    # No book.yaml (a folder of chapter files, or one .md file): the chapter file whose front
    # matter gives the book's metadata, as pandoc takes it (load splits it off); else "".
    book_from: str = ""


def in_folder(path: Path, folder: Path) -> str:
    """How a position names a file: relative to the manuscript folder (POSIX), or absolute
    when outside it (pipeline.diagnostics)."""
    absolute = Path(os.path.abspath(path))
    for root in (Path(os.path.abspath(folder)), folder.resolve()):
        if absolute.is_relative_to(root):
            return absolute.relative_to(root).as_posix()
    return str(absolute)


def read_text(path: Path, diags: Collector, root: Path | None = None) -> str | None:
    """Decode UTF-8 (BOM allowed), normalise line ends; report bad bytes by line. Only a
    regular file inside `root` (the manuscript folder; default: the file's own folder) is read."""
    rel = in_folder(path, root if root is not None else path.parent)
    try:
        raw = read_inside(path, root if root is not None else path.parent)
    except Refused as exc:
        diags.error(SourcePos(rel), f"file {exc}")
        return None
    except OSError as exc:
        diags.error(SourcePos(rel), f"cannot read file: {exc.strerror}")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        diags.error(
            SourcePos(rel, line, col),
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save the file as UTF-8",
        )
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = list(itertools.islice(_CONTROL.finditer(text), MAX_REPORTED + 1))
    for found in bad[:MAX_REPORTED]:
        line = text.count("\n", 0, found.start()) + 1
        col = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
        diags.error(SourcePos(rel, line, col), f"control character U+{ord(found.group()):04X} is not allowed in a manuscript; delete it")
    if len(bad) > MAX_REPORTED:
        more = sum(1 for _ in _CONTROL.finditer(text)) - MAX_REPORTED
        diags.error(SourcePos(rel), f"{more} more control characters in this file (is it a text file?)")
    return None if bad else text


def parse_yaml(text: str, pos: SourcePos, diags: Collector, cache: Cache | None = None) -> YamlBlock | None:
    """Parse a YAML mapping; YAML's own line/col are shifted to the file's. With a cache, a
    mapping parsed before (the same text at the same place) is taken from it: PyYAML's
    pure-Python parser took a millisecond a file, most of reading an unchanged book."""
    entry = FrontMatter(pos.path, pos.line, text) if cache is not None and cache.folder else None
    if entry is not None and (kept := cache.get(entry)) is not None:  # type: ignore[union-attr]
        try:  # only entries this user's builds wrote come back (they are authenticated)
            block = pickle.loads(kept)
        except Exception:  # noqa: BLE001 - an entry that no longer unpickles is a miss
            block = None
        if isinstance(block, YamlBlock):
            return _warned(block, diags)
    block = _parse_yaml(text, pos, diags)
    if entry is not None and block is not None:
        cache.put(entry, pickle.dumps(block, protocol=pickle.HIGHEST_PROTOCOL))  # type: ignore[union-attr]
    return _warned(block, diags) if block is not None else None


def _warned(block: YamlBlock, diags: Collector) -> YamlBlock:
    for where, message in block.warnings:
        diags.warning(where, message)
    return block


def _parse_yaml(text: str, pos: SourcePos, diags: Collector) -> YamlBlock | None:
    import yaml

    def at(mark: Any) -> SourcePos:
        return SourcePos(pos.path, pos.line + mark.line, mark.column + 1)

    try:
        node, data = _compose_and_load(text)
    except yaml.MarkedYAMLError as exc:
        told = explain(exc, text, pos.line, _loader())
        if told is not None:
            diags.error(SourcePos(pos.path, pos.line + told[0], told[1] + 1), told[2])
            return None
        mark = exc.problem_mark or exc.context_mark
        where = at(mark) if mark else pos
        diags.error(where, f"YAML: {exc.problem or exc.context}")
        return None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position)
        diags.error(SourcePos(pos.path, pos.line + line, exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1),
                    f"YAML: character U+{exc.character:04X} is not allowed" if isinstance(exc.character, int) else f"YAML: {exc.reason}")
        return None
    except yaml.YAMLError as exc:
        diags.error(pos, "YAML: " + " ".join(str(exc).split()))
        return None
    if data is None:
        data, node = {}, None
    elif not _values_are_sound(node, at, diags):
        return None
    if not isinstance(data, dict):
        diags.error(pos, "front matter must be a mapping of keys to values (key: value)")
        return None
    key_pos, value_pos, written, warnings = {}, {}, {}, []
    lines = text.split("\n")
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key_pos[str(key_node.value)] = at(key_node.start_mark)
            value_pos[str(key_node.value)] = at(value_node.start_mark)
            if isinstance(value_node, yaml.ScalarNode) and value_node.style is None:
                written[str(key_node.value)] = value_node.value
            items = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for item in items:
                listed = item is not value_node
                if isinstance(item, yaml.ScalarNode) and (cut := cut_at_comment(str(key_node.value), item, lines, listed)):
                    warnings.append((at(item.start_mark), cut))
    return YamlBlock({str(k): v for k, v in data.items()}, key_pos, value_pos, pos, tuple(warnings), written=written)


def _values_are_sound(root: Any, at: Callable[[Any], SourcePos], diags: Collector) -> bool:
    """Every value as YAML would expand it, counted before anything turns one into text: an
    alias bomb (nine levels of ten aliases is a billion strings) stops here, in microseconds.
    Strings holding characters XML cannot carry ("\\0", "\\x07", "\\ud800" escapes) are
    reported at their own line."""
    import yaml

    sound, seen, stack = True, 0, [root]
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_YAML_VALUES:
            diags.error(at(root.start_mark), f"front matter expands to more than {MAX_YAML_VALUES:,} values "
                                             "(aliases of aliases?); write the values out")
            return False
        if isinstance(node, yaml.ScalarNode):
            if isinstance(node.value, str) and (bad := _CONTROL.search(node.value)):
                diags.error(at(node.start_mark), f"control character U+{ord(bad.group()):04X} is not allowed "
                                                 "in a manuscript; delete the escape that makes it")
                sound = False
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
    return sound


def split_front_matter(text: str, rel: str, diags: Collector,
                       cache: Cache | None = None) -> tuple[YamlBlock, str, int] | None:
    lines = text.split("\n")
    if not lines or not _FENCE.match(lines[0]):
        diags.error(SourcePos(rel, 1, 1), "chapter has no front matter: start the file with a line '---', then 'title: ...', then '---'")
        return None
    close = next((i for i in range(1, len(lines)) if _CLOSE.match(lines[i])), None)
    text_at = text_starts(lines, close if close is not None else len(lines))
    if text_at is not None:  # left open, it would swallow the text up to a scene break, or all of it
        shown = lines[text_at].strip()
        diags.error(SourcePos(rel, 1, 1), "front matter is never closed: add a line '---' after the last key, "
                                          f"before line {text_at + 1} (where the text starts: "
                                          f"'{shown if len(shown) <= 60 else shown[:57] + '...'}')")
        close, body_at = text_at - 1, text_at  # the text is still read, so its problems are reported too
    elif close is None:
        diags.error(SourcePos(rel, 1, 1), "front matter is never closed: add a line '---' after the last key")
        return None
    else:
        body_at = close + 1
    front = parse_yaml("\n".join(lines[1:close]), SourcePos(rel, 2, 1), diags, cache)
    if front is None:
        return None
    return front, "\n".join(lines[body_at:]), body_at + 1


def md_files(root: Path) -> list[Path]:
    """Every .md file directly in the folder, by name; one that cannot be read is reported by read_text."""
    return sorted(p for p in root.glob("*.md") if not p.is_dir())


def _chapter_paths(root: Path, book: YamlBlock, diags: Collector) -> list[Path]:
    listed = book.data.get("chapters")
    if listed is None:
        return md_files(root)
    if not isinstance(listed, list) or not all(isinstance(x, str) for x in listed):
        diags.error(book.at("chapters"), "'chapters' must be a list of file names, e.g. [one.md, two.md]")
        return []
    paths = []
    for name in listed:
        path = (root / name).resolve()
        if not path.is_relative_to(root.resolve()):
            diags.error(book.at("chapters"), f"chapter '{name}' lies outside the manuscript folder")
        elif not path.exists():
            diags.error(book.at("chapters"), f"chapter file '{name}' not found in {display_path(root)}")
        elif not is_readable_inside(path, root):
            diags.error(book.at("chapters"), f"chapter '{name}' is not a regular file; only regular files are read")
        else:
            paths.append(root / name)
    return paths


def _read_chapters(root: Path, paths: list[Path], diags: Collector, cache: Cache | None) -> list[RawChapter]:
    chapters = []
    for path in paths:
        rel = in_folder(path, root)
        text = read_text(path, diags, root)
        split = split_front_matter(text, rel, diags, cache) if text is not None else None
        if split is not None:
            front, body, body_line = split
            chapters.append(RawChapter(path, rel, front, body, body_line))
    return chapters


def read_manuscript(root: Path, diags: Collector, cache: Cache | None = None) -> RawManuscript | None:
    """The manuscript's files, decoded and checked, front matter parsed (kept in `cache`, if given).
    `root` is the manuscript folder, or one .md file: a book of that chapter alone."""
    folder = manuscript_folder(root)
    if folder == root and not root.is_dir():
        diags.error(SourcePos(str(root.absolute())), "not a folder or a .md file; give the manuscript folder "
                                                   "that holds book.yaml and the chapters, or one chapter file")
        return None
    book_path = folder / BOOK_FILE
    if folder != root or not book_path.exists():
        return _without_book(folder, [root] if folder != root else md_files(folder), diags, cache)
    text = read_text(book_path, diags, root)
    book_pos = SourcePos(BOOK_FILE, 1, 1)
    book = parse_yaml(text, book_pos, diags, cache) if text is not None else None
    if book is None:  # reported; the chapters are still read, so that their problems are reported too
        book = YamlBlock({}, {}, {}, book_pos, broken=True)
    chapters = _read_chapters(root, _chapter_paths(root, book, diags), diags, cache)
    if not chapters and not diags.has_errors:
        diags.error(book.pos, "no chapters: add .md files to the folder or list them under 'chapters:'")
    return RawManuscript(root, book, tuple(chapters))


def _without_book(folder: Path, paths: list[Path], diags: Collector, cache: Cache | None) -> RawManuscript | None:
    """The chapters, and the first one's front matter standing for book.yaml (load keeps the
    book's keys of it). A first chapter that cannot be read leaves the book empty: its
    problems are already reported, and a missing title would only repeat them."""
    if not paths:
        diags.error(SourcePos(BOOK_FILE),
                    "book.yaml not found, and no .md chapter files either: create book.yaml with at least "
                    "'title: ...' and add the chapters beside it, or start a new book with `pipeline new DIR`")
        return None
    chapters = _read_chapters(folder, paths, diags, cache)
    first = in_folder(paths[0], folder)
    if chapters and chapters[0].path == paths[0]:
        book = chapters[0].front
    else:
        book = YamlBlock({}, {}, {}, SourcePos(first, 1, 1), broken=True)
    return RawManuscript(folder, book, tuple(chapters), book_from=first)
