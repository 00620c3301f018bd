"""Bad input: every problem reported as PATH:LINE:COL, exit 2, no traceback, nothing written."""

from __future__ import annotations

import re
import zipfile

from pathlib import Path

import pytest

from pipeline.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_check_is_clean_on_the_fixture(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check", str(tiny)) == (0, "")


def test_all_problems_reported_at_once_with_positions(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = tiny / "first.md"
    text = first.read_text()
    text = text.replace('date: "1993"', "date: 1917-02-29").replace("[^m]: Third.", "")
    text = text.replace("lang: en-GB", "lang: en-GB\nauthr: typo")
    first.write_text(text)
    second = tiny / "second.md"
    second.write_text(second.read_text().replace("[^2]: Note two of chapter two.", ""))
    code, err = run(capsys, "check", str(tiny))
    assert code == 2
    *lines, summary = err.strip().splitlines()
    assert summary == "3 error(s), 1 warning(s): fix the errors and run again"
    assert any(l.endswith("first.md:6:7: error: 'date' is not a real date: '1917-02-29' "
                                 "(write 1917, 1917-10, 1917-10-25, October 1917 or 25 October 1917)") for l in lines), err
    assert any("first.md:5:1: warning: unknown key 'authr'; did you mean 'author'?" in l for l in lines), err
    assert any("first.md:21:27: error: footnote [^m] has no definition" in l for l in lines), err
    assert any("second.md:11:55: error: footnote [^2] has no definition" in l for l in lines), err
    positions = [(l.split(':')[0], int(l.split(':')[1]), int(l.split(':')[2])) for l in lines]
    assert positions == sorted(positions)


def test_unquoted_date_is_kept_as_text(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = tiny / "second.md"
    second.write_text(second.read_text().replace('date: "2019-05-06"', "date: 2019-05-06"))
    assert run(capsys, "check", str(tiny)) == (0, "")
    assert main(["dump", str(tiny)]) == 0
    assert "date='2019-05-06'" in capsys.readouterr().out


@pytest.mark.parametrize(("front", "message"), [
    ("title: [unclosed\n", "second.md:2:8: error: the list opened here is never closed: end it with ']'"),
    ("- a list\n- not a mapping\n", "second.md:2:1: error: front matter must be a mapping"),
    ("title: The Second\nauthor: 42\n", "second.md:3:9: error: 'author' must be text or a list of text"),
])
def test_front_matter_errors(tiny: Path, capsys: pytest.CaptureFixture[str], front: str, message: str) -> None:
    body = (tiny / "second.md").read_text().split("---\n", 2)[2]
    (tiny / "second.md").write_text(f"---\n{front}---\n{body}")
    code, err = run(capsys, "check", str(tiny))
    assert code == 2 and message in err, err


def test_front_matter_never_closed(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tiny / "second.md").write_text("---\ntitle: Open\n\nBody text.\n")
    code, err = run(capsys, "check", str(tiny))
    assert code == 2 and "second.md:1:1: error: front matter is never closed" in err


def test_duplicate_note_definition_is_an_error(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = tiny / "second.md"
    second.write_text(second.read_text() + "[^1]: Again.\n")
    code, err = run(capsys, "check", str(tiny))
    assert code == 2 and "error: footnote [^1] is defined 2 times" in err


def test_correction_must_occur_in_text(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = tiny / "first.md"
    first.write_text(first.read_text().replace("five years of it", "six years of it"))
    code, err = run(capsys, "check", str(tiny))
    assert code == 2 and "first.md:9:3: error: correction 'live years' -> 'five years'" in err, err


def test_invalid_utf8_names_line_and_byte(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = (tiny / "second.md").read_bytes().replace(b"Another chapter", b"Another \xff chapter")
    (tiny / "second.md").write_bytes(raw)
    code, err = run(capsys, "check", str(tiny))
    assert code == 2 and "second.md:11:9: error: not valid UTF-8 (byte 0xff at offset" in err, err


def test_bom_and_crlf_build_cleanly(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tiny / "second.md"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert run(capsys, "check", str(tiny)) == (0, "")
    main(["dump", str(tiny)])
    out = capsys.readouterr().out
    assert "\ufeff" not in out and "\\r" not in out and "\r" not in out


def test_failed_build_leaves_previous_output_untouched(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["build", str(tiny), "-o", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == {"a-tiny-book.epub", "a-tiny-book.pdf", "a-tiny-book-preflight.json"}
    (tiny / "first.md").write_text("---\ntitle: [broken\n---\n")
    code, err = run(capsys, "build", str(tiny), "-o", str(out))
    assert code == 2 and "error:" in err and "nothing was written" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_missing_folder_and_book_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "check", str(tmp_path / "nope"))
    assert code == 2 and "error: not a folder" in err
    code, err = run(capsys, "check", str(tmp_path))
    assert code == 2 and "book.yaml:" in err and "error: book.yaml not found" in err


def test_help_is_complete(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for word in ("build", "check", "dump", "exit status", "PATH:LINE:COL"):
        assert word in out
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    out = capsys.readouterr().out
    assert "-o OUT, --out OUT" in out and "--strict" in out


def test_a_bug_is_exit_1(tiny: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.load

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline.load, "normalise", broken)
    assert main(["check", str(tiny)]) == 1
    assert "internal error" in capsys.readouterr().err


def test_unused_note_is_a_warning_and_strict_makes_it_an_error(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = tiny / "second.md"
    second.write_text(second.read_text() + "[^spare]: Never called.\n")
    code, err = run(capsys, "check", str(tiny))
    assert code == 0 and "second.md:19:1: warning: footnote [^spare] is defined but never called" in err, err
    code, err = run(capsys, "check", str(tiny), "--strict")
    assert code == 2 and "second.md:19:1: error: footnote [^spare] is defined but never called" in err, err


def test_a_file_over_the_size_limit_is_refused(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open(tiny / "second.md", "r+b") as fh:  # sparse: no 50 MB written to disk, only the size
        fh.truncate(51 * 1024 * 1024)
    code, err = run(capsys, "check", str(tiny))
    assert code == 2 and "second.md: error: file is 51 MB; the limit is 50 MB per file" in err, err


def test_bad_language_tags_and_ids_in_the_text_are_errors(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = tiny / "second.md"
    lines = second.read_text().splitlines()
    lines += ["", "A [phrase]{lang=\"not a tag\"} here.", "", '<p id="two words">A paragraph.</p>', "", ""]
    second.write_text("\n".join(lines))
    code, err = run(capsys, "check", str(tiny))
    n = len(lines)
    assert code == 2
    assert f"second.md:{n - 4}:1: error: lang='not a tag' is not a language tag" in err, err
    assert re.search(rf"second\.md:{n - 2}:\d+: error: the id 'two words' is not usable: an id is one word", err), err


def test_an_id_used_twice_that_no_link_names_is_a_warning(tiny: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """pandoc's test suite writes {#foobar} on a heading and again on one in a block quote, and
    no link names it: the build stopped on it. Now a warning at the second use; the first keeps
    the id, the second is given one of its own, so the EPUB's ids stay unique."""
    second = tiny / "second.md"
    second.write_text(second.read_text() + "\n## Attributes {#foobar}\n\nText.\n\n> ## Inside a quote {#foobar}\n")
    lines = second.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "Inside a quote" in text)
    code, err = run(capsys, "build", str(tiny), "-o", str(tmp_path), "--only", "epub")
    assert code == 0, err
    assert re.search(rf"second\.md:{line}:\d+: warning: the id 'foobar' is used more than once in the book: it is "
                     r"kept where it is first written", err), err
    assert err.count("'foobar' is used more than once") == 1
    with zipfile.ZipFile(tmp_path / "a-tiny-book.epub") as epub:
        text = "".join(epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml"))
    assert re.findall(r'<h\d[^>]*id="foobar"[^>]*>([^<]*)<', text) == ["Attributes"]
    assert re.search(r'<h\d[^>]*id="[^"]+"[^>]*>Inside a quote<', text), "the second heading has an id of its own"


def test_an_id_used_twice_that_a_link_names_is_an_error(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = tiny / "second.md"
    second.write_text(second.read_text() + "\n## Attributes {#foobar}\n\nSee [there](#foobar).\n\n"
                                           "> ## Inside a quote {#foobar}\n")
    lines = second.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "Inside a quote" in text)
    link = next(n for n, text in enumerate(lines, 1) if "See [there]" in text)
    code, err = run(capsys, "check", str(tiny))
    assert code == 2
    assert re.search(rf"second\.md:{line}:\d+: error: the id 'foobar' is used more than once in the book, and the "
                     rf"link at second\.md:{link} could go to either: give one of them another id", err), err
    assert err.count("'foobar' is used more than once") == 1


def test_a_note_label_with_a_space_is_text(tiny: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """As in pandoc and CommonMark: '[^my note]' is no note call (its test suite says so)."""
    second = tiny / "second.md"
    second.write_text(second.read_text().replace("Done -- really...", "This label contains a space.[^my note]"))
    code, err = run(capsys, "build", str(tiny), "-o", str(tmp_path / "out"), "--only", "epub")
    assert code == 0 and "my note" not in err, err
    with zipfile.ZipFile(tmp_path / "out" / "a-tiny-book.epub") as z:
        assert "contains a space.[^my note]" in z.read("EPUB/text/second.xhtml").decode()


def test_a_note_that_calls_itself_through_another_is_an_error(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """PHP Markdown Extra's footnote test: [^nested], called in [^reference], calls [^reference]."""
    second = tiny / "second.md"
    second.write_text(second.read_text().replace("Done -- really...", "Done.[^reference]")
                      + "\n[^reference]: A note that calls another.[^nested]\n\n[^nested]: Which calls it back.[^reference]\n")
    code, err = run(capsys, "check", str(tiny))
    assert code == 2
    assert re.search(r"second\.md:\d+:\d+: error: footnote \[\^reference\] is called inside its own text", err), err


def test_a_table_never_closed_in_a_note_is_one_message(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was one error for each of its tags (<table>, <tr>, two <td>, </tr>), all saying "cannot
    stand inside a paragraph", none saying what was wrong."""
    second = tiny / "second.md"
    second.write_text(second.read_text() + "[^3]: A note with a table:\n\n    <table>\n"
                      "    <tr><td>one</td><td>two</td></tr>\n\n    And more text of the note.\n")
    second.write_text(second.read_text().replace("And a second.[^2]", "And a second.[^2] A third.[^3]"))
    code, err = run(capsys, "check", str(tiny))
    assert code == 2
    errors = [line for line in err.splitlines() if ": error: " in line]
    line = second.read_text().splitlines().index("    <table>") + 1
    assert errors == [f"{second}:{line}:5: error: <table> is never closed: end it with </table> on a line of its own "
                      "(its text is read as a paragraph until then)"], err


def test_text_that_a_table_never_closed_takes_is_not_lost_without_a_word(
        tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unclosed <table> takes the rest of the chapter as raw HTML: its paragraphs, in none
    of the table's cells, were dropped, and check said "no problems found"."""
    second = tiny / "second.md"
    second.write_text(second.read_text() + "\n<table>\n<tr><td>one</td></tr>\n\nThe last words of the chapter.\n")
    code, err = run(capsys, "check", str(tiny))
    assert code == 2
    (error,) = [line for line in err.splitlines() if ": error: " in line]
    assert "text inside a <table> but in none of its cells would be lost ('The last words of the chapter.')" in error
    assert "end the table with </table> before it" in error
