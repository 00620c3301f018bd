"""Front matter dicts -> typed metadata, with every problem reported at its key."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import unicodedata
import uuid
from typing import Any, Callable, Sequence

from pipeline.read.dates import read_date
from pipeline.diagnostics import Collector, SourcePos
from pipeline.read.isbn import ReadIsbn, looks_like_isbn, read_isbn
from pipeline.model import BookMeta, ChapterMeta, Contributor, Correction, Inline, Trim
from pipeline.print_profiles import DEFAULT_PAPER, DEFAULT_PROFILE, PAPER_CALIPER_IN, PROFILES, caliper_in
from pipeline.read.sources import YamlBlock

_MM_PER_IN = 25.4
TRIMS: dict[str, tuple[float, float]] = {
    "us-trade": (6 * _MM_PER_IN, 9 * _MM_PER_IN),
    "digest": (5.5 * _MM_PER_IN, 8.5 * _MM_PER_IN),
    "demy": (138.0, 216.0),
    "royal": (156.0, 234.0),
    "b-format": (129.0, 198.0),
    "a5": (148.0, 210.0),
}
_EXPLICIT_TRIM = re.compile(r"^\s*([\d.]+)\s*(mm|cm|in)?\s*[x×]\s*([\d.]+)\s*(mm|cm|in)\s*$")
_UNIT_MM = {"mm": 1.0, "cm": 10.0, "in": _MM_PER_IN}
_ROLE_KEYS = {"author": "aut", "editor": "edt", "translator": "trl", "illustrator": "ill"}

BOOK_KEYS = {
    "title", "subtitle", "author", "editor", "translator", "illustrator", "creator", "contributor",
    "lang", "identifier", "publisher", "date", "description", "subject", "rights", "trim",
    "chapters", "slug", "cover-image", "note-on-text", "isbn",
    "print", "paper",  # print profile and paper: pipeline/print_profiles.py
}
PEOPLE_KEYS = (*_ROLE_KEYS, "creator", "contributor")
CHAPTER_KEYS = {
    "title", "subtitle", "lang", "date", "publication", "source", "rights", "corrections", *PEOPLE_KEYS,
}
# BCP 47: a language and its subtags, optionally ending in private-use subtags
# (`en-GB-x-cumbrlnd`), or a private-use tag alone (`x-local`); each private-use subtag is
# 1-8 letters or digits.
LANG_TAG = re.compile(
    r"^(?:[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"
    r"|[Xx](?:-[A-Za-z0-9]{1,8})+)$"
)

MAX_SLUG = 80  # characters: "-cover.pdf" and "-preflight.json" still fit a file name with room
InlineParser = Callable[[str, SourcePos], tuple[Inline, ...]]


class _Fields:
    """Typed access to one YAML block, reporting at the key's position."""

    def __init__(self, block: YamlBlock, known: set[str], diags: Collector) -> None:
        self.block, self.diags = block, diags
        for key in block.data:
            if key not in known:
                close = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(sorted(known))}"
                diags.warning(block.key_at(key), f"unknown key '{key}'{hint}")

    def text(self, key: str, default: str = "", required: bool = False) -> str:
        value = self.block.data.get(key)
        if value is None:
            if required and not self.block.broken:  # a book.yaml that is not YAML: that is the error
                self.diags.error(self.block.pos, f"'{key}' is required; add '{key}: ...'")
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.diags.error(self.block.at(key), f"'{key}' must be text, not {_kind(value)}")
            return default
        if not isinstance(value, str):
            self.diags.error(self.block.at(key), f"'{key}' must be text; put the value in quotes: {key}: \"{value}\"")
            return str(value)
        return value.strip()

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.block.data.get(key)
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(x, str) for x in items):
            self.diags.error(self.block.at(key), f"'{key}' must be text or a list of text")
            return tuple(str(x) for x in items if isinstance(x, (str, int, float)))
        return tuple(x.strip() for x in items)

    def date(self, key: str) -> str:
        """ISO text ("" if none): a year, a YAML date or a written one; see pipeline/read/dates.py."""
        value = self.block.data.get(key)
        if value is None or value == "":
            return ""
        read = read_date(value)
        if read.ambiguous:
            self.diags.warning(self.block.at(key), f"'{key}' {read.problem}")
        elif not read.iso:
            self.diags.error(self.block.at(key), f"'{key}' {read.problem}")
        return read.iso

    def lang(self, key: str, default: str) -> str:
        text = self.text(key, default)
        if not LANG_TAG.match(text):
            self.diags.error(self.block.at(key), f"'{key}' must be a language tag such as en, en-GB or fr")
            return default
        return text


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", bool: "true/false"}.get(type(value), type(value).__name__)


