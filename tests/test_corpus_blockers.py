"""Pipeline defects that blocked real books of tests/corpus (README, "Known failures"):
private-use language tags (dracula, lyrical-ballads) and a `<div markdown="1">` inside a
block quote or a note (dracula, rubaiyat, meditations, eliot-poetry)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.check.validate import run_ace, run_epubcheck


def _build(book: Path, out: Path) -> str:
    assert main(["build", str(book), "-o", str(out), "--only", "epub"]) == 0
    (epub,) = out.glob("*.epub")
    with zipfile.ZipFile(epub) as z:
        return z.read("EPUB/text/first.xhtml").decode()


@pytest.mark.parametrize(("tag", "written"), [("x-local", "und-x-local"), ("en-GB-x-cumbrlnd", "en-GB-x-cumbrlnd")])
def test_private_use_language_tag_is_accepted(tiny: Path, tmp_path: Path, tag: str, written: str) -> None:
    first = tiny / "first.md"
    first.write_text(first.read_text() + f"\nThe [dialect words]{{lang={tag}}} of the place.\n")
    text = _build(tiny, tmp_path / "out")
    assert re.search(rf'lang="{written}"[^>]*>dialect words<', text)


def test_private_use_tag_alone_is_written_so_that_ace_accepts_it(tiny: Path, tmp_path: Path) -> None:
    """`x-local` (dracula's Romanian and Slovak words) is a valid BCP 47 tag, but Ace's valid-lang
    rule wants a primary language: the outputs write it as `und-x-local` (language undetermined,
    the same private-use meaning), in both attributes."""
    first = tiny / "first.md"
    first.write_text(first.read_text() + "\nThey said \u201c[Ordog]{lang=x-local}\u201d, Satan.\n")
    text = _build(tiny, tmp_path / "out")
    assert re.search(r'lang="und-x-local" xml:lang="und-x-local"[^>]*>Ordog<', text)
    (epub,) = (tmp_path / "out").glob("*.epub")
    report = run_ace(epub)
    assert report.clean, report.messages


def test_ids_that_html_allows_are_accepted(tiny: Path, tmp_path: Path) -> None:
    """`id="12"` (php-markdown-extra's test) and `{#1st}` are ids in HTML and in EPUB 3's XHTML:
    they are kept, links reach them, and epubcheck has nothing to say."""
    first = tiny / "first.md"
    first.write_text(first.read_text() + '\n<p class="test" id="12">Some content.</p>\n\nA paragraph.\n{: #1st }\n\n'
                     "See [the test](#12) and [the first](#1st).\n")
    text = _build(tiny, tmp_path / "out")
    assert 'id="12"' in text and 'id="1st"' in text
    assert 'href="first.xhtml#12"' in text and 'href="first.xhtml#1st"' in text
    (epub,) = (tmp_path / "out").glob("*.epub")
    assert run_epubcheck([epub])[epub].messages == ()


def test_garbage_language_tag_is_still_refused(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = tiny / "first.md"
    first.write_text(first.read_text() + "\nThe [word]{lang=x-toolongsubtag} here.\n")
    assert main(["build", str(tiny), "-o", str(tmp_path / "out"), "--only", "epub"]) != 0
    assert "is not a language tag" in capsys.readouterr().err


QUOTED_VERSE = """
> He quoted:
>
> <div class="verse" markdown="1">
> The first line of the verse,<br>
> the *second* line.
> </div>
>
> And went on.
"""

NOTE_VERSE = """
The end.[^v]

[^v]: A note that quotes verse:

    <div class="verse" markdown="1">
    A line in the note,<br>
    another line.

    A second stanza.
    </div>

    And more of the note.
"""


def test_verse_div_inside_a_block_quote(tiny: Path, tmp_path: Path) -> None:
    first = tiny / "first.md"
    first.write_text(first.read_text() + QUOTED_VERSE)
    text = _build(tiny, tmp_path / "out")
    body = text[text.index("He quoted"):]
    body = body[: body.index("</blockquote>")]
    assert '<div class="verse">' in body and "And went on." in body
    assert "<em>second</em>" in body and "&lt;div" not in text and "<div class=\"verse\" markdown" not in text


def test_verse_div_inside_a_note(tiny: Path, tmp_path: Path) -> None:
    first = tiny / "first.md"
    first.write_text(first.read_text() + NOTE_VERSE)
    text = _build(tiny, tmp_path / "out")
    note = text[text.index("A note that quotes verse"):]
    note = note[: note.index("</aside>")]
    assert '<div class="verse">' in note
    verse = note[note.index("<div class=\"verse\">"): note.index("</div>")]
    assert "A line in the note" in verse and "A second stanza." in verse
    assert verse.count("<p>") == 2  # two stanzas