def _default_date() -> str:
    """No date in book.yaml: SOURCE_DATE_EPOCH if set, else a fixed date, never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    stamp = int(epoch) if epoch.isdigit() else 0
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).date().isoformat()


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens, at most MAX_SLUG characters (cut at a word):
    the slug names the output files, and a file name has a length limit (255 bytes). Other
    scripts are transliterated ("Война и мир" -> voyna-i-mir), never dropped."""
    ascii_text = text if text.isascii() else _transliterate(text)
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > MAX_SLUG:
        cut = slug.rfind("-", 0, MAX_SLUG + 1)
        slug = slug[:cut if cut > MAX_SLUG // 2 else MAX_SLUG].strip("-")
    return slug or "book"


def _transliterate(text: str) -> str:
    from anyascii import anyascii  # imported only for a text that is not ASCII

    return anyascii(unicodedata.normalize("NFC", text))


def default_file_as(name: str) -> str:
    parts = name.rsplit(" ", 1)
    return f"{parts[1]}, {parts[0]}" if len(parts) == 2 else name


def _contributors(f: _Fields) -> tuple[Contributor, ...]:
    found: list[Contributor] = []
    for key, role in _ROLE_KEYS.items():
        found += [Contributor(n, role, default_file_as(n)) for n in f.text_list(key)]
    for key in ("creator", "contributor"):
        value = f.block.data.get(key)
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                found.append(Contributor(item, "aut" if key == "creator" else "ctb", default_file_as(item)))
                continue
            name = item.get("text") or item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                f.diags.error(f.block.at(key), f"each '{key}' entry needs 'text: Name' (and optionally role, file-as)")
                continue
            role = str(item.get("role", "aut" if key == "creator" else "ctb"))
            if not re.fullmatch(r"[a-z]{3}", role):
                f.diags.error(f.block.at(key), f"role '{role}' is not a MARC relator code such as aut, edt or trl")
            found.append(Contributor(name, role, str(item.get("file-as") or default_file_as(name))))
    return tuple(found)


def _trim(f: _Fields) -> Trim:
    value = f.text("trim", "demy")
    if value in TRIMS:
        return Trim(value, *TRIMS[value])
    m = _EXPLICIT_TRIM.match(value)
    if m:
        unit_w = _UNIT_MM[m.group(2) or m.group(4)]
        w, h = float(m.group(1)) * unit_w, float(m.group(3)) * _UNIT_MM[m.group(4)]
        if 50 <= w <= 500 and 50 <= h <= 700:
            return Trim(value, w, h)
    f.diags.error(f.block.at("trim"), f"unknown trim '{value}': use one of {', '.join(TRIMS)} or a size such as '140mm x 216mm'")
    return Trim("demy", *TRIMS["demy"])


def _choice_hint(value: str, names: list[str]) -> str:
    close = difflib.get_close_matches(value, names, n=1)
    return f"; did you mean '{close[0]}'?" if close else f": use one of {', '.join(names)}"


def _print_profile(f: _Fields) -> str:
    value = f.text("print", DEFAULT_PROFILE)
    if value in PROFILES:
        return value
    f.diags.error(f.block.at("print"), f"unknown print profile '{value}'{_choice_hint(value, list(PROFILES))}")
    return DEFAULT_PROFILE


def _paper(f: _Fields) -> str:
    value = f.text("paper", DEFAULT_PAPER)
    if caliper_in(value) is not None:
        return value
    f.diags.error(f.block.at("paper"), f"unknown paper '{value}'{_choice_hint(value, list(PAPER_CALIPER_IN))}"
                  " or a thickness per page such as '0.0025in' or '0.064mm'")
    return DEFAULT_PAPER


def _slug(f: _Fields, title: str) -> str:
    given = f.text("slug")
    slug = slugify(given or title)
    if len(given) > MAX_SLUG:
        f.diags.warning(f.block.at("slug"), f"'slug' is longer than {MAX_SLUG} characters: the files are named '{slug}'")
    return slug


DEFAULT_NOTE_ON_TEXT = "The following corrections have been made to the texts."


PUBLIC_DOMAIN = "In the public domain."
_PUBLIC_DOMAIN = re.compile(r"((this|the) (text|work|book) is )?(in the )?public[ -]domain\.?", re.IGNORECASE)


def _rights(f: _Fields) -> str:
    """As written; a text in the public domain said in one way, whichever way it was written."""
    text = f.text("rights")
    return PUBLIC_DOMAIN if _PUBLIC_DOMAIN.fullmatch(text) else text


def _isbns(f: _Fields) -> dict[str, ReadIsbn]:
    """The ISBN of `isbn`, and of `identifier` if it is one, checked, each problem at its value.
    A number is taken as typed (YAML would read 0306406152 as an octal number)."""
    found = {}
    for key in ("isbn", "identifier"):
        value = f.block.data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            value = f.block.written.get(key, str(value))
        if not isinstance(value, str) or not value.strip() or (key == "identifier" and not looks_like_isbn(value)):
            if key == "isbn" and value is not None and not isinstance(value, str):
                f.text(key)  # reports what it is instead of text
            continue
        found[key] = read = read_isbn(value, key)
        if read.problem:
            f.diags.error(f.block.at(key), read.problem)
    return found


def _chapters_contributors(fronts: Sequence[YamlBlock]) -> tuple[Contributor, ...]:
    """Every chapter's contributors in order, each (name, role) once. Their problems are
    reported by chapter_meta, at each chapter, so none are collected here."""
    first: dict[tuple[str, str], Contributor] = {}
    for block in fronts:
        for c in _contributors(_Fields(block, CHAPTER_KEYS, Collector())):
            first.setdefault((c.name, c.role), c)
    return tuple(first.values())


def book_meta(block: YamlBlock, chapter_titles: list[str], parse_inline: InlineParser, diags: Collector,
              chapter_fronts: Sequence[YamlBlock] = ()) -> BookMeta:
    """chapter_fronts: the chapters' front matter. When book.yaml names no contributor, the
    book's are its chapters' (an anthology's authors and translators reach its metadata)."""
    f = _Fields(block, BOOK_KEYS, diags)
    title = f.text("title", "Untitled", required=True)
    named = any(key in block.data for key in PEOPLE_KEYS)
    contributors = _contributors(f) if named else _chapters_contributors(chapter_fronts)
    isbns = _isbns(f)
    isbn = next((r for r in (isbns.get("isbn"), isbns.get("identifier")) if r is not None and r.digits), None)
    if "identifier" in isbns:  # an ISBN is written as a URN in the metadata, however it was typed
        identifier = f"urn:isbn:{isbns['identifier'].digits}" if isbns["identifier"].digits else ""
    else:
        identifier = f.text("identifier")
    # Content-derived, never random: the same book keeps its identifier across builds.
    seed = "\n".join([title, *(c.name for c in contributors), *chapter_titles])
    identifier = identifier or (f"urn:isbn:{isbn.digits}" if isbn else f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}")
    date = f.date("date")
    rights = _rights(f)
    texts = [_rights(_Fields(front, CHAPTER_KEYS, Collector())) for front in chapter_fronts]
    if not rights and texts and all(text == PUBLIC_DOMAIN for text in texts):
        rights = PUBLIC_DOMAIN  # every text says so: so may the book's metadata
    return BookMeta(
        title=title,
        subtitle=f.text("subtitle"),
        contributors=contributors,
        lang=f.lang("lang", "en"),
        identifier=identifier,
        publisher=f.text("publisher"),
        date=date or _default_date(),
        description=f.text("description"),
        subjects=f.text_list("subject"),
        rights=rights,
        trim=_trim(f),
        slug=_slug(f, title),
        cover_image=f.text("cover-image"),
        note_on_text=parse_inline(f.text("note-on-text", DEFAULT_NOTE_ON_TEXT), block.at("note-on-text")),
        pos=block.pos,
        print_profile=_print_profile(f),
        paper=_paper(f),
        note_on_text_pos=block.at("note-on-text"),
        isbn=isbn.printed if isbn else "",
        date_is_default=not date,
    )


def _corrections(f: _Fields) -> tuple[Correction, ...]:
    value = f.block.data.get("corrections") or []
    pos = f.block.at("corrections")
    if not isinstance(value, list):
        f.diags.error(pos, "'corrections' must be a list of {was: ..., now: ..., note: ...}")
        return ()
    out = []
    for item in value:
        if not (isinstance(item, dict) and isinstance(item.get("was"), str) and isinstance(item.get("now"), str)):
            f.diags.error(pos, "each correction needs 'was: <text as found>' and 'now: <text as corrected>'")
            continue
        out.append(Correction(item["was"], item["now"], str(item.get("note", "")), pos))
    return tuple(out)


def chapter_meta(block: YamlBlock, book: BookMeta, parse_inline: InlineParser, diags: Collector) -> ChapterMeta:
    f = _Fields(block, CHAPTER_KEYS, diags)
    contributors = _contributors(f)
    return ChapterMeta(
        title=f.text("title", "Untitled", required=True),
        subtitle=f.text("subtitle"),
        authors=tuple(c.name for c in contributors if c.role == "aut"),
        lang=f.lang("lang", book.lang),
        date=f.date("date"),
        publication=parse_inline(f.text("publication"), block.at("publication")),
        source=parse_inline(f.text("source"), block.at("source")),
        rights=_rights(f),
        corrections=_corrections(f),
        publication_pos=block.at("publication"),
        source_pos=block.at("source"),
        contributors=contributors,
    )
